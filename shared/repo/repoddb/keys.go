package repoddb

import "github.com/hubsec/trustlayer/shared/platform/ddb"

// Keys is every partition key this store reads or writes on the table
// and queries on gsi1 (ddb.KeySpace): template.yaml's LeadingKeys
// conditions of each function linking this store derive from it, and
// every test on DynamoDB Local holds the store's keys to it.
var Keys = ddb.Declare(ddb.KeySpace{
	Table: []string{"AUDIT#*", "NAME#*", "REPO#*", "REPODIR#*", "REPOID#*"},
	Index: []string{"NS#*"},
	// ReposOf, ReposOfType: every repoItem attribute.
	IndexReads: []string{"id", "type", "namespace", "name", "owner", "ownerId", "private", "requireSignedCommits", "allowSecretsInPushes",
		"allowServiceSignedCommits", "requireSignedModels", "sdk", "createdBy", "createdAt", "lastModified"},
})
