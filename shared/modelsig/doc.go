// Package modelsig verifies OpenSSF Model Signing (OMS v1.0) bundles: a
// Sigstore bundle at the root of a repository (model.sig) holding a DSSE
// envelope whose in-toto statement lists the digest of every file of the
// model, checked against the tree of one commit.
//
// The check is split in two, because the two halves change at different
// times:
//
//   - at push (Verify): the bundle is parsed, the statement and its
//     manifest validated, the commit's tree compared with the manifest,
//     and the cryptography that needs no trust decision done (a
//     certificate chain's own signatures, a key carried in the bundle,
//     a Sigstore bundle's Fulcio chain and Rekor entry against the
//     operator's trusted root). The outcome is a Record.
//   - at read (Judge): the Record is judged against the model signers the
//     repository's namespace trusts now: a key is matched by the key
//     itself (never the key a bundle carries) and the envelope's
//     signature checked with it; a certificate chain is built to a
//     trusted CA for code signing; a Sigstore identity and issuer are
//     compared exactly. Adding or removing a signer changes untrusted and
//     verified on the next read.
//
// The package links no Sigstore library: the keyless half lives in
// modelsigstore and only the function that verifies at push links it.
package modelsig
