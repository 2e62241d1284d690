package orgddb

import (
	"testing"

	"github.com/hubsec/trustlayer/shared/platform/ddb/ddbtest"
)

// TestIndexReadsAreProjected: gsi1 projects only the declared IndexReads
// (ddb.GSI1Include); OrgsOf decodes memberItem and uses its org, org id and role.
func TestIndexReadsAreProjected(t *testing.T) {
	ddbtest.CheckIndexReads(t, Keys, []string{"user", "userId", "joinedAt"}, memberItem{})
}
