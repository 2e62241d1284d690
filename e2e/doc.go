// Package e2e holds end-to-end tests that drive the whole local stack (the
// gateway routing as template.yaml declares, the authorizer, every function
// as its own process, DynamoDB Local, the S3 server, clamd, a git backend)
// over HTTP, the way users and their tools do. They run under `make test`,
// which starts the stack and exports its addresses; run alone, they skip
// with a message saying so.
package e2e
