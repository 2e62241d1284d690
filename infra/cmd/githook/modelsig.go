package main

import (
	"github.com/hubsec/trustlayer/shared/githook"
)

// modelSig reads a regular model.sig among a root tree's entries (nil
// when there is none, or it is an LFS pointer, a link or over
// githook.MaxModelSig: the model-signature check then says so).
func modelSig(root []githook.TreeEntry) []byte {
	for _, e := range root {
		if e.Name == "model.sig" && e.LFS == nil && (e.Mode == "100644" || e.Mode == "100755") && e.Size <= githook.MaxModelSig {
			b, err := gitOut(nil, "cat-file", "blob", e.ID)
			if err != nil {
				return nil
			}
			return b
		}
	}
	return nil
}
