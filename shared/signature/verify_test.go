package signature_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/hubsec/trustlayer/shared/gitobject"
	"github.com/hubsec/trustlayer/shared/gitobject/gittest"
	"github.com/hubsec/trustlayer/shared/signature"
)

// object is one raw object under test and the repository it lives in.
type object struct {
	kind signature.ObjectKind
	raw  []byte
	repo *gittest.Repo
}

func TestVerifyAgainstGit(t *testing.T) {
	w := newWorld(t)
	r1, r2 := w.sha1, w.sha256
	none := gittest.Signer{}
	commit := func(r *gittest.Repo, name, email string, s gittest.Signer, msg string, opts ...string) object {
		id := r.Commit(name, email, s, msg, opts...)
		return object{signature.Commit, r.CatFile("commit", id), r}
	}
	objs := map[string]object{}
	objs["alice"] = commit(r1, "Alice", "alice@example.com", w.gpgSigner("alice", 0), "alice signs")
	objs["rita"] = commit(r1, "Rita", "rita@example.com", w.gpgSigner("rita", 0), "rsa signs")
	objs["sam"] = commit(r1, "Sam", "sam@example.com", w.gpgSigner("sam", 0), "subkey signs")
	objs["unsigned"] = commit(r1, "Alice", "alice@example.com", none, "not signed")
	objs["mallory"] = commit(r1, "Mallory", "mallory@example.com", w.gpgSigner("mallory", 0), "unknown key")
	objs["alice2"] = commit(r1, "Alice", "alice2@example.com", w.gpgSigner("alice", 0), "email not on key")
	objs["exp"] = commit(r1, "Exp", "exp@example.com", w.gpgSigner("exp", t0+2*86400), "signed after expiry")
	objs["late"] = commit(r1, "Late", "late@example.com", w.gpgSigner("late", t0+3600), "expired after signing")
	objs["rev"] = commit(r1, "Rev", "rev@example.com", w.gpgSigner("rev", 0), "revoked later")
	objs["encoding"] = commit(r1, "Alice", "alice@example.com", w.gpgSigner("alice", 0), "caf\xe9", "-c", "i18n.commitEncoding=ISO-8859-1")
	objs["ssh"] = commit(r1, "Bob", "bob@example.com", w.sshSigner("bob"), "ssh signs")
	objs["ssh-ghost"] = commit(r1, "Ghost", "bob@example.com", w.sshSigner("ghost"), "unknown ssh key")
	objs["ssh-alice-email"] = commit(r1, "Bob", "alice@example.com", w.sshSigner("bob"), "bob's key, alice's email")
	objs["sha256"] = commit(r2, "Alice", "alice@example.com", w.gpgSigner("alice", 0), "sha256 repo")

	// A signed merge of a signed tag: the commit carries a mergetag header.
	r1.Git("Alice", "alice@example.com", none, "checkout", "-q", "-b", "side")
	r1.Commit("Alice", "alice@example.com", none, "side work")
	r1.Git("Alice", "alice@example.com", w.gpgSigner("alice", 0), "tag", "-s", "v1", "-m", "release v1")
	r1.Git("Alice", "alice@example.com", none, "checkout", "-q", "main")
	r1.Git("Alice", "alice@example.com", w.gpgSigner("alice", 0), "merge", "-q", "--no-ff", "-S", "-m", "merge v1", "v1")
	objs["merge"] = object{signature.Commit, r1.CatFile("commit", "HEAD"), r1}
	objs["tag"] = object{signature.Tag, r1.CatFile("tag", "v1"), r1}

	// Edited after signing.
	alice := objs["alice"].raw
	objs["tampered"] = object{signature.Commit, bytes.Replace(alice, []byte("alice signs"), []byte("alice signz"), 1), r1}
	objs["x509"] = object{signature.Commit, swapSignature(t, alice, "-----BEGIN SIGNED MESSAGE-----\n MIAGCSqGSIb3DQEHAqCAMIACAQEx\n -----END SIGNED MESSAGE-----\n"), r1}
	objs["malformed"] = object{signature.Commit, swapSignature(t, alice, "-----BEGIN PGP SIGNATURE-----\n \n bm90IGEgc2lnbmF0dXJl\n -----END PGP SIGNATURE-----\n"), r1}

	// Key changes after signing: exp gets a new self-signature (dated
	// t0+1h) that makes it expire a minute later, before it signed at
	// t0+2d; rev is revoked.
	w.e.GPG(t0+3600, "--quick-set-expire", w.fprs["exp"], "seconds=60")
	w.e.Revoke(w.fprs["rev"])
	w.upload(t, "alice", "rita", "sam", "exp", "late", "rev")
	base := w.dir.with("alice2@example.com", "alice", true)

	tests := []struct {
		name    string
		obj     string
		dir     *fakeDir
		status  signature.Status
		reason  signature.Reason
		sigType signature.SignatureType
		account string
	}{
		{"ed25519", "alice", base, signature.StatusVerified, signature.ReasonValid, signature.TypeGPG, "alice"},
		{"rsa3072", "rita", base, signature.StatusVerified, signature.ReasonValid, signature.TypeGPG, "rita"},
		{"signing subkey", "sam", base, signature.StatusVerified, signature.ReasonValid, signature.TypeGPG, "sam"},
		{"unsigned", "unsigned", base, signature.StatusUnsigned, signature.ReasonUnsigned, "", ""},
		{"unknown key", "mallory", base, signature.StatusUnverified, signature.ReasonUnknownKey, signature.TypeGPG, ""},
		{"email not on key", "alice2", base, signature.StatusUnverified, signature.ReasonBadEmail, signature.TypeGPG, "alice"},
		{"email unverified", "alice", base.with("alice@example.com", "alice", false), signature.StatusUnverified, signature.ReasonUnverifiedEmail, signature.TypeGPG, "alice"},
		{"email of another account", "alice", base.with("alice@example.com", "eve", true), signature.StatusUnverified, signature.ReasonOtherUser, signature.TypeGPG, "alice"},
		{"email of nobody", "alice", base.with("alice@example.com", "", false), signature.StatusUnverified, signature.ReasonNoUser, signature.TypeGPG, "alice"},
		{"tampered", "tampered", base, signature.StatusUnverified, signature.ReasonInvalid, signature.TypeGPG, ""},
		{"expired at signing", "exp", base, signature.StatusUnverified, signature.ReasonExpiredKey, signature.TypeGPG, "exp"},
		{"expired after signing", "late", base, signature.StatusVerified, signature.ReasonValid, signature.TypeGPG, "late"},
		{"revoked", "rev", base, signature.StatusUnverified, signature.ReasonRevokedKey, signature.TypeGPG, "rev"},
		{"merge with mergetag", "merge", base, signature.StatusVerified, signature.ReasonValid, signature.TypeGPG, "alice"},
		{"encoding header", "encoding", base, signature.StatusVerified, signature.ReasonValid, signature.TypeGPG, "alice"},
		{"ssh", "ssh", base, signature.StatusVerified, signature.ReasonValid, signature.TypeSSH, "bob"},
		{"ssh unknown key", "ssh-ghost", base, signature.StatusUnverified, signature.ReasonUnknownKey, signature.TypeSSH, ""},
		{"ssh other user's email", "ssh-alice-email", base, signature.StatusUnverified, signature.ReasonOtherUser, signature.TypeSSH, "bob"},
		{"sha256 repository", "sha256", base, signature.StatusVerified, signature.ReasonValid, signature.TypeGPG, "alice"},
		{"signed tag", "tag", base, signature.StatusVerified, signature.ReasonValid, signature.TypeGPG, "alice"},
		{"x509", "x509", base, signature.StatusUnverified, signature.ReasonUnknownSignatureType, signature.TypeX509, ""},
		{"malformed", "malformed", base, signature.StatusUnverified, signature.ReasonMalformedSignature, signature.TypeGPG, ""},
	}
	now := time.Now()
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			o := objs[tt.obj]
			res, err := signature.Verify(context.Background(), o.raw, o.kind, tt.dir, now)
			if err != nil {
				t.Fatal(err)
			}
			if res.Status != tt.status || res.Reason != tt.reason || res.Verified != (tt.status == signature.StatusVerified) {
				t.Errorf("got %s/%s, want %s/%s", res.Status, res.Reason, tt.status, tt.reason)
			}
			if res.SignatureType != tt.sigType || res.AccountID != tt.account {
				t.Errorf("got type %q account %q, want %q %q", res.SignatureType, res.AccountID, tt.sigType, tt.account)
			}
			if res.Committer == nil || res.Committer.Unix != 1700000000 {
				t.Errorf("committer/tagger not reported: %+v", res.Committer)
			}
			if wantFormat := gitobject.Format(map[bool]string{true: "sha256", false: "sha1"}[o.repo == r2]); res.ObjectFormat != wantFormat {
				t.Errorf("format: got %s, want %s", res.ObjectFormat, wantFormat)
			}
			// Ground truth: store the object as is and let git judge it.
			id := o.repo.Write(string(o.kind), o.raw)
			if id != res.ObjectID {
				t.Errorf("object id: got %s, git says %s", res.ObjectID, id)
			}
			if res.Reason == signature.ReasonUnknownKey {
				return // gpg has every key; only the directory lacks it
			}
			gitOK, _, out := o.repo.Verify(string(o.kind), id, w.allowed)
			if gitOK != res.Reason.CryptoValid() {
				t.Errorf("cryptographic validity: ours %v (%s), git %v\n%s", res.Reason.CryptoValid(), res.Reason, gitOK, out)
			}
		})
	}
}

// swapSignature replaces the gpgsig block of a commit with block (already
// indented as continuation lines after the first line).
func swapSignature(t *testing.T, raw []byte, block string) []byte {
	t.Helper()
	start := bytes.Index(raw, []byte("\ngpgsig "))
	end := bytes.Index(raw, []byte("-----END PGP SIGNATURE-----\n"))
	if start < 0 || end < 0 {
		t.Fatal("no gpgsig block")
	}
	end += len("-----END PGP SIGNATURE-----\n")
	return append(append(append([]byte{}, raw[:start+1]...), "gpgsig "+block...), raw[end:]...)
}

func TestVerifyErrors(t *testing.T) {
	dir := newDir()
	_, err := signature.Verify(context.Background(), []byte("not a commit"), signature.Commit, dir, time.Now())
	var pe *gitobject.ParseError
	if !errors.As(err, &pe) {
		t.Fatalf("got %v, want a *gitobject.ParseError", err)
	}
	_, err = signature.Verify(context.Background(), []byte("x"), "blob", dir, time.Now())
	if !errors.Is(err, gitobject.ErrWrongKind) {
		t.Fatalf("got %v, want ErrWrongKind", err)
	}
}

func TestResultJSON(t *testing.T) {
	res, err := signature.Verify(context.Background(), readFile(t, "commit-unsigned.txt"), signature.Commit, newDir(), time.Unix(1700000000, 0))
	if err != nil {
		t.Fatal(err)
	}
	js, _ := json.Marshal(res)
	for _, want := range []string{`"status":"unsigned"`, `"reason":"unsigned"`, `"verified":false`, `"committer":{"name":"Alice"`, `"object_format":"sha1"`} {
		if !strings.Contains(string(js), want) {
			t.Errorf("JSON %s lacks %s", js, want)
		}
	}
}
