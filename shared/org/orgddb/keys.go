package orgddb

import "github.com/hubsec/trustlayer/shared/platform/ddb"

// Keys is every partition key this store reads or writes on the table
// and queries on gsi1 (ddb.KeySpace): template.yaml's LeadingKeys
// conditions of each function linking this store derive from it, and
// every test on DynamoDB Local holds the store's keys to it.
var Keys = ddb.Declare(ddb.KeySpace{
	Table: []string{"AUDIT#*", "NAME#*", "ORG#*", "ORGPOLICY#*", "ORGTOKEN#*"},
	Index: []string{"MEMBEROF#*"},
	// OrgsOf: a membership's org, its id and the role.
	IndexReads: []string{"org", "orgId", "role"},
})
