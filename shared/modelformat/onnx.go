package modelformat

import (
	"fmt"
	"path"
	"sort"
	"strings"
)

// ONNX field numbers (onnx/onnx.proto).
const (
	onnxModelGraph        = 7
	onnxModelTraining     = 20
	onnxModelFunctions    = 25
	onnxTrainingInit      = 1
	onnxTrainingAlgorithm = 2
	onnxGraphNode         = 1
	onnxGraphInitializer  = 5
	onnxGraphSparseInit   = 15
	onnxNodeName          = 3
	onnxNodeOpType        = 4
	onnxNodeAttribute     = 5
	onnxNodeDomain        = 7
	onnxAttrT             = 5
	onnxAttrG             = 6
	onnxAttrTensors       = 10
	onnxAttrGraphs        = 11
	onnxAttrSparseTensor  = 22
	onnxAttrSparseTensors = 23
	onnxSparseValues      = 1
	onnxSparseIndices     = 2
	onnxTensorName        = 8
	onnxTensorExternal    = 13
	onnxEntryKey          = 1
	onnxEntryValue        = 2
	onnxFunctionNode      = 7
	onnxFunctionDomain    = 10
	onnxFunctionAttrProto = 11
)

// standardONNXDomains are the operator sets the ONNX standard defines.
var standardONNXDomains = map[string]bool{
	"": true, "ai.onnx": true, "ai.onnx.ml": true, "ai.onnx.training": true, "ai.onnx.preview.training": true,
}

type onnxWalker struct {
	s *src
	c *collector
	// first node seen per operator domain, and the domains local
	// functions define (calling one runs no native code).
	domains      map[string]string
	localDomains map[string]bool
}

// readONNX reads a ModelProto: every tensor (initializers, sparse
// initializers, node attribute tensors, in the main graph, subgraphs,
// training graphs and local functions) for external data locations, and
// every node for its operator domain. onnx.load reads external data
// relative to the model's directory.
func readONNX(s *src, c *collector) error {
	if s.size == 0 {
		return errNotFormat
	}
	ok, err := looksLikeMessage(s, 0, s.size, func(f pbField) bool { return f.num == onnxModelGraph && isMsg(f) })
	if err != nil {
		return err
	}
	if !ok {
		return errNotFormat
	}
	w := &onnxWalker{s: s, c: c, domains: map[string]string{}, localDomains: map[string]bool{}}
	err = walk(s, 0, s.size, func(f pbField) error {
		if !isMsg(f) {
			return nil
		}
		switch f.num {
		case onnxModelGraph:
			return w.graph(f, 0)
		case onnxModelTraining:
			return walk(s, f.off, f.off+f.n, func(g pbField) error {
				if isMsg(g) && (g.num == onnxTrainingInit || g.num == onnxTrainingAlgorithm) {
					return w.graph(g, 0)
				}
				return nil
			})
		case onnxModelFunctions:
			return w.function(f)
		}
		return nil
	})
	w.judgeDomains()
	return err
}

func (w *onnxWalker) judgeDomains() {
	var custom []string
	for d := range w.domains {
		if !standardONNXDomains[d] && !w.localDomains[d] {
			custom = append(custom, d)
		}
	}
	sort.Strings(custom)
	for _, d := range custom {
		w.c.add(Caution, "uses operators of the non-standard domain %s (%s): the runtime must supply them as custom native code", quote(d, 100), w.domains[d])
	}
}

func (w *onnxWalker) graph(f pbField, depth int) error {
	if depth > w.s.opt.MaxDepth {
		return fmt.Errorf("%w: subgraphs nested deeper than %d", errLimit, w.s.opt.MaxDepth)
	}
	return walk(w.s, f.off, f.off+f.n, func(g pbField) error {
		if !isMsg(g) {
			return nil
		}
		switch g.num {
		case onnxGraphNode:
			return w.node(g, depth)
		case onnxGraphInitializer:
			return w.tensor(g, "initializer")
		case onnxGraphSparseInit:
			return w.sparse(g, "sparse initializer")
		}
		return nil
	})
}

func (w *onnxWalker) function(f pbField) error {
	return walk(w.s, f.off, f.off+f.n, func(g pbField) error {
		if !isMsg(g) {
			return nil
		}
		switch g.num {
		case onnxFunctionNode:
			return w.node(g, 0)
		case onnxFunctionDomain:
			d, _, err := text(w.s, g, 4096)
			w.localDomains[d] = true
			return err
		case onnxFunctionAttrProto:
			return w.attribute(g, "function attribute", 0)
		}
		return nil
	})
}

func (w *onnxWalker) node(f pbField, depth int) error {
	var name, op, domain string
	var attrs []pbField
	err := walk(w.s, f.off, f.off+f.n, func(g pbField) error {
		if !isMsg(g) {
			return nil
		}
		var err error
		switch g.num {
		case onnxNodeName:
			name, _, err = text(w.s, g, 200)
		case onnxNodeOpType:
			op, _, err = text(w.s, g, 200)
		case onnxNodeDomain:
			domain, _, err = text(w.s, g, 4096)
		case onnxNodeAttribute:
			attrs = append(attrs, g)
		}
		return err
	})
	if err != nil {
		return err
	}
	if _, seen := w.domains[domain]; !seen {
		w.domains[domain] = fmt.Sprintf("node %s, operator %s", quote(name, 100), quote(op, 100))
	}
	where := fmt.Sprintf("attribute of node %s", quote(name, 100))
	for _, a := range attrs {
		if err := w.attribute(a, where, depth); err != nil {
			return err
		}
	}
	return nil
}

func (w *onnxWalker) attribute(f pbField, where string, depth int) error {
	return walk(w.s, f.off, f.off+f.n, func(g pbField) error {
		if !isMsg(g) {
			return nil
		}
		switch g.num {
		case onnxAttrT, onnxAttrTensors:
			return w.tensor(g, where)
		case onnxAttrSparseTensor, onnxAttrSparseTensors:
			return w.sparse(g, where)
		case onnxAttrG, onnxAttrGraphs:
			return w.graph(g, depth+1)
		}
		return nil
	})
}

func (w *onnxWalker) sparse(f pbField, where string) error {
	return walk(w.s, f.off, f.off+f.n, func(g pbField) error {
		if isMsg(g) && (g.num == onnxSparseValues || g.num == onnxSparseIndices) {
			return w.tensor(g, where)
		}
		return nil
	})
}

// tensor judges every external_data location of a TensorProto. Every
// entry keyed "location" is judged, not only the last one the loader
// keeps.
func (w *onnxWalker) tensor(f pbField, where string) error {
	var name string
	var locations []string
	err := walk(w.s, f.off, f.off+f.n, func(g pbField) error {
		if !isMsg(g) {
			return nil
		}
		switch g.num {
		case onnxTensorName:
			var err error
			name, _, err = text(w.s, g, 200)
			return err
		case onnxTensorExternal:
			var key, value string
			var valueCut bool
			err := walk(w.s, g.off, g.off+g.n, func(e pbField) error {
				var err error
				var ok bool
				switch {
				case e.num == onnxEntryKey && isMsg(e):
					key, _, err = text(w.s, e, 100)
				case e.num == onnxEntryValue && isMsg(e):
					value, ok, err = text(w.s, e, 64<<10)
					valueCut = !ok
				}
				return err
			})
			if err != nil {
				return err
			}
			if key == "location" {
				if valueCut {
					return fmt.Errorf("%w: an external data location over 64 KiB", errLimit)
				}
				locations = append(locations, value)
			}
		}
		return nil
	})
	if err != nil {
		return err
	}
	for _, loc := range locations {
		sev, why := judgeLocation(loc)
		if sev != None {
			w.c.add(sev, "tensor %s (%s) reads external data from %s: %s", quote(name, 100), where, quote(loc, 200), why)
		}
		if sev != Dangerous {
			// Inside the folder: whether that file exists is the tree's
			// to say.
			w.c.companion(path.Clean(strings.ReplaceAll(loc, `\`, "/")))
		}
	}
	return nil
}

// judgeLocation applies onnx's rule for external data (PR #4400, 1.13+,
// and the 1.16 fix of CVE-2024-27318): the location is relative to the
// model's directory, never absolute, and does not start with ".." once
// normalised. Backslashes count as separators (Windows).
func judgeLocation(loc string) (Severity, string) {
	for _, r := range loc {
		if r < 0x20 || r == 0x7f {
			return Dangerous, "the location holds a control character (a C loader stops at a NUL)"
		}
	}
	slashed := strings.ReplaceAll(loc, `\`, "/")
	if strings.HasPrefix(slashed, "/") || (len(loc) >= 2 && loc[1] == ':' && isLetter(loc[0])) {
		return Dangerous, "the location is an absolute path (CVE-2022-25882 class)"
	}
	clean := path.Clean(slashed)
	if clean == ".." || strings.HasPrefix(clean, "../") {
		return Dangerous, "the location leaves the model's directory (path traversal, CVE-2022-25882 / CVE-2024-27318 class)"
	}
	for _, part := range strings.Split(slashed, "/") {
		if part == ".." {
			return Caution, "the location contains \"..\" (it stays inside after normalisation, but a symlink in the repository could lead elsewhere)"
		}
	}
	return None, ""
}

func isLetter(b byte) bool { return (b >= 'a' && b <= 'z') || (b >= 'A' && b <= 'Z') }
