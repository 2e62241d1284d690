package infra_test

import (
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// TestDepsNamesTheCommand runs infra/deps.sh on a machine where dpkg knows
// no package and apt-get may not be used: it must stop with status 1 and
// print the one command that installs every missing package.
func TestDepsNamesTheCommand(t *testing.T) {
	bin := t.TempDir()
	if err := os.WriteFile(filepath.Join(bin, "dpkg-query"), []byte("#!/bin/sh\nexit 1\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command("bash", "deps.sh")
	cmd.Env = append(os.Environ(), "PATH="+bin+":"+os.Getenv("PATH"), "TRUSTLAYER_NO_APT=1")
	out, err := cmd.CombinedOutput()
	if ee, ok := err.(*exec.ExitError); !ok || ee.ExitCode() != 1 {
		t.Fatalf("deps.sh with nothing installed: got %v, want exit status 1\n%s", err, out)
	}
	want := "apt-get install -y --no-install-recommends clamav clamav-daemon git-lfs gnupg openssh-client p7zip-full chromium"
	if !strings.Contains(string(out), want) {
		t.Errorf("deps.sh output lacks %q:\n%s", want, out)
	}
}

// TestDepsRunsFirst checks that make dev and make test install Debian
// packages before anything else, and that .ci/run leaves that to them and
// runs exactly the README's test command.
func TestDepsRunsFirst(t *testing.T) {
	mk, err := os.ReadFile("../Makefile")
	if err != nil {
		t.Fatal(err)
	}
	for _, target := range []string{"dev", "test"} {
		if !regexp.MustCompile(`(?m)^` + target + `: deps\s*$`).Match(mk) {
			t.Errorf("Makefile: target %s does not depend on deps first", target)
		}
	}
	ci, err := os.ReadFile("../.ci/run")
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(string(ci), "apt-get install") {
		t.Error(".ci/run runs apt-get itself; infra/deps.sh is the one place")
	}
	if !regexp.MustCompile(`(?m)^make test$`).Match(ci) {
		t.Error(".ci/run does not run `make test`")
	}
}
