package devstack

import (
	"bytes"
	"io"
	"log/slog"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// TestSupervisorRestartsThenGivesUp kills a supervised process: the stack
// says so on its console, restarts it, and after maxRestarts deaths stops
// with an error instead of running on without it.
func TestSupervisorRestartsThenGivesUp(t *testing.T) {
	if _, err := exec.LookPath("sleep"); err != nil {
		t.Skip("sleep not on PATH")
	}
	out := &syncBuffer{}
	dir := t.TempDir()
	s := &Stack{opts: Options{DataDir: dir, Out: out}, sup: newSupervisor(), closeCh: make(chan struct{}),
		log: slog.New(slog.NewTextHandler(io.Discard, nil))}
	defer s.Close()
	procs := make(chan *process, maxRestarts+1)
	var start func() error
	start = func() error {
		p, err := startProcess("fn-victim", exec.Command("sleep", "600"), filepath.Join(dir, "victim.log"), nil)
		if err != nil {
			return err
		}
		s.procs = append(s.procs, p)
		s.supervise("function VictimFunction", p, nil, start)
		procs <- p
		return nil
	}
	if err := start(); err != nil {
		t.Fatal(err)
	}
	for i := 1; i <= maxRestarts+1; i++ {
		var p *process
		select {
		case p = <-procs:
		case <-time.After(time.Minute):
			t.Fatalf("kill %d: no process was (re)started; console:\n%s", i, out)
		}
		syscall.Kill(p.cmd.Process.Pid, syscall.SIGKILL)
		if i <= maxRestarts {
			continue
		}
		select {
		case err := <-s.Failed():
			if !strings.Contains(err.Error(), "VictimFunction") {
				t.Errorf("failure %q does not name the function", err)
			}
		case <-time.After(time.Minute):
			t.Fatalf("after %d deaths the stack did not fail; console:\n%s", i, out)
		}
	}
	if got := s.Restarts("function VictimFunction"); got != maxRestarts {
		t.Errorf("restarts: got %d, want %d", got, maxRestarts)
	}
	if c := out.String(); strings.Count(c, "VictimFunction DIED") != maxRestarts+1 || !strings.Contains(c, "restarting (restart 1 of 3") {
		t.Errorf("console does not report each death and restart loudly:\n%s", c)
	}
}

// TestSupervisorLeavesPurposefulStops: a process stopped on purpose (clamd
// through /_devstack/clamd/stop) or at Close is not restarted.
func TestSupervisorLeavesPurposefulStops(t *testing.T) {
	out := &syncBuffer{}
	dir := t.TempDir()
	s := &Stack{opts: Options{DataDir: dir, Out: out}, sup: newSupervisor(), closeCh: make(chan struct{}),
		log: slog.New(slog.NewTextHandler(io.Discard, nil))}
	restarted := make(chan bool, 1)
	p, err := startProcess("clamd", exec.Command("sleep", "600"), filepath.Join(dir, "clamd.log"), nil)
	if err != nil {
		t.Fatal(err)
	}
	clamdHandled := s.supervise("clamd", p, func() bool { return true }, func() error { restarted <- true; return nil })
	p.stop(time.Second)
	q, err := startProcess("s3", exec.Command("sleep", "600"), filepath.Join(dir, "s3.log"), nil)
	if err != nil {
		t.Fatal(err)
	}
	s.procs = append(s.procs, q)
	s3Handled := s.supervise("s3", q, nil, func() error { restarted <- true; return nil })
	s.Close()
	<-clamdHandled
	<-s3Handled
	select {
	case <-restarted:
		t.Fatal("a process stopped on purpose was restarted")
	default:
	}
	if strings.Contains(out.String(), "DIED") {
		t.Errorf("a purposeful stop was reported as a death:\n%s", out)
	}
}
