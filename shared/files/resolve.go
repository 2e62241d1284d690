package files

import (
	"context"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"

	"github.com/hubsec/trustlayer/shared/access"
	"github.com/hubsec/trustlayer/shared/platform/apperr"
	"github.com/hubsec/trustlayer/shared/repo"
	"github.com/hubsec/trustlayer/shared/scan"
)

// InlineMax is the largest regular file the resolve endpoint answers in
// its own body; larger ones (and every LFS file) are redirected to a
// presigned URL. A Lambda response carries 6 MB, and binary bodies are
// base64-encoded on the way.
const InlineMax = 4 << 20

// DownloadExpiry is how long the presigned URL of a resolve redirect is
// valid: the client follows it at once.
const DownloadExpiry = 10 * time.Minute

// ResolveInput is a download (resolve) or raw call.
type ResolveInput struct {
	Caller    access.Caller
	Type      access.RepoType
	Namespace string
	Name      string
	Revision  string // branch, tag or full commit id
	Path      string
	// Raw: the file as git stores it (an LFS file's pointer), as the
	// Hub's /raw/ route answers; no scan applies to a pointer.
	Raw bool
}

// Download is what a resolve call serves.
type Download struct {
	Commit string
	Path   string
	BlobID string
	ETag   string // the git blob id, or an LFS file's SHA-256
	Size   int64  // bytes of the content served
	LFS    bool
	// Pointer is the body of a raw call on an LFS file.
	Pointer []byte
	// The uploads-bucket object version holding the bytes.
	Key, VersionID string
}

// Inline reports whether d is answered in the response body rather than
// redirected.
func (d Download) Inline() bool { return d.Pointer != nil || (!d.LFS && d.Size <= InlineMax) }

// Resolve finds a file at a revision and decides whether its bytes may be
// served: only an ok verdict is (scan.Refusal), a pending one is waited
// for up to Settings.DownloadWait.
func (s *Service) Resolve(ctx context.Context, in ResolveInput) (Download, error) {
	p := in.Path
	if p == "" || len(p) > MaxPathLen || strings.HasPrefix(p, "/") {
		p = "" // not a file of any index: EntryNotFound once authorized
	}
	// The reads of a download depend on each other (repository -> ref ->
	// file -> verdict). With the repository id and ref tip this instance
	// saw last as guesses, and a file entry from the immutable index in
	// memory, they start together; each guess is checked against the
	// fresh read of what it guessed, and a wrong one is read again in
	// order. Nothing read ahead is used before the caller is authorized.
	hc := s.hot()
	repoKey := string(in.Type) + "/" + in.Namespace + "/" + in.Name
	guessRepo, _ := hc.repoIDs.get(repoKey)
	guessID := guessRepo.ID
	var guessCommit string
	var guessEntry Entry
	var haveEntry bool
	if guessID != "" {
		guessCommit, _ = hc.tips.get([2]string{guessID, in.Revision})
		if guessCommit != "" && p != "" {
			guessEntry, haveEntry = hc.entries.get(entryKey{guessID, guessCommit, p})
		}
	}
	var refCh chan refResult
	if guessID != "" {
		refCh = make(chan refResult, 1)
		go func() { refCh <- s.resolveRef(ctx, guessID, in.Revision) }()
	}
	var scanCh chan scanResult
	if haveEntry && guessEntry.LFS == nil && !in.Raw {
		key := ScanKey(guessRepo, guessEntry)
		if _, cached := s.cachedVerdict(key); !cached {
			scanCh = make(chan scanResult, 1)
			go func() {
				res, ok, err := s.Results.LatestResult(ctx, s.Bucket, key)
				scanCh <- scanResult{key, res, ok, err}
			}()
		}
	}
	r, err := s.authorize(ctx, in.Caller, in.Type, in.Namespace, in.Name)
	if err != nil {
		return Download{}, err
	}
	hc.repoIDs.put(repoKey, repoGuess(r))
	var rr refResult
	if guessID == r.ID {
		rr = <-refCh
	} else {
		rr = s.resolveRef(ctx, r.ID, in.Revision)
	}
	if rr.err != nil {
		return Download{}, rr.err
	}
	if !rr.ok {
		return Download{}, revisionNotFound(r, in.Revision)
	}
	commit := rr.commit
	hc.tips.put([2]string{r.ID, in.Revision}, commit)
	if p == "" {
		return Download{}, entryNotFound(in.Path, in.Revision)
	}
	var e Entry
	var ok bool
	if haveEntry && guessID == r.ID && guessCommit == commit {
		e, ok = guessEntry, true
	} else if e, ok, err = s.file(ctx, r.ID, commit, p); err != nil {
		return Download{}, err
	}
	if !ok {
		return Download{}, entryNotFound(p, in.Revision)
	}
	d := Download{Commit: commit, Path: e.Path, BlobID: e.BlobID, ETag: e.BlobID, Size: e.Size}
	if e.LFS != nil && in.Raw {
		d.Pointer = Pointer(*e.LFS)
		d.Size = int64(len(d.Pointer))
		return d, nil
	}
	deadline := s.now().Add(s.Settings.DownloadWait)
	var ref scan.ObjectRef
	if e.LFS != nil {
		d.LFS, d.ETag, d.Size = true, e.LFS.OID, e.LFS.Size
		f, ok, err := s.lfsFile(ctx, r.ID, e.LFS.OID)
		if err != nil {
			return Download{}, err
		}
		if !ok || f.Size != e.LFS.Size {
			// Pushed as a pointer whose object never reached us.
			return Download{}, apperr.E(apperr.NotExist, "The LFS object of %s was never uploaded", p).WithCode(apperr.CodeEntryNotFound)
		}
		ref = f.Ref(s.Bucket)
	} else if res, ok, err := s.latestResult(ctx, ScanKey(r, e), scanCh); err != nil {
		return Download{}, err
	} else if ok && res.Status.Final() && res.Object.Size == e.Size {
		// The copy is content-addressed: a final verdict on any version
		// of its key judges these bytes, and names a version to serve
		// (no S3 round trip on the hot path).
		if e := scan.Refusal(res); e != nil {
			return Download{}, e
		}
		d.Key, d.VersionID = res.Object.Key, res.Object.VersionID
		return d, nil
	} else {
		ref, err = s.blobObject(ctx, r, e, deadline)
		if err != nil {
			return Download{}, err
		}
		if ref.Key == "" {
			// The hook's copy has not arrived: as pending.
			return Download{}, scan.Refusal(scan.Result{Status: scan.StatusPending})
		}
	}
	// The verdict of this very version, from memory within VerdictTTL.
	vkey := ref.Key + "\x00" + ref.VersionID
	res, cached := s.cachedVerdict(vkey)
	if !cached {
		at := s.now()
		var err error
		if res, err = scan.AwaitVerdict(ctx, s.Scans, s.Queue, s.Settings, ref, deadline, s.now, s.Log); err != nil {
			return Download{}, err
		}
		s.keepVerdict(vkey, res, at)
	}
	if e := scan.Refusal(res); e != nil {
		return Download{}, e
	}
	d.Key, d.VersionID = ref.Key, ref.VersionID
	return d, nil
}

// blobObject finds the uploads-bucket copy of a regular file, which the
// git server's hook writes just after the push: it waits for it until
// deadline, and returns a zero ref if it is still missing.
func (s *Service) blobObject(ctx context.Context, r repo.Repo, e Entry, deadline time.Time) (scan.ObjectRef, error) {
	key := ScanKey(r, e)
	for {
		info, ok, err := s.Objects.Stat(ctx, key)
		if err != nil {
			return scan.ObjectRef{}, err
		}
		if ok && info.Size == e.Size {
			return scan.ObjectRef{Bucket: s.Bucket, Key: key, VersionID: info.VersionID, ETag: info.ETag, Size: info.Size}, nil
		}
		if !s.now().Add(scan.VerdictPoll).Before(deadline) {
			return scan.ObjectRef{}, nil
		}
		select {
		case <-ctx.Done():
			return scan.ObjectRef{}, nil
		case <-time.After(scan.VerdictPoll):
		}
	}
}

// Open streams the bytes of d (not a pointer) from off; n < 0 to the end.
func (s *Service) Open(ctx context.Context, d Download, off, n int64) (io.ReadCloser, error) {
	return s.Objects.Range(ctx, s.Bucket, d.Key, d.VersionID, off, n)
}

// URL presigns a GET of d's bytes.
func (s *Service) URL(ctx context.Context, d Download) (string, error) {
	u, _, err := s.Objects.PresignGet(ctx, d.Key, d.VersionID, DownloadExpiry)
	if err != nil {
		return "", fmt.Errorf("presign %s: %w", d.Key, err)
	}
	return u, nil
}

// Pointer is the git-lfs pointer file of an LFS object, byte for byte as
// git-lfs writes it.
func Pointer(p LFSPointer) []byte {
	return []byte("version https://git-lfs.github.com/spec/v1\noid sha256:" + p.OID + "\nsize " + strconv.FormatInt(p.Size, 10) + "\n")
}

func entryNotFound(p, rev string) error {
	return apperr.E(apperr.NotExist, "Entry %q not found at revision %s", p, rev).WithCode(apperr.CodeEntryNotFound)
}

// latestResult reads key's newest verdict, or takes the one read ahead
// when it was read for the same key.
// A final verdict read within VerdictTTL is taken from memory.
func (s *Service) latestResult(ctx context.Context, key string, ahead chan scanResult) (scan.Result, bool, error) {
	if ahead != nil {
		if got := <-ahead; got.key == key {
			if got.err == nil && got.ok {
				s.keepVerdict(key, got.res, s.now())
			}
			return got.res, got.ok, got.err
		}
	}
	if res, ok := s.cachedVerdict(key); ok {
		return res, true, nil
	}
	at := s.now()
	res, ok, err := s.Results.LatestResult(ctx, s.Bucket, key)
	if err == nil && ok {
		s.keepVerdict(key, res, at)
	}
	return res, ok, err
}
