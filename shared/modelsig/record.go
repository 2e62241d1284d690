package modelsig

import (
	"bytes"
	"context"
	"fmt"
	"time"

	"github.com/hubsec/trustlayer/shared/platform/apperr"
)

// Statuses of a commit (issue 21). Pending is stored at push for a
// signature whose crypto and coverage are fine: Judge turns it into
// untrusted or verified against the signers trusted when read.
const (
	Unsigned  = "unsigned"
	Invalid   = "invalid"
	Mismatch  = "mismatch"
	Untrusted = "untrusted"
	Verified  = "verified"
	Pending   = "pending"
)

// SignerInfo is who signed, as far as the bundle proves it.
type SignerInfo struct {
	KeyFingerprint     string     `json:"keyFingerprint,omitempty"`
	CertificateSubject string     `json:"certificateSubject,omitempty"`
	CertificateIssuer  string     `json:"certificateIssuer,omitempty"`
	Identity           string     `json:"identity,omitempty"`
	Issuer             string     `json:"issuer,omitempty"`
	TlogIndex          *int64     `json:"tlogIndex,omitempty"`
	SignedAt           *time.Time `json:"signedAt,omitempty"`
}

// Record is the push-time verification of one commit's model.sig.
type Record struct {
	RepoID      string     `json:"-"`
	Commit      string     `json:"commit"`
	Path        string     `json:"path"`
	Status      string     `json:"status"` // unsigned, invalid, mismatch or pending
	Reason      string     `json:"reason"`
	Method      string     `json:"method,omitempty"`
	SpecVersion string     `json:"specVersion,omitempty"`
	Signer      SignerInfo `json:"signer"`
	Files       *Files     `json:"files,omitempty"`
	// What Judge needs: for a key, the digests the key signed, the
	// signature, and the key the bundle named (hint or DER); for a
	// certificate, the chain (leaf first).
	KeyDER    []byte            `json:"keyDer,omitempty"`
	Digests   map[string]string `json:"digests,omitempty"`
	Sig       []byte            `json:"sig,omitempty"`
	Chain     [][]byte          `json:"chain,omitempty"`
	CheckedAt time.Time         `json:"checkedAt"`
}

// SigstoreVerifier verifies a keyless bundle offline (modelsigstore): the
// Fulcio certificate to the trusted root, the Rekor entry and its proof,
// and the envelope's signature. It answers the verified payload and
// signer. An error of kind apperr.Unavailable means the verifier could
// not be asked (modelsigremote), not that the bundle is bad.
type SigstoreVerifier interface {
	VerifySigstore(ctx context.Context, bundle []byte) ([]byte, SignerInfo, error)
}

// Input is one commit to verify.
type Input struct {
	RepoID, Commit string
	// Bundle is model.sig's bytes; nil when the commit has none.
	Bundle   []byte
	Tree     []File
	Open     Opener
	Sigstore SigstoreVerifier // nil: keyless bundles are invalid
	Now      time.Time
}

// Verify is the push-time half: everything but trust. An error is a
// failure to read the model's bytes (retry), never a verdict.
func Verify(ctx context.Context, in Input) (Record, error) {
	rec := Record{RepoID: in.RepoID, Commit: in.Commit, Path: BundlePath, CheckedAt: in.Now}
	if in.Bundle == nil {
		rec.Status, rec.Reason = Unsigned, "the commit has no "+BundlePath
		return rec, nil
	}
	invalid := func(format string, a ...any) (Record, error) {
		rec.Status, rec.Reason = Invalid, fmt.Sprintf(format, a...)
		rec.KeyDER, rec.Digests, rec.Sig, rec.Chain = nil, nil, nil, nil
		return rec, nil
	}
	b, err := ParseBundle(in.Bundle)
	if err != nil {
		return invalid("malformed bundle: %v", err)
	}
	rec.Method = b.Method
	payload := b.Payload
	switch b.Method {
	case MethodKey:
		rec.Signer.KeyFingerprint = b.KeyHint
		rec.Digests, rec.Sig = SignedDigests(b.Payload), b.Sig
		if len(b.KeyDER) > 0 {
			pub, der, err := ParsePublicKey(b.KeyDER)
			if err != nil {
				return invalid("bad public key: %v", err)
			}
			fp := KeyFingerprint(der)
			if b.KeyHint != "" && b.KeyHint != fp {
				return invalid("bad public key: hint %s is not the fingerprint %s of rawBytes", b.KeyHint, fp)
			}
			if !verifyDigests(pub, rec.Digests, b.Sig, false) {
				return invalid("bad signature: the envelope signature does not verify with the bundle's key")
			}
			rec.KeyDER, rec.Signer.KeyFingerprint = der, fp
		}
	case MethodCertificate:
		rec.Digests = SignedDigests(b.Payload)
		certs, err := checkChain(b.Chain, rec.Digests, b.Sig)
		if err != nil {
			return invalid("bad certificate chain: %v", err)
		}
		rec.Chain, rec.Digests = b.Chain, nil
		rec.Signer.CertificateSubject = subjectOf(certs[0].Subject)
		rec.Signer.CertificateIssuer = subjectOf(certs[0].Issuer)
	case MethodSigstore:
		if in.Sigstore == nil {
			return invalid("keyless (Sigstore) verification is not configured")
		}
		p, who, err := in.Sigstore.VerifySigstore(ctx, in.Bundle)
		if err != nil && apperr.KindOf(err) == apperr.Unavailable {
			return Record{}, err // not a verdict: retry
		}
		if err != nil {
			return invalid("bad Sigstore bundle: %v", err)
		}
		payload, rec.Signer = p, who
	}
	m, err := ParseStatement(payload)
	if err != nil {
		return invalid("bad statement: %v", err)
	}
	rec.SpecVersion = m.SpecVersion
	files, err := Check(ctx, m, in.Tree, in.Open)
	if err != nil {
		return Record{}, err
	}
	rec.Files = &files
	if !files.OK() {
		rec.Status, rec.Reason = Mismatch, files.FirstProblem()
		if len(m.Resources) == 1 && m.Resources[0].File == "." {
			rec.Reason = "the signature signs a single file (the reference tool names it \".\"), not the repository's tree"
		}
		return rec, nil
	}
	rec.Status, rec.Reason = Pending, ""
	return rec, nil
}

// Signer is a model signer a namespace trusts.
type Signer struct {
	ID        string `json:"id"`
	Namespace string `json:"-"`
	Name      string `json:"name,omitempty"`
	Type      string `json:"type"` // key, certificate, sigstore
	// key
	PublicKey      string `json:"publicKey,omitempty"` // PEM
	KeyFingerprint string `json:"keyFingerprint,omitempty"`
	// certificate
	CACertificates      string   `json:"caCertificates,omitempty"` // PEM
	CertificateSubjects []string `json:"certificateSubjects,omitempty"`
	// sigstore
	Identity  string    `json:"identity,omitempty"`
	Issuer    string    `json:"issuer,omitempty"`
	CreatedAt time.Time `json:"createdAt"`
	CreatedBy string    `json:"createdBy,omitempty"`
}

// Trust is the namespace whose list a signature matched.
type Trust struct {
	Type     string `json:"type"` // user or org
	Name     string `json:"name"`
	SignerID string `json:"signerId"`
}

// Namespace is the trusted signers of one namespace.
type Namespace struct {
	Type    string // user or org
	Name    string
	Signers []Signer
}

// Verdict is a record judged at read.
type Verdict struct {
	Status    string
	Reason    string
	TrustedBy *Trust
}

// Judge is the read-time half: it decides a pending (or mismatched) key
// signature's cryptography with the trusted keys, and trust for all.
func Judge(rec Record, ns Namespace, now time.Time) Verdict {
	v := Verdict{Status: rec.Status, Reason: rec.Reason}
	if rec.Status != Pending && rec.Status != Mismatch {
		return v
	}
	var trust *Trust
	var problem string
	for _, s := range ns.Signers {
		if s.Type != rec.Method {
			continue
		}
		switch s.Type {
		case MethodKey:
			pub, der, err := ParsePublicKey([]byte(s.PublicKey))
			if err != nil {
				continue
			}
			named := (rec.Signer.KeyFingerprint != "" && rec.Signer.KeyFingerprint == KeyFingerprint(der)) ||
				(len(rec.KeyDER) > 0 && bytes.Equal(rec.KeyDER, der))
			if !named {
				continue
			}
			if !verifyDigests(pub, rec.Digests, rec.Sig, false) {
				return Verdict{Status: Invalid, Reason: "bad signature: the envelope signature does not verify with the trusted key " + KeyFingerprint(der)}
			}
			trust = &Trust{Type: ns.Type, Name: ns.Name, SignerID: s.ID}
		case MethodCertificate:
			roots, err := ParseCACertificates([]byte(s.CACertificates))
			if err != nil {
				continue
			}
			if err := chainsTo(rec.Chain, roots, now); err != nil {
				problem = err.Error()
				continue
			}
			trust = &Trust{Type: ns.Type, Name: ns.Name, SignerID: s.ID}
		case MethodSigstore:
			if s.Identity == rec.Signer.Identity && s.Issuer == rec.Signer.Issuer {
				trust = &Trust{Type: ns.Type, Name: ns.Name, SignerID: s.ID}
			}
		}
		if trust != nil {
			break
		}
	}
	if rec.Status == Mismatch {
		return v
	}
	if trust == nil {
		v.Status = Untrusted
		v.Reason = fmt.Sprintf("the signer is not among the model signers %s %s trusts", ns.Type, ns.Name)
		if problem != "" {
			v.Reason += " (" + problem + ")"
		}
		return v
	}
	return Verdict{Status: Verified, TrustedBy: trust}
}

// ValidateSigner checks a signer to add and fills what it proves: the
// key's fingerprint, the CA subjects. Its errors are 4xx reasons.
func ValidateSigner(s *Signer) error {
	switch s.Type {
	case MethodKey:
		_, der, err := ParsePublicKey([]byte(s.PublicKey))
		if err != nil {
			return fmt.Errorf("publicKey: %v", err)
		}
		s.KeyFingerprint = KeyFingerprint(der)
		s.CACertificates, s.Identity, s.Issuer = "", "", ""
	case MethodCertificate:
		cs, err := ParseCACertificates([]byte(s.CACertificates))
		if err != nil {
			return fmt.Errorf("caCertificates: %v", err)
		}
		for _, c := range cs {
			if !c.IsCA {
				return fmt.Errorf("caCertificates: %s is not a CA certificate", subjectOf(c.Subject))
			}
		}
		s.CertificateSubjects = certSubjects(cs)
		s.PublicKey, s.Identity, s.Issuer = "", "", ""
	case MethodSigstore:
		if s.Identity == "" || len(s.Identity) > 1024 {
			return fmt.Errorf("identity (an email or URI) is required")
		}
		if len(s.Issuer) < 8 || len(s.Issuer) > 1024 || (s.Issuer[:8] != "https://" && s.Issuer[:7] != "http://") {
			return fmt.Errorf("issuer must be the OIDC issuer URL")
		}
		s.PublicKey, s.CACertificates = "", ""
	default:
		return fmt.Errorf("type must be key, certificate or sigstore")
	}
	if len(s.Name) > 200 {
		return fmt.Errorf("name is over 200 characters")
	}
	return nil
}
