package ddb

import "time"

// NameClaim reserves a user or organization name (pk NAME#<ddb.Lower(name)>,
// sk NAME): users and organizations share one namespace, and repositories
// check the claim of the namespace they live in.
type NameClaim struct {
	PK   string `dynamodbav:"pk"`
	SK   string `dynamodbav:"sk"`
	Kind string `dynamodbav:"kind"` // "user" or "org"
	ID   string `dynamodbav:"id"`
	Name string `dynamodbav:"name"`
}

// NameSK is the sort key of a name claim.
const NameSK = "NAME"

// EmailClaim binds an address to one account (pk EMAIL#<ddb.Lower(addr)>, sk
// EMAIL), listed under the user on gsi1. Signing keys read it to check
// that a key's address is verified by its uploader.
type EmailClaim struct {
	PK       string    `dynamodbav:"pk"`
	SK       string    `dynamodbav:"sk"`
	GSI1PK   string    `dynamodbav:"gsi1pk"`
	GSI1SK   string    `dynamodbav:"gsi1sk"`
	Address  string    `dynamodbav:"address"`
	UserID   string    `dynamodbav:"userId"`
	Verified bool      `dynamodbav:"verified"`
	Primary  bool      `dynamodbav:"primary"`
	AddedAt  time.Time `dynamodbav:"addedAt"`
	// TTL (Unix seconds) is set while the claim is unverified, so an
	// address nobody verifies is released; verifying removes it.
	TTL int64 `dynamodbav:"ttl,omitempty"`
}

// EmailSK is the sort key of an email claim.
const EmailSK = "EMAIL"

// Key builders of the shared items, documented in docs/data-model.md.
func UserPK(id string) string    { return "USER#" + id }
func NamePK(name string) string  { return "NAME#" + Lower(name) }
func EmailPK(addr string) string { return "EMAIL#" + Lower(addr) }
