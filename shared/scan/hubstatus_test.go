package scan

import (
	"testing"

	"github.com/hubsec/trustlayer/shared/pickle"
)

func TestHubFileStatus(t *testing.T) {
	evil := pickle.Import{Module: "os", Name: "system", Safety: pickle.Dangerous}
	odd := pickle.Import{Module: "webbrowser", Name: "open", Safety: pickle.Suspicious}
	fine := pickle.Import{Module: "collections", Name: "OrderedDict", Safety: pickle.Innocuous}
	tests := []struct {
		name       string
		res        Result
		found      bool
		status     string
		av, pickle string // "" when the block must be null
	}{
		{"no result", Result{}, false, HubUnscanned, "", ""},
		{"pending", Result{Status: StatusPending}, true, HubQueued, "", ""},
		{"clean text", Result{Status: StatusOK, PickleKind: "other"}, true, HubSafe, HubSafe, ""},
		{"clean pickle", Result{Status: StatusOK, PickleKind: "pickle", Imports: []pickle.Import{fine}}, true, HubSafe, HubSafe, HubSafe},
		{"suspicious import only", Result{Status: StatusOK, PickleKind: "pickle", Imports: []pickle.Import{fine, odd}, Highest: pickle.Suspicious}, true, HubSuspicious, HubSafe, HubSuspicious},
		{"dangerous import", Result{Status: StatusInfected, PickleKind: "pickle", Imports: []pickle.Import{evil}, Highest: pickle.Dangerous}, true, HubUnsafe, HubSafe, HubUnsafe},
		{"virus", Result{Status: StatusInfected, Signatures: []string{"Eicar-Test-Signature"}}, true, HubUnsafe, HubUnsafe, ""},
		{"blocklisted", Result{Status: StatusInfected, Signatures: []string{EngineBlocklist}, Blocklisted: true}, true, HubUnsafe, HubUnsafe, ""},
		{"engine error", Result{Status: StatusError, Reason: "clamd unreachable"}, true, HubError, HubError, ""},
		{"structure mode", Result{Status: StatusOK, ClamAVMode: ModeStructure, PickleKind: "pytorch-zip"}, true, HubCaution, HubCaution, HubSafe},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := HubFileStatus(tt.res, tt.found)
			if got.Status != tt.status {
				t.Errorf("status: got %q, want %q", got.Status, tt.status)
			}
			if (got.AVScan == nil) != (tt.av == "") || (got.AVScan != nil && got.AVScan.Status != tt.av) {
				t.Errorf("avScan: got %+v, want %q", got.AVScan, tt.av)
			}
			if (got.PickleImportScan == nil) != (tt.pickle == "") || (got.PickleImportScan != nil && got.PickleImportScan.Status != tt.pickle) {
				t.Errorf("pickleImportScan: got %+v, want %q", got.PickleImportScan, tt.pickle)
			}
		})
	}
}
