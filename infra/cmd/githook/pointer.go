package main

import (
	"bytes"
	"encoding/hex"
	"strconv"
	"strings"

	"github.com/hubsec/trustlayer/shared/githook"
)

// lfsPointerMax is the largest blob read as a possible LFS pointer.
const lfsPointerMax = 1024

// parsePointer reads a git-lfs pointer file as git-lfs does: the version
// line first, then oid and size keys.
func parsePointer(b []byte) *githook.LFSPointer {
	if !bytes.HasPrefix(b, []byte("version https://git-lfs.github.com/spec/v1\n")) {
		return nil
	}
	var p githook.LFSPointer
	for _, line := range strings.Split(string(b), "\n") {
		k, v, _ := strings.Cut(line, " ")
		switch k {
		case "oid":
			p.OID = strings.TrimPrefix(v, "sha256:")
		case "size":
			n, err := strconv.ParseInt(v, 10, 64)
			if err != nil {
				return nil
			}
			p.Size = n
		}
	}
	if len(p.OID) != 64 || strings.ToLower(p.OID) != p.OID {
		return nil
	}
	if _, err := hex.DecodeString(p.OID); err != nil {
		return nil
	}
	return &p
}
