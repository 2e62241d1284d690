package devstack

import (
	"fmt"
	"os"
	"path/filepath"
)

// The git server's hooks (infra/cmd/githook) are built with the functions
// and installed for every repository through the git server's system
// configuration (core.hooksPath), which a repository's own configuration
// can override (a test repository without hooks sets its own
// core.hooksPath).

// hooksDir holds pre-receive, post-receive and reference-transaction,
// links to the githook binary.
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

// installHooks links the built githook binary as both hooks and writes
// the git server's system configuration that enables them.
func (s *Stack) installHooks(binDir string) error {
	dir := hooksDir(binDir)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	bin := filepath.Join(binDir, "githook")
	if _, err := os.Stat(bin); err != nil {
		return fmt.Errorf("githook binary: %w", err)
	}
	for _, h := range []string{"pre-receive", "post-receive", "reference-transaction"} {
		link := filepath.Join(dir, h)
		os.Remove(link)
		if err := os.Symlink(bin, link); err != nil {
			return fmt.Errorf("install %s hook: %w", h, err)
		}
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
	return []string{
		"GIT_CONFIG_SYSTEM=" + s.gitSystemConfig(),
		"AWS_ACCESS_KEY_ID=" + AccessKey,
		"AWS_SECRET_ACCESS_KEY=" + SecretKey,
		"AWS_REGION=" + Region,
	}
}
