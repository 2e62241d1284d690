package scanner

import (
	"context"
	"path"

	"github.com/hubsec/trustlayer/shared/modelformat"
	"github.com/hubsec/trustlayer/shared/scan"
)

// The model-format engine (ONNX, Keras, SavedModel, GGUF, TorchScript)
// runs beside the pickle analysis on its own ranged reader; its findings
// join the result here, in one place.

type formatOut struct {
	rep     modelformat.Report
	fetched int64
	err     error
}

// startFormats runs modelformat.Analyze on the object in the background.
func (s *Scanner) startFormats(ctx context.Context, ref scan.ObjectRef) <-chan formatOut {
	out := make(chan formatOut, 1)
	go func() {
		ra := newRangeReaderAt(ctx, s.Objects, ref, ref.Size)
		rep, err := modelformat.Analyze(ctx, ra, ref.Size, path.Base(ref.Key), modelformat.Options{})
		out <- formatOut{rep, ra.Fetched(), err}
	}()
	return out
}

// applyFormats records the findings and turns them into the verdict's
// inputs: a dangerous finding infects (its engine and reason become the
// result's reason), a reader's problem is an error.
func (s *Scanner) applyFormats(ctx context.Context, ref scan.ObjectRef, res *scan.Result, v *scan.Verdict, fo formatOut) {
	res.Engines[scan.EngineFormats] = modelformat.Version
	res.Findings = fo.rep.Findings
	res.Companions = fo.rep.Companions
	if fo.err != nil {
		v.FormatErr = "model format analysis could not read the object"
		s.Log.WarnContext(ctx, "model format analysis", "object", ref.String(), "err", fo.err)
		return
	}
	for _, f := range fo.rep.Findings {
		if f.Severity == modelformat.Dangerous {
			v.FormatDangerous = f.Engine + ": " + f.Reason
			break
		}
	}
	if len(fo.rep.Problems) > 0 {
		v.FormatErr = "model format analysis incomplete: " + fo.rep.Problems[0]
	}
	if len(fo.rep.Formats) > 0 {
		s.Log.InfoContext(ctx, "model format", "object", ref.String(), "formats", fo.rep.Formats,
			"findings", len(fo.rep.Findings), "bytes", fo.fetched)
	}
}
