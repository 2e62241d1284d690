package scan

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"sort"
	"strings"

	"github.com/hubsec/trustlayer/shared/modelformat"
	"github.com/hubsec/trustlayer/shared/pickle"
)

// A scan result is stored in one table item, which DynamoDB caps at 400
// KB; a crafted pickle can name 10,000 imports (pickle.Options.MaxImports)
// with long names, and a format reader can quote long blocks. One rule
// keeps every stored result within the cap: a result whose findings
// exceed SummaryBytes is stored as a summary (counts, the most severe
// findings up to SummaryBytes, each string cut to SummaryStringBytes) with
// the full report in the uploads bucket under ReportPrefix, named by
// Result.ReportKey. Readers that show findings load the report
// (LoadReport); the verdict, the status and the reason's start are always
// in the item.
const (
	// ReportPrefix holds full scan reports in the uploads bucket: not
	// uploads, never scanned (DecodeEvent skips it).
	ReportPrefix = "_reports/"
	// SummaryBytes bounds the findings kept in a result item (imports,
	// format findings, signatures and the reason, as counted by
	// findingsSize), well under the 400 KB item cap with the rest of the
	// item.
	SummaryBytes = 32 << 10
	// SummaryStringBytes bounds each string of a summary.
	SummaryStringBytes = 512
)

// Counts is how many findings a result has, whether or not they are all
// in the item.
type Counts struct {
	Imports    int
	Findings   int
	Signatures int
}

// Reports stores full scan reports (s3objects.Objects).
type Reports interface {
	PutReport(ctx context.Context, bucket, key string, body []byte) error
	GetReport(ctx context.Context, bucket, key string) ([]byte, bool, error)
}

// ReportKey is where the full report of an object version's result is
// kept: fixed-length, whatever the object's key.
func ReportKey(ref ObjectRef) string {
	h := sha256.Sum256([]byte(ref.Bucket + "\x00" + ref.Key + "\x00" + ref.Version()))
	return ReportPrefix + hex.EncodeToString(h[:]) + ".json"
}

// report is the full report as stored (JSON).
type report struct {
	Bucket     string          `json:"bucket"`
	Key        string          `json:"key"`
	Version    string          `json:"version"`
	Status     Status          `json:"status"`
	Reason     string          `json:"reason,omitempty"`
	SHA256     string          `json:"sha256,omitempty"`
	Signatures []string        `json:"signatures,omitempty"`
	Imports    []pickle.Import `json:"imports,omitempty"`
	Findings   []reportFinding `json:"findings,omitempty"`
}

type reportFinding struct {
	Engine   string `json:"engine"`
	Severity string `json:"severity"`
	Reason   string `json:"reason"`
}

// findingsSize is the bytes r's findings take in an item, near enough:
// each string's length plus a fixed overhead per element.
func findingsSize(r Result) int {
	n := len(r.Reason)
	for _, i := range r.Imports {
		n += len(i.Module) + len(i.Name) + 48
	}
	for _, f := range r.Findings {
		n += len(f.Engine) + len(f.Reason) + 48
	}
	for _, s := range r.Signatures {
		n += len(s) + 8
	}
	return n
}

// CountsOf returns r's counts: the stored ones for a summary, else the
// lengths of its lists.
func CountsOf(r Result) Counts {
	if r.ReportKey != "" || r.Counts != (Counts{}) {
		return r.Counts
	}
	return Counts{Imports: len(r.Imports), Findings: len(r.Findings), Signatures: len(r.Signatures)}
}

// Summarize returns r as it may be stored. When r's findings fit in
// SummaryBytes it is r itself (split false). Otherwise it is a summary,
// with counts, keeping the most severe findings first, and full is the
// report to store under ReportKey(r.Object) (the caller sets
// sum.ReportKey once it is stored).
func Summarize(r Result) (sum Result, full []byte, split bool, err error) {
	if findingsSize(r) <= SummaryBytes {
		return r, nil, false, nil
	}
	rep := report{Bucket: r.Object.Bucket, Key: r.Object.Key, Version: r.Object.Version(), Status: r.Status, Reason: r.Reason,
		SHA256: r.SHA256, Signatures: r.Signatures, Imports: r.Imports}
	for _, f := range r.Findings {
		rep.Findings = append(rep.Findings, reportFinding{Engine: f.Engine, Severity: f.Severity.String(), Reason: f.Reason})
	}
	if full, err = json.Marshal(rep); err != nil {
		return r, nil, false, fmt.Errorf("scan report: %w", err)
	}
	sum = r
	sum.Counts = Counts{Imports: len(r.Imports), Findings: len(r.Findings), Signatures: len(r.Signatures)}
	sum.Reason = cut(r.Reason, 4*SummaryStringBytes)
	budget := SummaryBytes - len(sum.Reason)
	sum.Signatures = nil
	for _, s := range r.Signatures {
		s = cut(s, SummaryStringBytes)
		if budget -= len(s) + 8; budget < 0 {
			break
		}
		sum.Signatures = append(sum.Signatures, s)
	}
	// The most severe first, in their order of appearance.
	fs := append([]modelformat.Finding(nil), r.Findings...)
	sort.SliceStable(fs, func(i, j int) bool { return fs[i].Severity > fs[j].Severity })
	sum.Findings = nil
	for _, f := range fs {
		f.Engine, f.Reason = cut(f.Engine, SummaryStringBytes), cut(f.Reason, SummaryStringBytes)
		if budget -= len(f.Engine) + len(f.Reason) + 48; budget < 0 {
			break
		}
		sum.Findings = append(sum.Findings, f)
	}
	is := append([]pickle.Import(nil), r.Imports...)
	sort.SliceStable(is, func(i, j int) bool { return is[i].Safety > is[j].Safety })
	sum.Imports = nil
	for _, i := range is {
		i.Module, i.Name = cut(i.Module, SummaryStringBytes), cut(i.Name, SummaryStringBytes)
		if budget -= len(i.Module) + len(i.Name) + 48; budget < 0 {
			break
		}
		sum.Imports = append(sum.Imports, i)
	}
	return sum, full, true, nil
}

// cut shortens s to at most n bytes on a UTF-8 boundary, marking the cut.
func cut(s string, n int) string {
	if len(s) <= n {
		return s
	}
	const mark = "…"
	i := n - len(mark)
	for i > 0 && s[i]&0xC0 == 0x80 {
		i--
	}
	return s[:i] + mark
}

// LoadReport returns r with its full findings when it is a summary whose
// report is stored; r itself otherwise. A report that is missing or does
// not name r's object is an error: the summary is not silently served as
// the whole.
func LoadReport(ctx context.Context, reports Reports, bucket string, r Result) (Result, error) {
	if r.ReportKey == "" {
		return r, nil
	}
	if reports == nil {
		return r, fmt.Errorf("scan report %s: no report store", r.ReportKey)
	}
	body, ok, err := reports.GetReport(ctx, bucket, r.ReportKey)
	if err != nil {
		return r, fmt.Errorf("scan report %s: %w", r.ReportKey, err)
	}
	if !ok {
		return r, fmt.Errorf("scan report %s: missing", r.ReportKey)
	}
	var rep report
	if err := json.Unmarshal(body, &rep); err != nil {
		return r, fmt.Errorf("scan report %s: %w", r.ReportKey, err)
	}
	if rep.SHA256 != r.SHA256 || rep.SHA256 == "" && (rep.Key != r.Object.Key || rep.Version != r.Object.Version()) {
		return r, fmt.Errorf("scan report %s: names another object", r.ReportKey)
	}
	out := r
	out.Signatures, out.Imports, out.Findings = rep.Signatures, rep.Imports, nil
	if strings.HasPrefix(rep.Reason, strings.TrimSuffix(r.Reason, "…")) {
		out.Reason = rep.Reason // the summary's reason was cut from it
	}
	for _, f := range rep.Findings {
		sev, _ := modelformat.ParseSeverity(f.Severity)
		out.Findings = append(out.Findings, modelformat.Finding{Engine: f.Engine, Severity: sev, Reason: f.Reason})
	}
	return out, nil
}
