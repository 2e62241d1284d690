package commitverify

import (
	"testing"

	"github.com/hubsec/trustlayer/shared/signature"
)

func TestJudged(t *testing.T) {
	verified := signature.Result{ObjectID: "a", Status: signature.StatusVerified, Reason: signature.ReasonValid}
	deleted := signature.Result{ObjectID: "a", Status: signature.StatusUnverified, Reason: signature.ReasonUnknownKey}
	unsigned := signature.Result{ObjectID: "a", Status: signature.StatusUnsigned, Reason: signature.ReasonUnsigned}
	tests := []struct {
		name        string
		stored, now signature.Result
		want        signature.Reason
	}{
		{"recorded verified, still verified", verified, verified, signature.ReasonValid},
		{"recorded verified, key deleted since", verified, deleted, signature.ReasonUnknownKey},
		{"recorded unverified, key uploaded since: the record stands", deleted, verified, signature.ReasonUnknownKey},
		{"recorded unsigned", unsigned, unsigned, signature.ReasonUnsigned},
	}
	for _, tt := range tests {
		if got := Judged(tt.stored, tt.now); got.Reason != tt.want {
			t.Errorf("%s: judged %s, want %s", tt.name, got.Reason, tt.want)
		}
	}
}
