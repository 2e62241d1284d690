package files

import (
	"errors"
	"fmt"
	"strings"

	"github.com/hubsec/trustlayer/shared/scan"
)

func validID(id string) bool {
	if len(id) != 40 && len(id) != 64 {
		return false
	}
	for i := 0; i < len(id); i++ {
		c := id[i]
		if !(c >= '0' && c <= '9' || c >= 'a' && c <= 'f') {
			return false
		}
	}
	return true
}

// checkEntry validates one file as git would have stored it.
func checkEntry(e Entry) error {
	if e.Path == "" || len(e.Path) > MaxPathLen || strings.HasPrefix(e.Path, "/") || strings.HasSuffix(e.Path, "/") {
		return errors.New("bad path")
	}
	for _, seg := range strings.Split(e.Path, "/") {
		if seg == "" || seg == "." || seg == ".." {
			return errors.New("bad path")
		}
	}
	if strings.ContainsAny(e.Path, "\x00\n") {
		return errors.New("bad path")
	}
	switch e.Mode {
	case "100644", "100755", "120000":
	default:
		return fmt.Errorf("mode %q is not a file", e.Mode)
	}
	if !validID(e.BlobID) || e.Size < 0 {
		return errors.New("bad blob id or size")
	}
	if e.LFS != nil {
		if !scan.ValidOID(e.LFS.OID) || e.LFS.Size < 0 {
			return errors.New("bad LFS pointer")
		}
		return nil
	}
	if !scan.ValidOID(e.SHA256) {
		return errors.New("sha256 must be 64 lower-case hex digits")
	}
	if e.Size > MaxPresignedSize {
		return fmt.Errorf("size %d over the %d-byte limit of a regular file", e.Size, int64(MaxPresignedSize))
	}
	return nil
}
