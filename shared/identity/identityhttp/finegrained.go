package identityhttp

import (
	"github.com/hubsec/trustlayer/shared/access"
)

// fineGrainedJSON is a grant in the Hub's shape (whoami-v2
// auth.accessToken.fineGrained, and the token list).
type fineGrainedJSON struct {
	Global            []access.Permission `json:"global"`
	Scoped            []scopeJSON         `json:"scoped"`
	CanReadGatedRepos bool                `json:"canReadGatedRepos"`
	// PendingApproval lists the organizations whose admins have not
	// approved the token yet (not a Hub field).
	PendingApproval []string `json:"pendingApproval,omitempty"`
}

type scopeJSON struct {
	Entity      entityJSON          `json:"entity"`
	Permissions []access.Permission `json:"permissions"`
}

type entityJSON struct {
	ID   string `json:"_id"`
	Type string `json:"type"`
	Name string `json:"name"`
}

func toFineGrainedJSON(g *access.Grant) *fineGrainedJSON {
	if g == nil {
		return nil
	}
	out := &fineGrainedJSON{Global: g.Global, CanReadGatedRepos: g.CanReadGatedRepos, PendingApproval: g.Pending,
		Scoped: make([]scopeJSON, 0, len(g.Scoped))}
	if out.Global == nil {
		out.Global = []access.Permission{}
	}
	for _, s := range g.Scoped {
		out.Scoped = append(out.Scoped, scopeJSON{Entity: entityJSON{ID: s.ID, Type: string(s.Type), Name: s.Name}, Permissions: s.Permissions})
	}
	return out
}
