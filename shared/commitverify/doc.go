// Package commitverify verifies the commits and tags of a push against the
// signing keys of accounts (package signature over a KeyDirectory), keeps
// one verification record per (repository, object id), and decides whether
// the push passes the repository's "require signed commits" policy (the
// repository's setting or its owner organization's).
//
// # Persistent records
//
// A record is written once, with a condition that none exists, and never
// rewritten: removing or rotating a key later does not change what a commit
// was verified as when it was pushed. Submitting an object again returns
// the first record unchanged (AlreadyRecorded), and the push decision uses
// that record. A commit pushed before its signer uploaded the key therefore
// stays unverified in that repository; amending it gives a new object.
//
// Records are keyed by the repository's id, so they follow a rename or a
// transfer.
//
// # Input
//
// Every object of a request is parsed before anything is looked up or
// stored; one malformed object fails the whole request with a 400 that
// names it, and nothing is stored.
package commitverify
