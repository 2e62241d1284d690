// Package access is the hub's one access policy: who may do what to which
// repository, organization or account. Decide is a pure function; callers
// (the authorizer, HTTP handlers, the LFS batch endpoint) load the facts it
// needs for this request — the principal's organization roles now, the
// repository's owner and visibility — and pass them in. Nothing is cached
// here, so a demotion or a revoked membership takes effect on the next call.
//
// The rules, in short (docs/permissions.md has the full matrix, generated
// from this package's tests):
//
//   - Public repositories are readable by everyone, anonymous included.
//     Private ones by their owner user, by members (any role) of their owner
//     organization, and by that organization's API token.
//   - Writing (push, upload, settings, delete, rename, create) needs a
//     write-capable principal — a session or a write token — and write rights
//     on the namespace: one's own user namespace, or role write or admin in
//     the organization.
//   - A read token only reads. A token never grants more than its owner has
//     at that moment.
//   - An organization API token (api_org_) acts as a read-only member of its
//     organization: it reads public repositories and its organization's
//     private ones, calls inference on them, reads the organization and
//     answers whoami. It never writes, creates, administers or manages
//     credentials.
//   - Managing one's access tokens (account.tokens), account settings such as
//     signing keys and emails (account.settings), and refreshing an
//     organization's API token (org.tokens) need a logged-in session: a
//     leaked access token cannot mint credentials or change who the account
//     trusts.
//
// Statuses: 401 when an anonymous caller must log in; 404 when a known
// principal cannot read a private repository, whatever it tried to do (the
// same answer as for a repository that does not exist); 403 when a known
// principal may see the thing but not do this. An anonymous request for a
// private repository gets 401, not 404, so git and the HF clients ask for
// credentials; handlers must answer a missing repository the same way (401
// anonymous, 404 otherwise) so neither status reveals that a name exists.
//
// Names are compared exactly (byte for byte). Callers pass the canonical
// names from the store; a spelling mismatch denies rather than grants.
package access
