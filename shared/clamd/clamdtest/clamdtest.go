// Package clamdtest runs a private clamd for tests: its own config, port and
// signature database (a copy of infra/clamav/signatures), started and
// stopped by the test.
package clamdtest

import (
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/hubsec/trustlayer/shared/clamd"
	"github.com/hubsec/trustlayer/shared/platform/testenv"
)

// Options configure the daemon. Zero values take the defaults shown.
type Options struct {
	// StreamMaxLength, MaxFileSize and MaxScanSize are clamd.conf values
	// such as "10M" (defaults: "10M", "10M", "40M"; clamd's own defaults are
	// 100M/100M/400M, smaller ones keep size-limit tests fast).
	StreamMaxLength string
	MaxFileSize     string
	MaxScanSize     string
	// SignatureDir is copied into the private DatabaseDirectory (default:
	// infra/clamav/signatures of this repository).
	SignatureDir string
	// StartTimeout bounds the wait for PONG (default 60s).
	StartTimeout time.Duration
}

// Server is a running clamd.
type Server struct {
	t       testing.TB
	bin     string
	conf    string
	logPath string
	addr    string
	cmd     *exec.Cmd
	exited  chan struct{}
	timeout time.Duration
}

// Start runs clamd for the rest of the test. Without clamd it skips the test,
// or fails it under TRUSTLAYER_REQUIRE_TOOLS=1.
func Start(t testing.TB, opts Options) *Server {
	t.Helper()
	bin := findClamd(t)
	dir := t.TempDir()
	db := filepath.Join(dir, "db")
	if err := os.MkdirAll(filepath.Join(dir, "tmp"), 0o700); err != nil {
		t.Fatal(err)
	}
	src := opts.SignatureDir
	if src == "" {
		src = repoSignatures(t)
	}
	copySignatures(t, src, db)

	port := freePort(t)
	s := &Server{t: t, bin: bin, conf: filepath.Join(dir, "clamd.conf"), logPath: filepath.Join(dir, "clamd.log"),
		addr: fmt.Sprintf("127.0.0.1:%d", port), timeout: opts.StartTimeout}
	if s.timeout == 0 {
		s.timeout = 60 * time.Second
	}
	conf := strings.Join([]string{
		"Foreground yes",
		"LogFile " + s.logPath,
		"LogVerbose no",
		fmt.Sprintf("TCPSocket %d", port),
		"TCPAddr 127.0.0.1",
		"DatabaseDirectory " + db,
		"TemporaryDirectory " + filepath.Join(dir, "tmp"),
		"User root", // running as root in CI: do not drop to clamav, which cannot read t.TempDir()
		"StreamMaxLength " + orDefault(opts.StreamMaxLength, "10M"),
		"MaxFileSize " + orDefault(opts.MaxFileSize, "10M"),
		"MaxScanSize " + orDefault(opts.MaxScanSize, "40M"),
		"MaxThreads 2",
		"Bytecode no",
		"AlertExceedsMax yes", // as in production: a limit reached is reported, not OK
		"",
	}, "\n")
	if os.Geteuid() != 0 {
		conf = strings.Replace(conf, "User root\n", "", 1)
	}
	if err := os.WriteFile(s.conf, []byte(conf), 0o600); err != nil {
		t.Fatal(err)
	}
	s.start()
	t.Cleanup(s.Stop)
	return s
}

// Addr is the TCP address clamd listens on.
func (s *Server) Addr() string { return s.addr }

// Client returns a client for this server.
func (s *Server) Client() *clamd.Client {
	return &clamd.Client{Network: "tcp", Address: s.addr, ReadTimeout: 30 * time.Second}
}

func (s *Server) start() {
	s.t.Helper()
	cmd := exec.Command(s.bin, "--config-file="+s.conf, "--foreground")
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := cmd.Start(); err != nil {
		s.t.Fatalf("start clamd: %v", err)
	}
	s.cmd = cmd
	s.exited = make(chan struct{})
	go func() { cmd.Wait(); close(s.exited) }()

	c := s.Client()
	deadline := time.Now().Add(s.timeout)
	for {
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		err := c.Ping(ctx)
		cancel()
		if err == nil {
			return
		}
		select {
		case <-s.exited:
			s.t.Fatalf("clamd exited during start: %v\n%s", err, s.log())
		default:
		}
		if time.Now().After(deadline) {
			s.Stop()
			s.t.Fatalf("clamd did not answer PING within %v: %v\n%s", s.timeout, err, s.log())
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// Stop terminates clamd and waits for it to exit. It is safe to call twice.
func (s *Server) Stop() {
	if s.cmd == nil {
		return
	}
	s.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-s.exited:
	case <-time.After(10 * time.Second):
		s.cmd.Process.Kill()
		<-s.exited
	}
	s.cmd = nil
}

// Restart stops clamd and starts it again on the same address.
func (s *Server) Restart() {
	s.t.Helper()
	s.Stop()
	s.start()
}

func (s *Server) log() string {
	b, _ := os.ReadFile(s.logPath)
	return string(b)
}

func orDefault(v, def string) string {
	if v == "" {
		return def
	}
	return v
}

func findClamd(t testing.TB) string {
	t.Helper()
	if p, err := exec.LookPath("clamd"); err == nil {
		return p
	}
	if _, err := os.Stat("/usr/sbin/clamd"); err == nil {
		return "/usr/sbin/clamd"
	}
	return testenv.RequireTool(t, "clamd") // skips or fails with an install hint
}

func freePort(t testing.TB) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

// repoSignatures finds infra/clamav/signatures above the working directory.
func repoSignatures(t testing.TB) string {
	t.Helper()
	dir, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return filepath.Join(dir, "infra", "clamav", "signatures")
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			t.Fatal("clamdtest: go.mod not found above the working directory")
		}
		dir = parent
	}
}

// copySignatures copies the database files (not the README) into dst.
func copySignatures(t testing.TB, src, dst string) {
	t.Helper()
	if err := os.MkdirAll(dst, 0o700); err != nil {
		t.Fatal(err)
	}
	entries, err := os.ReadDir(src)
	if err != nil {
		t.Fatalf("clamdtest: signatures: %v", err)
	}
	n := 0
	for _, e := range entries {
		switch filepath.Ext(e.Name()) {
		case ".ndb", ".hsb", ".hdb", ".ldb", ".cvd", ".cld", ".cud", ".yar", ".yara", ".msb", ".mdb", ".ign2", ".fp", ".sfp":
		default:
			continue
		}
		b, err := os.ReadFile(filepath.Join(src, e.Name()))
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dst, e.Name()), b, 0o600); err != nil {
			t.Fatal(err)
		}
		n++
	}
	if n == 0 {
		t.Fatalf("clamdtest: no signature files in %s", src)
	}
}
