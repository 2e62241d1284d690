package identityddb

import (
	"encoding/json"
	"fmt"

	"github.com/hubsec/trustlayer/shared/access"
)

// grantJSON is a fine-grained grant as the token items store it: one
// compact string attribute, decoded with the item on the authorizer's one
// GetItem (no extra read).
type grantJSON struct {
	Global  []access.Permission `json:"g,omitempty"`
	Scoped  []scopeJSON         `json:"s"`
	Gated   bool                `json:"r,omitempty"`
	Pending []string            `json:"w,omitempty"`
	// Approved: organizations that approved the token (invariant 9).
	Approved []string `json:"a,omitempty"`
}

type scopeJSON struct {
	Type  access.EntityType   `json:"t"`
	ID    string              `json:"i"`
	Name  string              `json:"n"`
	Perms []access.Permission `json:"p"`
}

func encodeGrant(g *access.Grant) string {
	if g == nil {
		return ""
	}
	out := grantJSON{Global: g.Global, Gated: g.CanReadGatedRepos, Pending: g.Pending, Approved: g.Approved, Scoped: make([]scopeJSON, 0, len(g.Scoped))}
	for _, s := range g.Scoped {
		out.Scoped = append(out.Scoped, scopeJSON{Type: s.Type, ID: s.ID, Name: s.Name, Perms: s.Permissions})
	}
	b, _ := json.Marshal(out)
	return string(b)
}

func decodeGrant(s string) (*access.Grant, error) {
	if s == "" {
		return nil, nil
	}
	var in grantJSON
	if err := json.Unmarshal([]byte(s), &in); err != nil {
		return nil, fmt.Errorf("decode token grant: %w", err)
	}
	g := &access.Grant{Global: in.Global, CanReadGatedRepos: in.Gated, Pending: in.Pending, Approved: in.Approved, Scoped: make([]access.Scope, 0, len(in.Scoped))}
	for _, s := range in.Scoped {
		g.Scoped = append(g.Scoped, access.Scope{Type: s.Type, ID: s.ID, Name: s.Name, Permissions: s.Perms})
	}
	return g, nil
}

func encodeLookupGrant(g *access.Grant) string { return access.EncodeGrant(g) }

func decodeLookupGrant(s string) (*access.Grant, error) { return access.DecodeGrant(s) }
