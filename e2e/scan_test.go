// End-to-end tests of scanning: git lfs push and pull through the gateway,
// versitygw's webhook to the scanner, clamd, the sweeper.

package e2e

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
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/hubsec/trustlayer/shared/platform/awsconfig"
	"github.com/hubsec/trustlayer/shared/platform/testenv"
	"github.com/hubsec/trustlayer/shared/scan"
	"github.com/hubsec/trustlayer/shared/scan/s3objects"
	"github.com/hubsec/trustlayer/shared/scan/scanner"
	"github.com/hubsec/trustlayer/shared/scan/scantest"
)

// stack is the running local stack.
type stack struct {
	gateway, internal, bucket string
}

func needStack(t testing.TB) stack {
	t.Helper()
	s := stack{gateway: testenv.RequireEnv(t, "TRUSTLAYER_GATEWAY_URL"), internal: testenv.RequireEnv(t, "TRUSTLAYER_INTERNAL_URL"),
		bucket: testenv.RequireEnv(t, "TRUSTLAYER_BUCKET")}
	testenv.RequireTool(t, "git")
	testenv.RequireTool(t, "git-lfs")
	return s
}

func (s stack) call(t *testing.T, method, url, auth string, body any, out any) int {
	t.Helper()
	var rd io.Reader
	if body != nil {
		b, _ := json.Marshal(body)
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequest(method, url, rd)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	if auth != "" {
		req.Header.Set("Authorization", auth)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, url, err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	if out != nil && len(raw) > 0 {
		if err := json.Unmarshal(raw, out); err != nil {
			t.Fatalf("%s %s: %d %s: %v", method, url, resp.StatusCode, raw, err)
		}
	}
	return resp.StatusCode
}

// get is a GET answering the status and the body as it came.
func (s stack) get(t *testing.T, url, auth string) (int, string) {
	t.Helper()
	req, err := http.NewRequest("GET", url, nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", auth)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("GET %s: %v", url, err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(raw)
}

// account is a verified user with a write token and a model repository.
type account struct {
	user, token, repo string
}

func (s stack) newAccount(t testing.TB) account {
	t.Helper()
	h := newHub(t)
	u := h.signup("scan")
	tok, _ := h.token(u, "write")
	name := uniqueName("model")
	h.must(200, h.do("POST", "/api/repos/create", u.bearer(), map[string]any{"name": name, "type": "model"}), "create repo")
	return account{user: u.Name, token: tok, repo: name}
}

func git(t testing.TB, dir string, args ...string) string {
	t.Helper()
	cmd := exec.Command("git", args...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "GIT_TERMINAL_PROMPT=0", "GIT_CONFIG_NOSYSTEM=1", "GIT_CONFIG_GLOBAL=/dev/null", "GIT_ASKPASS=/bin/false", "HOME="+dir)
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("git %s: %v\n%s", redact(strings.Join(args, " ")), err, redact(string(out)))
	}
	return string(out)
}

// redact hides tokens in git's output.
func redact(s string) string {
	return regexp.MustCompile(`hf_[A-Za-z0-9]+`).ReplaceAllString(s, "hf_***")
}

// authHeader sends the token up-front, scoped to the gateway (headerKey),
// so git and git-lfs authenticate without a 401 round trip.
func (a account) authHeader() string {
	return "Authorization: Basic " + base64.StdEncoding.EncodeToString([]byte("hf_user:"+a.token))
}

// headerKey scopes the header to the gateway: presigned S3 URLs must not
// carry it.
func (a account) headerKey(s stack) string { return "http." + s.gateway + "/.extraHeader" }

// redactURL also hides presigned URLs' signatures.
func redactURL(s string) string {
	return regexp.MustCompile(`X-Amz-Signature=[0-9a-f]+`).ReplaceAllString(redact(s), "X-Amz-Signature=***")
}

func (a account) remote(s stack) string {
	return strings.Replace(s.gateway, "://", "://hf_user:"+a.token+"@", 1) + "/" + a.user + "/" + a.repo + ".git"
}

// lfsWorkDir makes a work repository for a's repository: main, a as
// author, the gateway's auth header, and Git LFS installed (nothing
// tracked yet).
func (s stack) lfsWorkDir(t testing.TB, a account) string {
	t.Helper()
	dir := t.TempDir()
	git(t, dir, "init", "-q", "-b", "main")
	git(t, dir, "config", "user.email", a.user+"@example.com")
	git(t, dir, "config", "user.name", a.user)
	git(t, dir, "config", "lfs.locksverify", "false")
	git(t, dir, "config", a.headerKey(s), a.authHeader())
	git(t, dir, "lfs", "install", "--local")
	return dir
}

// push commits files (name -> bytes, tracked by LFS) and pushes them with
// the real git lfs client.
func (s stack) push(t *testing.T, a account, files map[string][]byte) {
	t.Helper()
	dir := s.lfsWorkDir(t, a)
	git(t, dir, "lfs", "track", "*.bin", "*.pt", "*.safetensors")
	for name, data := range files {
		if err := os.MkdirAll(filepath.Dir(filepath.Join(dir, name)), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, name), data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	git(t, dir, "add", "-A")
	git(t, dir, "commit", "-q", "-m", "add files")
	git(t, dir, "push", "-q", a.remote(s), "main")
	waitIndexed(t, s.gateway, "/api/models/"+a.user+"/"+a.repo, "Bearer "+a.token, "main", strings.TrimSpace(git(t, dir, "rev-parse", "HEAD")))
}

func oid(b []byte) string {
	h := sha256.Sum256(b)
	return hex.EncodeToString(h[:])
}

type treeEntry struct {
	Type string `json:"type"`
	OID  string `json:"oid"`
	Size int64  `json:"size"`
	Path string `json:"path"`
	LFS  *struct {
		OID         string `json:"oid"`
		Size        int64  `json:"size"`
		PointerSize int64  `json:"pointerSize"`
	} `json:"lfs"`
	SecurityFileStatus *struct {
		Status string `json:"status"`
		AVScan *struct {
			Status     string   `json:"status"`
			VirusNames []string `json:"virusNames"`
		} `json:"avScan"`
		PickleImportScan *struct {
			Status        string `json:"status"`
			PickleImports []struct {
				Module, Name, Safety string
			} `json:"pickleImports"`
		} `json:"pickleImportScan"`
	} `json:"securityFileStatus"`
	Security struct {
		Safe   bool        `json:"safe"`
		Status scan.Status `json:"status"`
		Reason string      `json:"reason"`
		AVScan *struct {
			VirusFound bool     `json:"virusFound"`
			VirusNames []string `json:"virusNames"`
		} `json:"avScan"`
		PickleImportScan *struct {
			HighestSafetyLevel string `json:"highestSafetyLevel"`
			Imports            []struct {
				Module, Name, Safety string
			} `json:"imports"`
		} `json:"pickleImportScan"`
	} `json:"security"`
}

// waitStatus polls the file list until the file has a status other than
// pending (or want, when want is pending-free) and returns its entry.
func (s stack) waitStatus(t *testing.T, a account, id string, done func(scan.Status) bool) treeEntry {
	t.Helper()
	var last treeEntry
	for deadline := time.Now().Add(90 * time.Second); time.Now().Before(deadline); time.Sleep(300 * time.Millisecond) {
		var entries []treeEntry
		st, raw := s.get(t, fmt.Sprintf("%s/api/models/%s/%s/tree/main?recursive=true&expand=true", s.gateway, a.user, a.repo), "Bearer "+a.token)
		if st == http.StatusNotFound && strings.Contains(raw, "Revision") {
			// git push answers before post-receive's detached indexing
			// has written the ref (docs/git-server.md): not yet.
			continue
		}
		if st != 200 {
			t.Fatalf("tree: %d %s", st, raw)
		}
		if err := json.Unmarshal([]byte(raw), &entries); err != nil {
			t.Fatalf("tree: %v: %s", err, raw)
		}
		for _, e := range entries {
			if e.LFS != nil && e.LFS.OID == id {
				last = e
				if done(e.Security.Status) {
					return e
				}
			}
		}
	}
	t.Fatalf("file %s: last status %q (%s)", id, last.Security.Status, last.Security.Reason)
	return last
}

func final(s scan.Status) bool { return s.Final() }

func (s stack) tag(t *testing.T, a account, id string) string {
	t.Helper()
	cfg, err := awsconfig.Load(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	tag, err := s3objects.New(awsconfig.S3(cfg), s.bucket).Tag(context.Background(), scan.ObjectKey("model", a.user, a.repo, id), "")
	if err != nil {
		t.Fatal(err)
	}
	return tag
}

// batchDownload asks the batch API for one object.
func (s stack) batchDownload(t *testing.T, a account, id string, size int) (code int, msg string) {
	t.Helper()
	var resp struct {
		Objects []struct {
			Actions map[string]struct{ Href string }
			Error   *struct {
				Code    int
				Message string
			}
		}
	}
	body := map[string]any{"operation": "download", "transfers": []string{"basic"}, "objects": []map[string]any{{"oid": id, "size": size}}}
	st := s.call(t, "POST", fmt.Sprintf("%s/%s/%s.git/info/lfs/objects/batch", s.gateway, a.user, a.repo), "Bearer "+a.token, body, &resp)
	if st != 200 || len(resp.Objects) != 1 {
		t.Fatalf("batch download: %d %+v", st, resp)
	}
	if e := resp.Objects[0].Error; e != nil {
		return e.Code, e.Message
	}
	if resp.Objects[0].Actions["download"].Href == "" {
		t.Fatalf("no download action")
	}
	return 200, ""
}

// pull clones the repository and fetches LFS objects with git lfs.
func (s stack) pull(t *testing.T, a account) (string, error) {
	t.Helper()
	dir := t.TempDir()
	cmd := exec.Command("git", "-c", a.headerKey(s)+"="+a.authHeader(), "clone", "-q", "-b", "main", a.remote(s), "repo")
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "GIT_TERMINAL_PROMPT=0", "HOME="+dir, "GIT_LFS_SKIP_SMUDGE=1")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("clone: %v\n%s", err, redact(string(out)))
	}
	repo := filepath.Join(dir, "repo")
	git(t, repo, "config", a.headerKey(s), a.authHeader())
	cmd = exec.Command("git", "lfs", "pull")
	cmd.Dir = repo
	cmd.Env = append(os.Environ(), "GIT_TERMINAL_PROMPT=0", "HOME="+dir)
	out, err := cmd.CombinedOutput()
	if err != nil {
		logs := exec.Command("git", "lfs", "logs", "last")
		logs.Dir, logs.Env = repo, cmd.Env
		last, _ := logs.CombinedOutput()
		if len(last) > 2000 {
			last = last[:2000]
		}
		return repo, fmt.Errorf("git lfs pull: %v: %s\n%s", err, redact(string(out)), redactURL(string(last)))
	}
	return repo, nil
}

func TestEICARPushedWithGitLFSIsInfected(t *testing.T) {
	s := needStack(t)
	a := s.newAccount(t)
	data := []byte(scantest.EICAR)
	s.push(t, a, map[string][]byte{"eicar.bin": data})
	e := s.waitStatus(t, a, oid(data), final)
	if e.Security.Status != scan.StatusInfected || e.Security.Safe || e.Security.AVScan == nil || !e.Security.AVScan.VirusFound {
		t.Fatalf("got %+v, want infected with a virus found", e.Security)
	}
	if tag := s.tag(t, a, oid(data)); tag != "infected" {
		t.Errorf("got scan-status tag %q, want infected", tag)
	}
	if code, msg := s.batchDownload(t, a, oid(data), len(data)); code != 403 || !strings.Contains(msg, "infected") {
		t.Errorf("batch download: got %d %q, want 403 saying infected", code, msg)
	}
	if _, err := s.pull(t, a); err == nil || !strings.Contains(err.Error(), "infected") {
		t.Errorf("git lfs pull of an infected file: got %v, want a refusal saying infected", err)
	}
}

func TestCleanSafetensorsIsOK(t *testing.T) {
	s := needStack(t)
	a := s.newAccount(t)
	data := scantest.Safetensors(4096)
	s.push(t, a, map[string][]byte{"model.safetensors": data})
	e := s.waitStatus(t, a, oid(data), final)
	if e.Security.Status != scan.StatusOK || !e.Security.Safe || e.Security.AVScan == nil || e.Security.AVScan.VirusFound {
		t.Fatalf("got %+v, want ok", e.Security)
	}
	if tag := s.tag(t, a, oid(data)); tag != "ok" {
		t.Errorf("got tag %q, want ok", tag)
	}
	repo, err := s.pull(t, a)
	if err != nil {
		t.Fatal(err)
	}
	got, err := os.ReadFile(filepath.Join(repo, "model.safetensors"))
	if err != nil || !bytes.Equal(got, data) {
		t.Errorf("pulled file differs from the pushed one (err %v)", err)
	}
}

func TestMaliciousCheckpointIsInfected(t *testing.T) {
	s := needStack(t)
	a := s.newAccount(t)
	data := scantest.TorchZip(t, scantest.MaliciousPickle(t), 1<<16)
	s.push(t, a, map[string][]byte{"pytorch_model.bin": data})
	e := s.waitStatus(t, a, oid(data), final)
	if e.Security.Status != scan.StatusInfected || e.Security.PickleImportScan == nil || e.Security.PickleImportScan.HighestSafetyLevel != "dangerous" {
		t.Fatalf("got %+v, want infected with a dangerous import", e.Security)
	}
	found := false
	for _, i := range e.Security.PickleImportScan.Imports {
		if (i.Module == "posix" || i.Module == "os") && i.Name == "system" && i.Safety == "dangerous" {
			found = true
		}
	}
	if !found {
		t.Errorf("os.system not listed: %+v", e.Security.PickleImportScan.Imports)
	}
}

func TestBenignCheckpointIsOK(t *testing.T) {
	s := needStack(t)
	a := s.newAccount(t)
	data := scantest.TorchZip(t, scantest.BenignPickle(t), 1<<16)
	s.push(t, a, map[string][]byte{"model.pt": data})
	e := s.waitStatus(t, a, oid(data), final)
	if e.Security.Status != scan.StatusOK || e.Security.PickleImportScan == nil || len(e.Security.PickleImportScan.Imports) == 0 {
		t.Fatalf("got %+v, want ok with imports listed", e.Security)
	}
	for _, i := range e.Security.PickleImportScan.Imports {
		if i.Safety != "innocuous" {
			t.Errorf("import %s.%s is %s", i.Module, i.Name, i.Safety)
		}
	}
}

func (s stack) clamd(t *testing.T, action string) {
	t.Helper()
	if st := s.call(t, "POST", s.internal+"/_devstack/clamd/"+action, "", nil, nil); st >= 300 {
		t.Fatalf("clamd %s: %d", action, st)
	}
}

func TestClamdDownIsErrorThenOKAfterSweep(t *testing.T) {
	s := needStack(t)
	a := s.newAccount(t)
	// The repository's regular file (.gitattributes) is pushed while
	// clamd runs: with clamd stopped, a push adding a regular file is
	// refused, as it cannot be judged (invariant 11, fail closed).
	dir := s.lfsWorkDir(t, a)
	git(t, dir, "lfs", "track", "*.safetensors")
	git(t, dir, "add", "-A")
	git(t, dir, "commit", "-q", "-m", "track")
	if out, err := s.tryPush(t, a, dir); err != nil {
		t.Fatalf("push: %v\n%s", err, out)
	}
	s.clamd(t, "stop")
	restarted := false
	t.Cleanup(func() {
		if !restarted {
			s.clamd(t, "start")
		}
	})
	writeBytes(t, dir, "notes.txt", []byte("a regular file\n"))
	git(t, dir, "add", "-A")
	git(t, dir, "commit", "-q", "-m", "regular")
	if out, err := s.tryPush(t, a, dir); err == nil || !strings.Contains(out, "could not be judged") || !strings.Contains(out, "notes.txt: ") {
		t.Errorf("push of a regular file with clamd stopped: %v, want refused naming notes.txt:\n%s", err, out)
	}
	git(t, dir, "reset", "-q", "--hard", "HEAD~1")
	// An LFS file's pointer is not judged at push: its object is, after.
	data := scantest.Safetensors(2048)
	writeBytes(t, dir, "down.safetensors", data)
	git(t, dir, "add", "-A")
	git(t, dir, "commit", "-q", "-m", "lfs")
	if out, err := s.tryPush(t, a, dir); err != nil {
		t.Fatalf("LFS push with clamd stopped: %v\n%s", err, out)
	}
	e := s.waitStatus(t, a, oid(data), func(st scan.Status) bool { return st == scan.StatusError || st.Final() })
	if e.Security.Status != scan.StatusError || e.Security.Safe {
		t.Fatalf("with clamd stopped got %+v, want error", e.Security)
	}
	// A file that could not be scanned is not served; while the cause is
	// an outage of clamd, the answer is 503 with Retry-After (invariant
	// 13): the scan is retried, the client comes back.
	if code, msg := s.batchDownload(t, a, oid(data), len(data)); code != 503 || !strings.Contains(msg, "could not be scanned yet") {
		t.Fatalf("LFS download of a file whose scan met clamd down: got %d %q, want 503 with the reason", code, msg)
	}
	r := fetch(t, "GET", s.gateway+"/"+a.user+"/"+a.repo+"/resolve/main/down.safetensors", "Bearer "+a.token)
	var body struct {
		Error string `json:"error"`
	}
	if r.status != 503 || r.header.Get("Retry-After") == "" || json.Unmarshal(r.body, &body) != nil || !strings.Contains(body.Error, "clamd") {
		t.Fatalf("resolve of a file whose scan met clamd down: %d Retry-After %q %s, want 503 with Retry-After and a JSON error", r.status, r.header.Get("Retry-After"), r.body)
	}
	s.clamd(t, "start")
	restarted = true
	var out json.RawMessage
	if st := s.call(t, "POST", s.internal+"/2015-03-31/functions/SweeperFunction/invocations", "", map[string]string{"source": "e2e"}, &out); st != 200 {
		t.Fatalf("invoke sweeper: %d %s", st, out)
	}
	e = s.waitStatus(t, a, oid(data), final)
	if e.Security.Status != scan.StatusOK {
		t.Fatalf("after clamd returned and the sweeper ran got %+v, want ok", e.Security)
	}
}

func TestSameEventTwiceOneResult(t *testing.T) {
	s := needStack(t)
	a := s.newAccount(t)
	data := scantest.Safetensors(512)
	s.push(t, a, map[string][]byte{"twice.safetensors": data})
	first := s.waitStatus(t, a, oid(data), final)
	cfg, err := awsconfig.Load(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	key := scan.ObjectKey("model", a.user, a.repo, oid(data))
	head, err := awsconfig.S3(cfg).HeadObject(context.Background(), &s3.HeadObjectInput{Bucket: aws.String(s.bucket), Key: aws.String(key)})
	if err != nil {
		t.Fatal(err)
	}
	ev := scan.EncodeEvent([]scan.ObjectRef{{Bucket: s.bucket, Key: key, ETag: strings.Trim(aws.ToString(head.ETag), `"`),
		Size: aws.ToInt64(head.ContentLength), VersionID: strings.TrimPrefix(aws.ToString(head.VersionId), "null")}})
	for i := 0; i < 2; i++ {
		var sum scanner.EventSummary
		req, _ := http.NewRequest("POST", s.internal+"/2015-03-31/functions/ScannerFunction/invocations", bytes.NewReader(ev))
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		err = json.NewDecoder(resp.Body).Decode(&sum)
		resp.Body.Close()
		if err != nil || len(sum.Objects) != 1 || sum.Objects[0].Skipped != "already scanned" {
			t.Fatalf("delivery %d: got %+v (%v), want already scanned", i+2, sum, err)
		}
	}
	again := s.waitStatus(t, a, oid(data), final)
	if again.Security.Status != first.Security.Status || again.Security.Reason != first.Security.Reason {
		t.Errorf("result changed: %+v -> %+v", first.Security, again.Security)
	}
}
