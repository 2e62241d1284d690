// Package clamd is a client for ClamAV's daemon: it streams data to clamd
// with the INSTREAM command and returns the verdict.
//
// Memory stays bounded whatever the size of the stream: data goes through
// one fixed chunk buffer. A stream longer than clamd's StreamMaxLength is an
// ErrSizeLimit error, never a clean verdict.
package clamd

import (
	"bufio"
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"strings"
	"time"
)

// Client talks to one clamd. The zero value is not usable: set Network and
// Address. Durations and ChunkSize take defaults when zero.
type Client struct {
	Network     string        // "tcp" or "unix"
	Address     string        // "127.0.0.1:3310" or a socket path
	DialTimeout time.Duration // default 5s
	// ReadTimeout bounds each write of a chunk and the wait for the reply
	// (clamd scans after the last chunk). Default 2 minutes.
	ReadTimeout time.Duration
	ChunkSize   int // bytes per INSTREAM chunk, default 64 KiB
}

// Verdict is clamd's answer for one stream.
type Verdict struct {
	Infected   bool
	Signatures []string // names of the signatures found, if Infected
	BytesSent  int64    // payload bytes sent to clamd
}

func (c *Client) dialTimeout() time.Duration {
	if c.DialTimeout > 0 {
		return c.DialTimeout
	}
	return 5 * time.Second
}

func (c *Client) readTimeout() time.Duration {
	if c.ReadTimeout > 0 {
		return c.ReadTimeout
	}
	return 2 * time.Minute
}

func (c *Client) chunkSize() int {
	if c.ChunkSize > 0 {
		return c.ChunkSize
	}
	return 64 << 10
}

// conn dials clamd and arranges for ctx cancellation to unblock any I/O.
func (c *Client) conn(ctx context.Context) (net.Conn, func(), error) {
	d := net.Dialer{Timeout: c.dialTimeout()}
	conn, err := d.DialContext(ctx, c.Network, c.Address)
	if err != nil {
		if ctx.Err() != nil {
			return nil, nil, &Error{Kind: KindTimeout, Err: ctx.Err()}
		}
		return nil, nil, &Error{Kind: KindUnreachable, Err: err}
	}
	stop := context.AfterFunc(ctx, func() { conn.SetDeadline(time.Unix(1, 0)) })
	return conn, func() { stop(); conn.Close() }, nil
}

// ioError classifies a network error during a command.
func ioError(ctx context.Context, err error) error {
	if ctx.Err() != nil {
		return &Error{Kind: KindTimeout, Err: ctx.Err()}
	}
	if errors.Is(err, os.ErrDeadlineExceeded) {
		return &Error{Kind: KindTimeout, Err: err}
	}
	return &Error{Kind: KindProtocol, Err: err}
}

// command sends a z-command without payload and returns its reply.
func (c *Client) command(ctx context.Context, cmd string) (string, error) {
	conn, done, err := c.conn(ctx)
	if err != nil {
		return "", err
	}
	defer done()
	conn.SetDeadline(time.Now().Add(c.readTimeout()))
	if _, err := io.WriteString(conn, "z"+cmd+"\x00"); err != nil {
		return "", ioError(ctx, err)
	}
	reply, err := readReply(conn)
	if err != nil {
		return "", ioError(ctx, err)
	}
	return reply, nil
}

// Ping checks clamd answers PONG.
func (c *Client) Ping(ctx context.Context) error {
	reply, err := c.command(ctx, "PING")
	if err != nil {
		return err
	}
	if reply != "PONG" {
		return &Error{Kind: KindProtocol, Reply: reply}
	}
	return nil
}

// Version returns clamd's version line, for example
// "ClamAV 1.4.6/27000/Mon Jan  1 00:00:00 2026".
func (c *Client) Version(ctx context.Context) (string, error) {
	return c.command(ctx, "VERSION")
}

// Scan streams r to clamd with INSTREAM and returns the verdict. It reads r
// to the end unless clamd stops it (size limit) or ctx ends.
func (c *Client) Scan(ctx context.Context, r io.Reader) (Verdict, error) {
	var v Verdict
	conn, done, err := c.conn(ctx)
	if err != nil {
		return v, err
	}
	defer done()
	timeout := c.readTimeout()
	conn.SetDeadline(time.Now().Add(timeout))
	if _, err := io.WriteString(conn, "zINSTREAM\x00"); err != nil {
		return v, ioError(ctx, err)
	}
	buf := make([]byte, 4+c.chunkSize())
	for {
		n, rerr := io.ReadFull(r, buf[4:])
		if n > 0 {
			binary.BigEndian.PutUint32(buf[:4], uint32(n))
			conn.SetDeadline(time.Now().Add(timeout))
			if _, err := conn.Write(buf[:4+n]); err != nil {
				// clamd closes the connection after an ERROR reply such as
				// the size limit: report its reason if it left one.
				return v, c.replyAfterWriteError(ctx, conn, err)
			}
			v.BytesSent += int64(n)
		}
		if errors.Is(rerr, io.EOF) || errors.Is(rerr, io.ErrUnexpectedEOF) {
			break
		}
		if rerr != nil {
			return v, fmt.Errorf("clamd: read input: %w", rerr)
		}
	}
	conn.SetDeadline(time.Now().Add(timeout))
	if _, err := conn.Write([]byte{0, 0, 0, 0}); err != nil {
		return v, c.replyAfterWriteError(ctx, conn, err)
	}
	reply, err := readReply(conn)
	if err != nil {
		return v, ioError(ctx, err)
	}
	return parseScanReply(reply, v)
}

func (c *Client) replyAfterWriteError(ctx context.Context, conn net.Conn, werr error) error {
	if ctx.Err() != nil {
		return &Error{Kind: KindTimeout, Err: ctx.Err()}
	}
	conn.SetReadDeadline(time.Now().Add(2 * time.Second))
	if reply, err := readReply(conn); err == nil && reply != "" {
		if _, perr := parseScanReply(reply, Verdict{}); perr != nil {
			return perr
		}
	}
	return ioError(ctx, werr)
}

// readReply reads one NUL-terminated reply (or up to EOF), at most 64 KiB.
func readReply(r io.Reader) (string, error) {
	br := bufio.NewReader(io.LimitReader(r, 64<<10))
	b, err := br.ReadBytes(0)
	if err != nil && !(errors.Is(err, io.EOF) && len(b) > 0) {
		return "", err
	}
	return strings.TrimSpace(string(bytes.TrimRight(b, "\x00"))), nil
}

// parseScanReply turns "stream: OK", "stream: NAME FOUND" (one per line when
// clamd reports several) or "... ERROR" into a verdict.
func parseScanReply(reply string, v Verdict) (Verdict, error) {
	if strings.HasSuffix(reply, "ERROR") {
		if strings.Contains(reply, "size limit exceeded") {
			return v, &Error{Kind: KindSizeLimit, Reply: reply}
		}
		return v, &Error{Kind: KindClamd, Reply: reply}
	}
	ok := false
	for _, line := range strings.Split(reply, "\n") {
		line = strings.TrimSpace(line)
		if line == "" {
			continue
		}
		body, found := strings.CutPrefix(line, "stream: ")
		if !found {
			return v, &Error{Kind: KindProtocol, Reply: reply}
		}
		switch {
		case body == "OK":
			ok = true
		case strings.HasSuffix(body, " FOUND"):
			v.Infected = true
			v.Signatures = append(v.Signatures, strings.TrimSuffix(body, " FOUND"))
		default:
			return v, &Error{Kind: KindProtocol, Reply: reply}
		}
	}
	if !ok && !v.Infected {
		return v, &Error{Kind: KindProtocol, Reply: reply}
	}
	// A limit signature only says clamd stopped looking: the file is not
	// infected by it, nor clean. A real signature found as well wins.
	var found, limits []string
	for _, s := range v.Signatures {
		if strings.HasPrefix(s, limitsPrefix) {
			limits = append(limits, s)
		} else {
			found = append(found, s)
		}
	}
	if len(limits) > 0 && len(found) == 0 {
		return Verdict{BytesSent: v.BytesSent}, &Error{Kind: KindLimit, Reply: strings.Join(limits, ", ")}
	}
	v.Signatures = found
	v.Infected = len(found) > 0
	return v, nil
}

// limitsPrefix names the signatures clamd reports under AlertExceedsMax
// when it reaches MaxRecursion, MaxFiles, MaxScanTime, MaxScanSize...
const limitsPrefix = "Heuristics.Limits.Exceeded."
