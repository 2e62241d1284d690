package devstack

import (
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
)

// Tools are the programs the stack runs.
type Tools struct {
	Cache       string // ${TRUSTLAYER_CACHE:-$HOME/.cache/trustlayer}
	Java        string
	DynamoDBJar string
	DynamoDBLib string
	VersityGW   string
	RIE         string
	Clamd       string
	Git         string
	HFJSDir     string // node_modules/@huggingface/hub lives here
}

// CacheDir is where infra/tools.sh installs.
func CacheDir() string {
	if c := os.Getenv("TRUSTLAYER_CACHE"); c != "" {
		return c
	}
	home, err := os.UserHomeDir()
	if err != nil {
		home = os.TempDir()
	}
	return filepath.Join(home, ".cache", "trustlayer")
}

// FindTools locates the tools, running infra/tools.sh first when the
// cached ones are missing.
func FindTools(repoRoot string, out io.Writer) (*Tools, error) {
	cache := CacheDir()
	t := &Tools{
		Cache:       cache,
		DynamoDBJar: filepath.Join(cache, "ddb", "package", "emulator", "DynamoDBLocal.jar"),
		DynamoDBLib: filepath.Join(cache, "ddb", "package", "emulator", "DynamoDBLocal_lib"),
		VersityGW:   filepath.Join(cache, "bin", "versitygw"),
		RIE:         filepath.Join(cache, "bin", "aws-lambda-rie"),
		HFJSDir:     filepath.Join(cache, "hfjs"),
	}
	hfjs := filepath.Join(t.HFJSDir, "node_modules", "@huggingface", "hub", "package.json")
	if !exists(t.DynamoDBJar) || !exists(t.VersityGW) || !exists(t.RIE) || !exists(hfjs) {
		fmt.Fprintln(out, "devstack: tools missing from", cache, "- running infra/tools.sh")
		cmd := exec.Command("bash", filepath.Join(repoRoot, "infra", "tools.sh"))
		cmd.Stdout, cmd.Stderr = out, out
		if err := cmd.Run(); err != nil {
			return nil, fmt.Errorf("infra/tools.sh: %w", err)
		}
	}
	var err error
	if t.Java, err = lookPath("java", "openjdk-17-jre-headless"); err != nil {
		return nil, err
	}
	if t.Clamd, err = lookPath("clamd", "clamav-daemon"); err != nil {
		return nil, err
	}
	if t.Git, err = lookPath("git", "git"); err != nil {
		return nil, err
	}
	return t, nil
}

func exists(p string) bool {
	_, err := os.Stat(p)
	return err == nil
}

// lookPath finds a program on PATH or in the sbin directories (clamd lives
// in /usr/sbin, which a non-root PATH may lack).
func lookPath(name, aptPackage string) (string, error) {
	if p, err := exec.LookPath(name); err == nil {
		return p, nil
	}
	for _, dir := range []string{"/usr/sbin", "/usr/local/sbin", "/sbin"} {
		if p := filepath.Join(dir, name); exists(p) {
			return p, nil
		}
	}
	return "", fmt.Errorf("%s not found: install it with `apt-get install -y %s`", name, aptPackage)
}
