package clamd_test

import (
	"bytes"
	"compress/gzip"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"errors"
	"io"
	"net"
	"slices"
	"testing"
	"time"

	"github.com/hubsec/trustlayer/shared/clamd"
	"github.com/hubsec/trustlayer/shared/clamd/clamdtest"
)

// eicar is the standard 68-byte EICAR test file.
const eicar = `X5O!P%@AP[4\PZX54(P^)7CC)7}$EICAR-STANDARD-ANTIVIRUS-TEST-FILE!$H+H*`

func TestScanRealClamd(t *testing.T) {
	srv := clamdtest.Start(t, clamdtest.Options{StreamMaxLength: "2M"})
	c := srv.Client()
	c.ChunkSize = 4096
	ctx := context.Background()

	random := make([]byte, 1<<20)
	rand.Read(random)
	tests := []struct {
		name     string
		data     []byte
		infected bool
		sigs     []string // each must prefix one reported signature
	}{
		{"eicar file", []byte(eicar), true, []string{"Test.EICAR-"}},
		{"eicar inside text", []byte("hello\n" + eicar + "\nbye"), true, []string{"Test.EICAR-Body"}},
		{"random bytes", random, false, nil},
		{"empty", nil, false, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			v, err := c.Scan(ctx, bytes.NewReader(tt.data))
			if err != nil {
				t.Fatalf("Scan: %v", err)
			}
			if v.Infected != tt.infected {
				t.Fatalf("infected = %v (%v), want %v", v.Infected, v.Signatures, tt.infected)
			}
			t.Logf("signatures: %v", v.Signatures)
			if v.BytesSent != int64(len(tt.data)) {
				t.Errorf("BytesSent = %d, want %d", v.BytesSent, len(tt.data))
			}
			for _, want := range tt.sigs {
				if !slices.ContainsFunc(v.Signatures, func(s string) bool { return len(s) >= len(want) && s[:len(want)] == want }) {
					t.Errorf("signatures %v, want one starting %q", v.Signatures, want)
				}
			}
		})
	}

	t.Run("over StreamMaxLength", func(t *testing.T) {
		v, err := c.Scan(ctx, io.LimitReader(rand.Reader, 8<<20))
		if !errors.Is(err, clamd.ErrSizeLimit) {
			t.Fatalf("got verdict %+v err %v, want ErrSizeLimit", v, err)
		}
		if clamd.KindOf(err) != clamd.KindSizeLimit {
			t.Errorf("KindOf = %q", clamd.KindOf(err))
		}
	})

	t.Run("version and ping", func(t *testing.T) {
		if err := c.Ping(ctx); err != nil {
			t.Fatal(err)
		}
		v, err := c.Version(ctx)
		if err != nil || len(v) < 6 || v[:6] != "ClamAV" {
			t.Fatalf("Version = %q, %v", v, err)
		}
	})

	t.Run("restart", func(t *testing.T) {
		srv.Stop()
		if _, err := c.Scan(ctx, bytes.NewReader([]byte(eicar))); !errors.Is(err, clamd.ErrUnreachable) {
			t.Fatalf("scan with clamd stopped: err %v, want ErrUnreachable", err)
		}
		srv.Restart()
		if v, err := c.Scan(ctx, bytes.NewReader([]byte(eicar))); err != nil || !v.Infected {
			t.Fatalf("after restart: %+v, %v", v, err)
		}
	})
}

func TestScanUnreachable(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	c := &clamd.Client{Network: "tcp", Address: addr}
	_, err = c.Scan(context.Background(), bytes.NewReader([]byte("x")))
	if !errors.Is(err, clamd.ErrUnreachable) {
		t.Fatalf("err = %v, want ErrUnreachable", err)
	}
}

// TestScanContextTimeout uses a server that accepts and never answers.
func TestScanContextTimeout(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	go func() {
		for {
			conn, err := l.Accept()
			if err != nil {
				return
			}
			go io.Copy(io.Discard, conn) // read everything, reply nothing
		}
	}()
	c := &clamd.Client{Network: "tcp", Address: l.Addr().String()}
	ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
	defer cancel()
	_, err = c.Scan(ctx, bytes.NewReader([]byte("data")))
	if !errors.Is(err, clamd.ErrTimeout) || !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("err = %v, want ErrTimeout wrapping context.DeadlineExceeded", err)
	}

	c.ReadTimeout = 100 * time.Millisecond
	_, err = c.Scan(context.Background(), bytes.NewReader([]byte("data")))
	if !errors.Is(err, clamd.ErrTimeout) {
		t.Fatalf("err = %v, want ErrTimeout from ReadTimeout", err)
	}
}

func TestParseReplies(t *testing.T) {
	tests := []struct {
		reply    string
		infected bool
		sigs     []string
		kind     clamd.Kind
	}{
		{"stream: OK", false, nil, ""},
		{"stream: Eicar-Signature FOUND", true, []string{"Eicar-Signature"}, ""},
		{"stream: A FOUND\nstream: B FOUND", true, []string{"A", "B"}, ""},
		{"INSTREAM size limit exceeded. ERROR", false, nil, clamd.KindSizeLimit},
		{"stream: Can't allocate memory ERROR", false, nil, clamd.KindClamd},
		{"UNKNOWN COMMAND", false, nil, clamd.KindProtocol},
		{"", false, nil, clamd.KindProtocol},
	}
	for _, tt := range tests {
		srv := fakeClamd(t, tt.reply)
		c := &clamd.Client{Network: "tcp", Address: srv}
		v, err := c.Scan(context.Background(), bytes.NewReader([]byte("payload")))
		if clamd.KindOf(err) != tt.kind {
			t.Errorf("%q: err %v, want kind %q", tt.reply, err, tt.kind)
			continue
		}
		if v.Infected != tt.infected || !slices.Equal(v.Signatures, tt.sigs) {
			t.Errorf("%q: got %+v, want infected %v sigs %v", tt.reply, v, tt.infected, tt.sigs)
		}
	}
}

// fakeClamd answers every INSTREAM with reply after the terminator chunk.
func fakeClamd(t *testing.T, reply string) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { l.Close() })
	go func() {
		conn, err := l.Accept()
		if err != nil {
			return
		}
		defer conn.Close()
		cmd := make([]byte, len("zINSTREAM\x00"))
		io.ReadFull(conn, cmd)
		for {
			var n [4]byte
			if _, err := io.ReadFull(conn, n[:]); err != nil {
				return
			}
			size := int64(n[0])<<24 | int64(n[1])<<16 | int64(n[2])<<8 | int64(n[3])
			if size == 0 {
				break
			}
			io.CopyN(io.Discard, conn, size)
		}
		conn.Write([]byte(reply + "\x00"))
	}()
	return l.Addr().String()
}

// BenchmarkInstream reports INSTREAM throughput beside SHA-256 over the same
// 64 MiB of random data.
func BenchmarkInstream(b *testing.B) {
	data := make([]byte, 64<<20)
	rand.Read(data)
	srv := clamdtest.Start(b, clamdtest.Options{StreamMaxLength: "100M", MaxFileSize: "100M", MaxScanSize: "400M"})
	c := srv.Client()
	c.ReadTimeout = 5 * time.Minute
	b.Run("clamd", func(b *testing.B) {
		b.SetBytes(int64(len(data)))
		for b.Loop() {
			if _, err := c.Scan(context.Background(), bytes.NewReader(data)); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("sha256", func(b *testing.B) {
		b.SetBytes(int64(len(data)))
		for b.Loop() {
			sha256.Sum256(data)
		}
	})
}

// TestScanLimitsExceededIsError nests EICAR in more gzip layers than clamd's
// MaxRecursion (17): clamd stops unpacking, and with AlertExceedsMax it says
// so. That answer must be an error, never a clean verdict.
func TestScanLimitsExceededIsError(t *testing.T) {
	srv := clamdtest.Start(t, clamdtest.Options{})
	c := srv.Client()
	data := []byte(eicar)
	for i := 0; i < 18; i++ {
		var buf bytes.Buffer
		zw := gzip.NewWriter(&buf)
		zw.Write(data)
		zw.Close()
		data = buf.Bytes()
	}
	v, err := c.Scan(context.Background(), bytes.NewReader(data))
	if err == nil {
		t.Fatalf("EICAR in 18 gzip layers: verdict %+v, want a limits error", v)
	}
	if clamd.KindOf(err) != clamd.KindLimit || !errors.Is(err, clamd.ErrLimit) {
		t.Fatalf("err = %v (kind %q), want kind %q", err, clamd.KindOf(err), clamd.KindLimit)
	}
	t.Logf("clamd: %v", err)
}
