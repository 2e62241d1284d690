// Package audithttp answers audit listings, for users' and organizations' logs alike.
package audithttp

import (
	"net/http"
	"strconv"
	"time"

	"github.com/hubsec/trustlayer/shared/platform/apperr"
	"github.com/hubsec/trustlayer/shared/platform/audit"
	"github.com/hubsec/trustlayer/shared/platform/httpapi"
)

// Query reads ?limit (1 to 100, default 50) and ?cursor of an audit
// listing, for users' and organizations' audit logs alike.
func Query(r *http.Request) (limit int, cursor string, err error) {
	limit = 50
	if v := r.URL.Query().Get("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > 100 {
			return 0, "", apperr.E(apperr.Invalid, "limit must be a number from 1 to 100")
		}
		limit = n
	}
	return limit, r.URL.Query().Get("cursor"), nil
}

// Write answers an audit page: {"events": [...], "nextCursor": "..."}.
func Write(w http.ResponseWriter, events []audit.Event, next string) {
	type evJSON struct {
		Type     string            `json:"type"`
		At       time.Time         `json:"at"`
		Actor    string            `json:"actor,omitempty"`
		SourceIP string            `json:"sourceIp,omitempty"`
		Details  map[string]string `json:"details,omitempty"`
	}
	out := make([]evJSON, 0, len(events))
	for _, e := range events {
		out = append(out, evJSON{e.Type, e.At, e.Actor, e.SourceIP, e.Details})
	}
	httpapi.JSON(w, http.StatusOK, map[string]any{"events": out, "nextCursor": next})
}
