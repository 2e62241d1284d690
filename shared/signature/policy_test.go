package signature_test

import (
	"strings"
	"testing"

	"github.com/hubsec/trustlayer/shared/signature"
)

func TestPolicy(t *testing.T) {
	ok := signature.Result{ObjectID: "a1", Kind: signature.Commit, Status: signature.StatusVerified, Reason: signature.ReasonValid}
	bad := signature.Result{ObjectID: "b2", Kind: signature.Commit, Status: signature.StatusUnverified, Reason: signature.ReasonUnknownKey}
	unsigned := signature.Result{ObjectID: "c3", Kind: signature.Tag, Status: signature.StatusUnsigned, Reason: signature.ReasonUnsigned}
	service := signature.Result{ObjectID: "d4", Kind: signature.Commit, Status: signature.StatusVerified, Reason: signature.ReasonSignedByService}
	req := signature.Rules{RequireSigned: true}
	tests := []struct {
		name     string
		results  []signature.Result
		require  signature.Rules
		allowed  bool
		rejected []string
	}{
		{"not required", []signature.Result{bad, unsigned, service}, signature.Rules{}, true, nil},
		{"required, all verified", []signature.Result{ok}, req, true, nil},
		{"required, some not", []signature.Result{ok, bad, unsigned}, req, false, []string{"b2", "c3"}},
		{"required, empty push", nil, req, true, nil},
		{"required, service-signed refused by default", []signature.Result{ok, service}, req, false, []string{"d4"}},
		{"required, service-signed allowed", []signature.Result{ok, service}, signature.Rules{RequireSigned: true, AllowServiceSigned: true}, true, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d := signature.Policy(tt.results, tt.require)
			if d.Allowed != tt.allowed || len(d.Rejected) != len(tt.rejected) {
				t.Fatalf("got %+v, want allowed=%v rejected=%v", d, tt.allowed, tt.rejected)
			}
			for i, id := range tt.rejected {
				if d.Rejected[i].ObjectID != id || !strings.Contains(d.Message(), id) {
					t.Errorf("rejection %d: got %+v, want %s", i, d.Rejected[i], id)
				}
			}
		})
	}
}
