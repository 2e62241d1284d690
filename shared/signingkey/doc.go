// Package signingkey parses the public keys users upload to sign commits:
// armored OpenPGP keys (ProtonMail go-crypto) and SSH public keys in
// authorized_keys format. It refuses private key material, weak keys and
// garbage with a *KeyError that names the problem, for a 400.
//
// Expired and revoked OpenPGP keys parse fine and are marked: like GitHub,
// we let users upload them so the commits they signed while the key was
// good keep verifying.
//
// One upload holds exactly one OpenPGP primary key (with its subkeys). A
// keyring export with several primary keys is refused rather than split, so
// every stored key has one owner action (add, remove) and one raw_key.
package signingkey
