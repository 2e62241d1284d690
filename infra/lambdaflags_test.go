package infra

import (
	"os"
	"regexp"
	"testing"

	"github.com/hubsec/trustlayer/infra/devstack"
)

// TestLambdaTagsAgree: the Makefile's Lambda build (what `sam build` runs)
// and devstack's (what `make bench-coldstart` measures) use the same build
// tags, and with them the keyless function links no gRPC tracing (whose
// html/template and net/rpc kept every exported method in its binary).
func TestLambdaTagsAgree(t *testing.T) {
	mk, err := os.ReadFile("../Makefile")
	if err != nil {
		t.Fatal(err)
	}
	m := regexp.MustCompile(`(?m)^LAMBDA_FLAGS = -tags (\S+) `).FindSubmatch(mk)
	if m == nil {
		t.Fatal("Makefile: no LAMBDA_FLAGS = -tags ... line")
	}
	if string(m[1]) != devstack.LambdaTags {
		t.Errorf("Makefile builds with -tags %s, devstack.BuildBootstrap with -tags %s", m[1], devstack.LambdaTags)
	}
	for _, d := range goList(t, "-deps", "-tags", devstack.LambdaTags, "../functions/keyless") {
		if d == "golang.org/x/net/trace" || d == "net/rpc" {
			t.Errorf("the keyless function's Lambda build links %s", d)
		}
	}
}
