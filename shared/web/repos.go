package web

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/hubsec/trustlayer/shared/access"
	"github.com/hubsec/trustlayer/shared/commitverify"
	"github.com/hubsec/trustlayer/shared/files"
	"github.com/hubsec/trustlayer/shared/modelsig"
	"github.com/hubsec/trustlayer/shared/platform/apperr"
	"github.com/hubsec/trustlayer/shared/principal"
	"github.com/hubsec/trustlayer/shared/repo"
	"github.com/hubsec/trustlayer/shared/scan"
)

func (s *Site) principalOf(r *http.Request) access.Principal {
	return principal.From(r.Context()).Principal(nil)
}

// repoPath is the page address of a repository.
func repoPath(rp repo.Repo) string {
	prefix := ""
	switch rp.Type {
	case access.RepoDataset:
		prefix = "/datasets"
	case access.RepoSpace:
		prefix = "/spaces"
	}
	return prefix + "/" + url.PathEscape(rp.Namespace) + "/" + url.PathEscape(rp.Name)
}

type repoData struct {
	Repo     repo.Repo
	Path     string
	Rev      string
	Dir      string // the folder shown, "" for the root
	Crumbs   []crumb
	Entries  []entry
	Counts   map[string]int // scan statuses of every file under Dir
	Total    int
	Card     RepoCard
	Evals    []evalRow
	CanAdmin bool
	// Signature is main's (or rev's) model signature, judged now; nil
	// when it was never checked.
	Signature *modelsig.Judged
}

// entry is one row of a folder: a sub-folder with the scan statuses of
// the files under it, or a file with its verdict and findings.
type entry struct {
	Name, Path string
	Dir        bool
	File       File
	Files      int
	Infected   int
	Pending    int
	Errors     int
	Findings   []string // a file's findings, shown in the row
}

func (s *Site) loadRepo(w http.ResponseWriter, r *http.Request, typ access.RepoType, p params) (repo.Repo, bool) {
	rp, err := s.svc.Repos.Info(r.Context(), principal.From(r.Context()), typ, p["namespace"], p["name"])
	if err != nil {
		s.fail(w, r, err)
		return repo.Repo{}, false
	}
	return rp, true
}

// repoPage is the root folder of main with the model card above it.
func (s *Site) repoPage(typ access.RepoType) handlerFunc {
	return func(w http.ResponseWriter, r *http.Request, p params) {
		s.folder(w, r, typ, p, "main", "")
	}
}

// treePage is one folder at a revision: /{ns}/{name}/tree/{rev}/{path}.
func (s *Site) treePage(typ access.RepoType) handlerFunc {
	return func(w http.ResponseWriter, r *http.Request, p params) {
		s.folder(w, r, typ, p, p["rev"], strings.Trim(p["path"], "/"))
	}
}

// folder lists one level of dir, folders first, each folder with how many
// of its files are infected, pending or in error; listing queues a scan
// for every file that has none, as visiting a repository page does on the
// Hub. At the root it shows the model card and its evaluation results.
//
// Its reads, as the JSON list's: the caller is authorized on the
// authorizer's reading of the repository (none here), then rev's ref and
// the level's verdicts (folder.go says what a level reads) and, at the
// root, the model signature; the card of a commit is read and rendered
// once per instance. With the commit rev gave last time in this instance
// as a guess, the level and the signature are read beside the ref, and
// read again only if the ref moved (files.Ahead).
func (s *Site) folder(w http.ResponseWriter, r *http.Request, typ access.RepoType, p params, rev, dir string) {
	ctx := r.Context()
	root := dir == ""
	ahead := s.svc.Files.ResolveAhead(ctx, typ, p["namespace"], p["name"], rev)
	rp, err := s.svc.Repos.AuthorizeRead(ctx, principal.From(ctx), access.RepoRead, typ, p["namespace"], p["name"])
	if err != nil {
		s.fail(w, r, err)
		return
	}
	var early <-chan level
	_, guess := ahead.Guess()
	if guess != "" && ahead.SameRepo(rp) {
		early = s.readLevel(ctx, rp, guess, rev, dir)
	}
	d := repoData{Repo: rp, Path: repoPath(rp), Rev: rev, Dir: dir, Crumbs: breadcrumb(dir), Counts: map[string]int{}}
	title := rp.FullName()
	if !root {
		title = dir + " · " + title
	}
	commit, err := s.svc.Files.Resolved(ctx, ahead, rp)
	if err != nil {
		if root && (rev == "HEAD" || rev == files.DefaultBranch) && apperr.KindOf(err) == apperr.NotExist {
			s.render(w, r, http.StatusOK, "repo", title, d, "") // nothing pushed yet
			return
		}
		s.fail(w, r, err)
		return
	}
	if early == nil || guess != commit {
		early = s.readLevel(ctx, rp, commit, rev, dir) // the ref moved
	}
	lv := <-early
	if lv.err != nil {
		s.fail(w, r, lv.err)
		return
	}
	fv, card := lv.fv, lv.card
	d.Signature = lv.sig
	if fv.File != "" {
		http.Redirect(w, r, repoPath(rp)+"/blob/"+url.PathEscape(rev)+"/"+escapePath(fv.File), http.StatusFound)
		return
	}
	d.Total = fv.Counts.Files
	if n := fv.Counts.Files - fv.Counts.Infected - fv.Counts.Pending - fv.Counts.Errors; n > 0 {
		d.Counts[string(scan.StatusOK)] = n
	}
	for k, n := range map[scan.Status]int{scan.StatusInfected: fv.Counts.Infected, scan.StatusPending: fv.Counts.Pending, scan.StatusError: fv.Counts.Errors} {
		if n > 0 {
			d.Counts[string(k)] = n
		}
	}
	for _, sub := range fv.Dirs {
		d.Entries = append(d.Entries, entry{Name: sub.Name, Path: sub.Path, Dir: true, Files: sub.Counts.Files,
			Infected: sub.Counts.Infected, Pending: sub.Counts.Pending, Errors: sub.Counts.Errors})
	}
	for _, f := range fv.Files {
		name := f.Path
		if i := strings.LastIndexByte(name, '/'); i >= 0 {
			name = name[i+1:]
		}
		d.Entries = append(d.Entries, entry{Name: name, Path: f.Path, File: f, Findings: findings(f)})
	}
	if root {
		d.Card = card
		// README.md's numbers are signed with the model when the
		// signature read above verifies and covers it (as eval-results'
		// signedModel says).
		d.Evals = evalRows(card.Evals, d.Signature != nil && d.Signature.Covers(readme))
	}
	s.render(w, r, http.StatusOK, "repo", title, d, "")
}

// level is what a folder page reads at a commit.
type level struct {
	fv   FolderView
	card RepoCard
	sig  *modelsig.Judged
	err  error
}

// readLevel reads, side by side, the folder dir of r (authorized) at
// commit and, at the root, its card and model signature.
func (s *Site) readLevel(ctx context.Context, r repo.Repo, commit, rev, dir string) <-chan level {
	out := make(chan level, 1)
	go func() {
		var lv level
		var ferr, serr error
		done := make(chan struct{})
		go func() {
			defer close(done)
			lv.fv, ferr = s.svc.Files.FolderAt(ctx, r, commit, rev, dir)
		}()
		if dir == "" {
			lv.card, serr = s.svc.Files.CardOf(ctx, r, commit)
			if serr == nil && s.svc.ModelSigs != nil {
				lv.sig, serr = s.svc.ModelSigs.AtCommit(ctx, r, commit)
			}
		}
		<-done
		lv.err = errors.Join(ferr, serr)
		out <- lv
	}()
	return out
}

// readme is the model card's file.
const readme = "README.md"

// findings is what a file's scan found, short enough for its row: virus
// names, imports that are not innocuous, or the reason of an error.
func findings(f File) []string {
	var out []string
	for _, v := range f.Viruses {
		out = append(out, v)
	}
	for _, i := range f.Imports {
		if i.Safety != "" && i.Safety != "innocuous" {
			out = append(out, i.Module+"."+i.Name+" ("+i.Safety+")")
		}
	}
	if len(out) == 0 && f.Status == scan.StatusError && f.Reason != "" {
		out = append(out, f.Reason)
	}
	if len(out) > 4 {
		out = append(out[:3], "+"+strconv.Itoa(len(out)-3)+" more")
	}
	return out
}

type blobData struct {
	Repo repo.Repo
	Path string
	Rev  string
	File File
}

func (s *Site) blob(typ access.RepoType) handlerFunc {
	return func(w http.ResponseWriter, r *http.Request, p params) {
		rp, ok := s.loadRepo(w, r, typ, p)
		if !ok {
			return
		}
		files, err := s.svc.Files.Files(r.Context(), principal.From(r.Context()), typ, rp.Namespace, rp.Name, p["rev"], p["path"])
		if err != nil {
			s.fail(w, r, err)
			return
		}
		for _, f := range files {
			if f.Path == p["path"] {
				s.render(w, r, http.StatusOK, "blob", f.Path+" · "+rp.FullName(), blobData{Repo: rp, Path: repoPath(rp), Rev: p["rev"], File: f}, "")
				return
			}
		}
		s.fail(w, r, apperr.E(apperr.NotExist, "No file %s in %s", p["path"], rp.FullName()))
	}
}

type settingsData struct {
	Repo repo.Repo
	Path string
}

func (s *Site) repoSettings(typ access.RepoType) handlerFunc {
	return func(w http.ResponseWriter, r *http.Request, p params) {
		if _, ok := s.caller(w, r); !ok {
			return
		}
		rp, ok := s.loadRepo(w, r, typ, p)
		if !ok {
			return
		}
		s.render(w, r, http.StatusOK, "reposettings", rp.FullName()+" settings", settingsData{Repo: rp, Path: repoPath(rp)}, "")
	}
}

func (s *Site) saveRepoSettings(typ access.RepoType) handlerFunc {
	return func(w http.ResponseWriter, r *http.Request, p params) {
		c, ok := s.caller(w, r)
		if !ok {
			return
		}
		private := r.PostFormValue("visibility") == "private"
		signed := r.PostFormValue("requireSignedCommits") == "on"
		models := r.PostFormValue("requireSignedModels") == "on"
		rp, err := s.svc.Repos.UpdateSettings(r.Context(), c, typ, p["namespace"], p["name"],
			repo.SettingsChange{Private: &private, RequireSignedCommits: &signed, RequireSignedModels: &models})
		if err != nil {
			s.fail(w, r, err)
			return
		}
		s.render(w, r, http.StatusOK, "reposettings", rp.FullName()+" settings", settingsData{Repo: rp, Path: repoPath(rp)}, "Settings saved.")
	}
}

type commitsData struct {
	Repo    repo.Repo
	Path    string
	Rev     string
	Records []commitverify.Record
}

// commits shows the commits reachable from rev, newest first, each with
// its signature verification (the commit list of the API).
func (s *Site) commits(typ access.RepoType) handlerFunc {
	return func(w http.ResponseWriter, r *http.Request, p params) {
		rp, ok := s.loadRepo(w, r, typ, p)
		if !ok {
			return
		}
		recs, _, err := s.svc.Commits.Commits(r.Context(), principal.From(r.Context()), typ, rp.Namespace, rp.Name, p["rev"], 0, commitverify.MaxPageSize)
		if err != nil {
			s.fail(w, r, err)
			return
		}
		s.render(w, r, http.StatusOK, "commits", "Commits · "+rp.FullName(), commitsData{Repo: rp, Path: repoPath(rp), Rev: p["rev"], Records: recs}, "")
	}
}

// commitTitle is the first line of a commit message, as git log --oneline
// shows it.
func commitTitle(msg string) string {
	title, _, _ := strings.Cut(strings.TrimSpace(msg), "\n")
	return title
}

func shortID(id string) string {
	if len(id) > 10 {
		return id[:10]
	}
	return id
}
