// Package signature verifies the signatures of pushed git commits and
// annotated tags against the signing keys users uploaded, and decides
// whether a push passes a "require signed commits" policy.
//
// It is pure Go (ProtonMail go-crypto for OpenPGP, hiddeco/sshsig for SSH)
// and imports no cloud SDK: storage is reached through KeyDirectory, which
// the caller implements.
//
// # Verdicts
//
// Every object gets a Status (verified, unverified, unsigned) and exactly one
// Reason. Verified requires all of:
//
//   - a cryptographically valid signature over the exact payload (the raw
//     object minus the signature, see package gitobject);
//   - made by a key or subkey uploaded to some account, not revoked and not
//     expired at the signature's creation time (a key that expired after
//     signing still verifies, as on GitHub), and allowed to sign;
//   - that account owns the committer's (tagger's) email as a verified email;
//   - for OpenPGP, the committer email is one of the key's user-id emails.
//     SSH keys carry no emails, so the account check alone applies.
//
// # Precedence of reasons
//
// Checks run in this order and the first that fails decides the reason,
// modelled on GitHub's verification reasons and GitLab's statuses:
//
//	unsigned                no signature at all (status unsigned)
//	unknown_signature_type  not OpenPGP or SSH (for example x509/S/MIME)
//	malformed_signature     the signature block cannot be decoded
//	weak_hash               an OpenPGP signature over MD5, SHA-1 or RIPEMD-160
//	                        (no key is looked up: collisions make it worthless)
//	unknown_key             no uploaded key has the issuer's key id / fingerprint
//	invalid                 the signature does not verify over the payload
//	revoked_key             the key or subkey was revoked (hard revocation, or
//	                        a soft one dated at or before the signature)
//	expired_key             the key or subkey had expired when it signed
//	not_signing_key         the key or subkey lacks the sign capability
//	no_user                 no account holds the committer email
//	other_user              the committer email belongs to another account
//	                        than the key's
//	unverified_email        the key's account holds the email, unverified
//	bad_email               the email is not one of the key's identities (GPG)
//	valid                   verified
//
// When several uploaded keys match the signature (the same key uploaded by
// two accounts), each is judged and the verdict that passed the most checks
// wins. Only the first signature packet of an OpenPGP signature is used.
//
// # Errors
//
// Verify returns an error only when the object cannot be parsed (a
// *gitobject.ParseError: answer 400) or when the KeyDirectory fails (wrapped
// with %w: answer 5xx and retry). Every signature problem is a Result.
//
// # Caching
//
// Parsing an armored OpenPGP key verifies its self-signatures, which costs
// more than checking a commit signature. Parsed keys are cached in process,
// keyed by the SHA-256 of the armored text, so a cached entry can never be
// stale: a changed key is a different text. The cache is bounded
// (KeyCacheSize entries) and safe for concurrent use.
package signature
