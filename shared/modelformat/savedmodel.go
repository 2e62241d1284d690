package modelformat

import (
	"fmt"
	"sort"
)

// TensorFlow field numbers (saved_model.proto, meta_graph.proto,
// graph.proto, node_def.proto, function.proto, op_def.proto).
const (
	smMetaGraphs      = 2
	mgGraphDef        = 2
	graphNode         = 1
	graphLibrary      = 2
	libFunction       = 1
	funcSignature     = 1
	funcNodeDef       = 3
	opDefName         = 1
	nodeName          = 1
	nodeOp            = 2
	smSchemaVersion   = 1
	metaGraphInfoDef  = 1
	metaGraphSaverDef = 3
)

// tfOps are the operations that read or write files or run Python when a
// graph runs: modelscan's (ReadFile, WriteFile), saved_model_cli scan's
// default deny list (ReadFile, WriteFile, PrintV2) and the others of those
// kinds. SaveV2/RestoreV2/MergeV2Checkpoints are not listed: every
// SavedModel's saver uses them.
var tfOps = map[string]struct {
	sev  Severity
	what string
}{
	"ReadFile":                   {Dangerous, "reads a file"},
	"WriteFile":                  {Dangerous, "writes a file"},
	"MatchingFiles":              {Dangerous, "lists files on the host"},
	"PyFunc":                     {Dangerous, "runs Python code"},
	"PyFuncStateless":            {Dangerous, "runs Python code"},
	"EagerPyFunc":                {Dangerous, "runs Python code"},
	"ImmutableConst":             {Dangerous, "maps a file of the host into memory"},
	"WholeFileReader":            {Dangerous, "reads files"},
	"WholeFileReaderV2":          {Dangerous, "reads files"},
	"TextLineReader":             {Dangerous, "reads files"},
	"TextLineReaderV2":           {Dangerous, "reads files"},
	"TFRecordReader":             {Dangerous, "reads files"},
	"TFRecordReaderV2":           {Dangerous, "reads files"},
	"FixedLengthRecordReader":    {Dangerous, "reads files"},
	"FixedLengthRecordReaderV2":  {Dangerous, "reads files"},
	"TextLineDataset":            {Dangerous, "reads files"},
	"TFRecordDataset":            {Dangerous, "reads files"},
	"TFRecordDatasetV2":          {Dangerous, "reads files"},
	"FixedLengthRecordDataset":   {Dangerous, "reads files"},
	"FixedLengthRecordDatasetV2": {Dangerous, "reads files"},
	"DatasetToTFRecord":          {Dangerous, "writes a file"},
	"SaveDataset":                {Dangerous, "writes files"},
	"SaveDatasetV2":              {Dangerous, "writes files"},
	"LoadDataset":                {Dangerous, "reads files"},
	"PrintV2":                    {Caution, "can write to a file (saved_model_cli's deny list)"},
	"DebugIdentity":              {Caution, "can write debug dumps to files"},
	"DebugIdentityV2":            {Caution, "can write debug dumps to files"},
	"DebugIdentityV3":            {Caution, "can write debug dumps to files"},
}

// variableOps are the operations of a graph whose values come from the
// checkpoint in variables/ (tf.saved_model.load restores them from
// variables/variables.index and its data shards).
var variableOps = map[string]bool{"VarHandleOp": true, "VariableV2": true, "Variable": true, "RestoreV2": true}

// readSavedModel reads a SavedModel protobuf: the nodes of every
// MetaGraphDef's graph and of its function library (TensorFlow runs
// both), naming each listed operation with its node and function.
func readSavedModel(s *src, c *collector) error {
	if s.size == 0 {
		return errNotFormat
	}
	ok, err := looksLikeMessage(s, 0, s.size, func(f pbField) bool { return f.num == smMetaGraphs && isMsg(f) })
	if err != nil || !ok {
		if err == nil {
			err = errNotFormat
		}
		return err
	}
	// The meta graphs must parse as MetaGraphDefs holding a graph; else
	// this is another protobuf (an ONNX model's field 2 is a string).
	var metas []pbField
	err = walk(s, 0, s.size, func(f pbField) error {
		if f.num != smMetaGraphs || !isMsg(f) {
			return nil
		}
		ok, err := looksLikeMessage(s, f.off, f.off+f.n, func(g pbField) bool { return g.num == mgGraphDef && isMsg(g) })
		if err != nil {
			return err
		}
		if ok {
			metas = append(metas, f)
		}
		return nil
	})
	if err != nil {
		return err
	}
	if len(metas) == 0 {
		return errNotFormat
	}
	found := map[string][]string{}
	node := func(f pbField, where string) error {
		var name, op string
		err := walk(s, f.off, f.off+f.n, func(g pbField) error {
			var err error
			switch {
			case g.num == nodeName && isMsg(g):
				name, _, err = text(s, g, 200)
			case g.num == nodeOp && isMsg(g):
				op, _, err = text(s, g, 200)
			}
			return err
		})
		if err != nil {
			return err
		}
		if _, listed := tfOps[op]; listed {
			found[op] = append(found[op], fmt.Sprintf("node %s%s", quote(name, 100), where))
		}
		if variableOps[op] {
			c.companion(VariablesIndex)
		}
		return nil
	}
	for _, m := range metas {
		err := walk(s, m.off, m.off+m.n, func(g pbField) error {
			if g.num != mgGraphDef || !isMsg(g) {
				return nil
			}
			return walk(s, g.off, g.off+g.n, func(h pbField) error {
				if !isMsg(h) {
					return nil
				}
				switch h.num {
				case graphNode:
					return node(h, "")
				case graphLibrary:
					return walk(s, h.off, h.off+h.n, func(l pbField) error {
						if l.num != libFunction || !isMsg(l) {
							return nil
						}
						return function(s, l, node)
					})
				}
				return nil
			})
		})
		if err != nil {
			return err
		}
	}
	ops := make([]string, 0, len(found))
	for op := range found {
		ops = append(ops, op)
	}
	sort.Strings(ops)
	for _, op := range ops {
		where := found[op]
		more := ""
		if len(where) > 3 {
			more = fmt.Sprintf(" and %d more", len(where)-3)
			where = where[:3]
		}
		c.add(tfOps[op].sev, "operation %s (%s) in %s%s", op, tfOps[op].what, joinList(where), more)
	}
	return nil
}

// function walks a FunctionDef's nodes, naming the function.
func function(s *src, f pbField, node func(pbField, string) error) error {
	var name string
	var nodes []pbField
	err := walk(s, f.off, f.off+f.n, func(g pbField) error {
		if !isMsg(g) {
			return nil
		}
		switch g.num {
		case funcSignature:
			return walk(s, g.off, g.off+g.n, func(h pbField) error {
				if h.num == opDefName && isMsg(h) {
					var err error
					name, _, err = text(s, h, 200)
					return err
				}
				return nil
			})
		case funcNodeDef:
			nodes = append(nodes, g)
		}
		return nil
	})
	if err != nil {
		return err
	}
	for _, n := range nodes {
		if err := node(n, " of function "+quote(name, 100)); err != nil {
			return err
		}
	}
	return nil
}

func joinList(v []string) string {
	out := ""
	for i, x := range v {
		if i > 0 {
			out += ", "
		}
		out += x
	}
	return out
}
