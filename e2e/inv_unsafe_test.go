// Invariant 11 (docs/invariants.md): no byte judged unsafe is served by any
// path: a regular git file judged infected or dangerous never enters git,
// whether it comes by git push or by the commit API; the same bytes in Git
// LFS are stored and refused on download.

package e2e

import (
	"bytes"
	"math/rand"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/hubsec/trustlayer/shared/scan"
	"github.com/hubsec/trustlayer/shared/scan/scantest"
)

// tryPush pushes dir's main to the account's repository and returns git's
// output and error (the push may be refused).
func (s stack) tryPush(t testing.TB, a account, dir string) (string, error) {
	t.Helper()
	cmd := exec.Command("git", "push", a.remote(s), "main")
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "GIT_TERMINAL_PROMPT=0", "GIT_CONFIG_NOSYSTEM=1", "GIT_CONFIG_GLOBAL=/dev/null", "GIT_ASKPASS=/bin/false", "HOME="+dir)
	out, err := cmd.CombinedOutput()
	return redact(string(out)), err
}

func writeBytes(t testing.TB, dir, name string, b []byte) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(filepath.Join(dir, name)), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, name), b, 0o644); err != nil {
		t.Fatal(err)
	}
}

// TestInvariantUnsafeRegularFilesNeverEnterGit, through the gateway:
//   - git push of EICAR, of a pickle importing os.system, and of a 4 MiB
//     one (staged through the bucket for its scan) as regular files is
//     refused, the remote: lines naming the file and the finding (and Git
//     LFS for the model files), and main does not move;
//   - a regular file over 10 MiB is refused with the Hub's LFS advice;
//   - the commit API with the same files inline answers 4xx JSON naming
//     the file and the finding, and makes no commit;
//   - clean regular files (one of 5 MiB, staged), and pickles written by
//     scikit-learn and numpy, push; a clean commit-API file commits;
//   - the same unsafe bytes in Git LFS are accepted, judged infected, and
//     refused by resolve.
func TestInvariantUnsafeRegularFilesNeverEnterGit(t *testing.T) {
	s := needStack(t)
	a := s.newAccount(t)
	dir := s.lfsWorkDir(t, a)
	writeBytes(t, dir, "README.md", []byte("# unsafe files\n"))
	git(t, dir, "add", "-A")
	git(t, dir, "commit", "-q", "-m", "first")
	if out, err := s.tryPush(t, a, dir); err != nil {
		t.Fatalf("first push: %v\n%s", err, out)
	}
	base := strings.TrimSpace(git(t, dir, "rev-parse", "HEAD"))

	eicar := []byte(scantest.EICAR)
	evil := scantest.MaliciousPickle(t)
	bigEvil := scantest.PaddedMaliciousPickle(t, 4<<20)
	huge := make([]byte, scan.MaxRegularFile+1)
	rand.New(rand.NewSource(11)).Read(huge)
	for _, c := range []struct {
		file string
		data []byte
		want []string
	}{
		{"docs/eicar.txt", eicar, []string{"judged unsafe", "docs/eicar.txt: ClamAV found malware (", "EICAR"}},
		{"model.pkl", evil, []string{"judged unsafe", "model.pkl: pickle analysis found", "posix.system", `git lfs track "*.pkl"`}},
		{"weights/big.pkl", bigEvil, []string{"judged unsafe", "weights/big.pkl: pickle analysis found", "posix.system", "Git LFS"}},
		{"data/huge.raw", huge, []string{"larger than 10 MiB", "data/huge.raw (10.0 MiB)", "Git LFS"}},
	} {
		writeBytes(t, dir, c.file, c.data)
		git(t, dir, "add", "-A")
		git(t, dir, "commit", "-q", "-m", "add "+c.file)
		out, err := s.tryPush(t, a, dir)
		if err == nil {
			t.Errorf("%s: push accepted:\n%s", c.file, out)
		}
		for _, w := range append([]string{"remote: Your push was rejected"}, c.want...) {
			if !strings.Contains(out, w) {
				t.Errorf("%s: output lacks %q:\n%s", c.file, w, out)
			}
		}
		if got := s.remoteMain(t, a); got != base {
			t.Errorf("%s: main moved to %s, want %s", c.file, got, base)
		}
		git(t, dir, "reset", "-q", "--hard", base)
	}

	// The commit API pushes through the same hook: 4xx JSON, no commit.
	for _, c := range []struct {
		file string
		data []byte
		want []string
	}{
		{"eicar.com", eicar, []string{"judged unsafe", "eicar.com: ClamAV found malware"}},
		{"pytorch_model.pkl", evil, []string{"judged unsafe", "pytorch_model.pkl: pickle analysis found", "posix.system", "Git LFS"}},
	} {
		code, commit, msg := s.commitAPI(t, a, "main", header("add "+c.file, ""), fileOp(c.file, string(c.data)))
		if code < 400 || code >= 500 || commit != "" {
			t.Errorf("commit API with %s: %d commit %q %q, want a 4xx and no commit", c.file, code, commit, msg)
		}
		for _, w := range c.want {
			if !strings.Contains(msg, w) {
				t.Errorf("commit API with %s: error lacks %q: %q", c.file, w, msg)
			}
		}
		if got := s.remoteMain(t, a); got != base {
			t.Errorf("commit API with %s: main moved to %s, want %s", c.file, got, base)
		}
	}

	// Clean regular files, one staged by size, and real libraries' safe
	// pickles pass.
	clean := bytes.Repeat([]byte("a clean line of text\n"), (5<<20)/21)
	writeBytes(t, dir, "notes.txt", []byte("fine\n"))
	writeBytes(t, dir, "data/clean.csv", clean)
	writeBytes(t, dir, "sk/model.pkl", scantest.RealSafePickle(t, "sklearn"))
	writeBytes(t, dir, "np/array.pkl", scantest.RealSafePickle(t, "numpy"))
	git(t, dir, "add", "-A")
	git(t, dir, "commit", "-q", "-m", "clean files")
	if out, err := s.tryPush(t, a, dir); err != nil {
		t.Fatalf("clean regular files and safe pickles refused: %v\n%s", err, out)
	}
	if code, commit, msg := s.commitAPI(t, a, "main", header("clean", ""), fileOp("api-notes.txt", "fine too\n")); code != 200 || commit == "" {
		t.Fatalf("commit API with a clean file: %d %q", code, msg)
	}
	git(t, dir, "pull", "-q", "--ff-only", a.remote(s), "main")

	// The same unsafe bytes in Git LFS enter, and are never downloadable.
	writeBytes(t, dir, ".gitattributes", []byte("lfs/** filter=lfs diff=lfs merge=lfs -text\n"))
	writeBytes(t, dir, "lfs/eicar.txt", eicar)
	writeBytes(t, dir, "lfs/model.pkl", evil)
	git(t, dir, "add", "-A")
	git(t, dir, "commit", "-q", "-m", "unsafe bytes in LFS")
	if out, err := s.tryPush(t, a, dir); err != nil {
		t.Fatalf("LFS push of the same bytes refused: %v\n%s", err, out)
	}
	head := strings.TrimSpace(git(t, dir, "rev-parse", "HEAD"))
	waitIndexed(t, s.gateway, "/api/models/"+a.user+"/"+a.repo, "Bearer "+a.token, "main", head)
	for path, data := range map[string][]byte{"lfs/eicar.txt": eicar, "lfs/model.pkl": evil} {
		if e := s.waitStatus(t, a, oid(data), final); e.Security.Status != scan.StatusInfected {
			t.Errorf("LFS %s: %s %q, want infected", path, e.Security.Status, e.Security.Reason)
		}
		r := fetch(t, "GET", s.gateway+"/"+a.user+"/"+a.repo+"/resolve/main/"+path, "Bearer "+a.token)
		if r.status != 403 || !strings.Contains(r.header.Get("X-Error-Message"), "infected") || bytes.Contains(r.body, data[:16]) {
			t.Errorf("resolve of LFS %s: %d %q, want 403 naming the verdict", path, r.status, r.header.Get("X-Error-Message"))
		}
	}
}
