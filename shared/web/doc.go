// Package web is the server-rendered face of the hub: account settings
// (tokens, signing keys, emails, audit), organizations and their members,
// and repository pages with per-file scan badges and commit signature
// badges. It has no domain of its own: each page asks the domain services
// (identity, org, repo, keyring, lfs, commit records) with the caller the
// authorizer resolved, so the pages decide exactly as the JSON API does.
//
// Browser security:
//   - the session lives in an HttpOnly, SameSite=Lax cookie (Secure outside
//     local http) holding the session secret identity issues at login; the
//     authorizer accepts that cookie on the web routes only (see
//     authz.SessionCookie), never on the JSON API;
//   - every form carries a CSRF token, an HMAC keyed by the session secret
//     (or, before login, by a random pre-session cookie), checked in
//     constant time, and a POST whose Origin is another origin or whose
//     Sec-Fetch-Site is cross-site is refused before that;
//   - a strict Content-Security-Policy (no inline script or style),
//     X-Frame-Options DENY, Referrer-Policy same-origin, nosniff, and
//     Cache-Control no-store on every page;
//   - secrets are shown once in the body of a POST answer, never put in a
//     URL, a redirect or a cookie other than the session's.
//
// Every form works without JavaScript; static/app.js only adds the copy
// button.
package web
