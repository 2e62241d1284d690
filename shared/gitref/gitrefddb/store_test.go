package gitrefddb_test

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/hubsec/trustlayer/shared/gitref"
	"github.com/hubsec/trustlayer/shared/gitref/gitrefddb"
	"github.com/hubsec/trustlayer/shared/platform/ddb/ddbtest"
)

// TestRefsNeverGoBackwardsInTheStore (invariant 8, on DynamoDB Local): a
// numbered update writes only over a smaller number; an unnumbered one
// (an update nobody could number) writes only while no numbered update is
// stored, so it can never take a ref back behind one that was ordered.
func TestRefsNeverGoBackwardsInTheStore(t *testing.T) {
	s := gitrefddb.Store{Table: ddbtest.NewTable(t)}
	ctx := context.Background()
	var b [8]byte
	rand.Read(b[:])
	repoID := hex.EncodeToString(b[:])
	const main = "refs/heads/main"
	c := func(ch string) string { return strings.Repeat(ch, 40) }
	put := func(commit string, seq int64) error {
		return s.PutRef(ctx, repoID, gitref.Ref{Name: main, Commit: commit, UpdatedAt: time.Now().UTC(), Seq: seq})
	}
	tip := func() string {
		t.Helper()
		r, ok, err := s.Ref(ctx, repoID, main)
		if err != nil {
			t.Fatal(err)
		}
		if !ok {
			return ""
		}
		return r.Commit
	}
	// No numbered update yet: unnumbered updates are written as they come
	// (a git server without the numbering hook).
	if err := put(c("a"), 0); err != nil {
		t.Fatal(err)
	}
	if err := put(c("b"), 0); err != nil || tip() != c("b") {
		t.Fatalf("unnumbered over unnumbered: %v, main %s; want written", err, tip())
	}
	if err := put(c("c"), 10); err != nil || tip() != c("c") {
		t.Fatalf("numbered over unnumbered: %v, main %s; want written", err, tip())
	}
	if err := put(c("b"), 0); !errors.Is(err, gitref.ErrStale) || tip() != c("c") {
		t.Errorf("unnumbered over numbered: %v, main %s; want ErrStale and main still C", err, tip())
	}
	if err := s.DeleteRef(ctx, repoID, main, 0); !errors.Is(err, gitref.ErrStale) || tip() != c("c") {
		t.Errorf("unnumbered deletion over numbered: %v, main %s; want ErrStale and main still C", err, tip())
	}
	if err := put(c("b"), 9); !errors.Is(err, gitref.ErrStale) || tip() != c("c") {
		t.Errorf("older number: %v, main %s; want ErrStale", err, tip())
	}
	if err := put(c("d"), 11); err != nil || tip() != c("d") {
		t.Errorf("newer number: %v, main %s; want D", err, tip())
	}
	if err := s.DeleteRef(ctx, repoID, main, 12); err != nil || tip() != "" {
		t.Errorf("numbered deletion: %v, main %q; want gone", err, tip())
	}
	if err := put(c("e"), 0); !errors.Is(err, gitref.ErrStale) || tip() != "" {
		t.Errorf("unnumbered over a numbered deletion: %v, main %q; want ErrStale and still gone", err, tip())
	}
	// An unnumbered deletion of a ref only ever written unnumbered goes.
	const side = "refs/heads/side"
	if err := s.PutRef(ctx, repoID, gitref.Ref{Name: side, Commit: c("f"), UpdatedAt: time.Now().UTC()}); err != nil {
		t.Fatal(err)
	}
	if err := s.DeleteRef(ctx, repoID, side, 0); err != nil {
		t.Fatal(err)
	}
	if _, ok, _ := s.Ref(ctx, repoID, side); ok {
		t.Error("unnumbered deletion of an unnumbered ref left it")
	}
}
