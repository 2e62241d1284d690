package identityddb

import (
	"testing"

	"github.com/hubsec/trustlayer/shared/platform/ddb"
	"github.com/hubsec/trustlayer/shared/platform/ddb/ddbtest"
)

// TestIndexReadsAreProjected: gsi1 projects only the declared IndexReads
// (ddb.GSI1Include); TokensExpiringBefore decodes tokenMetaItem, EmailsOfUser ddb.EmailClaim: every attribute.
func TestIndexReadsAreProjected(t *testing.T) {
	ddbtest.CheckIndexReads(t, Keys, nil, tokenMetaItem{}, ddb.EmailClaim{})
}
