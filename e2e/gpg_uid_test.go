package e2e

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/hubsec/trustlayer/shared/gitobject/gittest"
	"github.com/hubsec/trustlayer/shared/platform/testenv"
)

// TestGPGKeyUIDWithMarkup: a key whose user id has markup before the
// address ("Name <b>dev</b> <addr>") is read as gpg reads it, by its last
// <...>: the upload is accepted for the uploader's verified address and
// the key lists that address, not "b".
func TestGPGKeyUIDWithMarkup(t *testing.T) {
	testenv.RequireTool(t, "gpg")
	h := newHub(t)
	u := h.signup("uid")
	g := gittest.New(t)
	fpr := g.GenKey(u.Name+" <b>dev</b> (work) <"+u.Email+">", "ed25519", "sign", "never", 0)
	res := h.must(201, h.do("POST", "/api/settings/gpg-keys", u.bearer(), map[string]string{"armoredKey": g.Export(fpr)}), "upload a key with markup in its uid")
	var key struct {
		Emails []struct {
			Email    string `json:"email"`
			Verified bool   `json:"verified"`
		} `json:"emails"`
	}
	if err := json.Unmarshal(res.Body, &key); err != nil {
		t.Fatalf("%v: %s", err, res.Body)
	}
	if len(key.Emails) != 1 || !strings.EqualFold(key.Emails[0].Email, u.Email) || !key.Emails[0].Verified {
		t.Errorf("uploaded key's emails: %s, want only %s, verified", res.Body, u.Email)
	}
	list := h.must(200, h.do("GET", "/api/settings/gpg-keys", u.bearer(), nil), "list keys")
	if !strings.Contains(string(list.Body), u.Email) || strings.Contains(string(list.Body), `"email":"b"`) {
		t.Errorf("key list: %s", list.Body)
	}
}
