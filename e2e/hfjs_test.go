package e2e

import (
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/hubsec/trustlayer/shared/platform/testenv"
)

// TestHuggingFaceJSClient points the real huggingface.js client
// (@huggingface/hub from npm, installed by infra/tools.sh) at the local
// gateway: whoAmI, createRepo (twice: the second is the client's 409),
// modelInfo, listModels by author, repoExists (with and without a token)
// and deleteRepo must work as they do against the Hub, and a bad token must
// surface as the client's 401 error.
func TestHuggingFaceJSClient(t *testing.T) {
	node, dir := hfjs(t)
	h := newHub(t)
	u := h.signup("hfjs")
	tok, _ := h.token(u, "write")
	repo := uniqueName("js-model")
	script, _ := filepath.Abs("testdata/hfjs.mjs")
	cmd := exec.Command(node, script, h.base, tok, u.Name, repo)
	cmd.Env = append(os.Environ(), "HFJS_DIR="+dir)
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("huggingface.js: %v\n%s", err, out)
	}
	var got struct {
		Name, Type, Role                string
		Created                         struct{ RepoURL, ID string } `json:"created"`
		Exists, ExistsAnon, ExistsAfter bool
		BadTokenError                   string
		CreateAgainError                string
		Info                            struct {
			Name      string
			Private   bool
			UpdatedAt string
		}
		InfoAnonError      string
		Listed, ListedAnon []string
	}
	lines := strings.Split(strings.TrimSpace(string(out)), "\n")
	if err := json.Unmarshal([]byte(lines[len(lines)-1]), &got); err != nil {
		t.Fatalf("script output: %s", out)
	}
	if got.Name != u.Name || got.Type != "user" || got.Role != "write" {
		t.Errorf("whoAmI: got %+v", got)
	}
	if !got.Exists || got.ExistsAnon || got.ExistsAfter {
		t.Errorf("repoExists: with token %v (want true), anonymous %v (want false), after delete %v (want false)", got.Exists, got.ExistsAnon, got.ExistsAfter)
	}
	full := u.Name + "/" + repo
	if !strings.HasPrefix(got.CreateAgainError, "409") {
		t.Errorf("second createRepo: got %q, want the client's 409", got.CreateAgainError)
	}
	if got.Info.Name != full || !got.Info.Private || got.Info.UpdatedAt == "" {
		t.Errorf("modelInfo: got %+v, want %s, private, with updatedAt", got.Info, full)
	}
	if got.InfoAnonError != "401" {
		t.Errorf("anonymous modelInfo of a private repo: got %q, want 401", got.InfoAnonError)
	}
	if strings.Join(got.Listed, ",") != full || len(got.ListedAnon) != 0 {
		t.Errorf("listModels by author: with token %v (want [%s]), anonymous %v (want none)", got.Listed, full, got.ListedAnon)
	}
	if !strings.HasPrefix(got.BadTokenError, "401") || !strings.Contains(got.BadTokenError, "Invalid credentials in Authorization header") {
		t.Errorf("bad token: got %q, want the client's 401 with the Hub's message", got.BadTokenError)
	}
}

// hfjs returns node and the folder where infra/tools.sh installed the real
// @huggingface/hub client; under make test a missing one fails the test.
func hfjs(t *testing.T) (node, dir string) {
	t.Helper()
	node = testenv.RequireTool(t, "node")
	dir = testenv.RequireEnv(t, "TRUSTLAYER_HFJS_DIR")
	if _, err := os.Stat(filepath.Join(dir, "node_modules", "@huggingface", "hub")); err != nil {
		if testenv.Strict() {
			t.Fatalf("@huggingface/hub is not installed in %s (infra/tools.sh installs it)", dir)
		}
		t.Skipf("@huggingface/hub not installed in %s", dir)
	}
	return node, dir
}
