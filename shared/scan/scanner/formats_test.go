package scanner_test

import (
	"strings"
	"testing"

	"github.com/hubsec/trustlayer/shared/modelformat/formattest"
	"github.com/hubsec/trustlayer/shared/scan"
)

// TestModelFormats pushes the model-format corpus through the real
// pipeline (S3 server, DynamoDB Local, clamd) under LFS keys, which carry
// no file name, and checks the stored status, the finding's engine and
// reason, and securityFileStatus.
func TestModelFormats(t *testing.T) {
	e := newEnv(t, scan.ModeFull)
	for _, c := range formattest.Cases(t) {
		t.Run(c.Name, func(t *testing.T) {
			ref, ev := e.put(c.Data)
			e.handle(ev)
			r := e.result(ref)
			hub := scan.HubFileStatus(r, true)
			all := r.Reason
			for _, f := range r.Findings {
				all += " | " + f.Engine + ": " + f.Reason
			}
			switch c.Want {
			case "dangerous":
				if r.Status != scan.StatusInfected || hub.Status != scan.HubUnsafe || hub.ModelFormatScan == nil || hub.ModelFormatScan.Status != scan.HubUnsafe {
					t.Fatalf("got %s (%s), hub %+v; want infected", r.Status, r.Reason, hub)
				}
			case "caution":
				if r.Status != scan.StatusOK || hub.Status != scan.HubCaution || hub.ModelFormatScan == nil || hub.ModelFormatScan.Findings[0].Severity != "caution" {
					t.Fatalf("got %s (%s), hub %+v; want ok with caution", r.Status, r.Reason, hub)
				}
			case "error":
				if r.Status != scan.StatusError {
					t.Fatalf("got %s (%s); want error", r.Status, r.Reason)
				}
			case "ok":
				if r.Status != scan.StatusOK || len(r.Findings) > 0 || hub.Status != scan.HubSafe {
					t.Fatalf("got %s (%s) findings %+v hub %s; want ok and safe", r.Status, r.Reason, r.Findings, hub.Status)
				}
			}
			if c.Reason != "" && !strings.Contains(all, c.Reason) {
				t.Errorf("reason %q lacks %q", all, c.Reason)
			}
			if r.Engines[scan.EngineFormats] == "" {
				t.Errorf("no model-format engine version in %v", r.Engines)
			}
		})
	}
}
