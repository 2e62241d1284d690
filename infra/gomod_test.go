package infra_test

import (
	"os/exec"
	"testing"
)

// TestGoModTidy fails when go.mod or go.sum is not what `go mod tidy`
// would write (a dependency marked indirect that the code imports, one no
// longer used, a missing sum), with the diff that tidy would apply.
func TestGoModTidy(t *testing.T) {
	cmd := exec.Command("go", "mod", "tidy", "-diff")
	cmd.Dir = ".."
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("go.mod is not tidy: run `go mod tidy` and commit the result (%v)\n%s", err, out)
	}
}
