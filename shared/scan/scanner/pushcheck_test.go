package scanner_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"strings"
	"testing"

	"github.com/hubsec/trustlayer/shared/githook/githookaws"
	"github.com/hubsec/trustlayer/shared/scan"
	"github.com/hubsec/trustlayer/shared/scan/scantest"
)

// TestHandlePushCheck (invariant 11): the git server's signed push check
// gets one verdict per file from the real engines (clamd, the pickle
// analysis), for bytes sent inline and for a file staged in the bucket;
// an unsigned, wrongly signed, tampered or unconfigured call is refused
// (403), a key outside the staging prefix is 400, and any other event is
// left to the queue handler.
func TestHandlePushCheck(t *testing.T) {
	e := newEnv(t, scan.ModeFull)
	e.scanner.Bucket = e.bucket
	key := bytes.Repeat([]byte("k"), 32)
	evil := scantest.MaliciousPickle(t)
	staged := scantest.PaddedMaliciousPickle(t, scan.PushCheckInline+1)
	e.putKey(scan.PushCheckPrefix+"run/blob", staged)
	req := scan.PushCheckRequest{Repo: "model/alice/m", Files: []scan.PushFile{
		{Path: "docs/eicar.txt", Data: []byte(scantest.EICAR), Size: int64(len(scantest.EICAR))},
		{Path: "model.pkl", Data: evil, Size: int64(len(evil))},
		{Path: "README.md", Data: []byte("# fine\n"), Size: 7},
		{Path: "big/model.pkl", Key: scan.PushCheckPrefix + "run/blob", Size: int64(len(staged))},
	}}
	ev, err := githookaws.Event(key, scan.PushCheckPath, req, "alice")
	if err != nil {
		t.Fatal(err)
	}
	resp, ok := e.scanner.HandlePushCheck(context.Background(), key, ev)
	if !ok || resp.StatusCode != 200 {
		t.Fatalf("signed push check: ok=%v %d %s", ok, resp.StatusCode, resp.Body)
	}
	var out scan.PushCheckResponse
	if err := json.Unmarshal([]byte(resp.Body), &out); err != nil || len(out.Verdicts) != 4 {
		t.Fatalf("answer %s: %v", resp.Body, err)
	}
	for i, want := range []struct {
		status scan.Status
		reason string
	}{{scan.StatusInfected, "ClamAV found malware ("}, {scan.StatusInfected, "posix.system"}, {scan.StatusOK, ""}, {scan.StatusInfected, "posix.system"}} {
		v := out.Verdicts[i]
		if v.Path != req.Files[i].Path || v.Status != want.status || !strings.Contains(v.Reason, want.reason) {
			t.Errorf("%s: %s %q, want %s with %q", req.Files[i].Path, v.Status, v.Reason, want.status, want.reason)
		}
	}

	// A push check stores nothing, not even the content cache.
	for _, f := range req.Files[:3] {
		sum := sha256.Sum256(f.Data)
		if _, ok, err := e.scanner.Store.Cached(context.Background(), hex.EncodeToString(sum[:])); ok || err != nil {
			t.Errorf("%s: cached by the push check (%v)", f.Path, err)
		}
	}

	refused := func(what string, key []byte, ev []byte, code int) {
		t.Helper()
		resp, ok := e.scanner.HandlePushCheck(context.Background(), key, ev)
		if !ok || resp.StatusCode != code || strings.Contains(resp.Body, "verdicts") {
			t.Errorf("%s: ok=%v %d %s, want %d", what, ok, resp.StatusCode, resp.Body, code)
		}
	}
	other, _ := githookaws.Event(bytes.Repeat([]byte("o"), 32), scan.PushCheckPath, req, "alice")
	refused("signed with another key", key, other, 403)
	refused("no key configured", nil, ev, 403)
	var m map[string]any
	json.Unmarshal(ev, &m)
	m["body"] = strings.Replace(m["body"].(string), "docs/eicar.txt", "docs/eicar.txx", 1)
	tampered, _ := json.Marshal(m)
	refused("tampered body", key, tampered, 403)
	json.Unmarshal(ev, &m)
	delete(m["headers"].(map[string]any), "x-trust-hook-signature")
	unsigned, _ := json.Marshal(m)
	refused("unsigned", key, unsigned, 403)
	json.Unmarshal(ev, &m)
	m["requestContext"].(map[string]any)["authorizer"].(map[string]any)["lambda"].(map[string]any)["kind"] = "user"
	notGit, _ := json.Marshal(m)
	refused("not the git server's context", key, notGit, 403)
	outside, _ := githookaws.Event(key, scan.PushCheckPath, scan.PushCheckRequest{Files: []scan.PushFile{{Path: "x", Key: "git/model/alice/m/x", Size: 1}}}, "alice")
	refused("a key outside the staging prefix", key, outside, 400)

	_, queueEvent := e.putKey("models/other.bin", []byte("x"))
	if _, ok := e.scanner.HandlePushCheck(context.Background(), key, queueEvent); ok {
		t.Error("an S3 event was taken for a push check")
	}
}
