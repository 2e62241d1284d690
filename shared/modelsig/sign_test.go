package modelsig_test

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/rand"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"encoding/pem"
	"sort"
	"testing"

	"golang.org/x/crypto/blake2b"
	"lukechampine.com/blake3"

	"github.com/hubsec/trustlayer/shared/modelsig"
)

func sha(b []byte) string { s := sha256.Sum256(b); return hex.EncodeToString(s[:]) }

func digest(alg string, b []byte) string {
	switch alg {
	case "blake2b":
		s := blake2b.Sum512(b)
		return hex.EncodeToString(s[:])
	case "blake3":
		s := blake3.Sum256(b)
		return hex.EncodeToString(s[:])
	}
	return sha(b)
}

// manifest is what a signer hashes: files by method, as the reference
// tool's serializers do.
type manifest struct {
	method, hash string
	shard        int64
	ignore       []string
}

// statement builds the in-toto statement of files the way the reference
// tool does (resources sorted by name, root digest over raw digests).
func statement(t testing.TB, m manifest, files map[string][]byte) []byte {
	return statementOf(t, m, files, nil)
}

// statementDigests is statement for files known by their digests.
func statementDigests(t testing.TB, m manifest, digests map[string]string) []byte {
	return statementOf(t, m, nil, digests)
}

func statementOf(t testing.TB, m manifest, files map[string][]byte, digests map[string]string) []byte {
	t.Helper()
	type res struct {
		Name      string `json:"name"`
		Algorithm string `json:"algorithm"`
		Digest    string `json:"digest"`
	}
	var rs []res
	for name, d := range digests {
		rs = append(rs, res{Name: name, Algorithm: m.hash, Digest: d})
	}
	for name, b := range files {
		if m.method == "shards" {
			for off := int64(0); off < int64(len(b)); off += m.shard {
				end := min(off+m.shard, int64(len(b)))
				rs = append(rs, res{Name: name + ":" + itoa(off) + ":" + itoa(end), Algorithm: m.hash, Digest: digest(m.hash, b[off:end])})
			}
			continue
		}
		rs = append(rs, res{Name: name, Algorithm: m.hash, Digest: digest(m.hash, b)})
	}
	sort.Slice(rs, func(i, j int) bool { return rs[i].Name < rs[j].Name })
	h := sha256.New()
	for _, r := range rs {
		raw, _ := hex.DecodeString(r.Digest)
		h.Write(raw)
	}
	ser := map[string]any{"method": m.method, "hash_type": m.hash, "allow_symlinks": false}
	if m.method == "shards" {
		ser["shard_size"] = m.shard
	}
	if m.ignore != nil {
		ser["ignore_paths"] = m.ignore
	}
	st := map[string]any{
		"_type":         modelsig.StatementType,
		"subject":       []any{map[string]any{"name": "model", "digest": map[string]string{"sha256": hex.EncodeToString(h.Sum(nil))}}},
		"predicateType": modelsig.PredicateType,
		"predicate":     map[string]any{"resources": rs, "serialization": ser},
	}
	b, err := json.Marshal(st)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func itoa(n int64) string { return json.Number(jsonInt(n)).String() }

func jsonInt(n int64) string { b, _ := json.Marshal(n); return string(b) }

func curveHash(k *ecdsa.PrivateKey) crypto.Hash {
	switch k.Curve.Params().BitSize {
	case 384:
		return crypto.SHA384
	case 521:
		return crypto.SHA512
	}
	return crypto.SHA256
}

// signDSSE signs the PAE of payload with k (the curve's hash, ASN.1).
func signDSSE(t testing.TB, k *ecdsa.PrivateKey, payload []byte) []byte {
	t.Helper()
	h := curveHash(k).New()
	h.Write(modelsig.PAE(payload))
	sig, err := ecdsa.SignASN1(rand.Reader, k, h.Sum(nil))
	if err != nil {
		t.Fatal(err)
	}
	return sig
}

func pubPEM(t testing.TB, k *ecdsa.PrivateKey) string {
	der, err := x509.MarshalPKIXPublicKey(&k.PublicKey)
	if err != nil {
		t.Fatal(err)
	}
	return string(pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der}))
}

// keyBundle is a key-method model.sig as the reference tool v1.1+ writes
// it (hint), or as before (rawBytes).
func keyBundle(t testing.TB, k *ecdsa.PrivateKey, payload []byte, raw bool) []byte {
	der, _ := x509.MarshalPKIXPublicKey(&k.PublicKey)
	pk := map[string]any{"hint": modelsig.KeyFingerprint(der)}
	if raw {
		pk = map[string]any{"rawBytes": base64.StdEncoding.EncodeToString(der), "keyDetails": "PKIX_ECDSA_P256_SHA_256"}
	}
	return envelope(t, map[string]any{"publicKey": pk, "tlogEntries": []any{}}, payload, signDSSE(t, k, payload))
}

func envelope(t testing.TB, vm map[string]any, payload, sig []byte) []byte {
	b, err := json.Marshal(map[string]any{
		"mediaType":            "application/vnd.dev.sigstore.bundle.v0.3+json",
		"verificationMaterial": vm,
		"dsseEnvelope": map[string]any{
			"payload":     base64.StdEncoding.EncodeToString(payload),
			"payloadType": modelsig.InTotoPayloadType,
			"signatures":  []any{map[string]any{"sig": base64.StdEncoding.EncodeToString(sig), "keyid": ""}},
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	return b
}
