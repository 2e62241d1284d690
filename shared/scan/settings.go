package scan

import (
	"fmt"
	"strconv"
	"time"
)

// Mode says which bytes of a file clamd receives.
type Mode string

// ClamAV scan modes (SCAN_CLAMAV_MODE).
const (
	// ModeFull streams every byte of the file to clamd. It is the default.
	ModeFull Mode = "full"
	// ModeStructure sends clamd, for a recognised model archive (a PyTorch
	// zip checkpoint, a safetensors file) only what is not tensor data:
	// each non-tensor member, decompressed, as its own stream, and the
	// archive's remaining bytes (local headers, gaps, central directory)
	// as one more stream. Tensor bytes are hashed (blocklist, cache) but
	// not seen by ClamAV. Any other file is scanned in full.
	ModeStructure Mode = "structure"
)

// DefaultMaxAVBytes is ClamAV's hard limit: it cannot scan a stream of 2 GiB
// or more. A file that would send clamd more is an error, never ok.
const DefaultMaxAVBytes = 2<<30 - 1

// Settings are the scanner's tunables, read from the environment.
type Settings struct {
	Mode       Mode          // SCAN_CLAMAV_MODE: full (default) or structure
	MaxAVBytes int64         // SCAN_CLAMAV_MAX_BYTES: most bytes sent to clamd per stream (default 2 GiB - 1)
	Timeout    time.Duration // SCAN_TIMEOUT: one scan's budget; pending deadline = now + Timeout + Grace
	Grace      time.Duration // slack after Timeout before the sweeper treats a scan as stuck (1m)
	// MaxAttempts bounds automatic requeues of a version by the sweeper
	// (SCAN_MAX_ATTEMPTS, default 5).
	MaxAttempts int
	// DownloadWait is how long a download of a file whose scan is still
	// pending waits for the verdict before answering 409 with Retry-After
	// (SCAN_DOWNLOAD_WAIT, default 0: answer at once, holding no function
	// while the scan runs; the client retries after Retry-After).
	DownloadWait time.Duration
	Blocklist    Blocklist
}

// DefaultDownloadWait is Settings.DownloadWait when unset: none. A
// download that waited would hold a Lambda slot for the scan's duration
// (100 waiting downloads a second held the account's 1,000 slots).
const DefaultDownloadWait = 0

// LoadSettings reads the settings from env; timeout is config.ScanTimeout.
func LoadSettings(env map[string]string, timeout time.Duration) (Settings, error) {
	s := Settings{Mode: ModeFull, MaxAVBytes: DefaultMaxAVBytes, Timeout: timeout, Grace: time.Minute, MaxAttempts: 5, DownloadWait: DefaultDownloadWait}
	switch v := env["SCAN_CLAMAV_MODE"]; v {
	case "", "full":
	case "structure":
		s.Mode = ModeStructure
	default:
		return s, fmt.Errorf("SCAN_CLAMAV_MODE is %q: use full (every byte to clamd) or structure (model archives without tensor bytes)", v)
	}
	if v := env["SCAN_CLAMAV_MAX_BYTES"]; v != "" {
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil || n <= 0 || n > DefaultMaxAVBytes {
			return s, fmt.Errorf("SCAN_CLAMAV_MAX_BYTES is %q: give a byte count up to %d (clamd's StreamMaxLength)", v, int64(DefaultMaxAVBytes))
		}
		s.MaxAVBytes = n
	}
	if v := env["SCAN_MAX_ATTEMPTS"]; v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 {
			return s, fmt.Errorf("SCAN_MAX_ATTEMPTS is %q: give a positive integer", v)
		}
		s.MaxAttempts = n
	}
	if v := env["SCAN_DOWNLOAD_WAIT"]; v != "" {
		d, err := time.ParseDuration(v)
		if err != nil || d < 0 || d > time.Minute {
			return s, fmt.Errorf("SCAN_DOWNLOAD_WAIT is %q: give a Go duration from 0s to 1m", v)
		}
		s.DownloadWait = d
	}
	b, err := LoadBlocklist(env)
	if err != nil {
		return s, err
	}
	s.Blocklist = b
	return s, nil
}
