package authz

import (
	"context"
	"encoding/base64"
	"errors"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/hubsec/trustlayer/shared/access"
	"github.com/hubsec/trustlayer/shared/identity"
	"github.com/hubsec/trustlayer/shared/platform/apperr"
	"github.com/hubsec/trustlayer/shared/token"
)

// Limits on what the authorizer accepts from a request.
const (
	MaxPathLen   = 2048
	MaxAuthLen   = 4096
	MaxNameLen   = 96
	StoreTimeout = 2 * time.Second
	// TouchTimeout bounds the lastUsedAt write; Decide waits for it at most
	// this long before returning.
	TouchTimeout = 300 * time.Millisecond
)

// GitPasswordMessage is the Hub's answer to a real password in git basic auth.
const GitPasswordMessage = "Password authentication in git is no longer supported. You must use a user access token or an SSH key instead."

// Authenticator resolves user tokens and sessions (identity.Service).
type Authenticator interface {
	Authenticate(ctx context.Context, secret string) (access.Caller, error)
}

// Toucher records token use (identityddb.Store.TouchToken).
type Toucher interface {
	TouchToken(ctx context.Context, userID, id string, now time.Time, interval time.Duration) error
}

// ApprovalRequester asks an organization's admins to approve a
// fine-grained token refused for want of their approval
// (identity.Service.RequestApproval).
type ApprovalRequester interface {
	RequestApproval(ctx context.Context, c access.Caller, org string) error
}

// Authorizer makes the decision. Create it once per process.
type Authorizer struct {
	Auth  Authenticator
	Facts Facts
	Touch Toucher // optional
	// Approvals, when set, files the approval request of a token refused
	// as pending in an organization that was never asked (invariant 9).
	Approvals ApprovalRequester
	Log       *slog.Logger
	Routes    []Route // Table when nil
	Timeout   time.Duration

	// Now is the clock of the caches (time.Now when nil).
	Now func() time.Time

	mu      sync.Mutex
	touched map[string]time.Time
	// asked: token id + org whose approval request was filed here.
	asked map[string]bool
	// policies caches organizations' token policies for PolicyTTL.
	policies map[string]cachedPolicy
	// repos caches repositories' facts for reads, for FactsTTL.
	repos map[string]cachedFacts
}

// FactsTTL bounds how long a read (access.RepoRead: downloads, listings,
// fetches) is allowed on a repository's facts as this process last read
// them: a repository made private, moved, transferred or deleted is
// refused to readers who lost access within FactsTTL. A read the cached
// facts would deny reads the repository again, so access granted (made
// public) takes effect on the next request. Only found
// repositories are kept (a new repository is visible at once), and every
// other action reads the repository on every request. Roles and tokens
// are read on every request (a demotion takes effect on the next one).
const FactsTTL = 5 * time.Second

// MaxCachedFacts bounds the repositories whose facts one process keeps.
const MaxCachedFacts = 10000

type cachedFacts struct {
	f  access.RepoFacts
	at time.Time
}

func (a *Authorizer) now() time.Time {
	if a.Now != nil {
		return a.Now()
	}
	return time.Now()
}

// repoFacts reads a repository's facts, from the FactsTTL cache when
// cached is true.
func (a *Authorizer) repoFacts(ctx context.Context, typ access.RepoType, ns, name string, cached bool) (f access.RepoFacts, found, hit bool, err error) {
	key := string(typ) + "/" + strings.ToLower(ns) + "/" + strings.ToLower(name)
	now := a.now()
	if cached {
		a.mu.Lock()
		c, ok := a.repos[key]
		a.mu.Unlock()
		if ok && now.Sub(c.at) < FactsTTL && now.Sub(c.at) >= 0 {
			return c.f, true, true, nil
		}
	}
	f, found, err = a.Facts.RepoFacts(ctx, typ, ns, name)
	a.mu.Lock()
	if err != nil || !found {
		delete(a.repos, key)
	} else {
		if a.repos == nil || len(a.repos) >= MaxCachedFacts {
			a.repos = map[string]cachedFacts{}
		}
		a.repos[key] = cachedFacts{f, now}
	}
	a.mu.Unlock()
	return f, found, false, err
}

// PolicyTTL bounds how long the authorizer applies an organization's token
// policy after it changed: the policy is read from its own item (strongly
// consistent) at most once per PolicyTTL per organization per process.
// Roles, repositories and tokens are read on every request.
const PolicyTTL = 5 * time.Second

type cachedPolicy struct {
	p  access.TokenPolicy
	at time.Time
}

// Request is what every face extracts from its event.
type Request struct {
	Method   string
	Path     string
	Query    string // raw query string
	Header   http.Header
	SourceIP string
}

// Outcome is the decision.
type Outcome struct {
	Allow  bool
	Deny   *apperr.Error // why not, when !Allow
	Caller access.Caller
	Route  *Route
	Params map[string]string
}

func (o Outcome) denied(e *apperr.Error) Outcome { o.Allow, o.Deny = false, e; return o }

func deny(k apperr.Kind, msg string) *apperr.Error { return apperr.E(k, "%s", msg) }

// Decide decides one request. It never returns an error: store failures and
// timeouts deny (fail closed) with 503 and are logged.
func (a *Authorizer) Decide(ctx context.Context, req Request) Outcome {
	var out Outcome
	// A credential that cannot be ours is refused before anything else:
	// no route matching, no timer, no store call.
	secret, derr := credential(req.Header)
	if derr != nil {
		return out.denied(derr)
	}
	if len(req.Path) > MaxPathLen || !cleanPath(req.Path) {
		return out.denied(deny(apperr.Invalid, "Malformed request path"))
	}
	routes := a.Routes
	if routes == nil {
		routes = Table
	}
	route, params, ok := Match(routes, req.Method, req.Path)
	if !ok {
		return out.denied(deny(apperr.NotExist, "Not Found"))
	}
	out.Route, out.Params = route, params
	// Web pages, and only they, also take the session cookie (webcookie.go).
	fromCookie := false
	if secret == "" && route.Web {
		secret = webSession(req.Header)
		fromCookie = secret != ""
	}
	for k, v := range params {
		if GreedyParams[k] || RevisionParams[k] {
			// File paths and revisions may be percent-encoded (a space, or
			// refs%2Fpr%2F1), as the Hub's clients send them: judged here
			// as the function reads them, decoded.
			dec, ok := decodeSegments(v)
			if !ok {
				return out.denied(deny(apperr.Invalid, "Malformed "+k+" in path"))
			}
			params[k] = dec
			continue
		}
		if strings.Contains(v, "%") || !validParam(k, v) {
			return out.denied(deny(apperr.Invalid, "Malformed "+k+" in path"))
		}
	}
	timeout := a.Timeout
	if timeout == 0 {
		timeout = StoreTimeout
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()

	// The repo's facts do not depend on the caller: fetch them while the
	// credential is resolved.
	var repoCh chan repoResult
	var ns, name string
	// A repository page (public to the authorizer: the page decides) gets
	// the repository's facts too, from the same cache, so that the page
	// need not read them again (repo.Service.AuthorizeRead).
	webRepo := route.Web && route.Need == NeedPublic && route.RepoType != "" && route.Method == "GET"
	if route.Need == NeedRepo || webRepo {
		ns, name = params["namespace"], params["name"]
		if route.Git {
			name = strings.TrimSuffix(params["repo"], ".git")
		}
		repoCh = make(chan repoResult, 1)
		cached := (route.Action == access.RepoRead || webRepo) && !route.ServiceAction
		go func() {
			f, found, hit, err := a.repoFacts(ctx, route.RepoType, ns, name, cached)
			repoCh <- repoResult{f, found, hit, err}
		}()
	}

	caller, derr := a.authenticate(ctx, secret)
	if derr != nil && fromCookie && derr.Kind == apperr.Unauthenticated {
		// A stale cookie is no credential: the page shows a login link.
		caller, derr = access.Caller{Kind: access.KindAnonymous}, nil
	}
	caller.SourceIP = req.SourceIP
	out.Caller = caller
	if derr != nil {
		return out.denied(derr)
	}
	// The token's use is recorded while the rest of the decision runs, and
	// Decide returns only after that write: a frozen Lambda sandbox would
	// lose a write still in flight.
	defer a.touch(ctx, caller)()
	p := access.Principal{Kind: caller.Kind, User: caller.Username, UserID: caller.UserID, Role: caller.Role, Org: caller.Org, Grant: caller.Grant}

	var resource access.Resource
	var est *access.Established
	action := route.Action
	switch route.Need {
	case NeedPublic:
		out.Allow = true
		if webRepo {
			out.Caller.Repo = a.pageRepo(ctx, &p, <-repoCh, ns, name, route.RepoType)
		}
		return out
	case NeedAccount:
		resource = access.Account()
	case NeedOrg:
		org := params["org"]
		policy, err := a.loadRole(ctx, &p, org)
		if err != nil {
			return out.denied(a.unavailable(ctx, err))
		}
		resource = access.Org(org)
		resource.Policy = policy
	case NeedRepo:
		if route.ServiceAction {
			q, qerr := parseQuery(req.Query)
			if qerr != nil {
				return out.denied(qerr)
			}
			switch q {
			case "git-upload-pack":
				action = access.RepoRead
			case "git-receive-pack":
				action = access.RepoWrite
			default:
				return out.denied(deny(apperr.Invalid, "info/refs needs ?service=git-upload-pack or git-receive-pack"))
			}
		}
		rr := <-repoCh
	decideRepo:
		if rr.err != nil {
			return out.denied(a.unavailable(ctx, rr.err))
		}
		if !rr.found {
			// A missing repo answers like an invisible private one.
			if caller.Kind == access.KindAnonymous {
				return out.denied(deny(apperr.Unauthenticated, access.ReasonLogin).WithCode(apperr.CodeRepoNotFound))
			}
			return out.denied(deny(apperr.NotExist, access.ReasonNotFound).WithCode(apperr.CodeRepoNotFound))
		}
		if rr.f.Owner == access.OwnerOrg {
			policy, err := a.loadRole(ctx, &p, ns)
			if err != nil {
				return out.denied(a.unavailable(ctx, err))
			}
			rr.f.Policy = policy
		}
		resource = access.Repo(ns, name, route.RepoType, rr.f.Private, rr.f.Owner).With(rr.f)
		if rr.f.Namespace == "" {
			rr.f.Namespace, rr.f.Name = ns, name
		}
		est = &access.Established{Type: route.RepoType, Facts: rr.f, Role: p.Orgs[ns]}
		if rr.cached && !access.Decide(p, action, resource).Allow {
			// A denial is never made on cached facts: a repository made
			// public (or transferred to the caller) is read again, so the
			// cache can only err towards allowing, for at most FactsTTL.
			f, found, _, err := a.repoFacts(ctx, route.RepoType, ns, name, false)
			rr, p.Orgs = repoResult{f: f, found: found, err: err}, nil
			goto decideRepo
		}
	}
	d := access.Decide(p, action, resource)
	if !d.Allow {
		if d.PendingOrg != "" {
			a.requestApproval(ctx, caller, d.PendingOrg)
		}
		return out.denied(d.Err())
	}
	out.Allow = true
	// What was read to decide travels with the caller, so that the
	// function behind the route need not read it again.
	out.Caller.Repo = est
	return out
}

// repoResult is a repository's facts as read for one request.
type repoResult struct {
	f      access.RepoFacts
	found  bool
	cached bool // from the FactsTTL cache
	err    error
}

// pageRepo is the reading of a repository page's repository that travels
// to the page: nil when it was not found or could not be read (the page
// then reads for itself and answers its own error). Nothing is decided
// here; the page decides, and never refuses on these facts alone (they
// may be FactsTTL old: see repo.Service.AuthorizeRead).
func (a *Authorizer) pageRepo(ctx context.Context, p *access.Principal, rr repoResult, ns, name string, typ access.RepoType) *access.Established {
	if rr.err != nil || !rr.found {
		return nil
	}
	if rr.f.Owner == access.OwnerOrg {
		policy, err := a.loadRole(ctx, p, ns)
		if err != nil {
			return nil
		}
		rr.f.Policy = policy
	}
	if rr.f.Namespace == "" {
		rr.f.Namespace, rr.f.Name = ns, name
	}
	return &access.Established{Type: typ, Facts: rr.f, Role: p.Orgs[ns]}
}

// requestApproval files c's approval request with org, once per token
// and organization per process (the store writes it at most once). A
// failure is logged; the refusal stands either way.
func (a *Authorizer) requestApproval(ctx context.Context, c access.Caller, org string) {
	if a.Approvals == nil || c.TokenID == "" {
		return
	}
	key := c.TokenID + "\x00" + strings.ToLower(org)
	a.mu.Lock()
	if a.asked[key] {
		a.mu.Unlock()
		return
	}
	if a.asked == nil || len(a.asked) > 10000 {
		a.asked = map[string]bool{}
	}
	a.asked[key] = true
	a.mu.Unlock()
	if err := a.Approvals.RequestApproval(ctx, c, org); err != nil {
		a.mu.Lock()
		delete(a.asked, key)
		a.mu.Unlock()
		if a.Log != nil {
			a.Log.WarnContext(ctx, "approval request not filed", "tokenId", c.TokenID, "org", org, "err", err)
		}
	}
}

// loadRole loads p's role in org now and, for a token when the facts can
// tell, the org's token policy in the same round trip.
func (a *Authorizer) loadRole(ctx context.Context, p *access.Principal, org string) (access.TokenPolicy, error) {
	if p.Kind != access.KindSession && p.Kind != access.KindUserToken {
		return "", nil
	}
	var role access.OrgRole
	var policy access.TokenPolicy
	var err error
	if ps, ok := a.Facts.(TokenPolicySource); ok && p.Kind == access.KindUserToken {
		role, policy, err = a.roleAndPolicy(ctx, ps, org, p.User)
	} else if pf, ok := a.Facts.(PolicyFacts); ok && p.Kind == access.KindUserToken {
		role, policy, err = pf.OrgAccess(ctx, org, p.User)
	} else {
		role, err = a.Facts.OrgRole(ctx, org, p.User)
	}
	if err != nil {
		return "", err
	}
	if role != "" {
		p.Orgs = map[string]access.OrgRole{org: role}
	}
	return policy, nil
}

// roleAndPolicy reads user's role in org now and the org's token policy
// through the cache (PolicyTTL), side by side.
func (a *Authorizer) roleAndPolicy(ctx context.Context, ps TokenPolicySource, org, user string) (access.OrgRole, access.TokenPolicy, error) {
	key := strings.ToLower(org)
	now := a.now()
	a.mu.Lock()
	c, hit := a.policies[key]
	a.mu.Unlock()
	if hit && now.Sub(c.at) < PolicyTTL && now.Sub(c.at) >= 0 {
		role, err := a.Facts.OrgRole(ctx, org, user)
		return role, c.p, err
	}
	type res struct {
		p   access.TokenPolicy
		err error
	}
	ch := make(chan res, 1)
	go func() {
		p, err := ps.OrgTokenPolicy(ctx, org)
		ch <- res{p, err}
	}()
	role, err := a.Facts.OrgRole(ctx, org, user)
	pr := <-ch
	if err != nil {
		return "", "", err
	}
	if pr.err != nil {
		return "", "", pr.err
	}
	a.mu.Lock()
	if a.policies == nil || len(a.policies) > 10000 {
		a.policies = map[string]cachedPolicy{}
	}
	a.policies[key] = cachedPolicy{pr.p, now}
	a.mu.Unlock()
	return role, pr.p, nil
}

func (a *Authorizer) unavailable(ctx context.Context, err error) *apperr.Error {
	if a.Log != nil {
		a.Log.ErrorContext(ctx, "authorizer store failure, denying", "err", err)
	}
	return deny(apperr.Unavailable, "Authorization is temporarily unavailable; try again")
}

// credential reads the Authorization header: Bearer, or basic auth whose
// password is a token (any username). It checks the token's format and
// checksum, so a malformed or mistyped token never reaches the store. ""
// means no credential (anonymous).
func credential(h http.Header) (string, *apperr.Error) {
	v := h.Get("Authorization")
	if v == "" {
		return "", nil
	}
	v = sameRepeated(v)
	if len(v) > MaxAuthLen {
		return "", deny(apperr.Invalid, "Authorization header is too long")
	}
	scheme, rest, _ := strings.Cut(v, " ")
	rest = strings.TrimSpace(rest)
	var secret string
	switch {
	case strings.EqualFold(scheme, "bearer"):
		secret = rest
	case strings.EqualFold(scheme, "basic"):
		raw, err := base64.StdEncoding.DecodeString(rest)
		if err != nil {
			return "", deny(apperr.Invalid, "Malformed basic authorization: not base64")
		}
		_, pass, ok := strings.Cut(string(raw), ":")
		if !ok {
			return "", deny(apperr.Invalid, "Malformed basic authorization: expected user:password")
		}
		if _, err := token.Parse(pass); err != nil {
			return "", deny(apperr.Unauthenticated, GitPasswordMessage)
		}
		secret = pass
	default:
		return "", identity.ErrBadCredential
	}
	if _, err := token.Parse(secret); err != nil {
		return "", identity.ErrBadCredential
	}
	return secret, nil
}

// authenticate resolves a well-formed secret ("" is the anonymous caller).
func (a *Authorizer) authenticate(ctx context.Context, secret string) (access.Caller, *apperr.Error) {
	if secret == "" {
		return access.Caller{Kind: access.KindAnonymous}, nil
	}
	kind, _ := token.Parse(secret)
	if kind == token.KindOrg {
		org, found, err := a.Facts.OrgByTokenHash(ctx, token.Hash(secret))
		if err != nil {
			return access.Caller{}, a.unavailable(ctx, err)
		}
		if !found {
			return access.Caller{}, identity.ErrBadCredential
		}
		return access.Caller{Kind: access.KindOrgToken, Org: org}, nil
	}
	c, err := a.Auth.Authenticate(ctx, secret)
	if err != nil {
		var ae *apperr.Error
		if errors.As(err, &ae) && ae.Kind == apperr.Unauthenticated {
			return access.Caller{}, ae
		}
		return access.Caller{}, a.unavailable(ctx, err)
	}
	return c, nil
}

// touch records a token's use, at most once a minute per token per process
// (and the store's conditional write makes it once a minute across
// processes). It starts the write and returns the function that waits for
// it; the write is bounded by TouchTimeout and runs under the request's
// context, so its log line carries the request id. A valid token presented
// on a request the policy then denies still counts as used.
func (a *Authorizer) touch(ctx context.Context, c access.Caller) (wait func()) {
	if a.Touch == nil || c.TokenID == "" {
		return func() {}
	}
	now := time.Now()
	a.mu.Lock()
	if a.touched == nil {
		a.touched = map[string]time.Time{}
	}
	if last, ok := a.touched[c.TokenID]; ok && now.Sub(last) < identity.TouchInterval {
		a.mu.Unlock()
		return func() {}
	}
	a.touched[c.TokenID] = now
	if len(a.touched) > 10000 {
		a.touched = map[string]time.Time{c.TokenID: now}
	}
	a.mu.Unlock()
	done := make(chan struct{})
	go func() {
		defer close(done)
		ctx, cancel := context.WithTimeout(ctx, TouchTimeout)
		defer cancel()
		if err := a.Touch.TouchToken(ctx, c.UserID, c.TokenID, now, identity.TouchInterval); err != nil && a.Log != nil {
			a.Log.WarnContext(ctx, "lastUsedAt update failed", "tokenId", c.TokenID, "err", err)
		}
	}()
	return func() { <-done }
}

// cleanPath refuses paths a router could read two ways: empty segments,
// dot segments, encoded separators, control characters.
func cleanPath(p string) bool {
	if p == "" || p[0] != '/' {
		return false
	}
	for _, s := range strings.Split(p[1:], "/") {
		if s == "" || s == "." || s == ".." {
			return false
		}
	}
	for i := 0; i < len(p); i++ {
		c := p[i]
		if c < 0x20 || c == 0x7f || c == '\\' {
			return false
		}
		if c == '%' && (i+2 >= len(p) || !isHex(p[i+1]) || !isHex(p[i+2])) {
			return false
		}
	}
	return true
}

func isHex(c byte) bool { return c >= '0' && c <= '9' || c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F' }

// RevisionParams names the path parameters that hold a revision: a branch
// or tag name may hold '/', which clients send encoded (refs%2Fpr%2F1).
var RevisionParams = map[string]bool{"revision": true, "rev": true}

// decodeSegments percent-decodes a revision or file path and checks what
// it names, decoded: no empty, "." or ".." segment, no control character
// or backslash, and nothing encoded twice.
func decodeSegments(v string) (string, bool) {
	dec, err := url.PathUnescape(v)
	if err != nil || dec == "" || len(dec) > MaxPathLen || strings.Contains(dec, "%") {
		return "", false
	}
	for _, seg := range strings.Split(dec, "/") {
		if seg == "" || seg == "." || seg == ".." {
			return "", false
		}
	}
	for i := 0; i < len(dec); i++ {
		if c := dec[i]; c < 0x20 || c == 0x7f || c == '\\' {
			return "", false
		}
	}
	return dec, true
}

// validParam checks a path parameter: names of users, orgs and repos use
// letters, digits, '-', '_' and '.'.
func validParam(k, v string) bool {
	max, slash := MaxNameLen+4, false
	if k == GreedyPathParam {
		max, slash = MaxPathLen, true
	}
	if len(v) == 0 || len(v) > max {
		return false
	}
	for i := 0; i < len(v); i++ {
		c := v[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_' || c == '.' || slash && c == '/') {
			return false
		}
	}
	return true
}

// parseQuery returns the value of "service" in a raw query string. The
// authorizer and the git server behind it must read the same value, and
// parsers disagree on repeats (first or last) and on escapes, so a repeated
// service, or one whose name or value is percent- or plus-encoded, is
// refused rather than guessed.
func parseQuery(q string) (string, *apperr.Error) {
	value, n := "", 0
	for _, kv := range strings.Split(q, "&") {
		k, v, _ := strings.Cut(kv, "=")
		name, err := url.QueryUnescape(k)
		if err != nil || !strings.EqualFold(name, "service") {
			continue
		}
		if k != "service" || strings.ContainsAny(v, "%+") {
			return "", deny(apperr.Invalid, "info/refs needs ?service= spelled plainly, without percent or plus encoding")
		}
		value, n = v, n+1
	}
	if n > 1 {
		return "", deny(apperr.Invalid, "info/refs takes ?service= once")
	}
	return value, nil
}

// sameRepeated reduces an Authorization value that a client sent several
// times, identical (API Gateway joins repeated headers with commas; no
// credential holds a comma), to one copy: git-lfs sends the verify
// action's header and the one from http.extraHeader. Different values
// stay as they are and fail to parse.
func sameRepeated(v string) string {
	if !strings.Contains(v, ",") {
		return v
	}
	parts := strings.Split(v, ",")
	first := strings.TrimSpace(parts[0])
	for _, p := range parts[1:] {
		if strings.TrimSpace(p) != first {
			return v
		}
	}
	return first
}
