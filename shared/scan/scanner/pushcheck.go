package scanner

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"path"
	"strings"
	"sync"
	"time"

	"github.com/aws/aws-lambda-go/events"

	"github.com/hubsec/trustlayer/shared/githook"
	"github.com/hubsec/trustlayer/shared/scan"
)

// Invariant 11 (docs/invariants.md): no byte judged unsafe is served by
// any path. The git server's pre-receive hook (which every commit-API
// commit also passes, being pushed through the git server) sends the new
// regular (non-LFS) files of a push here, synchronously, and refuses the
// push when one is judged infected: the same engines and the same rule
// (scan.Verdict.Status) as the verdicts that gate downloads, so a file
// nobody may download never enters git. The engines live in the scanner
// alone (infra/layout_test.go); the hook only asks.

// pushCheckParallel bounds the files judged at once.
const pushCheckParallel = 4

// HandlePushCheck answers the hook's push check: a Lambda event built by
// githookaws.Event for scan.PushCheckPath, signed with the hook key
// (githook.Verify, over the route, the pusher and the body; fail closed:
// no key refuses every call). ok is false for any other event (the scan
// queue's), which the caller handles.
func (s *Scanner) HandlePushCheck(ctx context.Context, key []byte, raw []byte) (resp events.APIGatewayV2HTTPResponse, ok bool) {
	var ev events.APIGatewayV2HTTPRequest
	if json.Unmarshal(raw, &ev) != nil || ev.RawPath != scan.PushCheckPath {
		return resp, false
	}
	var user, kind string
	if a := ev.RequestContext.Authorizer; a != nil && a.Lambda != nil {
		user, _ = a.Lambda["user"].(string)
		kind, _ = a.Lambda["kind"].(string)
	}
	var sig string
	for k, v := range ev.Headers {
		if strings.EqualFold(k, githook.SignatureHeader) {
			sig = v
		}
	}
	body := []byte(ev.Body)
	if ev.IsBase64Encoded {
		b, err := base64.StdEncoding.DecodeString(ev.Body)
		if err != nil {
			return answer(http.StatusBadRequest, map[string]string{"error": "push check: the body is not base64"}), true
		}
		body = b
	}
	if kind != githook.KindGitServer {
		return answer(http.StatusForbidden, map[string]string{"error": "hook call refused: not the git server's"}), true
	}
	if err := githook.Verify(key, sig, time.Now(), ev.RequestContext.HTTP.Method, scan.PushCheckPath, user, body); err != nil {
		s.Log.WarnContext(ctx, "push check refused", "reason", err.Error())
		return answer(http.StatusForbidden, map[string]string{"error": "hook call refused: " + err.Error()}), true
	}
	req, err := scan.ParsePushCheck(body)
	if err != nil {
		return answer(http.StatusBadRequest, map[string]string{"error": err.Error()}), true
	}
	return answer(http.StatusOK, s.CheckPush(ctx, req)), true
}

func answer(status int, v any) events.APIGatewayV2HTTPResponse {
	b, _ := json.Marshal(v)
	return events.APIGatewayV2HTTPResponse{StatusCode: status, Headers: map[string]string{"Content-Type": "application/json"}, Body: string(b)}
}

// CheckPush judges each file with every engine, in memory, and returns
// the verdicts; nothing is stored or tagged (the files are scanned again
// after the push, as every regular file is). A staged file is read from
// the bucket under its key.
func (s *Scanner) CheckPush(ctx context.Context, req scan.PushCheckRequest) scan.PushCheckResponse {
	out := scan.PushCheckResponse{Verdicts: make([]scan.PushVerdict, len(req.Files))}
	// One scanner for the request: clamd's version is asked once, not once
	// a file (a connection each), and the content cache is not written.
	mem := *s
	mem.Store = pushStore{s.Store}
	v, verr := s.AV.Version(ctx)
	mem.AV = knownVersion{AV: s.AV, version: v, err: verr}
	mem.Reports = nil // the summary is all the hook reads
	sem := make(chan struct{}, pushCheckParallel)
	var wg sync.WaitGroup
	for i, f := range req.Files {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer func() { <-sem; wg.Done() }()
			out.Verdicts[i] = mem.checkFile(ctx, f)
		}()
	}
	wg.Wait()
	unsafe := 0
	for _, v := range out.Verdicts {
		if v.Status != scan.StatusOK {
			unsafe++
		}
	}
	s.Log.InfoContext(ctx, "push check", "repo", req.Repo, "files", len(req.Files), "refused", unsafe)
	return out
}

func (s *Scanner) checkFile(ctx context.Context, f scan.PushFile) scan.PushVerdict {
	data := f.Data
	if f.Key != "" {
		var err error
		if data, err = s.staged(ctx, f.Key); err != nil {
			return scan.PushVerdict{Path: f.Path, Status: scan.StatusError, Reason: err.Error()}
		}
	}
	sum := sha256.Sum256(data)
	sha := hex.EncodeToString(sum[:])
	// A key no LFS or blob key parser reads: no cache, no oid check; its
	// base name is the file's, which the format engines look at.
	ref := scan.ObjectRef{Bucket: "push-check", Key: "push-check/" + sha + "/" + path.Base("/"+f.Path), Size: int64(len(data)), ETag: sha}
	mem := *s
	mem.Objects = memObject{ref: ref, data: data}
	sctx, cancel := context.WithTimeout(ctx, s.Settings.Timeout)
	defer cancel()
	res := mem.scan(sctx, ref)
	reason := res.Reason
	if res.Status == scan.StatusInfected && len(res.Signatures) > 0 {
		reason += " (" + strings.Join(res.Signatures, ", ") + ")"
	}
	return scan.PushVerdict{Path: f.Path, Status: res.Status, Reason: reason}
}

// pushStore is the store a push check's scans see: they judge in memory
// and store nothing, not even the content cache.
type pushStore struct{ scan.Store }

func (pushStore) PutCache(context.Context, scan.CacheEntry) error { return nil }

// knownVersion is clamd with its version asked once for a push check.
type knownVersion struct {
	AV
	version string
	err     error
}

func (k knownVersion) Version(context.Context) (string, error) { return k.version, k.err }

// staged reads a file the hook staged in the bucket (at most
// scan.MaxRegularFile bytes).
func (s *Scanner) staged(ctx context.Context, key string) ([]byte, error) {
	r, err := s.Objects.Range(ctx, s.Bucket, key, "", 0, -1)
	if err != nil {
		return nil, fmt.Errorf("the staged file could not be read: %v", err)
	}
	defer r.Close()
	b, err := io.ReadAll(io.LimitReader(r, scan.MaxRegularFile+1))
	if err != nil {
		return nil, fmt.Errorf("the staged file could not be read: %v", err)
	}
	if len(b) > scan.MaxRegularFile {
		return nil, fmt.Errorf("the staged file is over %d bytes", scan.MaxRegularFile)
	}
	return b, nil
}

// memObject serves one object's bytes from memory as scan.Objects.
type memObject struct {
	ref  scan.ObjectRef
	data []byte
}

func (m memObject) Head(context.Context, string, string, string) (scan.ObjectInfo, error) {
	return scan.ObjectInfo{Size: m.ref.Size, ETag: m.ref.ETag}, nil
}

func (m memObject) Range(_ context.Context, _, _, _ string, off, n int64) (io.ReadCloser, error) {
	size := int64(len(m.data))
	if off < 0 || off > size {
		return nil, fmt.Errorf("range %d out of %d bytes", off, size)
	}
	end := size
	if n >= 0 && off+n < size {
		end = off + n
	}
	return io.NopCloser(bytes.NewReader(m.data[off:end])), nil
}

func (m memObject) SetTag(context.Context, string, string, string, scan.Status) error { return nil }
