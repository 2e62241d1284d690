package org

import (
	"strings"
	"testing"

	"github.com/hubsec/trustlayer/shared/access"
	"github.com/hubsec/trustlayer/shared/platform/apperr"
	"github.com/hubsec/trustlayer/shared/platform/httpapi"
)

func TestParseRole(t *testing.T) {
	for _, tt := range []struct {
		in string
		ok bool
	}{{"read", true}, {"write", true}, {"admin", true}, {"", false}, {"Admin", false}, {"owner", false}} {
		if got, err := ParseRole(tt.in); (err == nil) != tt.ok || (tt.ok && string(got) != tt.in) {
			t.Errorf("ParseRole(%q) = %q, %v", tt.in, got, err)
		}
	}
}

func TestCheckChange(t *testing.T) {
	s := func(v string) *string { return &v }
	links := func(v ...string) *[]string { return &v }
	tests := []struct {
		name string
		ch   Change
		ok   bool
	}{
		{"empty", Change{}, true},
		{"fullname", Change{Fullname: s("Acme Corp")}, true},
		{"fullname too long", Change{Fullname: s(strings.Repeat("x", MaxFullnameLen+1))}, false},
		{"fullname two lines", Change{Fullname: s("a\nb")}, false},
		{"control character", Change{Description: s("a\x00b")}, false},
		{"clear avatar", Change{AvatarURL: s("")}, true},
		{"avatar https", Change{AvatarURL: s("https://cdn.example/a.png")}, true},
		{"avatar javascript", Change{AvatarURL: s("javascript:alert(1)")}, false},
		{"avatar with credentials", Change{AvatarURL: s("https://u:p@cdn.example/a.png")}, false},
		{"links", Change{Links: links("https://a.example", "http://b.example")}, true},
		{"empty link", Change{Links: links("")}, false},
		{"too many links", Change{Links: links(strings.Split(strings.Repeat("https://a.example ", MaxLinks+1), " ")[:MaxLinks+1]...)}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := checkChange(tt.ch)
			if (err == nil) != tt.ok {
				t.Fatalf("got %v, want ok=%v", err, tt.ok)
			}
			if err != nil && apperr.KindOf(err) != apperr.Invalid {
				t.Errorf("kind %v, want Invalid", apperr.KindOf(err))
			}
		})
	}
}

func TestPrincipalAndDenied(t *testing.T) {
	roles := map[string]access.OrgRole{"acme": access.RoleWrite}
	repo := access.Repo("acme", "bert", access.RepoModel, false, access.OwnerOrg)
	tests := []struct {
		name   string
		c      access.Caller
		want   int
		reason string
	}{
		{"session writer", access.Caller{Kind: access.KindSession, Username: "alice"}, 200, ""},
		{"write token writer", access.Caller{Kind: access.KindUserToken, Username: "alice", Role: access.TokenWrite}, 200, ""},
		{"read token", access.Caller{Kind: access.KindUserToken, Username: "alice", Role: access.TokenRead}, 403, access.ReadTokenReason(access.RepoWrite, repo)},
		{"org token", access.Caller{Kind: access.KindOrgToken, Org: "acme"}, 403, access.ReasonOrgToken},
		{"anonymous", access.Caller{}, 401, access.ReasonLogin},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d := access.Decide(tt.c.Principal(roles), access.RepoWrite, repo)
			if httpStatus(d) != tt.want {
				t.Fatalf("got %+v, want %d", d, tt.want)
			}
			if d.Allow {
				return
			}
			err := d.Err()
			if httpapi.Status(apperr.KindOf(err)) != tt.want || apperr.Public(err) != tt.reason {
				t.Errorf("Denied = %v (kind %v)", err, apperr.KindOf(err))
			}
		})
	}
}

func httpStatus(d access.Decision) int {
	if d.Allow {
		return 200
	}
	return httpapi.Status(d.Kind)
}
