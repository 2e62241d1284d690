package scan

import (
	"time"

	"github.com/hubsec/trustlayer/shared/modelformat"
	"github.com/hubsec/trustlayer/shared/pickle"
)

// Status is a file version's scan status; it is also the value of the
// scan-status object tag.
type Status string

// Statuses.
const (
	StatusOK       Status = "ok"       // every engine ran and found nothing
	StatusInfected Status = "infected" // ClamAV found something, a dangerous import, or a blocklisted hash
	StatusPending  Status = "pending"  // queued or running; Deadline says when the sweeper gives up on it
	StatusError    Status = "error"    // an engine failed, timed out or the file exceeded a limit; Reason says which
)

// Final reports whether s is a verdict (ok or infected) that a new
// delivery of the same object version must not change.
func (s Status) Final() bool { return s == StatusOK || s == StatusInfected }

// Engine names used as keys of Result.Engines.
const (
	EngineClamAV    = "clamav"
	EnginePickle    = "pickle"
	EngineBlocklist = "sha256-blocklist"
	EngineFormats   = "modelformat"
)

// PickleEngineVersion names the pickle analyser's rules; a change of rules
// bumps it so cached verdicts are not reused.
const PickleEngineVersion = "modelfile/3"

// Result is the scan result of one object version.
type Result struct {
	Object ObjectRef
	Status Status
	// Reason explains an error or an infection in one sentence.
	Reason string
	SHA256 string // hex, of the whole object; empty until hashed

	Signatures  []string        // ClamAV signature names, and "sha256-blocklist" when blocklisted
	Imports     []pickle.Import // every pickle import found
	Highest     pickle.Safety   // worst import
	PickleKind  string          // what the pickle analyser recognised the file as
	Blocklisted bool
	// Findings of the model-format readers (ONNX, Keras, SavedModel,
	// GGUF, TorchScript), each with its engine, severity and reason.
	Findings []modelformat.Finding
	// Companions are the files the model's loader reads beside this one
	// (modelformat.Report.Companions), judged against each tree that
	// holds the file (files.CompanionFindings).
	Companions []string

	Engines     map[string]string // engine -> version (clamd's VERSION line)
	ClamAVMode  Mode              // full or structure
	ClamAVBytes int64             // bytes clamd received
	PickleBytes int64             // bytes fetched from S3 for the pickle analysis
	CacheHit    bool              // verdict taken from the content cache (bytes re-hashed)

	// A summary (report.go): how many findings there are, and where the
	// full report is when the item holds only the most severe.
	Counts    Counts
	ReportKey string

	ScannedAt time.Time
	Duration  time.Duration

	// Pending bookkeeping.
	Run string // id of the run that claimed the version ("" when only queued)
	// Deadline is when the sweeper acts: a pending scan then counts as
	// stuck, an error is retried. Zero means never (verdicts, errors out
	// of attempts).
	Deadline time.Time
	Attempts int // scan attempts so far, requeues included
}

// Safe reports the Hub's "safe" flag: the verdict is ok.
func (r Result) Safe() bool { return r.Status == StatusOK }

// Verdict is what the engines found, before it becomes a status.
type Verdict struct {
	AVInfected  bool
	AVErr       string
	PickleErr   string
	Blocklisted bool
	Highest     pickle.Safety
	// PickleFinding names what made the pickle analysis dangerous
	// ("dangerous import posix.system in archive/data.pkl", a frame
	// divergence), for the reason.
	PickleFinding string
	Mismatch      string
	// FormatDangerous is the reason of the first dangerous model-format
	// finding ("" when none); FormatErr a format reader's problem.
	FormatDangerous string
	FormatErr       string
}

// Status derives the status: infected wins over error (something was
// found, whatever else failed), error wins over ok (an engine that did not
// run never counts as clean).
func (v Verdict) Status() (Status, string) {
	switch {
	case v.Blocklisted:
		return StatusInfected, "SHA-256 is on the blocklist"
	case v.AVInfected:
		return StatusInfected, "ClamAV found malware"
	case v.Highest == pickle.Dangerous && v.PickleFinding != "":
		return StatusInfected, "pickle analysis found a " + v.PickleFinding
	case v.Highest == pickle.Dangerous:
		return StatusInfected, "pickle imports a dangerous callable"
	case v.FormatDangerous != "":
		return StatusInfected, v.FormatDangerous
	case v.Mismatch != "":
		return StatusError, v.Mismatch
	case v.AVErr != "":
		return StatusError, v.AVErr
	case v.PickleErr != "":
		return StatusError, v.PickleErr
	case v.FormatErr != "":
		return StatusError, v.FormatErr
	}
	return StatusOK, ""
}
