// Package modelsigstore verifies keyless (Sigstore) model signatures
// offline with sigstore-go: the Fulcio certificate chains to the trusted
// root at the time the transparency log (or a signed timestamp) saw it,
// its SCT verifies, the Rekor entry's promise and inclusion proof verify,
// and the DSSE envelope's signature verifies with the certificate's key.
//
// It is the only package linking sigstore-go (~550 packages): only the
// function that verifies at push imports it.
//
// The trusted root is the Sigstore public-good instance's
// trusted_root.json, embedded (trusted_root.json: a copy of sigstore-go
// v1.3.0's examples/trusted-root-public-good.json, Apache-2.0, from
// sigstore/root-signing targets/trusted_root.json). To refresh it, replace
// the file with the newest targets/trusted_root.json of
// sigstore/root-signing (its TUF repository is what sigstore clients
// fetch). An operator may supply another root (a private Sigstore) with
// MODEL_SIGNING_TRUSTED_ROOT: the path of a trusted_root.json file.
//
// The keyless function uses Lazy: it reads the root's bytes at start (a
// missing operator file still fails the start) and parses them, and
// builds the verifier, when the first bundle arrives, which keeps that
// work out of the function's cold-start init.
package modelsigstore

import (
	"context"
	_ "embed"
	"errors"
	"fmt"
	"os"
	"sync"
	"time"

	"github.com/sigstore/sigstore-go/pkg/bundle"
	"github.com/sigstore/sigstore-go/pkg/root"
	"github.com/sigstore/sigstore-go/pkg/verify"

	"github.com/hubsec/trustlayer/shared/modelsig"
	"github.com/hubsec/trustlayer/shared/platform/apperr"
)

//go:embed trusted_root.json
var publicGood []byte

// RootEnv names the file of an operator-supplied trusted root.
const RootEnv = "MODEL_SIGNING_TRUSTED_ROOT"

// Verifier checks keyless bundles against one trusted root.
type Verifier struct {
	v *verify.Verifier
}

// New verifies against trusted material (a trusted root; tests pass
// sigstore-go's virtual Sigstore). sctThreshold is how many certificate
// transparency proofs the leaf must carry (public-good Fulcio embeds one).
func New(tm root.TrustedMaterial, sctThreshold int) (*Verifier, error) {
	opts := []verify.VerifierOption{verify.WithTransparencyLog(1), verify.WithObserverTimestamps(1)}
	if sctThreshold > 0 {
		opts = append(opts, verify.WithSignedCertificateTimestamps(sctThreshold))
	}
	v, err := verify.NewVerifier(tm, opts...)
	if err != nil {
		return nil, err
	}
	return &Verifier{v: v}, nil
}

// FromEnv verifies against the root named by MODEL_SIGNING_TRUSTED_ROOT,
// else the embedded public-good root.
func FromEnv() (*Verifier, error) {
	data, err := rootFromEnv()
	if err != nil {
		return nil, err
	}
	return fromJSON(data)
}

// rootFromEnv is the trusted root's JSON: the file MODEL_SIGNING_TRUSTED_ROOT
// names, else the embedded public-good root.
func rootFromEnv() ([]byte, error) {
	p := os.Getenv(RootEnv)
	if p == "" {
		return publicGood, nil
	}
	b, err := os.ReadFile(p)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", RootEnv, err)
	}
	return b, nil
}

func fromJSON(data []byte) (*Verifier, error) {
	tr, err := root.NewTrustedRootFromJSON(data)
	if err != nil {
		return nil, fmt.Errorf("trusted root: %w", err)
	}
	return New(tr, 1)
}

// Lazy is the Verifier FromEnv makes, made on first use: LazyFromEnv
// reads the root's bytes, the first VerifySigstore parses them and builds
// the verifier (once; later calls share it, or its error).
type Lazy struct {
	verifier func() (*Verifier, error)
}

// LazyFromEnv reads the root FromEnv would (failing as it does when the
// operator's file cannot be read) and leaves the rest to the first use.
func LazyFromEnv() (*Lazy, error) {
	data, err := rootFromEnv()
	if err != nil {
		return nil, err
	}
	return &Lazy{verifier: sync.OnceValues(func() (v *Verifier, err error) {
		defer func() {
			if r := recover(); r != nil {
				v, err = nil, fmt.Errorf("trusted root: %v", r)
			}
		}()
		return fromJSON(data)
	})}, nil
}

// VerifySigstore implements modelsig.SigstoreVerifier. A root that does
// not parse is an apperr.Unavailable error, not a verdict on the bundle:
// nothing could be verified, so nothing may be recorded (fail closed).
func (l *Lazy) VerifySigstore(ctx context.Context, data []byte) ([]byte, modelsig.SignerInfo, error) {
	v, err := l.verifier()
	if err != nil {
		return nil, modelsig.SignerInfo{}, apperr.Wrap(apperr.Unavailable, err, "the keyless verifier's trusted root is unusable")
	}
	return v.VerifySigstore(ctx, data)
}

// VerifySigstore implements modelsig.SigstoreVerifier.
func (v *Verifier) VerifySigstore(_ context.Context, data []byte) (payload []byte, who modelsig.SignerInfo, err error) {
	defer func() {
		// sigstore-go parses hostile ASN.1 and protobuf; a panic in it is
		// an invalid bundle, never a crashed push.
		if r := recover(); r != nil {
			payload, who, err = nil, modelsig.SignerInfo{}, fmt.Errorf("bundle could not be verified: %v", r)
		}
	}()
	var b bundle.Bundle
	if err := b.UnmarshalJSON(data); err != nil {
		return nil, who, fmt.Errorf("bundle: %v", err)
	}
	env, err := b.Envelope()
	if err != nil || env == nil {
		return nil, who, errors.New("bundle holds no DSSE envelope")
	}
	res, err := v.v.Verify(&b, verify.NewPolicy(verify.WithoutArtifactUnsafe(), verify.WithoutIdentitiesUnsafe()))
	if err != nil {
		return nil, who, err
	}
	if res.Signature == nil || res.Signature.Certificate == nil {
		return nil, who, errors.New("bundle is not signed with a certificate")
	}
	who.Identity = res.Signature.Certificate.SubjectAlternativeName
	who.Issuer = res.Signature.Certificate.Issuer
	who.CertificateIssuer = res.Signature.Certificate.CertificateIssuer
	entries, _ := b.TlogEntries()
	if len(entries) > 0 {
		idx := entries[0].LogIndex()
		at := entries[0].IntegratedTime().UTC()
		who.TlogIndex, who.SignedAt = &idx, &at
	}
	if who.SignedAt == nil {
		for _, ts := range res.VerifiedTimestamps {
			t := ts.Timestamp.UTC().Truncate(time.Second)
			who.SignedAt = &t
			break
		}
	}
	raw, err := env.DecodeB64Payload()
	if err != nil {
		return nil, who, errors.New("envelope payload is not base64")
	}
	return raw, who, nil
}
