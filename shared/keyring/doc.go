// Package keyring holds the signing keys of accounts: the OpenPGP and SSH
// public keys users upload so that the commits and tags they sign verify
// (see package signature). It applies the Hub's rules over a Store port:
//
//   - keys are managed from a logged-in session only, never with a token;
//   - an OpenPGP key is accepted only if at least one of its user-id emails
//     is a verified email of the uploading account, and every email is
//     marked verified or not for that account;
//   - a key (by the fingerprint of its primary key or of any subkey, or the
//     SSH fingerprint) lives on at most one account; the Store enforces it
//     with conditional writes, never a read first;
//   - the verified owner of one of an OpenPGP key's emails reclaims it from
//     an account that owns none of them (Service.AddGPGKey);
//   - expired and revoked keys are accepted and marked, so that what they
//     signed while good keeps verifying;
//   - private keys, garbage, weak keys and keys too large to store are
//     refused with a 400 that says why.
//
// Adding and removing a key are audit events on the account.
package keyring
