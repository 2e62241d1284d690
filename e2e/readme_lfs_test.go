// The README's LFS flow, run exactly as written (token in the clone URL,
// no http.extraHeader), and the same with a credential helper, with
// Debian's git-lfs.

package e2e

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/hubsec/trustlayer/shared/scan/scantest"
)

// shell runs a command line with bash in dir, isolated from the user's
// git configuration, and returns its output and error.
func shell(t *testing.T, dir, home, line string) (string, error) {
	t.Helper()
	cmd := exec.Command("bash", "-c", line)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "HOME="+home, "GIT_CONFIG_GLOBAL="+filepath.Join(home, ".gitconfig"), "GIT_CONFIG_NOSYSTEM=1",
		"GIT_TERMINAL_PROMPT=0", "GIT_ASKPASS=/bin/false",
		"GIT_AUTHOR_NAME=Alice", "GIT_AUTHOR_EMAIL=alice@example.com", "GIT_COMMITTER_NAME=Alice", "GIT_COMMITTER_EMAIL=alice@example.com")
	out, err := cmd.CombinedOutput()
	return string(out), err
}

func readmeFiles(t *testing.T, home string) {
	t.Helper()
	if err := os.WriteFile(filepath.Join(home, "eicar.bin"), []byte(scantest.EICAR), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(home, "model.safetensors"), scantest.Safetensors(4096), 0o644); err != nil {
		t.Fatal(err)
	}
}

// TestReadmeLFSFlow runs the README's "Malware scanning" commands.
func TestReadmeLFSFlow(t *testing.T) {
	s := needStack(t)
	a := s.newAccount(t)
	home := t.TempDir()
	readmeFiles(t, home)
	url := strings.Replace(s.gateway, "://", "://hf_user:"+a.token+"@", 1) + "/" + a.user + "/" + a.repo + ".git"
	steps := []string{
		"git clone " + url + " && cd " + a.repo,
		`cd ` + a.repo + ` && git lfs install --local && git lfs track "*.bin" "*.safetensors"`,
		`cd ` + a.repo + ` && cp ~/eicar.bin ~/model.safetensors . && git add . && git commit -m weights`,
		`cd ` + a.repo + ` && git push origin main`,
	}
	for _, line := range steps {
		if out, err := shell(t, home, home, line); err != nil {
			t.Fatalf("%s: %v\n%s", redact(line), err, redact(out))
		}
	}
	inf := s.waitStatus(t, a, oid([]byte(scantest.EICAR)), final)
	if inf.Security.Status != "infected" || inf.Path != "eicar.bin" {
		t.Errorf("eicar.bin: got %s %q", inf.Security.Status, inf.Path)
	}
	out, err := shell(t, home, home, "GIT_LFS_SKIP_SMUDGE=1 git clone "+url+" copy && cd copy && git lfs pull")
	if err == nil || !strings.Contains(out, "infected") {
		t.Errorf("git lfs pull: err %v, want the infected download refused:\n%s", err, redact(out))
	}
}

// TestLFSWithCredentialHelper: the same push with the token in a
// credential helper, not in the URL.
func TestLFSWithCredentialHelper(t *testing.T) {
	s := needStack(t)
	a := s.newAccount(t)
	home := t.TempDir()
	readmeFiles(t, home)
	host := strings.TrimPrefix(s.gateway, "http://")
	creds := "http://hf_user:" + a.token + "@" + host + "\n"
	if err := os.WriteFile(filepath.Join(home, ".git-credentials"), []byte(creds), 0o600); err != nil {
		t.Fatal(err)
	}
	url := s.gateway + "/" + a.user + "/" + a.repo + ".git"
	line := "git config --global credential.helper store && git clone " + url + " && cd " + a.repo +
		` && git lfs install --local && git lfs track "*.bin" "*.safetensors"` +
		` && cp ~/model.safetensors . && git add . && git commit -m weights && git push origin main`
	if out, err := shell(t, home, home, line); err != nil {
		t.Fatalf("push with a credential helper: %v\n%s", err, redact(out))
	}
	if e := s.waitStatus(t, a, oid(scantest.Safetensors(4096)), final); e.Security.Status != "ok" {
		t.Errorf("model.safetensors: got %s", e.Security.Status)
	}
	if out, err := shell(t, filepath.Join(home, a.repo), home, "rm model.safetensors && git lfs pull && test -s model.safetensors"); err != nil {
		t.Errorf("git lfs pull with a credential helper: %v\n%s", err, redact(out))
	}
}
