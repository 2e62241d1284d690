package signature_test

import (
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/hubsec/trustlayer/shared/gitobject/gittest"
)

// world is a set of real keys, repositories and signed objects made with
// git, gpg and ssh-keygen, plus the directory that knows the keys.
type world struct {
	e       *gittest.Env
	sha1    *gittest.Repo
	sha256  *gittest.Repo
	allowed string // ssh allowed signers file for git verify-commit
	dir     *fakeDir
	fprs    map[string]string // name -> gpg fingerprint
	sshKeys map[string]string // name -> public key file
}

func person(name string) (string, string) { return name, name + "@example.com" }

func (w *world) gpgSigner(name string, at int64) gittest.Signer {
	return gittest.Signer{Format: "openpgp", Key: w.fprs[name], At: at}
}

func (w *world) sshSigner(name string) gittest.Signer {
	return gittest.Signer{Format: "ssh", Key: w.sshKeys[name]}
}

// t0 is the faked creation time of the keys whose lifetimes matter.
var t0 = time.Now().Add(-10 * 24 * time.Hour).Unix()

// newWorld generates the keys: alice (ed25519), rita (rsa3072), sam
// (certify-only primary + signing subkey), mallory (not uploaded), exp
// (expired before it signed), late (expired after it signed), rev
// (revoked), and the SSH keys bob (uploaded) and ghost (not uploaded).
func newWorld(t testing.TB) *world {
	e := gittest.New(t)
	w := &world{e: e, dir: newDir(), fprs: map[string]string{}, sshKeys: map[string]string{}}
	gen := func(name, algo, usage, expire string, at int64) {
		_, email := person(name)
		w.fprs[name] = e.GenKey(name+" <"+email+">", algo, usage, expire, at)
	}
	gen("alice", "ed25519", "sign", "never", 0)
	gen("rita", "rsa3072", "sign", "never", 0)
	gen("sam", "ed25519", "cert", "never", 0)
	e.AddSubkey(w.fprs["sam"], "ed25519", "sign", "never", 0)
	gen("mallory", "ed25519", "sign", "never", 0)
	gen("exp", "ed25519", "sign", "never", t0)
	gen("late", "ed25519", "sign", "seconds=86400", t0)
	gen("rev", "ed25519", "sign", "never", 0)
	for _, name := range []string{"bob", "ghost"} {
		_, pub := e.SSHKey(name, "ed25519")
		w.sshKeys[name] = filepath.Join(e.Root, name+".pub")
		if name == "bob" {
			w.dir.addSSH(t, "bob", pub)
			w.allowed = filepath.Join(e.Root, "allowed_signers")
			if err := os.WriteFile(w.allowed, []byte("* namespaces=\"git\" "+pub+"\n"), 0o600); err != nil {
				t.Fatal(err)
			}
		}
	}
	w.sha1 = e.NewRepo("r1", "sha1")
	w.sha256 = e.NewRepo("r2", "sha256")
	return w
}

// upload exports the named keys into the directory and gives each account
// its own verified email.
func (w *world) upload(t testing.TB, names ...string) {
	for _, name := range names {
		w.dir.addGPG(t, name, w.e.Export(w.fprs[name]))
	}
	for _, name := range []string{"alice", "rita", "sam", "exp", "late", "rev", "bob", "mallory"} {
		_, email := person(name)
		w.dir.emails[email] = owner{account: name, verified: true}
	}
}
