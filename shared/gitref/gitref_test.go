package gitref

import (
	"context"
	"strings"
	"testing"
)

type refs map[string]string

func (r refs) PutRef(context.Context, string, Ref) error              { return nil }
func (r refs) DeleteRef(context.Context, string, string, int64) error { return nil }
func (r refs) Ref(_ context.Context, _ string, name string) (Ref, bool, error) {
	c, ok := r[name]
	return Ref{Name: name, Commit: c}, ok, nil
}

// TestResolve: a branch (with or without '/'), a tag, a full ref name and
// a known commit id resolve; anything else does not.
func TestResolve(t *testing.T) {
	main, feat, tag, pr := strings.Repeat("a", 40), strings.Repeat("b", 40), strings.Repeat("c", 40), strings.Repeat("d", 40)
	other := strings.Repeat("1", 40)
	s := refs{"refs/heads/" + strings.Repeat("e", 40): other, "refs/tags/" + strings.Repeat("9", 64): other, "refs/heads/main": main, "refs/heads/feature/x": feat, "refs/tags/v1": tag, "refs/pr/1": pr}
	known := func(_ context.Context, id string) (bool, error) { return id == strings.Repeat("e", 40), nil }
	tests := []struct {
		rev, want string
		ok        bool
	}{
		{"main", main, true},
		{"feature/x", feat, true},
		{"v1", tag, true},
		{"refs/heads/main", main, true},
		{"refs/pr/1", pr, true},
		{strings.Repeat("E", 40), strings.Repeat("e", 40), true},
		{strings.Repeat("f", 40), "", false},
		// A full id names the commit, never a branch or tag named so.
		{strings.Repeat("e", 40), strings.Repeat("e", 40), true},
		{strings.Repeat("9", 64), "", false},
		{"refs/heads/nope", "", false},
		{"", "", false},
	}
	for _, tt := range tests {
		got, ok, err := Resolve(context.Background(), s, "r1", tt.rev, known)
		if err != nil || ok != tt.ok || got != tt.want {
			t.Errorf("Resolve(%q) = %q, %v, %v; want %q, %v", tt.rev, got, ok, err, tt.want, tt.ok)
		}
	}
}

// TestCheckBranch: a full id (any case, 40 or 64 digits), HEAD and names
// beginning refs/ are refused as branch and tag names, and any replace
// ref; deletions and the Hub's own refs pass.
func TestCheckBranch(t *testing.T) {
	for _, ref := range []string{"refs/heads/" + strings.Repeat("a", 40), "refs/heads/" + strings.Repeat("A", 40),
		"refs/tags/" + strings.Repeat("0", 64), "refs/heads/HEAD", "refs/heads/refs/heads/main", "refs/tags/refs/tags/v1",
		"refs/replace/" + strings.Repeat("a", 40)} {
		if CheckRefUpdate(ref, false) == nil {
			t.Errorf("%s: allowed", ref)
		}
		if CheckRefUpdate(ref, true) != nil {
			t.Errorf("%s: deletion refused", ref)
		}
	}
	for _, ref := range []string{"refs/heads/main", "refs/heads/" + strings.Repeat("a", 39), "refs/heads/" + strings.Repeat("a", 41),
		"refs/tags/v1", "refs/pr/1", "refs/heads/feature/HEAD", "refs/heads/heads", "refs/heads/g" + strings.Repeat("a", 39)} {
		if err := CheckRefUpdate(ref, false); err != nil {
			t.Errorf("%s: %v", ref, err)
		}
	}
}
