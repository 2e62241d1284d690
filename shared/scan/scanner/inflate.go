package scanner

import (
	"compress/flate"
	"io"
)

// newInflater inflates a zip member's deflated bytes.
func newInflater(r io.Reader) io.Reader { return flate.NewReader(r) }
