package identityddb

import "github.com/hubsec/trustlayer/shared/platform/ddb"

// Keys is every partition key this store reads or writes on the table
// and queries on gsi1 (ddb.KeySpace): template.yaml's LeadingKeys
// conditions of each function linking this store derive from it, and
// every test on DynamoDB Local holds the store's keys to it.
var Keys = ddb.Declare(ddb.KeySpace{
	Table: []string{"AUDIT#*", "EMAIL#*", "NAME#*", "RATE#*", "SESSION#*", "TOKEN#*", "TOKENAPPROVAL#*", "USER#*"},
	Index: []string{"TOKENEXPIRY*", "USER#*"},
	// TokensExpiringBefore: tokenMetaItem; EmailsOfUser: ddb.EmailClaim.
	IndexReads: []string{"tokenId", "username", "name", "role", "hash", "hint", "createdAt", "lastUsedAt", "expiresAt", "grant", "expiryWarnedAt",
		"address", "userId", "verified", "primary", "addedAt", "ttl"},
})
