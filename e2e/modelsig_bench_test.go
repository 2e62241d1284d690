package e2e

import (
	"bufio"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"crypto/x509"
	"encoding/hex"
	"encoding/pem"
	"fmt"
	mrand "math/rand/v2"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/hubsec/trustlayer/shared/platform/testenv"
)

// BenchmarkPushSignedModel: a repository of 10 LFS files of 100 MiB
// (MODELSIG_BENCH_MIB changes the size) and a model.sig by a trusted key,
// pushed into two repositories of the same owner, one with
// requireSignedModels; then each round commits a changed README.md with
// a new signature and pushes it to both, alternating which goes first,
// so the time the policy adds to a push that moves main over those files
// is measured beside the same push without it. Reports the mean of each,
// the ratio, and the lowest and highest ratio of a round.
func BenchmarkPushSignedModel(b *testing.B) {
	s := stack{gateway: testenv.RequireEnv(b, "TRUSTLAYER_GATEWAY_URL"), internal: testenv.RequireEnv(b, "TRUSTLAYER_INTERNAL_URL"),
		bucket: testenv.RequireEnv(b, "TRUSTLAYER_BUCKET")}
	h := newHub(b)
	u := h.signup("msbench")
	tok, _ := h.token(u, "write")
	k, err := ecdsa.GenerateKey(elliptic.P384(), rand.Reader) // omsKeyBundleOf signs with SHA-384
	if err != nil {
		b.Fatal(err)
	}
	der, _ := x509.MarshalPKIXPublicKey(&k.PublicKey)
	h.must(201, h.do("POST", "/api/settings/model-signers", u.bearer(), map[string]any{"type": "key",
		"publicKey": string(pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der}))}), "trust")
	on := account{user: u.Name, token: tok, repo: uniqueName("msbon")}
	off := account{user: u.Name, token: tok, repo: uniqueName("msboff")}
	for _, a := range []account{on, off} {
		h.must(200, h.do("POST", "/api/repos/create", u.bearer(), map[string]any{"name": a.repo, "type": "model"}), "create")
	}
	h.must(200, h.do("PUT", "/api/models/"+on.user+"/"+on.repo+"/settings", u.bearer(), map[string]any{"requireSignedModels": true}), "policy")

	mib := 100
	if v := os.Getenv("MODELSIG_BENCH_MIB"); v != "" {
		if mib, err = strconv.Atoi(v); err != nil || mib < 1 {
			b.Fatalf("MODELSIG_BENCH_MIB=%q", v)
		}
	}
	dir := b.TempDir()
	git(b, dir, "init", "-q", "-b", "main")
	git(b, dir, "config", "user.email", u.Name+"@example.com")
	git(b, dir, "config", "user.name", u.Name)
	git(b, dir, "config", "lfs.locksverify", "false")
	git(b, dir, "config", on.headerKey(s), on.authHeader())
	git(b, dir, "lfs", "install", "--local")
	git(b, dir, "lfs", "track", "*.safetensors")
	digests := map[string]string{}
	rng := mrand.NewChaCha8([32]byte{7})
	buf := make([]byte, 1<<20)
	for i := range 10 {
		name := fmt.Sprintf("model-%05d-of-00010.safetensors", i+1)
		f, err := os.Create(filepath.Join(dir, name))
		if err != nil {
			b.Fatal(err)
		}
		w, sum := bufio.NewWriter(f), sha256.New()
		for range mib {
			_, _ = rng.Read(buf)
			w.Write(buf)
			sum.Write(buf)
		}
		if err := w.Flush(); err != nil {
			b.Fatal(err)
		}
		f.Close()
		digests[name] = hex.EncodeToString(sum.Sum(nil))
	}
	round := func(i int) {
		readme := []byte(fmt.Sprintf("# bench model\n\nround %d\n", i))
		msigWriteFile(b, dir, "README.md", readme)
		digests["README.md"] = oid(readme)
		msigWriteFile(b, dir, "model.sig", omsKeyBundleOf(b, k, digests))
		git(b, dir, "add", "-A")
		git(b, dir, "commit", "-qm", fmt.Sprintf("round %d", i))
	}
	round(0)
	for _, a := range []account{on, off} {
		git(b, dir, "push", "-q", a.remote(s), "main")
	}
	var tOn, tOff time.Duration
	var ratios []float64
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		b.StopTimer()
		round(i + 1)
		b.StartTimer()
		order := []account{on, off}
		if i%2 == 1 {
			order = []account{off, on}
		}
		var d [2]time.Duration
		for _, a := range order {
			start := time.Now()
			out, err := msigGitTry(dir, "push", "-q", a.remote(s), "main")
			if err != nil {
				b.Fatalf("push to %s: %v\n%s", a.repo, err, redact(out))
			}
			if a == on {
				d[0] = time.Since(start)
			} else {
				d[1] = time.Since(start)
			}
		}
		tOn, tOff = tOn+d[0], tOff+d[1]
		ratios = append(ratios, float64(d[0])/float64(d[1]))
	}
	b.StopTimer()
	sort.Float64s(ratios)
	b.ReportMetric(ms(tOn)/float64(b.N), "ms/push-policy")
	b.ReportMetric(ms(tOff)/float64(b.N), "ms/push-off")
	b.ReportMetric(float64(tOn)/float64(tOff), "x-off")
	b.ReportMetric(ratios[0], "x-min")
	b.ReportMetric(ratios[len(ratios)-1], "x-max")
	b.Logf("%d rounds of %d MiB x 10 LFS files; per-round ratios %s", b.N, mib, strings.Trim(fmt.Sprint(ratios), "[]"))
}
