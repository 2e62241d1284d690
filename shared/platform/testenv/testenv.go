// Package testenv lets tests that need a real external program (git, gpg,
// ssh-keygen, clamd, python3, a running local stack) say so in one line.
//
// Outside `make test` a missing program skips the test with a message that
// says what to install. Under `make test` (TRUSTLAYER_REQUIRE_TOOLS=1, which
// .ci/run inherits) a missing program fails the test instead, so a machine
// without the tool can never report a skipped check as a pass.
package testenv

import (
	"os"
	"os/exec"
	"testing"
)

// Strict reports whether missing tools must fail tests instead of skipping them.
func Strict() bool { return os.Getenv("TRUSTLAYER_REQUIRE_TOOLS") == "1" }

// RequireTool returns the path of the named program, or stops the test.
func RequireTool(t testing.TB, name string) string {
	t.Helper()
	path, err := exec.LookPath(name)
	if err == nil {
		return path
	}
	if Strict() {
		t.Fatalf("%s is required but not on PATH (install it: see README prerequisites)", name)
	}
	t.Skipf("%s not on PATH; install it or run `make test`, which installs and requires it", name)
	return ""
}

// RequireEnv returns the value of an environment variable that the local
// stack exports (for example TRUSTLAYER_GATEWAY_URL), or stops the test.
func RequireEnv(t testing.TB, name string) string {
	t.Helper()
	if v := os.Getenv(name); v != "" {
		return v
	}
	if Strict() {
		t.Fatalf("%s is not set: this test needs the local stack that `make test` starts", name)
	}
	t.Skipf("%s not set; run through `make test`, which starts the local stack", name)
	return ""
}
