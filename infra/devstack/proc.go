package devstack

import (
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"
)

// process is a child the stack started, in a process group of its own so
// that stopping it also stops whatever it spawned.
type process struct {
	name    string
	cmd     *exec.Cmd
	logPath string
	logFile *os.File
	done    chan struct{}
	err     error
}

// startProcess starts cmd with stdout and stderr appended to logPath (and
// copied to tee when not nil).
func startProcess(name string, cmd *exec.Cmd, logPath string, tee io.Writer) (*process, error) {
	f, err := os.OpenFile(logPath, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return nil, fmt.Errorf("start %s: open log: %w", name, err)
	}
	var out io.Writer = f
	if tee != nil {
		out = io.MultiWriter(f, &prefixWriter{prefix: "[" + name + "] ", w: tee})
	}
	cmd.Stdout, cmd.Stderr = out, out
	// Own process group: Ctrl-C in the terminal reaches only the devstack,
	// which stops the groups in order. Pdeathsig kills the child if the
	// devstack itself dies without cleaning up.
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
	if err := cmd.Start(); err != nil {
		f.Close()
		return nil, fmt.Errorf("start %s: %w", name, err)
	}
	p := &process{name: name, cmd: cmd, logPath: logPath, logFile: f, done: make(chan struct{})}
	go func() {
		p.err = cmd.Wait()
		f.Close()
		close(p.done)
	}()
	return p, nil
}

// exited reports whether the process has ended.
func (p *process) exited() bool {
	select {
	case <-p.done:
		return true
	default:
		return false
	}
}

// stop sends SIGTERM to the process group, then SIGKILL after grace.
func (p *process) stop(grace time.Duration) {
	if p == nil || p.exited() {
		return
	}
	pgid := p.cmd.Process.Pid
	syscall.Kill(-pgid, syscall.SIGTERM)
	select {
	case <-p.done:
	case <-time.After(grace):
		syscall.Kill(-pgid, syscall.SIGKILL)
		<-p.done
	}
	// Anything left in the group (a grandchild that ignored SIGTERM) goes too.
	syscall.Kill(-pgid, syscall.SIGKILL)
}

// logTail returns the last lines of the process's log.
func (p *process) logTail(lines int) string {
	return fileTail(p.logPath, lines)
}

func fileTail(path string, lines int) string {
	b, err := os.ReadFile(path)
	if err != nil {
		return "(no log: " + err.Error() + ")"
	}
	all := strings.Split(strings.TrimRight(string(b), "\n"), "\n")
	if len(all) > lines {
		all = all[len(all)-lines:]
	}
	return strings.Join(all, "\n")
}

type prefixWriter struct {
	mu     sync.Mutex
	prefix string
	w      io.Writer
	mid    bool
}

func (p *prefixWriter) Write(b []byte) (int, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	var sb strings.Builder
	for _, c := range string(b) {
		if !p.mid {
			sb.WriteString(p.prefix)
			p.mid = true
		}
		sb.WriteRune(c)
		if c == '\n' {
			p.mid = false
		}
	}
	_, err := io.WriteString(p.w, sb.String())
	return len(b), err
}

// freePort asks the kernel for a free loopback port.
func freePort() (int, error) {
	handedOutMu.Lock()
	defer handedOutMu.Unlock()
	for range 100 {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			return 0, err
		}
		port := ln.Addr().(*net.TCPAddr).Port
		ln.Close()
		// The port is free now but only taken when its service binds it:
		// never hand the same port to two services of one stack (it
		// happened: S3 requests answered by clamd).
		if !handedOut[port] {
			handedOut[port] = true
			return port, nil
		}
	}
	return 0, errors.New("no free port found that was not already handed out")
}

var (
	handedOutMu sync.Mutex
	handedOut   = map[int]bool{}
)

// portError says which port is taken and how to choose another.
type portError struct {
	Service, Flag, Env string
	Port               int
	Err                error
}

func (e *portError) Error() string {
	return fmt.Sprintf("port %d for %s is already in use (or not bindable: %v): stop what uses it or choose another with -%s or %s",
		e.Port, e.Service, e.Err, e.Flag, e.Env)
}

// listen binds 127.0.0.1:port (port 0 picks a free one).
func listen(service, flag, env string, port int) (net.Listener, error) {
	ln, err := net.Listen("tcp", net.JoinHostPort("127.0.0.1", strconv.Itoa(port)))
	if err != nil {
		return nil, &portError{service, flag, env, port, err}
	}
	return ln, nil
}

// reservePort checks that a port for an external program is free (or picks
// one when port is 0).
func reservePort(service, flag, env string, port int) (int, error) {
	if port == 0 {
		return freePort()
	}
	ln, err := listen(service, flag, env, port)
	if err != nil {
		return 0, err
	}
	ln.Close()
	return port, nil
}

// waitFor polls check until it succeeds, the process exits or timeout.
func waitFor(p *process, timeout time.Duration, check func() error) error {
	deadline := time.Now().Add(timeout)
	var last error
	for time.Now().Before(deadline) {
		if p != nil && p.exited() {
			return fmt.Errorf("%s exited during start (%v); last lines of %s:\n%s", p.name, p.err, p.logPath, p.logTail(30))
		}
		if last = check(); last == nil {
			return nil
		}
		time.Sleep(100 * time.Millisecond)
	}
	if p != nil {
		return fmt.Errorf("%s not ready after %s (%v); last lines of %s:\n%s", p.name, timeout, last, p.logPath, p.logTail(30))
	}
	return fmt.Errorf("not ready after %s: %w", timeout, last)
}

func dialCheck(addr string) func() error {
	return func() error {
		c, err := net.DialTimeout("tcp", addr, 500*time.Millisecond)
		if err != nil {
			return err
		}
		return c.Close()
	}
}

var errNotFound = errors.New("not found")
