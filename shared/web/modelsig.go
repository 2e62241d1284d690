package web

import (
	"context"
	"net/http"
	"sort"
	"strings"

	"github.com/hubsec/trustlayer/shared/access"
	"github.com/hubsec/trustlayer/shared/files"
	"github.com/hubsec/trustlayer/shared/modelsig"
	"github.com/hubsec/trustlayer/shared/modelsig/modelsighttp"
	"github.com/hubsec/trustlayer/shared/platform/apperr"
	"github.com/hubsec/trustlayer/shared/principal"
	"github.com/hubsec/trustlayer/shared/repo"
)

// ModelSignatures is what the pages need of model signatures
// (ModelSigs over modelsig.Service and the file index).
type ModelSignatures interface {
	// At is rev's model signature judged now with the owner's signers;
	// nil when the commit was never checked.
	At(ctx context.Context, r repo.Repo, rev string) (*modelsig.Judged, error)
	// AtCommit is At for a resolved commit.
	AtCommit(ctx context.Context, r repo.Repo, commit string) (*modelsig.Judged, error)
	Signers(ctx context.Context, namespace string) ([]modelsig.Signer, error)
	AddSigner(ctx context.Context, namespace, by string, in modelsig.Signer) (modelsig.Signer, error)
	RemoveSigner(ctx context.Context, namespace, id, by string) error
}

// OrgAuthorizer decides an action on an organization (*org.Service).
type OrgAuthorizer interface {
	Authorize(ctx context.Context, c access.Caller, a access.Action, name string) (string, error)
}

// ModelSigs implements ModelSignatures.
type ModelSigs struct {
	Sigs  *modelsig.Service
	Index *files.Service
}

var _ ModelSignatures = ModelSigs{}

// At implements ModelSignatures: nil for the default branch of an empty
// repository.
func (m ModelSigs) At(ctx context.Context, r repo.Repo, rev string) (*modelsig.Judged, error) {
	commit, err := m.Index.ResolveIn(ctx, r, rev)
	if err != nil {
		if apperr.KindOf(err) == apperr.NotExist && (rev == "" || rev == "HEAD" || rev == files.DefaultBranch) {
			return nil, nil
		}
		return nil, err
	}
	return m.AtCommit(ctx, r, commit)
}

// AtCommit implements ModelSignatures: the record of commit (one read)
// judged against the owner's signers (one more when there is a record).
func (m ModelSigs) AtCommit(ctx context.Context, r repo.Repo, commit string) (*modelsig.Judged, error) {
	j, ok, err := m.Sigs.Status(ctx, r.ID, modelsighttp.OwnerOf(r), commit)
	if err != nil || !ok {
		return nil, err
	}
	return &j, nil
}

// Signers implements ModelSignatures.
func (m ModelSigs) Signers(ctx context.Context, ns string) ([]modelsig.Signer, error) {
	return m.Sigs.Signers(ctx, ns)
}

// AddSigner implements ModelSignatures.
func (m ModelSigs) AddSigner(ctx context.Context, ns, by string, in modelsig.Signer) (modelsig.Signer, error) {
	return m.Sigs.AddSigner(ctx, ns, by, in)
}

// RemoveSigner implements ModelSignatures.
func (m ModelSigs) RemoveSigner(ctx context.Context, ns, id, by string) error {
	return m.Sigs.RemoveSigner(ctx, ns, id, by)
}

// sigFile is one row of the signature page.
type sigFile struct {
	Path   string
	Result string // verified, mismatch, missing, unsigned, ignored, signature, not checked
	Note   string
}

type signatureData struct {
	Repo      repo.Repo
	Path      string
	Rev       string
	Signature *modelsig.Judged
	Files     []sigFile
}

// signaturePage lists every file of rev with its result against the
// model signature: /{ns}/{name}/signature/{rev}.
func (s *Site) signaturePage(typ access.RepoType) handlerFunc {
	return func(w http.ResponseWriter, r *http.Request, p params) {
		rp, ok := s.loadRepo(w, r, typ, p)
		if !ok {
			return
		}
		if s.svc.ModelSigs == nil {
			s.fail(w, r, apperr.E(apperr.NotExist, "Model signatures are not checked on this server"))
			return
		}
		all, err := s.svc.Files.Files(r.Context(), principal.From(r.Context()), typ, rp.Namespace, rp.Name, p["rev"], "")
		if err != nil {
			s.fail(w, r, err)
			return
		}
		j, err := s.svc.ModelSigs.At(r.Context(), rp, p["rev"])
		if err != nil {
			s.fail(w, r, err)
			return
		}
		d := signatureData{Repo: rp, Path: repoPath(rp), Rev: p["rev"], Signature: j}
		d.Files = sigRows(all, j)
		s.render(w, r, http.StatusOK, "signature", "Model signature · "+rp.FullName(), d, "")
	}
}

// sigRows gives each file its result: the record lists the files that
// differ; every other file a checked signature covers matched its digest.
func sigRows(all []File, j *modelsig.Judged) []sigFile {
	res := map[string]string{}
	checked := j != nil && j.Files != nil
	if checked {
		for _, p := range j.Files.Mismatched {
			res[p] = "mismatch"
		}
		for _, p := range j.Files.Missing {
			res[p] = "missing"
		}
		for _, p := range j.Files.Unsigned {
			res[p] = "unsigned"
		}
		for _, p := range j.Files.Ignored {
			res[p] = "ignored"
		}
	}
	var out []sigFile
	seen := map[string]bool{}
	for _, f := range all {
		seen[f.Path] = true
		row := sigFile{Path: f.Path}
		switch {
		case f.Path == modelsig.BundlePath:
			row.Result, row.Note = "signature", "the signature bundle itself"
		case !checked:
			row.Result = "not checked"
		case res[f.Path] != "":
			row.Result = res[f.Path]
		case strings.HasPrefix(f.Path, ".git") && !strings.Contains(f.Path, "/"):
			row.Result, row.Note = "ignored", "excluded by the format"
		default:
			row.Result, row.Note = "verified", "matches its signed digest"
		}
		switch row.Result {
		case "mismatch":
			row.Note = "differs from its signed digest"
		case "unsigned":
			row.Note = "in the commit, not in the signature"
		case "ignored":
			if row.Note == "" {
				row.Note = "ignored by the signature"
			}
		}
		out = append(out, row)
	}
	if checked {
		for _, p := range j.Files.Missing {
			if !seen[p] {
				out = append(out, sigFile{Path: p, Result: "missing", Note: "signed, not in the commit"})
			}
		}
	}
	sort.Slice(out, func(a, b int) bool { return out[a].Path < out[b].Path })
	return out
}

type signersData struct {
	Org       string // "" for the account
	Namespace string
	Action    string // the form's path
	Admin     bool
	Signers   []modelsig.Signer
	Form      modelsig.Signer
}

// signersNamespace is the account (a session) or the organization a
// model-signers page names, authorized for act.
func (s *Site) signersNamespace(r *http.Request, c access.Caller, org bool, p params, write bool) (string, error) {
	if s.svc.ModelSigs == nil {
		return "", apperr.E(apperr.NotExist, "Model signatures are not checked on this server")
	}
	if !org {
		return c.Username, nil
	}
	a := access.OrgRead
	if write {
		a = access.OrgAdmin
	}
	if s.svc.OrgAuth == nil {
		return "", apperr.E(apperr.NotExist, "Not Found")
	}
	return s.svc.OrgAuth.Authorize(r.Context(), c, a, p["org"])
}

// signersPath is the model-signers page of the account or of org ns.
func signersPath(org bool, ns string) string {
	if org {
		return "/organizations/" + ns + "/settings/model-signers"
	}
	return "/settings/model-signers"
}

// signersWriter is the caller and the namespace whose signers a form
// changes (an admin's org, or the account), or false once answered.
func (s *Site) signersWriter(w http.ResponseWriter, r *http.Request, org bool, p params) (access.Caller, string, bool) {
	c, ok := s.caller(w, r)
	if !ok {
		return c, "", false
	}
	ns, err := s.signersNamespace(r, c, org, p, true)
	if err != nil {
		s.fail(w, r, err)
		return c, "", false
	}
	return c, ns, true
}

func (s *Site) modelSigners(org bool) handlerFunc {
	return func(w http.ResponseWriter, r *http.Request, p params) {
		c, ok := s.caller(w, r)
		if !ok {
			return
		}
		s.showSigners(w, r, c, org, p, "", signersData{}, nil)
	}
}

func (s *Site) showSigners(w http.ResponseWriter, r *http.Request, c access.Caller, org bool, p params, flash string, d signersData, formErr error) {
	ns, err := s.signersNamespace(r, c, org, p, false)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	d.Namespace, d.Action, d.Admin = ns, signersPath(org, ns), true
	if org {
		d.Org = ns
		_, err := s.svc.OrgAuth.Authorize(r.Context(), c, access.OrgAdmin, ns)
		d.Admin = err == nil
	}
	if d.Signers, err = s.svc.ModelSigs.Signers(r.Context(), ns); err != nil {
		s.fail(w, r, err)
		return
	}
	title := "Model signers"
	if org {
		title = ns + " model signers"
	}
	if formErr != nil {
		s.formError(w, r, "modelsigners", title, d, formErr)
		return
	}
	s.render(w, r, http.StatusOK, "modelsigners", title, d, flash)
}

func (s *Site) addModelSigner(org bool) handlerFunc {
	return func(w http.ResponseWriter, r *http.Request, p params) {
		c, ns, ok := s.signersWriter(w, r, org, p)
		if !ok {
			return
		}
		in := modelsig.Signer{Type: r.PostFormValue("type"), Name: strings.TrimSpace(r.PostFormValue("name")),
			PublicKey: r.PostFormValue("publicKey"), CACertificates: r.PostFormValue("caCertificates"),
			Identity: strings.TrimSpace(r.PostFormValue("identity")), Issuer: strings.TrimSpace(r.PostFormValue("issuer"))}
		added, err := s.svc.ModelSigs.AddSigner(r.Context(), ns, c.Username, in)
		if err != nil {
			s.showSigners(w, r, c, org, p, "", signersData{Form: in}, err)
			return
		}
		s.showSigners(w, r, c, org, p, "Model signer "+signerLabel(added)+" added.", signersData{}, nil)
	}
}

func (s *Site) removeModelSigner(org bool) handlerFunc {
	return func(w http.ResponseWriter, r *http.Request, p params) {
		c, ns, ok := s.signersWriter(w, r, org, p)
		if !ok {
			return
		}
		if err := s.svc.ModelSigs.RemoveSigner(r.Context(), ns, p["id"], c.Username); err != nil {
			s.fail(w, r, err)
			return
		}
		see(w, r, signersPath(org, ns))
	}
}

// signerLabel names a signer in one phrase.
func signerLabel(sg modelsig.Signer) string {
	what := ""
	switch sg.Type {
	case modelsig.MethodKey:
		what = "key " + sg.KeyFingerprint
	case modelsig.MethodCertificate:
		what = "CA " + strings.Join(sg.CertificateSubjects, ", ")
	case modelsig.MethodSigstore:
		what = sg.Identity + " (" + sg.Issuer + ")"
	}
	if sg.Name != "" {
		return sg.Name + ": " + what
	}
	return what
}
