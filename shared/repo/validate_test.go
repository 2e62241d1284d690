package repo

import (
	"strings"
	"testing"

	"github.com/hubsec/trustlayer/shared/access"
)

func TestCheckName(t *testing.T) {
	tests := []struct {
		name string
		ok   bool
	}{
		{"bert", true},
		{"b", true},
		{"bert-base_uncased.v2", true},
		{strings.Repeat("a", 96), true},
		{strings.Repeat("a", 97), false},
		{"", false},
		{"-bert", false},
		{"bert.", false},
		{"be--rt", false},
		{"be..rt", false},
		{"ns/bert", false},
		{"bért", false},
		{"bert ", false},
	}
	for _, tt := range tests {
		if err := CheckName(tt.name); (err == nil) != tt.ok {
			t.Errorf("CheckName(%q) = %v, want ok=%v", tt.name, err, tt.ok)
		}
	}
}

func TestParseType(t *testing.T) {
	tests := []struct {
		in   string
		want access.RepoType
		ok   bool
	}{
		{"", access.RepoModel, true},
		{"model", access.RepoModel, true},
		{"dataset", access.RepoDataset, true},
		{"space", access.RepoSpace, true},
		{"models", "", false},
		{"Model", "", false},
	}
	for _, tt := range tests {
		got, err := ParseType(tt.in)
		if got != tt.want || (err == nil) != tt.ok {
			t.Errorf("ParseType(%q) = %q, %v, want %q ok=%v", tt.in, got, err, tt.want, tt.ok)
		}
	}
}

func TestSplitID(t *testing.T) {
	tests := []struct {
		in       string
		ns, name string
		ok       bool
	}{
		{"alice/bert", "alice", "bert", true},
		{"bert", "", "", false},
		{"/bert", "", "", false},
		{"alice/", "", "", false},
		{"a/b/c", "", "", false},
		{"x/bert", "", "", false}, // namespace too short
		{strings.Repeat("a", 43) + "/bert", "", "", false},
	}
	for _, tt := range tests {
		ns, name, err := SplitID("fromRepo", tt.in)
		if ns != tt.ns || name != tt.name || (err == nil) != tt.ok {
			t.Errorf("SplitID(%q) = %q, %q, %v", tt.in, ns, name, err)
		}
	}
}

func TestSignedCommitsRequired(t *testing.T) {
	tests := []struct {
		repo, org, want bool
	}{{false, false, false}, {true, false, true}, {false, true, true}, {true, true, true}}
	for _, tt := range tests {
		r := Repo{RequireSignedCommits: tt.repo, OrgRequireSignedCommits: tt.org}
		if got := r.SignedCommitsRequired(); got != tt.want {
			t.Errorf("repo=%v org=%v: got %v, want %v", tt.repo, tt.org, got, tt.want)
		}
	}
}

func TestSignedModelsRequired(t *testing.T) {
	tests := []struct {
		repo, org, want bool
	}{{false, false, false}, {true, false, true}, {false, true, true}, {true, true, true}}
	for _, tt := range tests {
		r := Repo{RequireSignedModels: tt.repo, OrgRequireSignedModels: tt.org}
		if got := r.SignedModelsRequired(); got != tt.want {
			t.Errorf("repo=%v org=%v: got %v, want %v", tt.repo, tt.org, got, tt.want)
		}
	}
}
