package devstack

import (
	"fmt"
	"sync"
	"time"
)

// A service or function that dies is restarted, loudly, at most
// maxRestarts times within restartWindow; one more death stops the stack
// with an error (Failed), so it never serves on half-dead.
const (
	maxRestarts   = 3
	restartWindow = 10 * time.Minute
)

type supervisor struct {
	mu       sync.Mutex
	closing  bool
	restarts map[string][]time.Time
	failed   chan error // buffered 1: the first failure
}

func newSupervisor() *supervisor {
	return &supervisor{restarts: map[string][]time.Time{}, failed: make(chan error, 1)}
}

// Failed delivers an error when a service or function died more often than
// the stack restarts it, or could not be restarted. The stack is then not
// whole: stop it and exit non-zero.
func (s *Stack) Failed() <-chan error { return s.sup.failed }

// supervise watches p. When it exits while the stack runs, and not because
// it was stopped on purpose (onPurpose reports that; nil means never), the
// exit is reported loudly with the last lines of its log and restart is
// called; restart starts a new process and supervises it in turn. The
// returned channel closes once the exit has been handled.
func (s *Stack) supervise(name string, p *process, onPurpose func() bool, restart func() error) <-chan struct{} {
	handled := make(chan struct{})
	go func() {
		defer close(handled)
		<-p.done
		s.sup.mu.Lock()
		closing := s.sup.closing
		s.sup.mu.Unlock()
		if closing || (onPurpose != nil && onPurpose()) {
			return
		}
		now := time.Now()
		s.sup.mu.Lock()
		var recent []time.Time
		for _, t := range s.sup.restarts[name] {
			if now.Sub(t) < restartWindow {
				recent = append(recent, t)
			}
		}
		giveUp := len(recent) >= maxRestarts
		if !giveUp {
			recent = append(recent, now)
		}
		s.sup.restarts[name] = recent
		s.sup.mu.Unlock()

		s.loud("%s DIED (%v); last lines of %s:\n%s", name, p.err, p.logPath, p.logTail(20))
		if giveUp {
			s.fail(fmt.Errorf("%s died again after %d restarts within %s: stopping the stack (logs in %s)", name, maxRestarts, restartWindow, s.LogDir()))
			return
		}
		s.loud("%s: restarting (restart %d of %d within %s)", name, len(recent), maxRestarts, restartWindow)
		if err := restart(); err != nil {
			s.fail(fmt.Errorf("%s died and could not be restarted: %w", name, err))
			return
		}
		s.loud("%s: restarted", name)
	}()
	return handled
}

// Restarts returns how many times the stack restarted name within the
// restart window.
func (s *Stack) Restarts(name string) int {
	s.sup.mu.Lock()
	defer s.sup.mu.Unlock()
	return len(s.sup.restarts[name])
}

func (s *Stack) fail(err error) {
	s.loud("%v", err)
	select {
	case s.sup.failed <- err:
	default:
	}
}

// loud reports a problem on the console (not only in a log) and in the
// gateway log.
func (s *Stack) loud(format string, args ...any) {
	msg := fmt.Sprintf(format, args...)
	fmt.Fprintf(s.opts.Out, "\ndevstack: !!! %s\n", msg)
	s.log.Error(msg)
}

// stopSupervising makes exits from now on expected (Close).
func (s *Stack) stopSupervising() {
	s.sup.mu.Lock()
	s.sup.closing = true
	s.sup.mu.Unlock()
}
