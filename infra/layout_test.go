package infra

import (
	"os/exec"
	"path"
	"sort"
	"strings"
	"testing"
)

// The shared Go code lives in shared/ (the design card's layout), not in
// internal/, so the compiler no longer keeps its layers apart: these tests
// do. Nothing outside this module imports it; inside it:
//
//   - a store shared/<domain>/<domain>ddb imports only its own domain, the
//     platform and libraries;
//   - a domain package shared/<domain> imports no AWS package: AWS lives
//     in its adapter sub-packages (store, Lambda face, S3, Lambda queue)
//     and the platform;
//   - a function links only the domains it serves (functionDomains below).
const module = "github.com/hubsec/trustlayer/"

// libraries are the packages without I/O that any package may import: the
// policy and the parsers, not domains.
var libraries = map[string]bool{
	"shared/access": true, "shared/token": true, "shared/gitobject": true, "shared/signingkey": true,
	"shared/signature": true, "shared/pickle": true, "shared/modelfile": true, "shared/clamd": true,
	"shared/modelformat": true,
	"shared/modelcard":   true,
}

// functionDomains lists, for each function, the domains it may link. A new
// dependency on another domain fails the test until it is named here, so a
// function's reach is a reviewed decision, not an accident of imports.
var functionDomains = map[string][]string{
	"accounts":    {"authz", "identity", "org", "principal", "repo"},
	"authorizer":  {"authz", "identity", "org", "principal", "repo"},
	"cards":       {"web"},
	"commits":     {"commitverify", "githook", "gitref", "identity", "keyring", "org", "principal", "repo"},
	"health":      {"health"},
	"keyless":     {"modelsig"},
	"orgs":        {"identity", "org", "principal"},
	"repos":       {"files", "gitref", "identity", "lfs", "modelsig", "org", "principal", "repo", "scan"},
	"scanner":     {"githook", "identity", "org", "repo", "scan"},
	"signingkeys": {"identity", "keyring", "principal"},
	"sweeper":     {"githook", "identity", "repo", "scan"},
	"tokens":      {"authz", "identity", "org", "principal", "repo"},
	"uploads":     {"commitverify", "files", "githook", "gitref", "identity", "lfs", "modelsig", "org", "principal", "repo", "scan"},
	"web":         {"authz", "commitverify", "files", "gitref", "identity", "keyring", "lfs", "modelsig", "org", "principal", "repo", "scan", "web"},
}

func goList(t *testing.T, args ...string) []string {
	t.Helper()
	out, err := exec.Command("go", append([]string{"list"}, args...)...).Output()
	if err != nil {
		t.Fatalf("go list %v: %v", args, err)
	}
	return strings.Fields(string(out))
}

func sharedPackages(t *testing.T) []string {
	var rels []string
	for _, pkg := range goList(t, "../shared/...") {
		rels = append(rels, strings.TrimPrefix(pkg, module))
	}
	return rels
}

// domainOf is the domain a shared package belongs to ("" for the platform
// and libraries).
func domainOf(rel string) string {
	parts := strings.Split(rel, "/")
	if len(parts) < 2 || parts[0] != "shared" || parts[1] == "platform" || libraries["shared/"+parts[1]] {
		return ""
	}
	return parts[1]
}

// TestStoresImportOnlyTheirDomain: a store package
// shared/<domain>/<domain>ddb imports only its own domain, the platform
// and libraries.
func TestStoresImportOnlyTheirDomain(t *testing.T) {
	for _, rel := range sharedPackages(t) {
		if !strings.HasSuffix(rel, "ddb") || domainOf(rel) == "" {
			continue
		}
		domain := path.Dir(rel)
		for _, imp := range goList(t, "-f", `{{join .Imports " "}}`, module+rel) {
			if !strings.HasPrefix(imp, module) {
				continue
			}
			dep := strings.TrimPrefix(imp, module)
			if dep == domain || strings.HasPrefix(dep, "shared/platform/") || libraries[dep] {
				continue
			}
			t.Errorf("%s imports %s: a store imports only its own domain (%s), the platform and libraries", rel, dep, domain)
		}
	}
}

// TestDomainsImportNoAWS: a domain package shared/<domain> imports no AWS
// package, so its rules run and test without AWS. AWS lives in its
// adapters: the store (…ddb), the Lambda face (…lambda) and the other
// sub-packages that talk to one AWS service (s3objects, sqsqueue).
func TestDomainsImportNoAWS(t *testing.T) {
	for _, rel := range sharedPackages(t) {
		if domainOf(rel) == "" || strings.Count(rel, "/") != 1 {
			continue
		}
		for _, imp := range goList(t, "-f", `{{join .Imports " "}}`, module+rel) {
			if strings.HasPrefix(imp, "github.com/aws/") {
				t.Errorf("%s imports %s: a domain imports no AWS package (move it to an adapter sub-package)", rel, imp)
			}
		}
	}
}

// TestFunctionsLinkOnlyTheDomainsTheyServe: each function links only the
// domains functionDomains gives it (a store or HTTP face counts as its
// domain).
func TestFunctionsLinkOnlyTheDomainsTheyServe(t *testing.T) {
	fns := goList(t, "../functions/...")
	if len(fns) != len(functionDomains) {
		t.Errorf("functions/ has %d functions, functionDomains names %d: name every function's domains", len(fns), len(functionDomains))
	}
	for _, fn := range fns {
		name := path.Base(fn)
		allowed := map[string]bool{}
		for _, d := range functionDomains[name] {
			allowed[d] = true
		}
		linked := map[string]bool{}
		for _, d := range goList(t, "-deps", fn) {
			if dom := domainOf(strings.TrimPrefix(d, module)); dom != "" && strings.HasPrefix(d, module) {
				linked[dom] = true
			}
		}
		var extra []string
		for d := range linked {
			if !allowed[d] {
				extra = append(extra, d)
			}
		}
		sort.Strings(extra)
		if len(extra) > 0 {
			t.Errorf("function %s links domains %v that functionDomains does not give it", name, extra)
		}
	}
}

// TestFunctionsLinkOnlyWhatTheyServe: the account, token, org and
// repository functions link neither OpenPGP, nor the archive decompressors,
// nor clamd; only the scanner function links the scan engines.
func TestFunctionsLinkOnlyWhatTheyServe(t *testing.T) {
	heavy := []string{"github.com/ProtonMail/go-crypto/openpgp", "github.com/ulikunitz/xz", "github.com/pierrec/lz4/v4",
		"github.com/bodgit/sevenzip", module + "shared/clamd", module + "shared/modelfile"}
	engines := map[string]bool{"shared/clamd": true, "shared/modelfile": true}
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
		// sigstore-go (~550 packages) verifies keyless model signatures:
		// only the function that verifies them at push links it.
		if deps[sigstoreGo] && !sigstoreFunctions[name] {
			t.Errorf("function %s links %s: only %v may", name, sigstoreGo, sigstoreFunctions)
		}
	}
}

// sigstoreGo is the heavy Sigstore verifier, linked only through
// shared/modelsig/modelsigstore.
const sigstoreGo = "github.com/sigstore/sigstore-go/pkg/verify"

// sigstoreFunctions may link sigstoreGo.
var sigstoreFunctions = map[string]bool{"keyless": true}

// TestModelSigDomainLinksNoSigstore: the model-signature domain (read by
// the pages and the API) judges trust with the standard library alone;
// sigstore-go stays in modelsigstore.
func TestModelSigDomainLinksNoSigstore(t *testing.T) {
	for _, d := range goList(t, "-deps", "../shared/modelsig") {
		if strings.HasPrefix(d, "github.com/sigstore/") {
			t.Fatalf("shared/modelsig links %s", d)
		}
	}
}
