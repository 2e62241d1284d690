package main

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"os/exec"
	"strconv"
	"strings"

	"github.com/hubsec/trustlayer/shared/githook"
)

// catFiler is one `git cat-file --batch-command` (git ≥ 2.36) that
// answers every object read of a hook: a process start costs more than
// most of the reads, and pre-receive makes several rounds of them.
type catFiler struct {
	cmd    *exec.Cmd
	in     io.WriteCloser
	out    *bufio.Reader
	stderr bytes.Buffer
	broken error
	closed bool
}

func startCatFile() (*catFiler, error) {
	c := &catFiler{cmd: exec.Command("git", "cat-file", "--batch-command", "--buffer")}
	c.cmd.Stderr = &c.stderr
	var err error
	if c.in, err = c.cmd.StdinPipe(); err != nil {
		return nil, err
	}
	stdout, err := c.cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	if err := c.cmd.Start(); err != nil {
		return nil, err
	}
	c.out = bufio.NewReaderSize(stdout, 1<<16)
	return c, nil
}

// close ends the process; again, it only answers the same.
func (c *catFiler) close() error {
	if c.closed {
		return c.broken
	}
	c.closed = true
	c.in.Close()
	io.Copy(io.Discard, c.out)
	err := c.cmd.Wait()
	if err != nil && c.broken == nil {
		c.broken = fmt.Errorf("git cat-file: %v: %s", err, strings.TrimSpace(c.stderr.String()))
	}
	return c.broken
}

// batch sends cmd ("info" or "contents") for every name, then flush, and
// calls fn with each answer in order: the object's id, type and size, and
// for contents its bytes (fn must read them all, or return an error). A
// name that is not an object is an error.
func (c *catFiler) batch(cmd string, names []string, fn func(id, typ string, size int64, r io.Reader) error) error {
	if c.broken != nil {
		return c.broken
	}
	if len(names) == 0 {
		return nil
	}
	// Written while the answers are read: both pipes are bounded.
	written := make(chan error, 1)
	go func() {
		w := bufio.NewWriterSize(c.in, 1<<16)
		for _, n := range names {
			if _, err := fmt.Fprintf(w, "%s %s\n", cmd, n); err != nil {
				written <- err
				return
			}
		}
		w.WriteString("flush\n")
		written <- w.Flush()
	}()
	err := c.read(cmd == "contents", len(names), fn)
	if err != nil {
		// The process's output is out of step from here on.
		c.broken = err
		c.in.Close()
		io.Copy(io.Discard, c.out)
	}
	if werr := <-written; err == nil && werr != nil {
		err = fmt.Errorf("git cat-file: %v: %s", werr, strings.TrimSpace(c.stderr.String()))
		c.broken = err
	}
	return err
}

func (c *catFiler) read(contents bool, n int, fn func(id, typ string, size int64, r io.Reader) error) error {
	for i := 0; i < n; i++ {
		header, err := c.out.ReadString('\n')
		if err != nil {
			return fmt.Errorf("git cat-file: %v: %s", err, strings.TrimSpace(c.stderr.String()))
		}
		f := strings.Fields(header)
		if len(f) != 3 {
			return fmt.Errorf("git cat-file: %s", strings.TrimSpace(header))
		}
		size, err := strconv.ParseInt(f[2], 10, 64)
		if err != nil {
			return fmt.Errorf("git cat-file: bad size in %q", header)
		}
		if !contents {
			if err := fn(f[0], f[1], size, nil); err != nil {
				return err
			}
			continue
		}
		lr := &io.LimitedReader{R: c.out, N: size}
		if err := fn(f[0], f[1], size, lr); err != nil {
			return err
		}
		if lr.N != 0 {
			return errors.New("git cat-file: short object")
		}
		if b, err := c.out.ReadByte(); err != nil || b != '\n' {
			return fmt.Errorf("git cat-file: no newline after %s", f[0])
		}
	}
	return nil
}

// objects reads the objects ids whole.
func (c *catFiler) objects(ids []string) ([]githook.Object, error) {
	out := make([]githook.Object, 0, len(ids))
	err := c.batch("contents", ids, func(id, typ string, size int64, r io.Reader) error {
		raw := make([]byte, size)
		if _, err := io.ReadFull(r, raw); err != nil {
			return fmt.Errorf("git cat-file: %v", err)
		}
		out = append(out, githook.Object{ID: id, Type: typ, Raw: raw})
		return nil
	})
	return out, err
}

// catFileEach streams objects through one `git cat-file`.
func catFileEach(ids []string, fn func(id string, size int64, r io.Reader) error) error {
	if len(ids) == 0 {
		return nil
	}
	c, err := startCatFile()
	if err != nil {
		return err
	}
	err = c.batch("contents", ids, func(id, _ string, size int64, r io.Reader) error { return fn(id, size, r) })
	if cerr := c.close(); err == nil {
		err = cerr
	}
	return err
}
