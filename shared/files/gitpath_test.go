package files

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// hostilePaths are paths git drops or refuses (verify_path with
// protectHFS and protectNTFS), or that Windows and macOS clients cannot
// check out safely.
var hostilePaths = []string{
	"", "/a", "a/", "a//b", ".", "..", "a/../b", "a/./b", ".git", ".git/config", ".GIT/x", "a/.Git/hooks/x",
	".git./y", ".git /y", ".git. . /y", "git~1/y", "GIT~1/y", "a/git~1", ".g\u200cit/x", "\u200d.git/x", ".git\ufeff/x",
	".gi\u200et/config", ".gitmodules.", ".GITMODULES", "gitmod~1", ".gitmodules\u200c", "x/gitmod~3",
	"C:/x", "c:x", "a:b", "x/.git::$INDEX_ALLOCATION/y", "a\\b", "nul", "NUL.txt", "aux/x", "com1", "lpt9.bin", "conout$",
	"con .txt", "a.", "a /b", "a\x00b", "a\nb", "a\x7fb", "\xff\xfe",
}

var fairPaths = []string{
	"a", "README.md", "dir/sub/file.bin", ".gitattributes", ".gitignore", ".gitmodules", "a/.gitmodules", "my notes (v2).txt",
	".github/workflows/x.yml", "gitx/y", ".gitx", "git~1x", "console.log", "nullable.py", "com10", "lpt", "a..b", ".a", "ünïcödé/ファイル",
	"a b/c d", "a\u200cb", strings.Repeat("a", 255),
}

func TestCheckPath(t *testing.T) {
	for _, p := range hostilePaths {
		if CheckPath(p) == nil {
			t.Errorf("CheckPath(%q) accepted", p)
		}
	}
	for _, p := range fairPaths {
		if err := CheckPath(p); err != nil {
			t.Errorf("CheckPath(%q): %v", p, err)
		}
	}
}

func TestCheckGitmodules(t *testing.T) {
	ok := "[submodule \"lib\"]\n\tpath = lib\n\turl = https://hub.example/alice/lib.git\n"
	if err := CheckGitmodules([]byte(ok)); err != nil {
		t.Errorf("fair .gitmodules: %v", err)
	}
	for _, bad := range []string{
		"[submodule \"x\"]\n\tpath = ../outside\n\turl = https://h/x\n",
		"[submodule \"x\"]\n\tpath = /etc\n\turl = https://h/x\n",
		"[submodule \"x\"]\n\tpath = .git/hooks\n\turl = https://h/x\n",
		"[submodule \"x\"]\n\tpath = -x\n\turl = https://h/x\n",
		"[submodule \"x\"]\n\tpath = x\n\turl = --upload-pack=touch /tmp/pwn\n",
		"[submodule \"x\"]\n\tpath = x\n\turl = file:///etc/passwd\n",
		"[submodule \"x\"]\n\tpath = x\n\turl = /srv/git/alice/private.git\n",
		"[submodule \"x\"]\n\tpath = x\n\turl = ../../bob/private.git\n",
		"[submodule \"x\"]\n\tPATH = git~1\n\turl = https://h/x\n",
	} {
		if CheckGitmodules([]byte(bad)) == nil {
			t.Errorf("accepted %q", bad)
		}
	}
}

// gitKeeps reports whether git (protectHFS and protectNTFS on, as on the
// clients that need them) stores path p in an index: update-index
// --index-info drops a path verify_path refuses and goes on, which is how
// the commit API once answered 200 for an empty commit.
func gitKeeps(t testing.TB, dir, p string) bool {
	t.Helper()
	cmd := exec.Command("git", "-c", "core.protectHFS=true", "-c", "core.protectNTFS=true", "update-index", "-z", "--index-info")
	cmd.Env = append(os.Environ(), "GIT_DIR="+dir, "GIT_INDEX_FILE="+filepath.Join(dir, "idx"), "GIT_CONFIG_NOSYSTEM=1", "HOME="+dir)
	cmd.Stdin = strings.NewReader("100644 e69de29bb2d1d6434b8b29ae775ad8c2e48c5391\t" + p + "\x00")
	cmd.CombinedOutput()
	ls := exec.Command("git", "ls-files", "-z")
	ls.Env = cmd.Env
	out, _ := ls.Output()
	os.Remove(filepath.Join(dir, "idx"))
	return bytes.Equal(out, []byte(p+"\x00"))
}

// FuzzCheckPath: CheckPath never panics, and whatever it accepts git
// stores as given (never looser than git); the seeds include every path
// of TestCheckPath, and git itself judges each.
func FuzzCheckPath(f *testing.F) {
	for _, p := range append(append([]string{}, hostilePaths...), fairPaths...) {
		f.Add(p)
	}
	gitBin, _ := exec.LookPath("git")
	dir := f.TempDir()
	if gitBin != "" {
		if out, err := exec.Command("git", "init", "-q", "--bare", dir).CombinedOutput(); err != nil {
			f.Fatalf("git init: %v %s", err, out)
		}
		// The oracle can tell: git keeps a fair path and drops these.
		if !gitKeeps(f, dir, "a/b.txt") || gitKeeps(f, dir, ".git./y") || gitKeeps(f, dir, "git~1/y") || gitKeeps(f, dir, ".g\u200cit/y") {
			f.Fatal("git's verify_path does not judge as this test expects")
		}
	}
	f.Fuzz(func(t *testing.T, p string) {
		err := CheckPath(p)
		if err != nil {
			return
		}
		for _, seg := range strings.Split(p, "/") {
			if isDotGit(seg, "git", "git~1") || seg == "" || seg == ".." {
				t.Fatalf("CheckPath(%q) accepted segment %q", p, seg)
			}
		}
		if gitBin != "" && !gitKeeps(t, dir, p) {
			t.Fatalf("CheckPath(%q) accepted a path git drops", p)
		}
	})
}
