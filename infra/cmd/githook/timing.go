package main

import (
	"fmt"
	"io"
	"time"
)

// phases prints how long each phase of a hook took, when the git config
// sets trustlayer.timings (for operators measuring what a push costs).
type phases struct {
	w    io.Writer
	on   bool
	last time.Time
}

func newPhases(cfg map[string]string, w io.Writer) *phases {
	return &phases{w: w, on: cfg["trustlayer.timings"] == "true", last: time.Now()}
}

func (p *phases) done(name string) {
	if !p.on {
		return
	}
	now := time.Now()
	fmt.Fprintf(p.w, "timing: %s %.1f ms\n", name, float64(now.Sub(p.last).Microseconds())/1000)
	p.last = now
}

// took prints how long one of several things running at once took; the
// phase clock is not moved.
func (p *phases) took(name string, d time.Duration) {
	if !p.on {
		return
	}
	fmt.Fprintf(p.w, "timing: %s %.1f ms\n", name, float64(d.Microseconds())/1000)
}
