package web

import (
	"net/http"
	"path"
)

var staticTypes = map[string]string{".css": "text/css; charset=utf-8", ".js": "text/javascript; charset=utf-8"}

// static serves the embedded stylesheet and script.
func (s *Site) static(w http.ResponseWriter, r *http.Request, p params) {
	typ, ok := staticTypes[path.Ext(p["file"])]
	b, err := staticFS.ReadFile("static/" + p["file"])
	if !ok || err != nil {
		s.notFound(w, r)
		return
	}
	w.Header().Set("Content-Type", typ)
	w.Header().Set("Cache-Control", "public, max-age=3600")
	_, _ = w.Write(b)
}
