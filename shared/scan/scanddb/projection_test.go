package scanddb

import (
	"testing"

	"github.com/hubsec/trustlayer/shared/platform/ddb/ddbtest"
)

// TestIndexReadsAreProjected: gsi1 projects only the declared IndexReads
// (ddb.GSI1Include); Due decodes scanItem; the sweeper acts on the object, status, reason, run, deadline and attempts, never on a result's findings.
func TestIndexReadsAreProjected(t *testing.T) {
	ddbtest.CheckIndexReads(t, Keys, []string{"sha256", "signatures", "imports", "highest", "pickleKind", "blocklisted", "findings", "companions", "engines", "clamavMode", "clamavBytes", "pickleBytes", "cacheHit", "importCount", "findingCount", "signatureCount", "reportKey", "scannedAt", "durationMs"}, scanItem{})
}
