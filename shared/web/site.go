package web

import (
	"bytes"
	"compress/gzip"
	"context"
	"embed"
	"errors"
	"fmt"
	"html/template"
	"io"
	"io/fs"
	"log/slog"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/awslabs/aws-lambda-go-api-proxy/core"

	"github.com/hubsec/trustlayer/shared/access"
	"github.com/hubsec/trustlayer/shared/authz"
	"github.com/hubsec/trustlayer/shared/commitverify"
	"github.com/hubsec/trustlayer/shared/files"
	"github.com/hubsec/trustlayer/shared/identity"
	"github.com/hubsec/trustlayer/shared/keyring"
	"github.com/hubsec/trustlayer/shared/org"
	"github.com/hubsec/trustlayer/shared/platform/apperr"
	"github.com/hubsec/trustlayer/shared/platform/httpapi"
	"github.com/hubsec/trustlayer/shared/principal"
	"github.com/hubsec/trustlayer/shared/repo"
)

//go:embed templates/*.html
var templateFS embed.FS

//go:embed static/*
var staticFS embed.FS

// Files lists a repository's files with their scan verdicts, checking the
// caller may read the repository and queueing scans for files that have
// none. IndexTree implements it over files.Service.Tree (the by-path file
// index).
type Files interface {
	Files(ctx context.Context, c access.Caller, typ access.RepoType, ns, name, rev, path string) ([]File, error)
	// ResolveAhead starts resolving rev in the repository this instance
	// last saw under the name, before the caller is authorized;
	// Resolved finishes it in the authorized repository (files.Ahead).
	ResolveAhead(ctx context.Context, typ access.RepoType, ns, name, rev string) *files.Ahead
	Resolved(ctx context.Context, a *files.Ahead, r repo.Repo) (string, error)
	// FolderAt lists one level of a folder of r (authorized) at commit
	// (rev resolved): its sub-folders with their scan counts and its
	// files with their verdicts (see files.Service.Folder).
	FolderAt(ctx context.Context, r repo.Repo, commit, rev, dir string) (FolderView, error)
	// CardOf is the model card stored at push for commit of r
	// (authorized), rendered.
	CardOf(ctx context.Context, r repo.Repo, commit string) (RepoCard, error)
}

// CommitLog lists the commits reachable from a revision, newest first,
// each with its verification record (commitverify.Service).
type CommitLog interface {
	Commits(ctx context.Context, c access.Caller, typ access.RepoType, ns, name, rev string, offset, limit int) ([]commitverify.Record, bool, error)
}

// Namespaces finds who owns a namespace and what is in it (repoddb.Store).
type Namespaces interface {
	Namespace(ctx context.Context, name string) (repo.Namespace, error)
	ReposOf(ctx context.Context, ns string) ([]repo.Repo, error)
}

// OrgRoles reads a user's role in an organization (orgddb.Store).
type OrgRoles interface {
	OrgRole(ctx context.Context, org, user string) (access.OrgRole, error)
}

// Services are the domain services the pages call.
type Services struct {
	Identity   *identity.Service
	Orgs       *org.Service
	OrgRoles   OrgRoles
	Repos      *repo.Service
	Namespaces Namespaces
	Keys       *keyring.Service
	Files      Files
	Commits    CommitLog
	// ModelSigs: model signatures and trusted model signers (nil: the
	// pages show none).
	ModelSigs ModelSignatures
	OrgAuth   OrgAuthorizer // *org.Service, for the organization's signers
}

// Config is the site's configuration.
type Config struct {
	// SecureCookies sets the Secure attribute (every deployment but local
	// http).
	SecureCookies bool
	// PublicURL is the service's public address (TRUSTLAYER_PUBLIC_URL):
	// pages name the scheme git clients use from it.
	PublicURL string
	Log       *slog.Logger
}

// gitScheme is what git talks to the service over, as the configured
// public URL says: "HTTP" for an http:// address, "HTTPS" otherwise.
func (c Config) gitScheme() string {
	if strings.HasPrefix(strings.ToLower(c.PublicURL), "http://") {
		return "HTTP"
	}
	return "HTTPS"
}

// Site serves the pages.
type Site struct {
	svc    Services
	cfg    Config
	pages  map[string]*lazyPage
	routes map[string]*authz.Route // "METHOD /pattern" -> route
	handle map[string]handlerFunc
}

// params are a route's path parameters.
type params map[string]string

type handlerFunc func(w http.ResponseWriter, r *http.Request, p params)

// New returns the site's handler, wrapped to read the authorizer's context
// and set the browser security headers.
func New(svc Services, cfg Config) (http.Handler, error) {
	s, err := newSite(svc, cfg)
	if err != nil {
		return nil, err
	}
	return headers(principal.Middleware(s, s.denied)), nil
}

func newSite(svc Services, cfg Config) (*Site, error) {
	if cfg.Log == nil {
		cfg.Log = slog.Default()
	}
	s := &Site{svc: svc, cfg: cfg, pages: map[string]*lazyPage{}, routes: map[string]*authz.Route{}}
	funcs := template.FuncMap{"when": when, "size": humanSize, "join": strings.Join, "short": shortID, "title": commitTitle,
		"repoPath": repoPath, "gpgStatus": gpgStatus, "reason": explainReason, "esc": escapePath, "inc": func(i int) int { return i + 1 },
		"entityTypes": entityTypes, "signer": signerLabel, "scopedPermissions": scopedPermissions, "policies": tokenPolicies,
		"roles": func() []access.OrgRole { return []access.OrgRole{access.RoleRead, access.RoleWrite, access.RoleAdmin} }}
	names, err := fs.Glob(templateFS, "templates/*.html")
	if err != nil {
		return nil, err
	}
	for _, n := range names {
		base := strings.TrimSuffix(strings.TrimPrefix(n, "templates/"), ".html")
		if base == "layout" {
			continue
		}
		s.pages[base] = &lazyPage{file: n, funcs: funcs}
	}
	for i := range authz.Table {
		if r := &authz.Table[i]; r.Web {
			s.routes[r.Method+" "+r.Pattern] = r
		}
	}
	s.handle = s.handlers()
	for k := range s.routes {
		if s.handle[k] == nil {
			return nil, fmt.Errorf("web route %s has no handler", k)
		}
	}
	return s, nil
}

// ServeHTTP dispatches on the route API Gateway (or the local gateway)
// chose, so the pages and the gateway can never disagree on routing.
func (s *Site) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	key := ""
	if rc, ok := core.GetAPIGatewayV2ContextFromContext(r.Context()); ok {
		key = rc.RouteKey
	}
	rt := s.routes[key]
	if rt == nil {
		s.notFound(w, r)
		return
	}
	// Matched on the escaped path, as the authorizer matches it, so an
	// encoded '/' in a revision stays in its segment; then decoded.
	_, p, ok := authz.Match([]authz.Route{*rt}, r.Method, r.URL.EscapedPath())
	if !ok {
		s.notFound(w, r)
		return
	}
	for k, v := range p {
		dec, err := url.PathUnescape(v)
		if err != nil {
			s.notFound(w, r)
			return
		}
		p[k] = dec
	}
	if r.Method == http.MethodPost {
		r.Body = http.MaxBytesReader(w, r.Body, 64<<10)
		if err := r.ParseForm(); err != nil {
			s.fail(w, r, apperr.E(apperr.Invalid, "The form could not be read"))
			return
		}
		if !checkCSRF(r) {
			s.fail(w, r, apperr.E(apperr.Permission, "This form was not sent from this site's page, or the page is too old. Go back, reload the page and try again."))
			return
		}
	}
	s.handle[key](w, r, p)
}

// headers sets the browser security headers on every answer.
func headers(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h.Set("Content-Security-Policy", "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'")
		h.Set("X-Frame-Options", "DENY")
		h.Set("Referrer-Policy", "same-origin")
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("Cache-Control", "no-store")
		next.ServeHTTP(w, r)
	})
}

// view is what every page template gets.
type view struct {
	Title string
	User  string // the signed-in user, "" when anonymous
	CSRF  string
	Flash string
	Error string
	Login bool // show a login prompt (the page needs a session)
	Data  any
}

func (s *Site) render(w http.ResponseWriter, r *http.Request, status int, page, title string, data any, flash string) {
	s.show(w, r, status, page, view{Title: title, Data: data, Flash: flash})
}

func (s *Site) show(w http.ResponseWriter, r *http.Request, status int, page string, v view) {
	c := principal.From(r.Context())
	v.CSRF = csrfToken(csrfSeed(r))
	if c.Kind == access.KindSession || c.Kind == access.KindUserToken {
		v.User = c.Username
	}
	if v.CSRF == "" {
		v.CSRF = csrfToken(s.ensurePreSession(w, r))
	}
	s.writeTo(w, r, status, page, v)
}

// lazyPage is one page's template, parsed (with the layout) when the page
// is first rendered rather than at start: an instance's cold start pays
// for none of the twenty pages, and its first request for one. Every page
// is parsed and rendered by TestEveryPageRenders, so a broken template
// fails the tests, not a user's request.
type lazyPage struct {
	file  string
	funcs template.FuncMap
	once  sync.Once
	t     *template.Template
	err   error
}

func (p *lazyPage) template() (*template.Template, error) {
	p.once.Do(func() {
		p.t, p.err = template.New("layout.html").Funcs(p.funcs).ParseFS(templateFS, "templates/layout.html", p.file)
		if p.err != nil {
			p.err = fmt.Errorf("parse %s: %w", p.file, p.err)
		}
	})
	return p.t, p.err
}

func (s *Site) write(w http.ResponseWriter, status int, page string, v view) {
	s.writeTo(w, nil, status, page, v)
}

// writeTo renders page; r (nil: never) may have it compressed (see
// compressible).
func (s *Site) writeTo(w http.ResponseWriter, r *http.Request, status int, page string, v view) {
	lp := s.pages[page]
	if lp == nil {
		s.cfg.Log.Error("no template", "page", page)
		http.Error(w, "Internal Server Error", http.StatusInternalServerError)
		return
	}
	t, err := lp.template()
	if err != nil {
		s.cfg.Log.Error("template", "page", page, "err", err)
		http.Error(w, "Internal Server Error", http.StatusInternalServerError)
		return
	}
	var b strings.Builder
	if err := t.ExecuteTemplate(&b, "layout.html", v); err != nil {
		s.cfg.Log.Error("render page", "page", page, "err", err)
		http.Error(w, "Internal Server Error", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	body := b.String()
	if r != nil && compressible(r, v, body) {
		if z, ok := gzipped(body); ok {
			w.Header().Set("Content-Encoding", "gzip")
			w.Header().Set("Vary", "Accept-Encoding")
			w.WriteHeader(status)
			_, _ = w.Write(z)
			return
		}
	}
	w.WriteHeader(status)
	_, _ = w.Write([]byte(body))
}

// compressMin is the smallest page worth compressing.
const compressMin = 4 << 10

// compressible reports whether a page may be sent gzip-compressed: the
// client accepts gzip, the page is large enough, and it holds no secret
// that compression could leak (BREACH: a page that reflects what an
// attacker put in the URL beside a secret lets the compressed size tell
// the secret). So only pages for an anonymous caller, and only those
// without the form token, are compressed; a signed-in user's pages (the
// log-out form's token, a new access token) never are.
func compressible(r *http.Request, v view, body string) bool {
	return v.User == "" && len(body) >= compressMin && acceptsGzip(r.Header.Get("Accept-Encoding")) &&
		(v.CSRF == "" || !strings.Contains(body, v.CSRF))
}

// acceptsGzip reads an Accept-Encoding header: gzip listed, without q=0.
func acceptsGzip(h string) bool {
	for _, part := range strings.Split(h, ",") {
		name, params, _ := strings.Cut(part, ";")
		if !strings.EqualFold(strings.TrimSpace(name), "gzip") {
			continue
		}
		for _, p := range strings.Split(params, ";") {
			if k, v, _ := strings.Cut(strings.TrimSpace(p), "="); strings.EqualFold(k, "q") {
				q, err := strconv.ParseFloat(strings.TrimSpace(v), 64)
				return err == nil && q > 0
			}
		}
		return true
	}
	return false
}

var gzipPool = sync.Pool{New: func() any {
	z, _ := gzip.NewWriterLevel(nil, gzip.BestSpeed)
	return z
}}

// gzipped compresses a page at gzip's fastest level.
func gzipped(body string) ([]byte, bool) {
	var buf bytes.Buffer
	buf.Grow(len(body) / 4)
	z := gzipPool.Get().(*gzip.Writer)
	defer gzipPool.Put(z)
	z.Reset(&buf)
	if _, err := io.WriteString(z, body); err != nil {
		return nil, false
	}
	if err := z.Close(); err != nil {
		return nil, false
	}
	return buf.Bytes(), true
}

// fail answers an error as a page: the message of a client error, a
// generic one (logged with the cause) for the rest, and a login prompt
// for a 401. An outage (apperr.KindOf: Unavailable) is a 503 with
// Retry-After, as in httpapi's error writer.
func (s *Site) fail(w http.ResponseWriter, r *http.Request, err error) {
	status := httpapi.Status(apperr.KindOf(err))
	if status >= 500 {
		s.cfg.Log.ErrorContext(r.Context(), "page failed", "path", r.URL.Path, "err", err)
	}
	if status == http.StatusServiceUnavailable {
		// A dependency is down (invariant 13): the browser, or a person,
		// comes back, as for the JSON API's 503.
		w.Header().Set("Retry-After", httpapi.RetryAfter)
	}
	title := http.StatusText(status)
	s.show(w, r, status, "error", view{Title: title, Error: apperr.Public(err), Login: status == http.StatusUnauthorized})
}

// denied answers the authorizer's deferred denials (a malformed
// Authorization header sent to a page).
func (s *Site) denied(w http.ResponseWriter, r *http.Request, err error) { s.fail(w, r, err) }

func (s *Site) notFound(w http.ResponseWriter, r *http.Request) {
	s.fail(w, r, apperr.E(apperr.NotExist, "Not Found"))
}

// caller returns the signed-in user; without one it answers with a login
// prompt and returns false.
func (s *Site) caller(w http.ResponseWriter, r *http.Request) (access.Caller, bool) {
	c := principal.From(r.Context())
	if c.Kind != access.KindSession {
		s.fail(w, r, apperr.E(apperr.Unauthenticated, "Log in to see this page"))
		return c, false
	}
	return c, true
}

// see redirects after a successful POST (303: the browser follows with
// a GET, and a reload does not repeat the change).
func see(w http.ResponseWriter, r *http.Request, path string) {
	http.Redirect(w, r, path, http.StatusSeeOther)
}

func isKind(err error, k apperr.Kind) bool {
	var ae *apperr.Error
	return errors.As(err, &ae) && ae.Kind == k
}

func when(t time.Time) string {
	if t.IsZero() {
		return "never"
	}
	return t.UTC().Format("2006-01-02 15:04 UTC")
}

func humanSize(n int64) string {
	switch {
	case n >= 1<<30:
		return fmt.Sprintf("%.1f GB", float64(n)/(1<<30))
	case n >= 1<<20:
		return fmt.Sprintf("%.1f MB", float64(n)/(1<<20))
	case n >= 1<<10:
		return fmt.Sprintf("%.1f kB", float64(n)/(1<<10))
	}
	return fmt.Sprintf("%d B", n)
}
