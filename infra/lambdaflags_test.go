package infra

import (
	"os"
	"regexp"
	"strings"
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

// TestHookBuildFlagsAgree: the stack builds the hooks as the git server
// image does (static, stripped), so that a push through the stack costs
// what one through the deployed server does: every go build of the
// Dockerfile is CGO_ENABLED=0 with devstack.HookBuildFlags.
func TestHookBuildFlagsAgree(t *testing.T) {
	df, err := os.ReadFile("git-server/Dockerfile")
	if err != nil {
		t.Fatal(err)
	}
	builds := regexp.MustCompile(`(CGO_ENABLED=\S+ )?go build ([^\n]*?) -o `).FindAllSubmatch(df, -1)
	if len(builds) != 3 {
		t.Fatalf("git-server/Dockerfile: %d go builds, want 3 (githook, githook-pre-receive, githook-ref)", len(builds))
	}
	want := strings.Join(devstack.HookBuildFlags, " ")
	want = strings.Replace(want, "-ldflags=-s -w", "-ldflags='-s -w'", 1)
	for _, b := range builds {
		flags := strings.TrimSpace(strings.Replace(string(b[2]), "-tags githook_prereceive", "", 1))
		if string(b[1]) != "CGO_ENABLED=0 " || flags != want {
			t.Errorf("Dockerfile builds with %q%s, devstack with CGO_ENABLED=0 %s", b[1], flags, want)
		}
	}
}
