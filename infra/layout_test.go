package infra

import (
	"os/exec"
	"path"
	"strings"
	"testing"
)

const module = "github.com/hubsec/trustlayer/"

// libraries are the packages without I/O that any package may import: the
// policy and the parsers, not domains.
var libraries = map[string]bool{
	"internal/access": true, "internal/token": true, "internal/gitobject": true, "internal/signingkey": true,
	"internal/signature": true, "internal/pickle": true, "internal/modelfile": true, "internal/clamd": true,
}

func goList(t *testing.T, args ...string) []string {
	t.Helper()
	out, err := exec.Command("go", append([]string{"list"}, args...)...).Output()
	if err != nil {
		t.Fatalf("go list %v: %v", args, err)
	}
	return strings.Fields(string(out))
}

// TestStoresImportOnlyTheirDomain holds the layout rule: a store package
// internal/<domain>/<domain>ddb imports only its own domain, the platform
// and libraries.
func TestStoresImportOnlyTheirDomain(t *testing.T) {
	for _, pkg := range goList(t, "../internal/...") {
		rel := strings.TrimPrefix(pkg, module)
		if !strings.HasSuffix(rel, "ddb") || !strings.HasPrefix(rel, "internal/") || strings.HasPrefix(rel, "internal/platform/") {
			continue
		}
		domain := path.Dir(rel)
		for _, imp := range goList(t, "-f", `{{join .Imports " "}}`, pkg) {
			if !strings.HasPrefix(imp, module) {
				continue
			}
			dep := strings.TrimPrefix(imp, module)
			if dep == domain || strings.HasPrefix(dep, "internal/platform/") || libraries[dep] {
				continue
			}
			t.Errorf("%s imports %s: a store imports only its own domain (%s), the platform and libraries", rel, dep, domain)
		}
	}
}

// TestFunctionsLinkOnlyWhatTheyServe: the account, token, org and
// repository functions link neither OpenPGP, nor the archive decompressors,
// nor clamd; only the scanner function links the scan engines.
func TestFunctionsLinkOnlyWhatTheyServe(t *testing.T) {
	heavy := []string{"github.com/ProtonMail/go-crypto/openpgp", "github.com/ulikunitz/xz", "github.com/pierrec/lz4/v4",
		"github.com/bodgit/sevenzip", module + "internal/clamd", module + "internal/modelfile"}
	engines := map[string]bool{"internal/clamd": true, "internal/modelfile": true}
	for _, fn := range goList(t, "../functions/...") {
		name := path.Base(fn)
		deps := map[string]bool{}
		for _, d := range goList(t, "-deps", fn) {
			deps[d] = true
		}
		for _, h := range heavy {
			light := name == "accounts" || name == "tokens" || name == "orgs" || name == "repos"
			engine := engines[strings.TrimPrefix(h, module)]
			if deps[h] && (light || (engine && name != "scanner")) {
				t.Errorf("function %s links %s", name, h)
			}
		}
	}
}
