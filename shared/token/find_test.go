package token

import (
	"bytes"
	"crypto/sha256"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func gen(t testing.TB, k Kind) string {
	s, err := Generate(k)
	if err != nil {
		t.Fatal(err)
	}
	return s.Reveal()
}

func find(b []byte, chunk int) []Found {
	f := NewFinder()
	for len(b) > 0 {
		n := min(chunk, len(b))
		f.Write(b[:n])
		b = b[n:]
	}
	return f.Close()
}

func TestFinder(t *testing.T) {
	user, org, sess := gen(t, KindUser), gen(t, KindOrg), gen(t, KindSession)
	fake := "hf_" + strings.Repeat("A", BodyLen) // right shape, wrong checksum
	text := "line one\nexport HF_TOKEN=" + user + "\n\n" + fake + " and " + org + "\n" + "x=" + sess + "y\n"
	want := []Found{
		{KindUser, user, int64(strings.Index(text, user)), 2},
		{KindOrg, org, int64(strings.Index(text, org)), 4},
		{KindSession, sess, int64(strings.Index(text, sess)), 5},
	}
	for _, chunk := range []int{1, 7, 64, 1 << 21} {
		got := find([]byte(text), chunk)
		if fmt.Sprint(got) != fmt.Sprint(want) {
			t.Errorf("chunk %d: got %v, want %v", chunk, got, want)
		}
	}
	if got := find([]byte("hf_"+user[3:len(user)-1]), 1<<20); len(got) != 0 {
		t.Errorf("truncated token found: %v", got)
	}
}

// TestFinderAcrossChunks puts a token across the Finder's own search
// boundary.
func TestFinderAcrossChunks(t *testing.T) {
	tok := gen(t, KindUser)
	for _, at := range []int{finderChunk - 50, finderChunk - 20, finderChunk - 1, finderChunk, finderChunk + 3} {
		b := bytes.Repeat([]byte("x"), at)
		b = append(b, '\n')
		b = append(b, tok...)
		b = append(b, bytes.Repeat([]byte("\n"), 100)...)
		got := find(b, 4096)
		if len(got) != 1 || got[0].Token != tok || got[0].Offset != int64(at+1) || got[0].Line != 2 {
			t.Errorf("at %d: got %v", at, got)
		}
	}
}

func FuzzFinder(f *testing.F) {
	f.Add([]byte("hf_abc"), 3)
	f.Add([]byte("api_org_hf_hfs_"), 1)
	f.Fuzz(func(t *testing.T, b []byte, chunk int) {
		if chunk <= 0 {
			chunk = 1
		}
		whole := find(b, len(b)+1)
		parts := find(b, chunk)
		if fmt.Sprint(whole) != fmt.Sprint(parts) {
			t.Fatalf("whole %v, in chunks of %d %v", whole, chunk, parts)
		}
		for _, h := range whole {
			if _, err := Parse(h.Token); err != nil || string(b[h.Offset:h.Offset+int64(len(h.Token))]) != h.Token {
				t.Fatalf("bad hit %v", h)
			}
		}
	})
}

// BenchmarkFinder searches 64 MiB beside sha256 of the same bytes (what
// sha256sum does), in the same iterations, and reports both throughputs
// and the ratio: on text with tokens as rare as in real files, and on
// adversarial text where a prefix starts every few dozen bytes; and
// beside the search as written alone, which is what the decoding layer
// (deep.go) costs.
func BenchmarkFinder(b *testing.B) {
	for _, tt := range []struct {
		name, alphabet string
	}{
		{"text", "abcdefghijklmnopqrstuvwxyz ABCDEFGHIJKLMNOPQRSTUVWXYZ_0123456789\n{}:\",="},
		{"prefix-heavy", "abcdefghijklmnopqrstuvwxyz ABCDEFGHIJKLMNOPQRSTUVWXYZ_0123456789\nhf_ hfs api_org "},
	} {
		b.Run(tt.name, func(b *testing.B) {
			r := rand.New(rand.NewPCG(1, 2))
			data := make([]byte, 64<<20)
			for i := range data {
				data[i] = tt.alphabet[r.IntN(len(tt.alphabet))]
			}
			copy(data[1000:], gen(b, KindUser))
			// sha256sum (coreutils) over the same bytes, from a file in
			// the page cache, when it is installed.
			file := filepath.Join(b.TempDir(), "data")
			if err := os.WriteFile(file, data, 0o644); err != nil {
				b.Fatal(err)
			}
			sum, _ := exec.LookPath("sha256sum")
			var ours, ref, ext, raw time.Duration
			b.SetBytes(int64(len(data)))
			for i := 0; i < b.N; i++ {
				start := time.Now()
				f := NewFinder()
				f.Write(data)
				if len(f.Close()) != 1 {
					b.Fatal("token not found")
				}
				ours += time.Since(start)
				start = time.Now()
				sha256.Sum256(data)
				ref += time.Since(start)
				// The search as written alone (the Finder before its
				// decoding layer, invariant 10).
				start = time.Now()
				n := 0
				findRaw(data, len(data), func(int, string, Kind) { n++ })
				if n != 1 {
					b.Fatal("token not found as written")
				}
				raw += time.Since(start)
				if sum != "" {
					start = time.Now()
					if out, err := exec.Command(sum, file).CombinedOutput(); err != nil {
						b.Fatalf("sha256sum: %v %s", err, out)
					}
					ext += time.Since(start)
				}
			}
			mb := float64(len(data)) * float64(b.N) / 1e6
			b.ReportMetric(mb/ours.Seconds(), "finder-MB/s")
			b.ReportMetric(mb/ref.Seconds(), "sha256-MB/s")
			b.ReportMetric(ours.Seconds()/ref.Seconds(), "x-sha256-time")
			b.ReportMetric(mb/raw.Seconds(), "as-written-MB/s")
			b.ReportMetric(ours.Seconds()/raw.Seconds(), "x-as-written-time")
			if sum != "" {
				b.ReportMetric(mb/ext.Seconds(), "sha256sum-MB/s")
				b.ReportMetric(ours.Seconds()/ext.Seconds(), "x-sha256sum-time")
			}
		})
	}
}
