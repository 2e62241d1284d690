// Package repocontent is the one rule for serving repository bytes
// (docs/invariants.md, invariant 1: no repository content ever runs on
// the hub's origin). Every answer that carries a repository's bytes sets
// its headers with Set (the resolve and raw routes), and every presigned
// download of the uploads bucket asks the bucket for the same type and
// disposition (Presigned, used by s3objects.PresignGet, which the resolve
// redirect and the LFS batch download both go through).
//
// The rule: X-Content-Type-Options nosniff; a type from a short list of
// inert types (plain text, JSON, raster images) chosen by the file's
// extension, else application/octet-stream; Content-Disposition
// attachment unless the type is inert; and Content-Security-Policy
// "sandbox; default-src 'none'", so that even a document a browser chose
// to render runs no script, loads nothing and has an opaque origin (no
// cookie, no same-origin request to the hub). The bytes are never
// changed: clients get them exactly as pushed.
package repocontent

import (
	"mime"
	"net/http"
	"path"
	"strings"
)

// CSP is the Content-Security-Policy of every repository-content answer.
const CSP = "sandbox; default-src 'none'"

// OctetStream is the type of everything not known inert.
const OctetStream = "application/octet-stream"

// inert maps lower-case extensions to types no browser runs code in.
// HTML, XHTML, SVG, XML, JavaScript, CSS, PDF and every unknown type are
// absent on purpose: they are served as OctetStream, as an attachment.
var inert = map[string]string{
	".txt": "text/plain; charset=utf-8", ".md": "text/plain; charset=utf-8", ".markdown": "text/plain; charset=utf-8",
	".py": "text/plain; charset=utf-8", ".yaml": "text/plain; charset=utf-8", ".yml": "text/plain; charset=utf-8",
	".csv": "text/plain; charset=utf-8", ".tsv": "text/plain; charset=utf-8", ".toml": "text/plain; charset=utf-8",
	".cfg": "text/plain; charset=utf-8", ".ini": "text/plain; charset=utf-8", ".log": "text/plain; charset=utf-8",
	".jsonl": "text/plain; charset=utf-8", ".gitattributes": "text/plain; charset=utf-8",
	".gitignore": "text/plain; charset=utf-8",
	".json":      "application/json",
	".png":       "image/png", ".jpg": "image/jpeg", ".jpeg": "image/jpeg", ".gif": "image/gif", ".webp": "image/webp",
}

// Type is the Content-Type repository file name is served with.
func Type(name string) string {
	if t, ok := inert[strings.ToLower(path.Ext(name))]; ok {
		return t
	}
	return OctetStream
}

// Disposition is the Content-Disposition of repository file name: inline
// for an inert type, attachment otherwise; the base name as filename
// (RFC 6266/2231-encoded when not plain ASCII).
func Disposition(name string) string {
	kind := "attachment"
	if Type(name) != OctetStream {
		kind = "inline"
	}
	base := path.Base(name)
	if name == "" || base == "." || base == "/" {
		return kind
	}
	if d := mime.FormatMediaType(kind, map[string]string{"filename": base}); d != "" {
		return d
	}
	return kind
}

// Set sets the headers of an answer carrying the bytes of repository file
// name (also on a HEAD, a 206 and a redirect to them).
func Set(h http.Header, name string) {
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Content-Security-Policy", CSP)
	h.Set("Content-Type", Type(name))
	h.Set("Content-Disposition", Disposition(name))
}

// Presigned is the type and disposition a presigned download of the
// uploads bucket asks the bucket to answer with (response-content-type,
// response-content-disposition): the bucket is another origin, and cannot
// send nosniff or a CSP, so its answers are never renderable.
func Presigned() (contentType, disposition string) { return OctetStream, "attachment" }
