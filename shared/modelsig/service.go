package modelsig

import (
	"context"
	"fmt"
	"log/slog"
	"time"

	"github.com/hubsec/trustlayer/shared/platform/apperr"
	"github.com/hubsec/trustlayer/shared/platform/randid"
)

// MaxSigners bounds one namespace's list.
const MaxSigners = 100

// Store keeps the records (one per repository and commit) and the
// signers of each namespace (modelsigddb.Store).
type Store interface {
	PutRecord(ctx context.Context, rec Record) error
	Record(ctx context.Context, repoID, commit string) (Record, bool, error)
	Signers(ctx context.Context, namespace string) ([]Signer, error)
	PutSigner(ctx context.Context, s Signer) error
	DeleteSigner(ctx context.Context, namespace, id string) (bool, error)
}

// Service records verifications at push and answers them judged.
type Service struct {
	Store    Store
	Sigstore SigstoreVerifier // push side only; nil on the read side
	Log      *slog.Logger
	Now      func() time.Time
}

func (s *Service) now() time.Time {
	if s.Now != nil {
		return s.Now().UTC()
	}
	return time.Now().UTC()
}

// RecordCommit verifies one pushed commit and stores its record, unless
// one is stored already (the verdict of a commit's tree does not change).
func (s *Service) RecordCommit(ctx context.Context, repoID, commit string, tree []File, bundle []byte, open Opener) (Record, error) {
	if old, ok, err := s.Store.Record(ctx, repoID, commit); err != nil {
		return Record{}, err
	} else if ok {
		return old, nil
	}
	rec, err := Verify(ctx, Input{RepoID: repoID, Commit: commit, Bundle: bundle, Tree: tree, Open: open, Sigstore: s.Sigstore, Now: s.now()})
	if err != nil {
		return Record{}, err
	}
	if bundle == nil {
		for _, f := range tree {
			if f.Path == BundlePath {
				// The push reported the file but not its bytes.
				rec.Status, rec.Reason = Invalid, "model.sig is not a regular file of at most 1 MiB (an LFS file, a link, or larger)"
			}
		}
	}
	if err := s.Store.PutRecord(ctx, rec); err != nil {
		return Record{}, fmt.Errorf("store model signature of %s: %w", commit, err)
	}
	return rec, nil
}

// Owner is the namespace whose signers a repository's signatures are
// judged against.
type Owner struct {
	Type string // user or org
	Name string
}

// Judged is a record with its verdict, in the API's shape.
type Judged struct {
	Commit      string     `json:"commit"`
	Path        string     `json:"path"`
	Status      string     `json:"status"`
	Reason      string     `json:"reason"`
	Method      *string    `json:"method"`
	SpecVersion *string    `json:"specVersion"`
	Signer      *SignerOut `json:"signer"`
	TrustedBy   *Trust     `json:"trustedBy"`
	Files       *Files     `json:"files"`
}

// SignerOut is SignerInfo in the API.
type SignerOut = SignerInfo

// Summary is what repo info carries.
type Summary struct {
	Status string     `json:"status"`
	Method *string    `json:"method"`
	Signer *SignerOut `json:"signer"`
}

// Status answers a commit's record judged against owner's signers now.
// found is false when the commit was never recorded (pushed before this
// feature, or its record is still being made).
func (s *Service) Status(ctx context.Context, repoID string, owner Owner, commit string) (Judged, bool, error) {
	rec, ok, err := s.Store.Record(ctx, repoID, commit)
	if err != nil || !ok {
		return Judged{}, false, err
	}
	j, err := s.JudgeRecord(ctx, rec, owner)
	return j, err == nil, err
}

// JudgeRecord judges rec against owner's signers now.
func (s *Service) JudgeRecord(ctx context.Context, rec Record, owner Owner) (Judged, error) {
	signers, err := s.Store.Signers(ctx, owner.Name)
	if err != nil {
		return Judged{}, err
	}
	v := Judge(rec, Namespace{Type: owner.Type, Name: owner.Name, Signers: signers}, s.now())
	out := Judged{Commit: rec.Commit, Path: rec.Path, Status: v.Status, Reason: v.Reason, TrustedBy: v.TrustedBy, Files: rec.Files}
	if rec.Method != "" {
		m, sv, who := rec.Method, rec.SpecVersion, rec.Signer
		out.Method, out.Signer = &m, &who
		if sv != "" {
			out.SpecVersion = &sv
		}
	}
	return out, nil
}

// Who names the signer in one phrase: the key fingerprint, the
// certificate subject or the Sigstore identity.
func (i SignerInfo) Who() string {
	switch {
	case i.Identity != "":
		return i.Identity + " (" + i.Issuer + ")"
	case i.CertificateSubject != "":
		return i.CertificateSubject
	case i.KeyFingerprint != "":
		return "key " + i.KeyFingerprint
	}
	return ""
}

// Summary is the short form of Status for repo info.
func (j Judged) Summary() Summary {
	return Summary{Status: j.Status, Method: j.Method, Signer: j.Signer}
}

// Signers lists a namespace's signers.
func (s *Service) Signers(ctx context.Context, namespace string) ([]Signer, error) {
	out, err := s.Store.Signers(ctx, namespace)
	if out == nil {
		out = []Signer{}
	}
	return out, err
}

// AddSigner validates and adds a signer to a namespace's list. The
// caller has been authorized for the namespace.
func (s *Service) AddSigner(ctx context.Context, namespace, by string, in Signer) (Signer, error) {
	if err := ValidateSigner(&in); err != nil {
		return Signer{}, apperr.E(apperr.Invalid, "%s", err.Error())
	}
	have, err := s.Store.Signers(ctx, namespace)
	if err != nil {
		return Signer{}, err
	}
	if len(have) >= MaxSigners {
		return Signer{}, apperr.E(apperr.Invalid, "%s already trusts %d model signers, the limit", namespace, MaxSigners)
	}
	id := randid.New()
	in.ID, in.Namespace, in.CreatedAt, in.CreatedBy = id, namespace, s.now(), by
	if err := s.Store.PutSigner(ctx, in); err != nil {
		return Signer{}, err
	}
	if s.Log != nil {
		s.Log.Info("model signer added", "namespace", namespace, "id", id, "type", in.Type, "by", by)
	}
	return in, nil
}

// RemoveSigner removes a signer; NotExist when it is not in the list.
func (s *Service) RemoveSigner(ctx context.Context, namespace, id, by string) error {
	ok, err := s.Store.DeleteSigner(ctx, namespace, id)
	if err != nil {
		return err
	}
	if !ok {
		return apperr.E(apperr.NotExist, "no model signer %q", id)
	}
	if s.Log != nil {
		s.Log.Info("model signer removed", "namespace", namespace, "id", id, "by", by)
	}
	return nil
}
