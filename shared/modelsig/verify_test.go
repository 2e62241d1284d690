package modelsig_test

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/base64"
	"encoding/pem"
	"math/big"
	"strings"
	"testing"
	"time"

	"github.com/hubsec/trustlayer/shared/modelsig"
)

func genKey(t testing.TB, c elliptic.Curve) *ecdsa.PrivateKey {
	k, err := ecdsa.GenerateKey(c, rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

func model() map[string][]byte {
	return map[string][]byte{
		"config.json":              []byte(`{"architectures":["Tiny"]}`),
		"model.safetensors":        []byte(strings.Repeat("weights!", 300)),
		"tokenizer/vocab.txt":      []byte("a\nb\nc\n"),
		"README.md":                []byte("# tiny\n"),
		".gitattributes":           []byte("*.safetensors filter=lfs\n"),
		".github/workflows/ci.yml": []byte("on: push\n"),
	}
}

func withSig(files map[string][]byte, sig []byte) map[string][]byte {
	out := map[string][]byte{modelsig.BundlePath: sig}
	for k, v := range files {
		out[k] = v
	}
	return out
}

// signed is files minus the default exclusions, as the signer hashes them.
func signed(files map[string][]byte, ignore ...string) map[string][]byte {
	out := map[string][]byte{}
next:
	for k, v := range files {
		if strings.HasPrefix(k, ".git") {
			continue
		}
		for _, i := range ignore {
			if k == i || strings.HasPrefix(k, i+"/") {
				continue next
			}
		}
		out[k] = v
	}
	return out
}

func verify(t *testing.T, bundle []byte, files map[string][]byte) (modelsig.Record, *dirOpener) {
	t.Helper()
	tr, op := memTree(withSig(files, bundle))
	rec, err := modelsig.Verify(context.Background(), modelsig.Input{Commit: "c", Bundle: bundle, Tree: tr, Open: op, Now: time.Now()})
	if err != nil {
		t.Fatal(err)
	}
	return rec, op
}

func keyNS(pems ...string) modelsig.Namespace {
	ns := modelsig.Namespace{Type: "user", Name: "alice"}
	for i, p := range pems {
		ns.Signers = append(ns.Signers, modelsig.Signer{ID: "s" + itoa(int64(i)), Type: "key", PublicKey: p})
	}
	return ns
}

// TestKeyEachCurve: a bundle signed with a key on each curve, named by
// hint or carried as rawBytes, is verified only against the namespace's
// own copy of the key; adding and removing the key flips untrusted and
// verified; another trusted key with the same hint claim cannot pass.
func TestKeyEachCurve(t *testing.T) {
	files := model()
	for _, c := range []elliptic.Curve{elliptic.P256(), elliptic.P384(), elliptic.P521()} {
		for _, raw := range []bool{false, true} {
			t.Run(c.Params().Name+map[bool]string{false: "/hint", true: "/rawBytes"}[raw], func(t *testing.T) {
				k := genKey(t, c)
				b := keyBundle(t, k, statement(t, manifest{method: "files", hash: "sha256"}, signed(files)), raw)
				rec, _ := verify(t, b, files)
				if rec.Status != modelsig.Pending || rec.Files.Signed != 4 || rec.Files.Verified != 4 || len(rec.Files.Ignored) != 2 {
					t.Fatalf("%s %q %+v", rec.Status, rec.Reason, rec.Files)
				}
				other := genKey(t, c)
				if v := modelsig.Judge(rec, keyNS(pubPEM(t, other)), time.Now()); v.Status != modelsig.Untrusted {
					t.Fatalf("other key trusted: %s, want untrusted", v.Status)
				}
				v := modelsig.Judge(rec, keyNS(pubPEM(t, other), pubPEM(t, k)), time.Now())
				if v.Status != modelsig.Verified || v.TrustedBy.SignerID != "s1" || v.TrustedBy.Name != "alice" {
					t.Fatalf("%+v, want verified by s1", v)
				}
				if v := modelsig.Judge(rec, keyNS(), time.Now()); v.Status != modelsig.Untrusted {
					t.Fatalf("after removing: %s", v.Status)
				}
			})
		}
	}
}

// TestKeySignatureForged: a hint naming a trusted key over a signature
// that key did not make is invalid (found when read, since the hint alone
// names no key at push); a rawBytes key that did not sign is invalid at
// push.
func TestKeySignatureForged(t *testing.T) {
	files := model()
	k, mallory := genKey(t, elliptic.P256()), genKey(t, elliptic.P256())
	payload := statement(t, manifest{method: "files", hash: "sha256"}, signed(files))
	der, _ := x509.MarshalPKIXPublicKey(&k.PublicKey)
	forged := envelope(t, map[string]any{"publicKey": map[string]any{"hint": modelsig.KeyFingerprint(der)}}, payload, signDSSE(t, mallory, payload))
	rec, _ := verify(t, forged, files)
	if v := modelsig.Judge(rec, keyNS(pubPEM(t, k)), time.Now()); v.Status != modelsig.Invalid || !strings.Contains(v.Reason, "bad signature") {
		t.Fatalf("%+v, want invalid", v)
	}
	forged = envelope(t, map[string]any{"publicKey": map[string]any{"rawBytes": base64.StdEncoding.EncodeToString(der)}}, payload, signDSSE(t, mallory, payload))
	if rec, _ := verify(t, forged, files); rec.Status != modelsig.Invalid {
		t.Fatalf("%s, want invalid", rec.Status)
	}
	// The payload changed after signing.
	b := keyBundle(t, k, payload, false)
	tampered := strings.Replace(string(b), base64.StdEncoding.EncodeToString(payload), base64.StdEncoding.EncodeToString(append(payload, ' ')), 1)
	rec, _ = verify(t, []byte(tampered), files)
	if v := modelsig.Judge(rec, keyNS(pubPEM(t, k)), time.Now()); v.Status != modelsig.Invalid {
		t.Fatalf("tampered payload: %+v", v)
	}
}

// TestTreeDifferences: a changed file, a missing one, an extra unsigned
// one; an ignored path; each listed by name.
func TestTreeDifferences(t *testing.T) {
	k := genKey(t, elliptic.P384())
	files := model()
	files["cache/x.bin"] = []byte("scratch")
	b := keyBundle(t, k, statement(t, manifest{method: "files", hash: "sha256", ignore: []string{"cache", modelsig.BundlePath}}, signed(files, "cache")), false)
	ns := keyNS(pubPEM(t, k))

	rec, _ := verify(t, b, files)
	if v := modelsig.Judge(rec, ns, time.Now()); v.Status != modelsig.Verified || strings.Join(rec.Files.Ignored, ",") != ".gitattributes,.github/workflows/ci.yml,cache/x.bin" {
		t.Fatalf("%+v %+v", v, rec.Files)
	}
	tampered := model()
	tampered["cache/x.bin"] = []byte("other scratch: ignored")
	tampered["config.json"] = []byte(`{"architectures":["Evil"]}`)
	delete(tampered, "README.md")
	tampered["extra.py"] = []byte("import os")
	tampered["sub/cache"] = []byte("not the ignored path")
	rec, _ = verify(t, b, tampered)
	v := modelsig.Judge(rec, ns, time.Now())
	if v.Status != modelsig.Mismatch || strings.Join(rec.Files.Mismatched, ",") != "config.json" || strings.Join(rec.Files.Missing, ",") != "README.md" ||
		strings.Join(rec.Files.Unsigned, ",") != "extra.py,sub/cache" || rec.Files.Verified != 2 {
		t.Fatalf("%+v %+v", v, rec.Files)
	}
	if !strings.Contains(v.Reason, "config.json") {
		t.Fatalf("reason %q", v.Reason)
	}
}

// TestHashesAndShards: blake2b and blake3 files, and shards under each
// hash, read the bytes and verify; a changed byte in the last shard is a
// mismatch.
func TestHashesAndShards(t *testing.T) {
	k := genKey(t, elliptic.P256())
	ns := keyNS(pubPEM(t, k))
	for _, m := range []manifest{
		{method: "files", hash: "blake2b"}, {method: "files", hash: "blake3"},
		{method: "shards", hash: "sha256", shard: 1000}, {method: "shards", hash: "blake3", shard: 7},
	} {
		t.Run(m.method+"/"+m.hash, func(t *testing.T) {
			files := model()
			files["empty.txt"] = []byte{}
			b := keyBundle(t, k, statement(t, m, signed(files)), false)
			rec, op := verify(t, b, files)
			if v := modelsig.Judge(rec, ns, time.Now()); v.Status != modelsig.Verified {
				t.Fatalf("%+v %+v", v, rec.Files)
			}
			if op.opens.Load() == 0 {
				t.Fatal("no byte was read")
			}
			w := []byte(strings.Repeat("weights!", 300))
			w[len(w)-1] = '?'
			files["model.safetensors"] = w
			rec, _ = verify(t, b, files)
			if rec.Status != modelsig.Mismatch || strings.Join(rec.Files.Mismatched, ",") != "model.safetensors" {
				t.Fatalf("%s %+v", rec.Status, rec.Files)
			}
		})
	}
}

// TestLFSByPointer: an LFS file under sha256/files is checked by its
// pointer's oid: no byte of it is read; a pointer to other bytes is a
// mismatch.
func TestLFSByPointer(t *testing.T) {
	k := genKey(t, elliptic.P256())
	files := model()
	big := []byte(strings.Repeat("weights!", 300))
	b := keyBundle(t, k, statement(t, manifest{method: "files", hash: "sha256"}, signed(files)), false)
	tr, op := memTree(withSig(files, b))
	for i := range tr {
		if tr[i].Path == "model.safetensors" {
			tr[i].LFS = &modelsig.LFSObject{OID: sha(big), Size: int64(len(big))}
			tr[i].SHA256 = sha([]byte("version https://git-lfs.github.com/spec/v1\n..."))
		}
	}
	rec, err := modelsig.Verify(context.Background(), modelsig.Input{Bundle: b, Tree: tr, Open: op, Now: time.Now()})
	if err != nil || rec.Status != modelsig.Pending || rec.Files.Verified != 4 {
		t.Fatalf("%v %s %+v", err, rec.Status, rec.Files)
	}
	if n := op.opens.Load(); n != 0 {
		t.Fatalf("%d reads, want none", n)
	}
	for i := range tr {
		if tr[i].LFS != nil {
			tr[i].LFS.OID = sha([]byte("other"))
		}
	}
	rec, _ = modelsig.Verify(context.Background(), modelsig.Input{Bundle: b, Tree: tr, Open: op, Now: time.Now()})
	if rec.Status != modelsig.Mismatch || op.lfsOpens.Load() != 0 {
		t.Fatalf("%s, %d LFS reads", rec.Status, op.lfsOpens.Load())
	}
}

type ca struct {
	cert *x509.Certificate
	key  *ecdsa.PrivateKey
}

func newCert(t *testing.T, tmpl *x509.Certificate, parent *ca, pub *ecdsa.PrivateKey) *ca {
	t.Helper()
	signer, p := pub, tmpl
	if parent != nil {
		signer, p = parent.key, parent.cert
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, p, &pub.PublicKey, signer)
	if err != nil {
		t.Fatal(err)
	}
	c, _ := x509.ParseCertificate(der)
	return &ca{cert: c, key: pub}
}

func caTmpl(cn string, n int64) *x509.Certificate {
	return &x509.Certificate{SerialNumber: big.NewInt(n), Subject: pkix.Name{CommonName: cn}, NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(24 * time.Hour),
		IsCA: true, BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign}
}

// TestCertificate: a leaf with code signing under an intermediate chains
// to the trusted root; a leaf for server auth only, an untrusted root, or
// a chain that does not link are refused.
func TestCertificate(t *testing.T) {
	root := newCert(t, caTmpl("root", 1), nil, genKey(t, elliptic.P384()))
	inter := newCert(t, caTmpl("inter", 2), root, genKey(t, elliptic.P384()))
	files := model()
	payload := statement(t, manifest{method: "files", hash: "sha256"}, signed(files))
	leafFor := func(eku x509.ExtKeyUsage) (*ca, []byte) {
		l := newCert(t, &x509.Certificate{SerialNumber: big.NewInt(3), Subject: pkix.Name{CommonName: "signer"}, NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
			KeyUsage: x509.KeyUsageDigitalSignature, ExtKeyUsage: []x509.ExtKeyUsage{eku}}, inter, genKey(t, elliptic.P521()))
		chain := []any{map[string]string{"rawBytes": base64.StdEncoding.EncodeToString(l.cert.Raw)}, map[string]string{"rawBytes": base64.StdEncoding.EncodeToString(inter.cert.Raw)}}
		return l, envelope(t, map[string]any{"x509CertificateChain": map[string]any{"certificates": chain}}, payload, signDSSE(t, l.key, payload))
	}
	trusted := modelsig.Namespace{Type: "org", Name: "acme", Signers: []modelsig.Signer{{ID: "ca1", Type: "certificate", CACertificates: string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: root.cert.Raw}))}}}
	_, b := leafFor(x509.ExtKeyUsageCodeSigning)
	rec, _ := verify(t, b, files)
	if v := modelsig.Judge(rec, trusted, time.Now()); v.Status != modelsig.Verified || rec.Signer.CertificateSubject != "CN=signer" || rec.Signer.CertificateIssuer != "CN=inter" {
		t.Fatalf("%+v %+v", v, rec.Signer)
	}
	if v := modelsig.Judge(rec, trusted, time.Now().Add(48*time.Hour)); v.Status != modelsig.Untrusted {
		t.Fatalf("after expiry: %s", v.Status)
	}
	other := newCert(t, caTmpl("root", 9), nil, genKey(t, elliptic.P256()))
	if v := modelsig.Judge(rec, modelsig.Namespace{Signers: []modelsig.Signer{{Type: "certificate", CACertificates: string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: other.cert.Raw}))}}}, time.Now()); v.Status != modelsig.Untrusted {
		t.Fatalf("other root: %s", v.Status)
	}
	_, b = leafFor(x509.ExtKeyUsageServerAuth)
	rec, _ = verify(t, b, files)
	if v := modelsig.Judge(rec, trusted, time.Now()); v.Status != modelsig.Untrusted {
		t.Fatalf("server-auth leaf: %s", v.Status)
	}
	// A chain whose intermediate did not sign the leaf.
	l, _ := leafFor(x509.ExtKeyUsageCodeSigning)
	chain := []any{map[string]string{"rawBytes": base64.StdEncoding.EncodeToString(l.cert.Raw)}, map[string]string{"rawBytes": base64.StdEncoding.EncodeToString(other.cert.Raw)}}
	b = envelope(t, map[string]any{"x509CertificateChain": map[string]any{"certificates": chain}}, payload, signDSSE(t, l.key, payload))
	if rec, _ := verify(t, b, files); rec.Status != modelsig.Invalid || !strings.Contains(rec.Reason, "not signed by") {
		t.Fatalf("%s %q", rec.Status, rec.Reason)
	}
}

// TestStatementRules: the statement and predicate checks, each refused
// with its reason.
func TestStatementRules(t *testing.T) {
	good := func() map[string]any {
		return map[string]any{"_type": modelsig.StatementType, "predicateType": modelsig.PredicateType,
			"subject": []any{map[string]any{"name": "m", "digest": map[string]string{"sha256": "72cd6e8422c407fb6d098690f1130b7ded7ec2f7f5e1d30bd9d521f015363793"}}},
			"predicate": map[string]any{"resources": []any{map[string]any{"name": "a", "algorithm": "sha256", "digest": strings.Repeat("01", 32)}},
				"serialization": map[string]any{"method": "files", "hash_type": "sha256", "allow_symlinks": false}}}
	}
	res := func(m map[string]any) map[string]any {
		return m["predicate"].(map[string]any)["resources"].([]any)[0].(map[string]any)
	}
	cases := map[string]func(m map[string]any){
		"_type":          func(m map[string]any) { m["_type"] = "https://in-toto.io/Statement/v0.1" },
		"predicateType":  func(m map[string]any) { m["predicateType"] = "x" },
		"not the root":   func(m map[string]any) { res(m)["digest"] = strings.Repeat("02", 32) },
		"has a .. comp":  func(m map[string]any) { res(m)["name"] = "../etc/passwd" },
		"absolute":       func(m map[string]any) { res(m)["name"] = "/etc/passwd" },
		"not normalized": func(m map[string]any) { res(m)["name"] = "a//b" },
		"hash_type":      func(m map[string]any) { res(m)["algorithm"] = "md5" },
		"is not sha256": func(m map[string]any) {
			m["predicate"].(map[string]any)["serialization"].(map[string]any)["hash_type"] = "md5"
		},
		"hex digest": func(m map[string]any) { res(m)["digest"] = "0102" },
		"not sorted": func(m map[string]any) {
			r := m["predicate"].(map[string]any)
			r["resources"] = append(r["resources"].([]any), res(m))
		},
		"resources is emp": func(m map[string]any) { m["predicate"].(map[string]any)["resources"] = []any{} },
		"shard_size": func(m map[string]any) {
			m["predicate"].(map[string]any)["serialization"].(map[string]any)["method"] = "shards"
		},
	}
	if _, err := modelsig.ParseStatement(mustJSON(t, good())); err != nil {
		t.Fatalf("good statement: %v", err)
	}
	for want, mutate := range cases {
		m := good()
		mutate(m)
		_, err := modelsig.ParseStatement(mustJSON(t, m))
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%s: got %v", want, err)
		}
	}
}
