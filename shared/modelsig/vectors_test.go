package modelsig_test

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/hubsec/trustlayer/shared/modelsig"
	"github.com/hubsec/trustlayer/shared/modelsig/modelsigstore"
)

func read(t *testing.T, p string) []byte {
	t.Helper()
	b, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// tree reads a directory as a commit's tree; skip names files left out.
func tree(t *testing.T, dir string, skip ...string) []modelsig.File {
	t.Helper()
	var out []modelsig.File
	ents, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
next:
	for _, e := range ents {
		for _, s := range skip {
			if e.Name() == s {
				continue next
			}
		}
		b := read(t, filepath.Join(dir, e.Name()))
		out = append(out, modelsig.File{Path: e.Name(), Mode: "100644", Size: int64(len(b)), SHA256: sha(b)})
	}
	return out
}

// referenceSigners are the signers the reference tool's tests verify
// against: its public key, its root CA, and the identity of its keyless
// signatures.
func referenceSigners(t *testing.T) modelsig.Namespace {
	keys := "testdata/reference/keys/"
	return modelsig.Namespace{Type: "org", Name: "ref", Signers: []modelsig.Signer{
		{ID: "k", Type: "key", PublicKey: string(read(t, keys+"signing-key-pub.pem"))},
		{ID: "c", Type: "certificate", CACertificates: string(read(t, keys+"ca-cert.pem"))},
		{ID: "s", Type: "sigstore", Identity: "stefanb@us.ibm.com", Issuer: "https://sigstore.verify.ibm.com/oauth2"},
	}}
}

func publicGood(t *testing.T) modelsig.SigstoreVerifier {
	t.Helper()
	v, err := modelsigstore.FromEnv()
	if err != nil {
		t.Fatal(err)
	}
	return v
}

// TestReferenceToolBundles: every bundle the reference tool (v0.2.0 to
// v1.1.0) wrote for its compatibility tests verifies, offline, with the
// method its directory names, against the signers its tests use; trust
// is judged from the namespace's list only.
func TestReferenceToolBundles(t *testing.T) {
	dirs, _ := filepath.Glob("testdata/reference/v*")
	if len(dirs) != 13 {
		t.Fatalf("found %d reference bundles, want 13", len(dirs))
	}
	ss := publicGood(t)
	for _, dir := range dirs {
		name := filepath.Base(dir)
		t.Run(name, func(t *testing.T) {
			want := map[string]string{"elliptic-key": "key", "certificate": "certificate", "sigstore": "sigstore"}[name[strings.Index(name, "-")+1:]]
			rec, err := modelsig.Verify(context.Background(), modelsig.Input{Commit: "c", Bundle: read(t, dir+"/model.sig"), Tree: tree(t, dir), Sigstore: ss, Now: time.Now()})
			if err != nil {
				t.Fatal(err)
			}
			if rec.Method != want {
				t.Fatalf("method %q, want %q (%s)", rec.Method, want, rec.Reason)
			}
			// Bundles before v1.1.0 record no ignore_paths: the tool's
			// tests passed --ignore-paths ignore-me on the command line,
			// which a repository cannot, so ignore-me is unsigned.
			_, hasIgnore := os.Stat(dir + "/ignore-me")
			if hasIgnore == nil && !strings.HasPrefix(name, "v1.1.0") {
				if rec.Status != modelsig.Mismatch || strings.Join(rec.Files.Unsigned, ",") != "ignore-me" {
					t.Fatalf("with ignore-me: %s %q %+v, want mismatch listing ignore-me unsigned", rec.Status, rec.Reason, rec.Files)
				}
				rec, err = modelsig.Verify(context.Background(), modelsig.Input{Commit: "c", Bundle: read(t, dir+"/model.sig"), Tree: tree(t, dir, "ignore-me"), Sigstore: ss, Now: time.Now()})
				if err != nil {
					t.Fatal(err)
				}
			}
			if name == "v0.3.1-elliptic-key" || name == "v1.0.0-elliptic-key" {
				// These sign one file (the tool's tests verify signme-1
				// alone, resource "."), not a repository.
				if rec.Status != modelsig.Mismatch || !strings.Contains(rec.Reason, "single file") {
					t.Fatalf("single-file signature: %s %q, want mismatch", rec.Status, rec.Reason)
				}
				return
			}
			if rec.Status != modelsig.Pending {
				t.Fatalf("status %s (%s), want pending before trust", rec.Status, rec.Reason)
			}
			if v := modelsig.Judge(rec, modelsig.Namespace{Type: "user", Name: "nobody"}, time.Now()); v.Status != modelsig.Untrusted {
				t.Fatalf("with no signer trusted: %s, want untrusted", v.Status)
			}
			v := modelsig.Judge(rec, referenceSigners(t), time.Now())
			if v.Status != modelsig.Verified || v.TrustedBy == nil || v.TrustedBy.SignerID != want[:1] {
				t.Fatalf("judged %+v, want verified by signer %q", v, want[:1])
			}
			if want == "sigstore" && (rec.Signer.Identity != "stefanb@us.ibm.com" || rec.Signer.TlogIndex == nil || rec.Signer.SignedAt == nil) {
				t.Fatalf("signer %+v", rec.Signer)
			}
			if hasIgnore == nil && strings.HasPrefix(name, "v1.1.0") && strings.Join(rec.Files.Ignored, ",") != "ignore-me" {
				t.Fatalf("ignored %v, want ignore-me", rec.Files.Ignored)
			}
		})
	}
}

// TestSpecVectors: the spec repository's test vectors. The valid bundles
// sign the reference tool's v1.1.0 files; each invalid one is refused
// with the reason that names its defect.
func TestSpecVectors(t *testing.T) {
	ss := publicGood(t)
	cases := []struct {
		file, files, status, method, reason string
	}{
		{"valid/key.bundle.json", "v1.1.0-elliptic-key", modelsig.Verified, "key", ""},
		{"valid/certificate.bundle.json", "v1.1.0-elliptic-key", modelsig.Verified, "certificate", ""},
		{"valid/sigstore.bundle.json", "v1.1.0-sigstore", modelsig.Verified, "sigstore", ""},
		{"invalid/empty.bundle.json", "v1.1.0-elliptic-key", modelsig.Invalid, "", "not a JSON object"},
		{"invalid/missing-envelope.bundle.json", "v1.1.0-elliptic-key", modelsig.Invalid, "", "no dsseEnvelope"},
		{"invalid/missing-tlog-entries.bundle.json", "v1.1.0-sigstore", modelsig.Invalid, "", "transparency log entry"},
		{"invalid/missing-verification-material.bundle.json", "v1.1.0-elliptic-key", modelsig.Invalid, "", "no verificationMaterial"},
		{"invalid-payload/wrong-predicate.bundle.json", "v1.1.0-elliptic-key", modelsig.Invalid, "key", "predicateType"},
	}
	for _, c := range cases {
		t.Run(c.file, func(t *testing.T) {
			rec, err := modelsig.Verify(context.Background(), modelsig.Input{Commit: "c", Bundle: read(t, "testdata/spec/"+c.file), Tree: tree(t, "testdata/reference/"+c.files, "model.sig"), Sigstore: ss, Now: time.Now()})
			if err != nil {
				t.Fatal(err)
			}
			v := modelsig.Judge(rec, referenceSigners(t), time.Now())
			if v.Status != c.status || rec.Method != c.method || !strings.Contains(v.Reason, c.reason) {
				t.Fatalf("got %s/%s %q, want %s/%s with %q", v.Status, rec.Method, v.Reason, c.status, c.method, c.reason)
			}
		})
	}
}

// TestSigstoreTampered: the reference tool's keyless bundle with one
// byte of its payload changed fails the Sigstore check (the Rekor entry
// and the signature cover it); its files changed are a mismatch.
func TestSigstoreTampered(t *testing.T) {
	ss := publicGood(t)
	dir := "testdata/reference/v1.1.0-sigstore"
	b := read(t, dir+"/model.sig")
	var j map[string]any
	if err := json.Unmarshal(b, &j); err != nil {
		t.Fatal(err)
	}
	env := j["dsseEnvelope"].(map[string]any)
	p, _ := base64.StdEncoding.DecodeString(env["payload"].(string))
	env["payload"] = base64.StdEncoding.EncodeToString([]byte(strings.Replace(string(p), "signme-2", "signme-3", 1)))
	bad, _ := json.Marshal(j)
	rec, err := modelsig.Verify(context.Background(), modelsig.Input{Bundle: bad, Tree: tree(t, dir), Sigstore: ss, Now: time.Now()})
	if err != nil || rec.Status != modelsig.Invalid || !strings.Contains(rec.Reason, "Sigstore") {
		t.Fatalf("%v %s %q", err, rec.Status, rec.Reason)
	}
	files := tree(t, dir)
	for i := range files {
		if files[i].Path == "signme-2" {
			files[i].SHA256 = sha([]byte("changed"))
		}
	}
	rec, _ = modelsig.Verify(context.Background(), modelsig.Input{Bundle: b, Tree: files, Sigstore: ss, Now: time.Now()})
	if rec.Status != modelsig.Mismatch || strings.Join(rec.Files.Mismatched, ",") != "signme-2" {
		t.Fatalf("%s %+v", rec.Status, rec.Files)
	}
	// Without a keyless verifier, a keyless bundle is invalid, not trusted.
	rec, _ = modelsig.Verify(context.Background(), modelsig.Input{Bundle: b, Tree: tree(t, dir)})
	if rec.Status != modelsig.Invalid {
		t.Fatalf("%s", rec.Status)
	}
}
