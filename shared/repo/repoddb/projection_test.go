package repoddb

import (
	"testing"

	"github.com/hubsec/trustlayer/shared/platform/ddb/ddbtest"
)

// TestIndexReadsAreProjected: gsi1 projects only the declared IndexReads
// (ddb.GSI1Include); ReposOf and ReposOfType decode repoItem: every attribute.
func TestIndexReadsAreProjected(t *testing.T) {
	ddbtest.CheckIndexReads(t, Keys, nil, repoItem{})
}
