package modelsig

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/sha256"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/hex"
	"encoding/pem"
	"errors"
	"fmt"
	"time"
)

// ParsePublicKey reads a PEM or DER SubjectPublicKeyInfo holding an ECDSA
// key on P-256, P-384 or P-521 (the reference tool's key types).
func ParsePublicKey(data []byte) (*ecdsa.PublicKey, []byte, error) {
	der := data
	if blk, _ := pem.Decode(data); blk != nil {
		if blk.Type != "PUBLIC KEY" {
			return nil, nil, fmt.Errorf("PEM block is %q, want PUBLIC KEY", blk.Type)
		}
		der = blk.Bytes
	}
	k, err := x509.ParsePKIXPublicKey(der)
	if err != nil {
		return nil, nil, errors.New("not a SubjectPublicKeyInfo public key")
	}
	pub, ok := k.(*ecdsa.PublicKey)
	if !ok {
		return nil, nil, errors.New("only elliptic curve keys (P-256, P-384, P-521) are supported")
	}
	if err := checkCurve(pub); err != nil {
		return nil, nil, err
	}
	canon, err := x509.MarshalPKIXPublicKey(pub)
	if err != nil {
		return nil, nil, err
	}
	return pub, canon, nil
}

func checkCurve(pub *ecdsa.PublicKey) error {
	switch pub.Curve {
	case elliptic.P256(), elliptic.P384(), elliptic.P521():
		return nil
	}
	return fmt.Errorf("unsupported curve %s", pub.Curve.Params().Name)
}

// KeyFingerprint is the reference tool's key hint: hex SHA-256 of the
// key's PEM SubjectPublicKeyInfo text.
func KeyFingerprint(der []byte) string {
	sum := sha256.Sum256(pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der}))
	return hex.EncodeToString(sum[:])
}

// curveHash names the hash that goes with a curve.
func curveHash(pub *ecdsa.PublicKey) string {
	switch pub.Curve {
	case elliptic.P384():
		return "sha384"
	case elliptic.P521():
		return "sha512"
	}
	return "sha256"
}

// verifyDigests checks an ECDSA signature over the envelope: the DSSE PAE
// under the curve's hash, else (as the reference verifier does) v0.2.0's
// encoding under the curve's hash or, for certificates, SHA-256.
func verifyDigests(pub *ecdsa.PublicKey, digests map[string]string, sig []byte, certificate bool) bool {
	try := []string{"pae/" + curveHash(pub), "compat/" + curveHash(pub)}
	if certificate {
		try = append(try, "compat/sha256")
	}
	for _, k := range try {
		d, err := hex.DecodeString(digests[k])
		if err == nil && len(d) > 0 && ecdsa.VerifyASN1(pub, d, sig) {
			return true
		}
	}
	return false
}

// checkChain checks the bundle's own chain: parseable, each certificate
// signed by the next, the leaf an ECDSA key that signed the envelope and
// may sign (digital signature or code signing usage, as the reference
// verifier asks). Whether the chain ends at a trusted CA is judged when
// read.
func checkChain(chain [][]byte, digests map[string]string, sig []byte) ([]*x509.Certificate, error) {
	var certs []*x509.Certificate
	for i, der := range chain {
		c, err := x509.ParseCertificate(der)
		if err != nil {
			return nil, fmt.Errorf("certificate %d does not parse: %v", i, err)
		}
		certs = append(certs, c)
	}
	for i := 0; i+1 < len(certs); i++ {
		if err := certs[i].CheckSignatureFrom(certs[i+1]); err != nil {
			return nil, fmt.Errorf("certificate %d is not signed by certificate %d: %v", i, i+1, err)
		}
	}
	leaf := certs[0]
	pub, ok := leaf.PublicKey.(*ecdsa.PublicKey)
	if !ok {
		return nil, errors.New("the signing certificate's key is not an elliptic curve key")
	}
	if err := checkCurve(pub); err != nil {
		return nil, err
	}
	codeSigning := false
	for _, u := range leaf.ExtKeyUsage {
		codeSigning = codeSigning || u == x509.ExtKeyUsageCodeSigning
	}
	if leaf.KeyUsage&x509.KeyUsageDigitalSignature == 0 && !codeSigning {
		return nil, errors.New("the signing certificate may not sign (no digital signature or code signing usage)")
	}
	if !verifyDigests(pub, digests, sig, true) {
		return nil, errors.New("the envelope signature does not verify with the signing certificate's key")
	}
	return certs, nil
}

// ParseCACertificates reads one or more PEM certificates of a trusted CA.
func ParseCACertificates(data []byte) ([]*x509.Certificate, error) {
	var out []*x509.Certificate
	rest := data
	for {
		var blk *pem.Block
		blk, rest = pem.Decode(rest)
		if blk == nil {
			break
		}
		if blk.Type != "CERTIFICATE" {
			continue
		}
		c, err := x509.ParseCertificate(blk.Bytes)
		if err != nil {
			return nil, fmt.Errorf("a certificate does not parse: %v", err)
		}
		out = append(out, c)
	}
	if len(out) == 0 {
		return nil, errors.New("no PEM CERTIFICATE block")
	}
	return out, nil
}

// chainsTo reports whether the bundle's chain (leaf first) builds to one
// of the roots for code signing at t. Go's chain check applies the
// extended key usage to every certificate of the chain.
func chainsTo(chain [][]byte, roots []*x509.Certificate, t time.Time) error {
	if len(chain) == 0 {
		return errors.New("no certificate")
	}
	leaf, err := x509.ParseCertificate(chain[0])
	if err != nil {
		return err
	}
	pool, inter := x509.NewCertPool(), x509.NewCertPool()
	for _, r := range roots {
		pool.AddCert(r)
	}
	for _, der := range chain[1:] {
		if c, err := x509.ParseCertificate(der); err == nil {
			inter.AddCert(c)
		}
	}
	_, err = leaf.Verify(x509.VerifyOptions{Roots: pool, Intermediates: inter, CurrentTime: t, KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageCodeSigning}})
	return err
}

// subjectOf is a certificate name for people.
func subjectOf(n pkix.Name) string { return n.String() }

// certSubjects lists the subjects of certificates.
func certSubjects(cs []*x509.Certificate) []string {
	var out []string
	for _, c := range cs {
		out = append(out, subjectOf(c.Subject))
	}
	return out
}
