package access

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
)

// EncodeGrant writes g as one compact line, decoded without reflection
// (the token lookup item and the authorizer's context carry it): "2|g<bits>|r<0|1>|w<org,...>|a<org,...>|<scope>|..."
// where a scope is "<t><bits>:<key>", t one of u o m d s (user, org,
// model, dataset, space), bits the permissions as a hex mask in the order
// of AllPermissions, and key the user or org name, or the
// repository id (names and ids use none of "|,:"). Repository names are
// not needed for a decision (the token's listing item keeps them).
// Version "1" (written before invariant 9) has no a<orgs> part: such a
// grant has approvals from no organization.
const lookupGrantVersion = "2"

var entityCodes = map[EntityType]byte{EntityUser: 'u', EntityOrg: 'o', EntityModel: 'm', EntityDataset: 'd', EntitySpace: 's'}

var codeEntities = map[byte]EntityType{'u': EntityUser, 'o': EntityOrg, 'm': EntityModel, 'd': EntityDataset, 's': EntitySpace}

// permSets[b] is the permission list of mask b, shared (read-only) so
// decoding allocates no permission slices.
var permSets = func() [64][]Permission {
	var out [64][]Permission
	all := AllPermissions()
	for b := range out {
		for i, p := range all {
			if b&(1<<i) != 0 {
				out[b] = append(out[b], p)
			}
		}
	}
	return out
}()

func permMask(ps []Permission) int {
	m := 0
	for i, p := range AllPermissions() {
		for _, q := range ps {
			if p == q {
				m |= 1 << i
			}
		}
	}
	return m
}

func EncodeGrant(g *Grant) string {
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
	b.WriteString("|a" + strings.Join(g.Approved, ","))
	for _, s := range g.Scoped {
		key := s.Name
		if s.Type.IsRepo() {
			key = s.ID
		}
		fmt.Fprintf(&b, "|%c%x:%s", entityCodes[s.Type], permMask(s.Permissions), key)
	}
	return b.String()
}

var errBadGrant = errors.New("decode grant: malformed")

// DecodeGrant reads what EncodeGrant wrote (nil for "").
func DecodeGrant(s string) (*Grant, error) {
	if s == "" {
		return nil, nil
	}
	parts := strings.Split(s, "|")
	if len(parts) < 4 || (parts[0] != lookupGrantVersion && parts[0] != "1") || !strings.HasPrefix(parts[1], "g") || !strings.HasPrefix(parts[2], "r") || !strings.HasPrefix(parts[3], "w") {
		return nil, errBadGrant
	}
	var approved []string
	if parts[0] == lookupGrantVersion {
		if len(parts) < 5 || !strings.HasPrefix(parts[4], "a") {
			return nil, errBadGrant
		}
		if a := parts[4][1:]; a != "" {
			approved = strings.Split(a, ",")
		}
		parts = append(parts[:4:4], parts[5:]...)
	}
	gm, err := strconv.ParseUint(parts[1][1:], 16, 8)
	if err != nil || gm >= 64 {
		return nil, errBadGrant
	}
	g := &Grant{Global: permSets[gm], CanReadGatedRepos: parts[2] == "r1", Scoped: make([]Scope, 0, len(parts)-4)}
	if w := parts[3][1:]; w != "" {
		g.Pending = strings.Split(w, ",")
	}
	g.Approved = approved
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
		sc := Scope{Type: typ, Permissions: permSets[m]}
		if typ.IsRepo() {
			sc.ID = key
		} else {
			sc.Name = key
		}
		g.Scoped = append(g.Scoped, sc)
	}
	return g, nil
}
