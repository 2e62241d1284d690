package devstack

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
)

// The git server's hooks (infra/cmd/githook) are built with the functions
// and installed for every repository through the git server's system
// configuration (core.hooksPath), which a repository's own configuration
// can override (a test repository without hooks sets its own
// core.hooksPath).

// hooksDir holds pre-receive (a link to the githook binary),
// reference-transaction and post-receive (shell scripts), as `githook
// install` writes them.
func hooksDir(binDir string) string { return filepath.Join(binDir, "hooks") }

// gitSystemConfig is the git server's system configuration file.
func (s *Stack) gitSystemConfig() string { return filepath.Join(s.opts.DataDir, "gitconfig") }

func (s *Stack) binDir() string {
	if s.opts.BinDir != "" {
		return s.opts.BinDir
	}
	return filepath.Join(s.opts.RepoRoot, ".build", "local")
}

// gitRoot is where the git server keeps repositories.
func (s *Stack) gitRoot() string { return filepath.Join(s.opts.DataDir, "git") }

// installHooks installs the hooks with the built githook binary (`githook
// install`, as a git server does) and writes the git server's system
// configuration that enables them.
func (s *Stack) installHooks(binDir string) error {
	dir := hooksDir(binDir)
	bin := filepath.Join(binDir, "githook")
	if out, err := exec.Command(bin, "install", dir).CombinedOutput(); err != nil {
		return fmt.Errorf("githook install: %w\n%s", err, out)
	}
	// receive.fsckObjects: pushed trees meet git's path rules (.git
	// variants, .gitmodules) as the commit API's do (invariant 5).
	// The hook key signs the git server's calls (the functions get it as
	// TRUSTLAYER_HOOK_SECRET); new for every stack, readable by its owner.
	keyFile := filepath.Join(s.opts.DataDir, "hook-secret")
	if err := os.WriteFile(keyFile, []byte(s.hookSecret), 0o600); err != nil {
		return err
	}
	conf := fmt.Sprintf("# Written by devstack: the git server's hooks.\n[core]\n\thooksPath = %s\n[receive]\n\tfsckObjects = true\n[trustlayer]\n\tcommitsFunction = CommitsFunction\n\tfilesFunction = UploadsFunction\n\tscannerFunction = ScannerFunction\n\tlambdaEndpoint = %s\n\tprojectRoot = %s\n\tbucket = %s\n\ts3Endpoint = %s\n\thookSecretFile = %s\n",
		dir, s.URL("internal"), s.gitRoot(), s.opts.Bucket, s.URL("s3"), keyFile)
	return os.WriteFile(s.gitSystemConfig(), []byte(conf), 0o644)
}

// gitHookEnv is what the git server passes to git http-backend, and so to
// the hooks: its system configuration and the credentials of the local
// Lambda endpoint (on AWS, the git server's IAM role).
func (s *Stack) gitHookEnv() []string {
	env := []string{
		"GIT_CONFIG_SYSTEM=" + s.gitSystemConfig(),
		"AWS_ACCESS_KEY_ID=" + AccessKey,
		"AWS_SECRET_ACCESS_KEY=" + SecretKey,
		"AWS_REGION=" + Region,
		// Objects are served as they are, never through a replace ref
		// (invariant 2).
		"GIT_NO_REPLACE_OBJECTS=1",
	}
	// git's trace2 (GIT_TRACE2_PERF=<file>, GIT_TRACE2_EVENT=<file>), when
	// the devstack has it: how long each hook and git process of a push
	// took (docs/git-server.md, "Costs").
	for _, k := range []string{"GIT_TRACE2_PERF", "GIT_TRACE2_EVENT"} {
		if v := os.Getenv(k); v != "" {
			env = append(env, k+"="+v)
		}
	}
	return env
}
