package identityddb

import (
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/hubsec/trustlayer/internal/access"
)

// grantJSON is a fine-grained grant as the token items store it: one
// compact string attribute, decoded with the item on the authorizer's one
// GetItem (no extra read).
type grantJSON struct {
	Global  []access.Permission `json:"g,omitempty"`
	Scoped  []scopeJSON         `json:"s"`
	Gated   bool                `json:"r,omitempty"`
	Pending []string            `json:"w,omitempty"`
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
	out := grantJSON{Global: g.Global, Gated: g.CanReadGatedRepos, Pending: g.Pending, Scoped: make([]scopeJSON, 0, len(g.Scoped))}
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
	g := &access.Grant{Global: in.Global, CanReadGatedRepos: in.Gated, Pending: in.Pending, Scoped: make([]access.Scope, 0, len(in.Scoped))}
	for _, s := range in.Scoped {
		g.Scoped = append(g.Scoped, access.Scope{Type: s.Type, ID: s.ID, Name: s.Name, Permissions: s.Perms})
	}
	return g, nil
}

// The lookup item carries the grant in a compact line the authorizer
// decodes without reflection: "1|g<bits>|r<0|1>|w<org,...>|<scope>|..."
// where a scope is "<t><bits>:<key>", t one of u o m d s (user, org,
// model, dataset, space), bits the permissions as a hex mask in the order
// of access.AllPermissions, and key the user or org name, or the
// repository id (names and ids use none of "|,:"). Repository names are
// not needed for a decision and stay on the listing item.
const lookupGrantVersion = "1"

var entityCodes = map[access.EntityType]byte{access.EntityUser: 'u', access.EntityOrg: 'o', access.EntityModel: 'm', access.EntityDataset: 'd', access.EntitySpace: 's'}

var codeEntities = map[byte]access.EntityType{'u': access.EntityUser, 'o': access.EntityOrg, 'm': access.EntityModel, 'd': access.EntityDataset, 's': access.EntitySpace}

// permSets[b] is the permission list of mask b, shared (read-only) so
// decoding allocates no permission slices.
var permSets = func() [64][]access.Permission {
	var out [64][]access.Permission
	all := access.AllPermissions()
	for b := range out {
		for i, p := range all {
			if b&(1<<i) != 0 {
				out[b] = append(out[b], p)
			}
		}
	}
	return out
}()

func permMask(ps []access.Permission) int {
	m := 0
	for i, p := range access.AllPermissions() {
		for _, q := range ps {
			if p == q {
				m |= 1 << i
			}
		}
	}
	return m
}

func encodeLookupGrant(g *access.Grant) string {
	if g == nil {
		return ""
	}
	var b strings.Builder
	b.WriteString(lookupGrantVersion)
	fmt.Fprintf(&b, "|g%x|r", permMask(g.Global))
	if g.CanReadGatedRepos {
		b.WriteByte('1')
	} else {
		b.WriteByte('0')
	}
	b.WriteString("|w" + strings.Join(g.Pending, ","))
	for _, s := range g.Scoped {
		key := s.Name
		if s.Type.IsRepo() {
			key = s.ID
		}
		fmt.Fprintf(&b, "|%c%x:%s", entityCodes[s.Type], permMask(s.Permissions), key)
	}
	return b.String()
}

var errBadGrant = errors.New("decode token grant: malformed")

func decodeLookupGrant(s string) (*access.Grant, error) {
	if s == "" {
		return nil, nil
	}
	parts := strings.Split(s, "|")
	if len(parts) < 4 || parts[0] != lookupGrantVersion || !strings.HasPrefix(parts[1], "g") || !strings.HasPrefix(parts[2], "r") || !strings.HasPrefix(parts[3], "w") {
		return nil, errBadGrant
	}
	gm, err := strconv.ParseUint(parts[1][1:], 16, 8)
	if err != nil || gm >= 64 {
		return nil, errBadGrant
	}
	g := &access.Grant{Global: permSets[gm], CanReadGatedRepos: parts[2] == "r1", Scoped: make([]access.Scope, 0, len(parts)-4)}
	if w := parts[3][1:]; w != "" {
		g.Pending = strings.Split(w, ",")
	}
	for _, p := range parts[4:] {
		bits, key, ok := strings.Cut(p, ":")
		if !ok || len(bits) < 2 || key == "" {
			return nil, errBadGrant
		}
		typ, ok := codeEntities[bits[0]]
		m, err := strconv.ParseUint(bits[1:], 16, 8)
		if !ok || err != nil || m >= 64 {
			return nil, errBadGrant
		}
		sc := access.Scope{Type: typ, Permissions: permSets[m]}
		if typ.IsRepo() {
			sc.ID = key
		} else {
			sc.Name = key
		}
		g.Scoped = append(g.Scoped, sc)
	}
	return g, nil
}
