// Package gitobject parses raw git commit and annotated tag objects, exactly
// as `git cat-file commit` and `git cat-file tag` print them, and splits a
// signed object into the signature and the byte-exact payload it signs.
//
// The input is hostile: every object comes from a push. Parsing is bounded
// by Limits, never panics, and fails with a *ParseError whose Unwrap gives
// one of the Err* sentinels, so an HTTP layer can answer 400 with a message
// that names the problem.
//
// # Signed payload
//
// For commits the payload is the raw object minus the signature header
// blocks (`gpgsig` and `gpgsig-sha256`: the header line and its continuation
// lines that start with a space). Every other header stays byte for byte,
// including `encoding` and `mergetag`; the payload is never rebuilt from
// parsed fields. This is what git's parse_buffer_signed_by_header does.
//
// A commit may carry both `gpgsig` (over the SHA-1 form) and `gpgsig-sha256`
// (over the SHA-256 form) when a repository converts between formats. The
// object format is detected from the length of the tree id (40 or 64 hex
// digits); the signature whose header matches that format is the one
// returned, and both blocks are removed from the payload, like git does.
// A SHA-1 commit that carries only `gpgsig-sha256` is therefore unsigned.
//
// For tags the signature is appended to the message: the last line that
// starts with `-----BEGIN PGP SIGNATURE-----`, `-----BEGIN PGP MESSAGE-----`,
// `-----BEGIN SSH SIGNATURE-----` or `-----BEGIN SIGNED MESSAGE-----` begins
// the signature, and the payload is everything before it.
package gitobject
