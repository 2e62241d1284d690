package e2e

import (
	"bytes"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/hubsec/trustlayer/shared/scan"
)

// batchUpload asks the batch API to upload one object and returns its
// upload action (href, header), or nil when the object needs none.
func (s stack) batchUpload(t *testing.T, a account, id string, size int, transfers ...string) *lfsAction {
	t.Helper()
	if len(transfers) == 0 {
		transfers = []string{"basic"}
	}
	var resp struct {
		Transfer string
		Objects  []struct {
			Actions map[string]*lfsAction
			Error   *struct {
				Code    int
				Message string
			}
		}
	}
	body := map[string]any{"operation": "upload", "transfers": transfers, "hash_algo": "sha256",
		"objects": []map[string]any{{"oid": id, "size": size}}}
	st := s.call(t, "POST", fmt.Sprintf("%s/%s/%s.git/info/lfs/objects/batch", s.gateway, a.user, a.repo), "Bearer "+a.token, body, &resp)
	if st != 200 || len(resp.Objects) != 1 || resp.Objects[0].Error != nil {
		t.Fatalf("batch upload: %d %+v", st, resp)
	}
	return resp.Objects[0].Actions["upload"]
}

type lfsAction struct {
	Href   string
	Header map[string]string
}

// put sends body to a presigned URL with its signed headers and returns
// the status and ETag.
func put(t *testing.T, href string, header map[string]string, body []byte) (int, string) {
	t.Helper()
	req, err := http.NewRequest("PUT", href, bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range header {
		req.Header.Set(k, v)
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	return res.StatusCode, res.Header.Get("ETag")
}

func (s stack) verify(t *testing.T, a account, id string, size int) (int, string) {
	t.Helper()
	var v struct{ Message string }
	st := s.call(t, "POST", fmt.Sprintf("%s/%s/%s.git/info/lfs/verify", s.gateway, a.user, a.repo), "Bearer "+a.token,
		map[string]any{"oid": id, "size": size}, &v)
	return st, v.Message
}

// TestLFSBytesBoundToOID: bytes that do not hash to the oid they were
// uploaded under are refused by verify, never listed, never served; the
// right bytes then go through.
func TestLFSBytesBoundToOID(t *testing.T) {
	s := needStack(t)
	a := s.newAccount(t)
	good := []byte("123456789")
	id := oid(good)
	up := s.batchUpload(t, a, id, len(good))
	if up == nil {
		t.Fatal("no upload action for a new object")
	}
	if st, _ := put(t, up.Href, up.Header, []byte("987654321")); st != 200 {
		t.Fatalf("presigned PUT: %d", st)
	}
	if st, msg := s.verify(t, a, id, len(good)); st != 422 || !strings.Contains(msg, "do not hash") {
		t.Fatalf("verify of mismatched bytes: got %d %q, want 422", st, msg)
	}
	if code, _ := s.batchDownload(t, a, id, len(good)); code != 404 {
		t.Fatalf("download of a refused object: got %d, want 404", code)
	}
	// The same bytes again: batch offers the upload again, not "already there".
	up = s.batchUpload(t, a, id, len(good))
	if up == nil {
		t.Fatal("batch took mismatched stored bytes as already uploaded")
	}
	if st, _ := put(t, up.Href, up.Header, good); st != 200 {
		t.Fatalf("presigned PUT: %d", st)
	}
	if st, msg := s.verify(t, a, id, len(good)); st != 200 {
		t.Fatalf("verify of the right bytes: %d %s", st, msg)
	}
	// The object is in no git commit, so no file list shows it: wait for
	// the scanner's tag on the object itself.
	for deadline := time.Now().Add(90 * time.Second); s.tag(t, a, id) == "" || s.tag(t, a, id) == string(scan.StatusPending); time.Sleep(300 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("object %s never got a verdict", id)
		}
	}
	if code, msg := s.batchDownload(t, a, id, len(good)); code != 200 {
		t.Fatalf("download of verified clean bytes: %d %s", code, msg)
	}
}
