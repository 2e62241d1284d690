package commitverify

import (
	"context"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"time"

	"github.com/hubsec/trustlayer/shared/access"
	"github.com/hubsec/trustlayer/shared/gitobject"
	"github.com/hubsec/trustlayer/shared/gitref"
	"github.com/hubsec/trustlayer/shared/platform/apperr"
	"github.com/hubsec/trustlayer/shared/platform/store"
	"github.com/hubsec/trustlayer/shared/repo"
	"github.com/hubsec/trustlayer/shared/signature"
)

// parallel bounds the lookups and writes one request runs at once.
const parallel = 8

// Service verifies pushes and serves their records.
type Service struct {
	Keys  signature.KeyDirectory
	Store Store
	Repos Repos
	// Lookup reads repositories for the git server's push check.
	Lookup RepoLookup
	// Leaks revokes credentials found in pushes.
	Leaks LeakRevoker
	// Refs resolves branches and tags for the commit list.
	Refs gitref.Store
	Log  *slog.Logger
	Now  func() time.Time // time.Now when nil
}

func (s *Service) now() time.Time {
	if s.Now != nil {
		return s.Now().UTC()
	}
	return time.Now().UTC()
}

// submitter names the caller in a record.
func submitter(c access.Caller) string {
	if c.Kind == access.KindOrgToken {
		return "org:" + c.Org
	}
	return c.Username
}

// Check validates objects without looking anything up: count, total size,
// kind, and that each parses. The error names the first bad object.
func Check(objs []Object) error {
	if len(objs) == 0 {
		return apperr.E(apperr.Invalid, "No objects: send {\"commits\": [\"<raw commit>\", ...]}")
	}
	return checkObjects(objs, MaxObjects, MaxTotalBytes)
}

func checkObjects(objs []Object, maxObjects, maxBytes int) error {
	if len(objs) > maxObjects {
		return apperr.E(apperr.TooLarge, "%d objects, limit %d per request: send the push in batches", len(objs), maxObjects)
	}
	total := 0
	for _, o := range objs {
		total += len(o.Raw)
	}
	if total > maxBytes {
		return apperr.E(apperr.TooLarge, "Objects total %d bytes, limit %d per request: send the push in batches", total, maxBytes)
	}
	for i, o := range objs {
		label := o.Label
		if label == "" {
			label = fmt.Sprintf("object %d", i)
		}
		var id string
		switch o.Kind {
		case signature.Commit:
			c, err := gitobject.ParseCommit(o.Raw)
			if err != nil {
				return parseFailure(label, o.Kind, err)
			}
			id = c.ID()
		case signature.Tag:
			t, err := gitobject.ParseTag(o.Raw)
			if err != nil {
				return parseFailure(label, o.Kind, err)
			}
			id = t.ID()
		default:
			return apperr.E(apperr.Invalid, "%s: type %q, want \"commit\" or \"tag\"", label, o.Kind)
		}
		if o.WantID != "" && !strings.EqualFold(o.WantID, id) {
			return apperr.E(apperr.Invalid, "%s: the bytes sent hash to %s, not %s; send the object unchanged (base64 if it is not UTF-8)", label, id, o.WantID)
		}
	}
	return nil
}

func parseFailure(label string, kind signature.ObjectKind, err error) error {
	var pe *gitobject.ParseError
	if errors.As(err, &pe) {
		return apperr.Wrap(apperr.Invalid, nil, fmt.Sprintf("%s is not a valid %s object: %s", label, kind, pe.Error()))
	}
	return fmt.Errorf("parse %s: %w", label, err)
}

// VerifyPush verifies objects pushed to the repository typ/ns/name, stores
// a record of each (or returns the existing one), and decides the push
// under the repository's policy. The authorizer has checked repo.write;
// the caller must not be anonymous.
func (s *Service) VerifyPush(ctx context.Context, c access.Caller, typ access.RepoType, ns, name string, objs []Object) (Push, error) {
	if c.Kind == access.KindAnonymous {
		return Push{}, apperr.E(apperr.Unauthenticated, "%s", access.ReasonLogin)
	}
	if err := Check(objs); err != nil {
		return Push{}, err
	}
	r, err := s.Repos.Info(ctx, c, typ, ns, name)
	if err != nil {
		return Push{}, err
	}
	results, err := s.verifyAll(ctx, objs)
	if err != nil {
		return Push{}, err
	}
	return s.store(ctx, r, submitter(c), objs, results)
}

// store stores a record of each of objs, verified as results, in r (or finds the
// first one) and decides under r's policy.
func (s *Service) store(ctx context.Context, r repo.Repo, by string, objs []Object, results []signature.Result) (Push, error) {
	out := Push{Outcomes: make([]Outcome, len(objs)), RequireSignedCommits: r.SignedCommitsRequired()}
	recorded := make([]signature.Result, len(objs))
	if bs, ok := s.Store.(BatchStore); ok && len(objs) > 1 {
		recs := make([]Record, len(objs))
		for i := range objs {
			recs[i] = Record{RepoID: r.ID, Repo: repoLabel(r), SubmittedBy: by, Result: storable(results[i])}
			recs[i].Parents, recs[i].Message = meta(objs[i])
		}
		stored, created, err := bs.PutRecords(ctx, recs)
		if err != nil {
			return Push{}, err
		}
		for i := range stored {
			out.Outcomes[i] = Outcome{Record: stored[i], AlreadyRecorded: !created[i]}
			recorded[i] = Judged(stored[i].Result, results[i])
		}
		out.Decision = signature.Policy(recorded, rules(r))
		return out, nil
	}
	err := forEach(ctx, len(objs), func(i int) error {
		rec := Record{RepoID: r.ID, Repo: repoLabel(r), SubmittedBy: by, Result: storable(results[i])}
		rec.Parents, rec.Message = meta(objs[i])
		stored, created, err := s.Store.PutRecord(ctx, rec)
		if err != nil {
			return fmt.Errorf("store record of %s: %w", rec.ObjectID, err)
		}
		out.Outcomes[i] = Outcome{Record: stored, AlreadyRecorded: !created}
		recorded[i] = Judged(stored.Result, results[i])
		return nil
	})
	if err != nil {
		return Push{}, err
	}
	out.Decision = signature.Policy(recorded, rules(r))
	return out, nil
}

// rules is r's push policy.
func rules(r repo.Repo) signature.Rules {
	return signature.Rules{RequireSigned: r.SignedCommitsRequired(), AllowServiceSigned: r.ServiceSignedAllowed()}
}

// Judged is the verdict the push policy decides on, from an object's
// stored record and its verification now: the record (first record wins,
// so a commit recorded unverified stays so), except that a record that
// passed is judged again when verifying now fails. A key revoked or
// deleted since the record was made (a stolen key, pre-recording commits
// on a side branch) no longer carries them onto a ref.
func Judged(stored, now signature.Result) signature.Result {
	if stored.Status == signature.StatusVerified && now.Status != signature.StatusVerified {
		return now
	}
	return stored
}

// verifyAll runs signature.Verify on every object, a few at a time, through
// one request-scoped memo of the key directory.
func (s *Service) verifyAll(ctx context.Context, objs []Object) ([]signature.Result, error) {
	keys := newMemo(s.Keys)
	keys.prefetchOwners(ctx, signerEmails(objs))
	now := s.now()
	results := make([]signature.Result, len(objs))
	err := forEach(ctx, len(objs), func(i int) error {
		res, err := signature.Verify(ctx, objs[i].Raw, objs[i].Kind, keys, now)
		if err != nil {
			var pe *gitobject.ParseError
			if errors.As(err, &pe) { // Check parsed it already; kept for safety
				return parseFailure(objs[i].Label, objs[i].Kind, err)
			}
			return fmt.Errorf("verify %s: %w", objs[i].Label, err)
		}
		results[i] = res
		return nil
	})
	return results, err
}

// storable drops what a record does not keep.
func storable(r signature.Result) signature.Result {
	r.Payload = ""
	if len(r.Signature) > MaxStoredSignature {
		r.Signature = ""
	}
	return r
}

func repoLabel(r repo.Repo) string { return string(r.Type) + ":" + r.FullName() }

// forEach runs fn(0..n-1) with at most parallel at once and returns the
// first error.
func forEach(ctx context.Context, n int, fn func(int) error) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	sem := make(chan struct{}, parallel)
	var wg sync.WaitGroup
	var once sync.Once
	var first error
	for i := 0; i < n; i++ {
		select {
		case sem <- struct{}{}:
		case <-ctx.Done():
		}
		if ctx.Err() != nil {
			break
		}
		wg.Add(1)
		go func(i int) {
			defer func() { <-sem; wg.Done() }()
			if err := fn(i); err != nil {
				once.Do(func() { first = err; cancel() })
			}
		}(i)
	}
	wg.Wait()
	if first == nil && ctx.Err() != nil {
		return ctx.Err()
	}
	return first
}

// ValidObjectID reports whether sha is a full object id: 40 (SHA-1) or 64
// (SHA-256) hex digits.
func ValidObjectID(sha string) bool {
	if len(sha) != 40 && len(sha) != 64 {
		return false
	}
	_, err := hex.DecodeString(sha)
	return err == nil
}

// Record returns the stored verification of sha in the repository; the
// caller must be able to read it (the authorizer checked repo.read).
func (s *Service) Record(ctx context.Context, c access.Caller, typ access.RepoType, ns, name, sha string) (Record, error) {
	if !ValidObjectID(sha) {
		return Record{}, apperr.E(apperr.Invalid, "%q is not a full object id: want 40 or 64 hex digits", truncate(sha))
	}
	r, err := s.Repos.Info(ctx, c, typ, ns, name)
	if err != nil {
		return Record{}, err
	}
	rec, err := s.Store.Record(ctx, r.ID, strings.ToLower(sha))
	if errors.Is(err, store.ErrNotFound) {
		return Record{}, apperr.E(apperr.NotExist, "No verification record for %s in %s", strings.ToLower(sha), r.FullName())
	}
	if err != nil {
		return Record{}, fmt.Errorf("read record %s: %w", sha, err)
	}
	return rec, nil
}

func truncate(s string) string {
	if len(s) > 70 {
		return s[:70] + "..."
	}
	return s
}

// meta reads a commit's parents and message, or a tag's message.
func meta(o Object) ([]string, string) {
	var parents []string
	var msg string
	switch o.Kind {
	case signature.Commit:
		if c, err := gitobject.ParseCommit(o.Raw); err == nil {
			parents, msg = c.Parents, c.Message
		}
	case signature.Tag:
		if t, err := gitobject.ParseTag(o.Raw); err == nil {
			msg = t.Message
		}
	}
	if len(msg) > MaxStoredMessage {
		msg = msg[:MaxStoredMessage]
	}
	return parents, msg
}

// signerEmails are the committer (tagger) emails of the signed objects,
// each once: the emails whose owners verifying them will look up.
func signerEmails(objs []Object) []string {
	var out []string
	seen := map[string]bool{}
	for _, o := range objs {
		var email string
		switch o.Kind {
		case signature.Commit:
			c, err := gitobject.ParseCommit(o.Raw)
			if err != nil || c.Signature == nil {
				continue
			}
			email = c.Committer.Email
		case signature.Tag:
			t, err := gitobject.ParseTag(o.Raw)
			if err != nil || t.Signature == nil || t.Tagger == nil {
				continue
			}
			email = t.Tagger.Email
		}
		if k := strings.ToLower(email); email != "" && !seen[k] {
			seen[k] = true
			out = append(out, email)
		}
	}
	return out
}
