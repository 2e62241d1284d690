package scan

import (
	"github.com/hubsec/trustlayer/shared/modelformat"
	"github.com/hubsec/trustlayer/shared/pickle"
)

// The Hub's per-file security status (the shape huggingface_hub reads as
// securityFileStatus), derived from our stored result in this one place.
// Our statuses (ok, infected, pending, error) stay the stored truth.
const (
	HubUnscanned  = "unscanned"  // no scan result and none queued
	HubQueued     = "queued"     // pending: queued or running
	HubSafe       = "safe"       // ok: every engine ran, nothing found
	HubCaution    = "caution"    // ok, but ClamAV saw only the structure of a large model archive
	HubSuspicious = "suspicious" // ok, but a pickle import is suspicious (none dangerous)
	HubUnsafe     = "unsafe"     // infected
	HubError      = "error"      // an engine failed; the sweeper retries
)

// FileStatus is securityFileStatus: both engines' blocks are always
// present, null when that engine did not run (or has not yet).
type FileStatus struct {
	Status           string            `json:"status"`
	AVScan           *AVStatus         `json:"avScan"`
	PickleImportScan *PickleScanStatus `json:"pickleImportScan"`
	// ModelFormatScan is the model-format readers' block (ONNX, Keras,
	// SavedModel, GGUF, TorchScript), null when no finding was made.
	ModelFormatScan *FormatScanStatus `json:"modelFormatScan"`
}

// FormatScanStatus lists the model-format findings: status unsafe when
// one is dangerous, caution otherwise.
type FormatScanStatus struct {
	Status   string          `json:"status"`
	Findings []FormatFinding `json:"findings"`
}

// FormatFinding is one finding with its engine (onnx, keras, savedmodel,
// gguf, torchscript), severity (caution, dangerous) and reason.
type FormatFinding struct {
	Engine   string `json:"engine"`
	Severity string `json:"severity"`
	Reason   string `json:"reason"`
}

// AVStatus is the antivirus block.
type AVStatus struct {
	Status     string   `json:"status"`
	VirusNames []string `json:"virusNames,omitempty"`
}

// PickleScanStatus is the pickle import block.
type PickleScanStatus struct {
	Status        string         `json:"status"`
	PickleImports []PickleImport `json:"pickleImports"`
}

// PickleImport is one import with its safety: innocuous, suspicious or
// dangerous.
type PickleImport struct {
	Module string `json:"module"`
	Name   string `json:"name"`
	Safety string `json:"safety"`
}

// VirusNames lists what ClamAV found, and "SHA256-Blocklist" for a
// blocklisted hash.
func (r Result) VirusNames() []string {
	var names []string
	for _, n := range r.Signatures {
		if n != EngineBlocklist {
			names = append(names, n)
		}
	}
	if r.Blocklisted {
		names = append(names, "SHA256-Blocklist")
	}
	return names
}

// IsPickle reports whether the pickle analyser read the file as a pickle
// (alone or inside a model archive) or found imports.
func (r Result) IsPickle() bool {
	switch r.PickleKind {
	case "pickle", "pytorch-zip", "tar":
		return true
	}
	return len(r.Imports) > 0
}

// HubFileStatus maps a stored result (found false: none) to the Hub's
// securityFileStatus.
func HubFileStatus(r Result, found bool) FileStatus {
	if !found {
		return FileStatus{Status: HubUnscanned}
	}
	switch r.Status {
	case StatusPending:
		return FileStatus{Status: HubQueued}
	case StatusOK, StatusInfected, StatusError:
	default:
		return FileStatus{Status: HubUnscanned}
	}
	out := FileStatus{}
	names := r.VirusNames()
	av := &AVStatus{Status: HubSafe, VirusNames: names}
	switch {
	case len(names) > 0:
		av.Status = HubUnsafe
	case r.Status == StatusError:
		av.Status = HubError
	case r.ClamAVMode == ModeStructure:
		av.Status = HubCaution
	}
	out.AVScan = av
	if r.IsPickle() {
		p := &PickleScanStatus{Status: HubSafe, PickleImports: []PickleImport{}}
		for _, i := range r.Imports {
			p.PickleImports = append(p.PickleImports, PickleImport{Module: i.Module, Name: i.Name, Safety: i.Safety.String()})
		}
		switch {
		case r.Highest == pickle.Dangerous:
			p.Status = HubUnsafe
		case r.Status == StatusError && r.Highest < pickle.Dangerous:
			p.Status = HubError
		case r.Highest == pickle.Suspicious:
			p.Status = HubSuspicious
		}
		out.PickleImportScan = p
	}
	formatCaution := false
	if len(r.Findings) > 0 {
		fs := &FormatScanStatus{Status: HubCaution, Findings: []FormatFinding{}}
		for _, f := range r.Findings {
			fs.Findings = append(fs.Findings, FormatFinding{Engine: f.Engine, Severity: f.Severity.String(), Reason: f.Reason})
			if f.Severity == modelformat.Dangerous {
				fs.Status = HubUnsafe
			}
		}
		formatCaution = fs.Status == HubCaution
		out.ModelFormatScan = fs
	}
	switch {
	case r.Status == StatusInfected:
		out.Status = HubUnsafe
	case r.Status == StatusError:
		out.Status = HubError
	case r.Highest == pickle.Suspicious:
		out.Status = HubSuspicious
	case av.Status == HubCaution || formatCaution:
		out.Status = HubCaution
	default:
		out.Status = HubSafe
	}
	return out
}
