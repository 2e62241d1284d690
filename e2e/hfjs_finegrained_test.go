package e2e

import (
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestHuggingFaceJSFineGrainedWhoAmI: @huggingface/hub's whoAmI returns a
// fine-grained token's block (role, scoped entities with _id, type and
// name, permissions, canReadGatedRepos) and its expiry.
func TestHuggingFaceJSFineGrainedWhoAmI(t *testing.T) {
	node, dir := hfjs(t)
	h := newHub(t)
	u := h.signup("hfjs-fg")
	name := uniqueName("js-fg")
	h.must(200, h.do("POST", "/api/repos/create", u.bearer(), map[string]any{"name": name, "private": true}), "create repo")
	expires := time.Now().Add(365 * 24 * time.Hour).UTC().Truncate(time.Second).Format(time.RFC3339)
	r := h.must(201, h.do("POST", "/api/settings/tokens", u.bearer(), map[string]any{
		"name": "ci", "role": "fineGrained", "expiresAt": expires,
		"fineGrained": map[string]any{"canReadGatedRepos": true, "global": []string{"inference.serverless.write"},
			"scoped": []any{scope("model", u.Name+"/"+name, "repo.content.read", "repo.write"), scope("user", u.Name, "repo.content.read")}},
	}), "create fine-grained token").json(t)
	tok := r["token"].(string)

	script, _ := filepath.Abs("testdata/hfjs-whoami.mjs")
	cmd := exec.Command(node, script, h.base, tok)
	cmd.Env = append(os.Environ(), "HFJS_DIR="+dir)
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("huggingface.js: %v\n%s", err, out)
	}
	lines := strings.Split(strings.TrimSpace(string(out)), "\n")
	var got struct {
		Name string
		Auth struct {
			Type        string
			ExpiresAt   string
			AccessToken struct {
				Role        string
				FineGrained struct {
					Global []string
					Scoped []struct {
						Entity struct {
							ID   string `json:"_id"`
							Type string
							Name string
						}
						Permissions []string
					}
					CanReadGatedRepos bool
				}
			}
		}
	}
	if err := json.Unmarshal([]byte(lines[len(lines)-1]), &got); err != nil {
		t.Fatalf("script output: %s", out)
	}
	at := got.Auth.AccessToken
	if got.Name != u.Name || at.Role != "fineGrained" || !at.FineGrained.CanReadGatedRepos ||
		len(at.FineGrained.Global) != 1 || at.FineGrained.Global[0] != "inference.serverless.write" || len(at.FineGrained.Scoped) != 2 {
		t.Fatalf("whoAmI: got %s", lines[len(lines)-1])
	}
	m, usr := at.FineGrained.Scoped[0], at.FineGrained.Scoped[1]
	if m.Entity.Type != "model" || m.Entity.Name != u.Name+"/"+name || m.Entity.ID == "" || strings.Join(m.Permissions, ",") != "repo.content.read,repo.write" {
		t.Errorf("repo scope: got %+v", m)
	}
	if usr.Entity.Type != "user" || usr.Entity.Name != u.Name || usr.Entity.ID == "" {
		t.Errorf("user scope: got %+v", usr)
	}
	if !strings.HasPrefix(got.Auth.ExpiresAt, strings.TrimSuffix(expires, "Z")) {
		t.Errorf("expiresAt: got %q", got.Auth.ExpiresAt)
	}
}
