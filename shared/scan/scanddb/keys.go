package scanddb

import "github.com/hubsec/trustlayer/shared/platform/ddb"

// Keys is every partition key this store reads or writes on the table
// and queries on gsi1 (ddb.KeySpace): template.yaml's LeadingKeys
// conditions of each function linking this store derive from it, and
// every test on DynamoDB Local holds the store's keys to it.
var Keys = ddb.Declare(ddb.KeySpace{
	Table: []string{"SCAN#*", "SHA256#*"},
	Index: []string{"SCANDUE*"},
	// Due: what the sweeper acts on (dueReads), not a result's findings.
	IndexReads: dueReads,
})

// dueReads are the attributes of a due scan the sweeper acts on (object,
// status and reason, run, deadline, attempts): Due decodes only these, so
// its results carry no imports, findings or signatures.
var dueReads = []string{"bucket", "key", "version", "etag", "size", "status", "reason", "run", "deadline", "attempts"}
