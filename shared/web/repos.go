package web

import (
	"net/http"
	"net/url"
	"sort"
	"strings"

	"github.com/hubsec/trustlayer/shared/access"
	"github.com/hubsec/trustlayer/shared/commitverify"
	"github.com/hubsec/trustlayer/shared/platform/apperr"
	"github.com/hubsec/trustlayer/shared/principal"
	"github.com/hubsec/trustlayer/shared/repo"
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
	Files    []File
	Counts   map[string]int
	CanAdmin bool
}

func (s *Site) loadRepo(w http.ResponseWriter, r *http.Request, typ access.RepoType, p params) (repo.Repo, bool) {
	rp, err := s.svc.Repos.Info(r.Context(), principal.From(r.Context()), typ, p["namespace"], p["name"])
	if err != nil {
		s.fail(w, r, err)
		return repo.Repo{}, false
	}
	return rp, true
}

// repoPage lists the files with their badges; listing queues a scan for
// every file that has none, as visiting a repository page does on the Hub.
func (s *Site) repoPage(typ access.RepoType) handlerFunc {
	return func(w http.ResponseWriter, r *http.Request, p params) {
		rp, ok := s.loadRepo(w, r, typ, p)
		if !ok {
			return
		}
		files, err := s.svc.Files.Files(r.Context(), principal.From(r.Context()), typ, rp.Namespace, rp.Name, "main")
		if err != nil {
			s.fail(w, r, err)
			return
		}
		sort.Slice(files, func(i, j int) bool { return files[i].Path < files[j].Path })
		d := repoData{Repo: rp, Path: repoPath(rp), Rev: "main", Files: files, Counts: map[string]int{}}
		for _, f := range files {
			d.Counts[string(f.Status)]++
		}
		s.render(w, r, http.StatusOK, "repo", rp.FullName(), d, "")
	}
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
		files, err := s.svc.Files.Files(r.Context(), principal.From(r.Context()), typ, rp.Namespace, rp.Name, p["rev"])
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
		rp, err := s.svc.Repos.UpdateSettings(r.Context(), c, typ, p["namespace"], p["name"],
			repo.SettingsChange{Private: &private, RequireSignedCommits: &signed})
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
