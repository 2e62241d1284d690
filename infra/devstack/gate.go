package devstack

import (
	"context"
	"net"
	"sync"
)

// gate is a TCP relay in front of DynamoDB Local for the functions only
// (the tests' own clients reach DynamoDB Local directly). Paused (Stop),
// it accepts connections and relays nothing, as a hung or cut-off table
// does, so a test sees what every path answers then, while other test
// packages running at the same time keep their table; resumed (Start),
// what was held goes through. It implements gateway.ServiceControl.
type gate struct {
	target string
	mu     sync.Mutex
	cond   *sync.Cond
	paused bool
}

// newGate listens on a free loopback port and relays to target.
func newGate(target string) (*gate, string, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, "", err
	}
	g := &gate{target: target}
	g.cond = sync.NewCond(&g.mu)
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			go g.relay(c)
		}
	}()
	return g, "http://" + l.Addr().String(), nil
}

// Stop pauses the relay.
func (g *gate) Stop(ctx context.Context) error {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.paused = true
	return nil
}

// Start resumes it.
func (g *gate) Start(ctx context.Context) error {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.paused = false
	g.cond.Broadcast()
	return nil
}

func (g *gate) wait() {
	g.mu.Lock()
	for g.paused {
		g.cond.Wait()
	}
	g.mu.Unlock()
}

func (g *gate) relay(c net.Conn) {
	defer c.Close()
	g.wait()
	d, err := net.Dial("tcp", g.target)
	if err != nil {
		return
	}
	defer d.Close()
	done := make(chan struct{}, 2)
	go g.copy(d, c, done)
	go g.copy(c, d, done)
	<-done // either side ended: end both
}

func (g *gate) copy(dst, src net.Conn, done chan<- struct{}) {
	defer func() { done <- struct{}{} }()
	buf := make([]byte, 32<<10)
	for {
		n, err := src.Read(buf)
		if n > 0 {
			g.wait()
			if _, werr := dst.Write(buf[:n]); werr != nil {
				return
			}
		}
		if err != nil {
			return
		}
	}
}
