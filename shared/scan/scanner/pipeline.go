package scanner

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"path"
	"time"

	"github.com/hubsec/trustlayer/shared/clamd"
	"github.com/hubsec/trustlayer/shared/modelfile"
	"github.com/hubsec/trustlayer/shared/modelformat"
	"github.com/hubsec/trustlayer/shared/pickle"
	"github.com/hubsec/trustlayer/shared/platform/audit"
	"github.com/hubsec/trustlayer/shared/scan"
)

// EventInfected is the audit event type recorded on a repository owner
// when one of its files is infected.
const EventInfected = "file.infected"

// AV is the antivirus engine (*clamd.Client).
type AV interface {
	Version(ctx context.Context) (string, error)
	Scan(ctx context.Context, r io.Reader) (clamd.Verdict, error)
}

var _ AV = (*clamd.Client)(nil)

// Scanner runs the pipeline. Audit and Owners may be nil (no audit events).
type Scanner struct {
	// Bucket, when set, is the only bucket whose objects are scanned:
	// events naming another bucket are skipped (an S3 server that notifies
	// for every bucket, or a misrouted notification, cannot make the
	// scanner read and tag objects it does not own).
	Bucket   string
	Store    scan.Store
	Objects  scan.Objects
	AV       AV
	Audit    scan.AuditLog
	Owners   scan.Owners
	Settings scan.Settings
	// Leaks, when set, revokes live credentials found in LFS objects
	// (invariant 10); nil: LFS objects are not searched for them.
	Leaks LeakRevoker
	// Reports keeps the full report of a result too large for its item
	// (scan.Summarize); without it such a result is stored as its summary
	// alone.
	Reports scan.Reports
	Log     *slog.Logger
	Now     func() time.Time // time.Now when nil
}

func (s *Scanner) now() time.Time {
	if s.Now != nil {
		return s.Now().UTC()
	}
	return time.Now().UTC()
}

func newRun() string {
	var b [8]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

// EventSummary is the scanner function's answer to one event.
type EventSummary struct {
	Objects []ObjectSummary `json:"objects"`
}

// ObjectSummary says what happened to one object of an event.
type ObjectSummary struct {
	Key     string      `json:"key"`
	Version string      `json:"version"`
	Status  scan.Status `json:"status,omitempty"`
	Skipped string      `json:"skipped,omitempty"` // why nothing was scanned (duplicate delivery, gone)
}

// HandleQueueEvent handles what the scanner function receives: an SQS
// event from the scan queue (each message an S3 event notification, from
// the bucket or from a sender of scan.Queue), answered with the messages
// that failed, which stay in the queue; or, invoked directly, an S3 event
// (HandleEvent).
func (s *Scanner) HandleQueueEvent(ctx context.Context, raw []byte) (any, error) {
	msgs, ok := scan.DecodeQueueEvent(raw)
	if !ok {
		return s.HandleEvent(ctx, raw)
	}
	resp := scan.BatchResponse{BatchItemFailures: []scan.BatchItemFailure{}}
	for _, m := range msgs {
		sum, err := s.HandleEvent(ctx, []byte(m.Body))
		if err != nil {
			s.Log.WarnContext(ctx, "scan message failed; it stays in the queue", "message", m.MessageID,
				"receiveCount", m.Attributes["ApproximateReceiveCount"], "err", err)
			resp.BatchItemFailures = append(resp.BatchItemFailures, scan.BatchItemFailure{ItemIdentifier: m.MessageID})
			continue
		}
		s.Log.DebugContext(ctx, "scan message done", "message", m.MessageID, "objects", len(sum.Objects))
	}
	return resp, nil
}

// HandleEvent scans every object an S3 event names. It returns an error
// (so Lambda retries, then dead-letters) only when something other than
// the file itself failed: the table, S3 or the tag write.
func (s *Scanner) HandleEvent(ctx context.Context, raw []byte) (EventSummary, error) {
	refs, err := scan.DecodeEvent(raw)
	if err != nil {
		return EventSummary{}, err
	}
	sum := EventSummary{Objects: []ObjectSummary{}}
	var errs []error
	for _, ref := range refs {
		if s.Bucket != "" && ref.Bucket != s.Bucket {
			sum.Objects = append(sum.Objects, ObjectSummary{Key: ref.Key, Version: ref.Version(), Skipped: "not the uploads bucket"})
			continue
		}
		o, err := s.ScanObject(ctx, ref)
		if err != nil {
			errs = append(errs, fmt.Errorf("scan %s: %w", ref, err))
		}
		sum.Objects = append(sum.Objects, o)
	}
	return sum, errors.Join(errs...)
}

// ScanObject scans one object version unless it already has a scan.Verdict or
// another run holds it. A repeated delivery re-applies the stored scan.Verdict's
// tag and scans nothing.
func (s *Scanner) ScanObject(ctx context.Context, ref scan.ObjectRef) (ObjectSummary, error) {
	sum := ObjectSummary{Key: ref.Key, Version: ref.Version()}
	info, err := s.Objects.Head(ctx, ref.Bucket, ref.Key, ref.VersionID)
	if errors.Is(err, scan.ErrObjectGone) {
		sum.Skipped = "object gone"
		return sum, nil
	}
	if err != nil {
		return sum, err
	}
	if ref.VersionID == "" {
		ref.VersionID = info.VersionID
	}
	ref.ETag, ref.Size = info.ETag, info.Size
	sum.Version = ref.Version()

	run, now := newRun(), s.now()
	claim, err := s.Store.Claim(ctx, ref, run, now, now.Add(s.Settings.Timeout+s.Settings.Grace))
	if err != nil {
		return sum, err
	}
	if !claim.Won {
		sum.Status = claim.Existing.Status
		if claim.Existing.Status.Final() {
			sum.Skipped = "already scanned"
			// The first run may have died between its result and its tag.
			return sum, s.Objects.SetTag(ctx, ref.Bucket, ref.Key, ref.VersionID, claim.Existing.Status)
		}
		sum.Skipped = "another scan is running"
		return sum, nil
	}
	if err := s.Objects.SetTag(ctx, ref.Bucket, ref.Key, ref.VersionID, scan.StatusPending); err != nil {
		s.Log.WarnContext(ctx, "tag pending", "object", ref.String(), "err", err)
	}

	sctx, cancel := context.WithTimeout(ctx, s.Settings.Timeout)
	res := s.scan(sctx, ref)
	cancel()
	if ctx.Err() != nil {
		return sum, ctx.Err() // the invocation ended; the sweeper will requeue
	}
	if parts, isLFS := scan.ParseObjectKey(ref.Key); isLFS && (claim.Attempts <= 1 || !scan.Outage(res.Reason)) {
		// Credentials in LFS files are found as in git files: revoked
		// before the verdict is stored, so a failure scans again. During
		// a clamd outage only the first attempt searches (the credential
		// is revoked at once); the outage's retries read nothing, and the
		// scan that settles the file searches again.
		if _, err := s.searchSecrets(ctx, ref, parts); err != nil {
			return sum, err
		}
	}
	res.Run, res.Attempts = run, claim.Attempts
	if scan.Retries(res, s.Settings) {
		res.Deadline = res.ScannedAt // the sweeper retries it on its next round
	}
	if err := s.Store.Complete(ctx, res); errors.Is(err, scan.ErrLostClaim) {
		sum.Skipped = "claim lost to a newer run"
		return sum, nil
	} else if err != nil {
		return sum, err
	}
	sum.Status = res.Status
	s.Log.InfoContext(ctx, "scanned", "object", ref.String(), "status", res.Status, "reason", res.Reason,
		"sha256", res.SHA256, "clamavMode", res.ClamAVMode, "clamavBytes", res.ClamAVBytes,
		"pickleBytes", res.PickleBytes, "cacheHit", res.CacheHit, "duration", res.Duration)
	if err := s.Objects.SetTag(ctx, ref.Bucket, ref.Key, ref.VersionID, res.Status); err != nil {
		return sum, fmt.Errorf("tag %s: %w", res.Status, err)
	}
	if res.Status == scan.StatusInfected {
		s.audit(ctx, res)
	}
	return sum, nil
}

// audit records the infection on the repository owner. A failure is
// logged: the scan.Verdict and the tag, which protect downloads, are stored.
func (s *Scanner) audit(ctx context.Context, res scan.Result) {
	parts, ok := scan.ParseRepoKey(res.Object.Key)
	if !ok || s.Audit == nil || s.Owners == nil {
		return
	}
	subject, err := s.Owners.OwnerSubject(ctx, parts)
	if err != nil {
		s.Log.WarnContext(ctx, "audit infected file: owner", "object", res.Object.String(), "err", err)
		return
	}
	ev := audit.Event{Subject: subject, At: res.ScannedAt, Type: EventInfected, Details: map[string]string{
		"repo": string(parts.Type) + "/" + parts.Namespace + "/" + parts.Name, "oid": parts.OID,
		"version": res.Object.Version(), "reason": res.Reason, "signatures": joinNames(res.Signatures, res.Imports),
	}}
	if err := s.Audit.AppendAudit(ctx, ev); err != nil {
		s.Log.WarnContext(ctx, "audit infected file", "object", res.Object.String(), "err", err)
	}
}

func joinNames(sigs []string, imports []pickle.Import) string {
	out := ""
	add := func(v string) {
		if out != "" {
			out += ", "
		}
		out += v
	}
	for _, s := range sigs {
		add(s)
	}
	for _, i := range imports {
		if i.Safety == pickle.Dangerous {
			add(i.Module + "." + i.Name)
		}
	}
	return out
}

// scan runs the engines on ref and derives the result. It never fails:
// whatever goes wrong is the result's error reason.
func (s *Scanner) scan(ctx context.Context, ref scan.ObjectRef) scan.Result {
	start := s.now()
	res := scan.Result{Object: ref, Engines: map[string]string{
		scan.EnginePickle:    scan.PickleEngineVersion,
		scan.EngineBlocklist: fmt.Sprintf("%d hashes", s.Settings.Blocklist.Len()),
	}, ClamAVMode: s.Settings.Mode}
	parts, isLFS := scan.ParseObjectKey(ref.Key)
	avVersion, avVerErr := s.AV.Version(ctx)
	if avVerErr == nil {
		res.Engines[scan.EngineClamAV] = avVersion
	}

	var v scan.Verdict
	if isLFS && avVerErr == nil {
		if hit, finding, ok := s.fromCache(ctx, ref, parts.OID, avVersion, &res); ok {
			res = hit
			// The blocklist is applied afresh by finish, never from the cache.
			res.Signatures = withoutBlocklist(hit.Signatures)
			v = scan.Verdict{AVInfected: len(res.Signatures) > 0, Highest: hit.Highest, PickleFinding: finding}
			for _, f := range hit.Findings {
				if f.Severity == modelformat.Dangerous && v.FormatDangerous == "" {
					v.FormatDangerous = f.Engine + ": " + f.Reason
				}
			}
			return s.finish(res, v, parts, isLFS, start)
		}
	}

	type pickleOut struct {
		rep     modelfile.Report
		fetched int64
		err     error
	}
	pc := make(chan pickleOut, 1)
	go func() {
		ra := newRangeReaderAt(ctx, s.Objects, ref, ref.Size)
		rep, err := modelfile.Analyze(ctx, ra, ref.Size, path.Base(ref.Key), modelfile.Options{})
		pc <- pickleOut{rep, ra.Fetched(), err}
	}()
	fc := s.startFormats(ctx, ref)

	sha, avErr := s.antivirus(ctx, ref, avVerErr, &res)
	v.AVErr = avErr
	v.AVInfected = len(res.Signatures) > 0
	res.SHA256 = sha

	po := <-pc
	res.PickleBytes = po.fetched
	res.PickleKind = string(po.rep.Kind)
	res.Imports, res.Highest = po.rep.Imports(), po.rep.Highest
	v.Highest = po.rep.Highest
	v.PickleFinding = po.rep.Finding()
	switch {
	case po.err != nil:
		v.PickleErr = "pickle analysis could not read the object"
		s.Log.WarnContext(ctx, "pickle analysis", "object", ref.String(), "err", po.err)
	case len(po.rep.Problems) > 0:
		v.PickleErr = "pickle analysis incomplete: " + po.rep.Problems[0]
	}
	s.applyFormats(ctx, ref, &res, &v, <-fc)
	if sha == "" && v.AVErr == "" {
		v.AVErr = "could not hash the object"
	}
	res = s.finish(res, v, parts, isLFS, start)
	res = s.summarize(ctx, res)
	// Cache what the engines found; a scan.Verdict due to the blocklist alone is
	// not cached (the blocklist can change, and is cheap to re-apply).
	onlyBlocklist := res.Blocklisted && !v.AVInfected && v.Highest != pickle.Dangerous && v.FormatDangerous == ""
	if res.Status.Final() && res.SHA256 != "" && v.Mismatch == "" && !onlyBlocklist {
		e := scan.CacheEntry{SHA256: res.SHA256, Status: res.Status, Reason: res.Reason, Signatures: withoutBlocklist(res.Signatures),
			Result: res, ClamAVVersion: res.Engines[scan.EngineClamAV], Mode: res.ClamAVMode, PickleVersion: scan.PickleEngineVersion, FormatVersion: modelformat.Version,
			PickleFinding: v.PickleFinding, ScannedAt: res.ScannedAt}
		if err := s.Store.PutCache(ctx, e); err != nil {
			s.Log.WarnContext(ctx, "content cache", "sha256", res.SHA256, "err", err)
		}
	}
	return res
}

// summarize makes res fit its item (scan.Summarize): the summary is
// stored, the full report goes to Reports first. A report that cannot be
// stored makes the result an error, retried like any other.
func (s *Scanner) summarize(ctx context.Context, res scan.Result) scan.Result {
	sum, full, split, err := scan.Summarize(res)
	if err != nil || !split {
		return res
	}
	if s.Reports == nil {
		s.Log.WarnContext(ctx, "scan report not kept: no report store", "object", res.Object.String(), "imports", sum.Counts.Imports)
		return sum
	}
	key := scan.ReportKey(res.Object)
	if err := s.Reports.PutReport(ctx, res.Object.Bucket, key, full); err != nil {
		s.Log.WarnContext(ctx, "store scan report", "object", res.Object.String(), "err", err)
		sum.Status, sum.Reason = scan.StatusError, "the full scan report could not be stored"
		return sum
	}
	sum.ReportKey = key
	return sum
}

// finish applies the blocklist and the LFS oid check and derives the status.
func (s *Scanner) finish(res scan.Result, v scan.Verdict, parts scan.KeyParts, isLFS bool, start time.Time) scan.Result {
	if res.SHA256 != "" && s.Settings.Blocklist.Has(res.SHA256) {
		v.Blocklisted, res.Blocklisted = true, true
		res.Signatures = appendOnce(res.Signatures, scan.EngineBlocklist)
	}
	if isLFS && res.SHA256 != "" && res.SHA256 != parts.OID {
		v.Mismatch = "content SHA-256 does not match the LFS oid in its key"
	}
	if bp, ok := scan.ParseBlobKey(res.Object.Key); ok && res.SHA256 != "" && res.SHA256 != bp.OID {
		v.Mismatch = "content SHA-256 does not match the one in its key"
	}
	res.Status, res.Reason = v.Status()
	res.ScannedAt = s.now()
	res.Duration = res.ScannedAt.Sub(start)
	return res
}

func withoutBlocklist(sigs []string) []string {
	var out []string
	for _, x := range sigs {
		if x != scan.EngineBlocklist {
			out = append(out, x)
		}
	}
	return out
}

func appendOnce(list []string, v string) []string {
	for _, x := range list {
		if x == v {
			return list
		}
	}
	return append(list, v)
}

// fromCache returns the cached verdict for the LFS object's claimed hash
// (and the pickle finding its reason names) once the object's bytes are
// hashed and match it. An ok verdict is reused only from the same clamd
// signatures, pickle and format rules and a mode that saw at least as much.
// An infected verdict found by ClamAV is reused whatever the versions (a
// newer signature database does not clear a file); one found by the pickle
// or format analysis only under the same rules, and with its finding
// recorded: an entry written by older rules, or before findings were
// cached, is scanned again, so its reason (and a false positive the rules
// have since fixed) is not served forever.
func (s *Scanner) fromCache(ctx context.Context, ref scan.ObjectRef, oid, avVersion string, base *scan.Result) (scan.Result, string, bool) {
	e, ok, err := s.Store.Cached(ctx, oid)
	if err != nil {
		s.Log.WarnContext(ctx, "content cache", "sha256", oid, "err", err)
		return scan.Result{}, "", false
	}
	if !ok {
		return scan.Result{}, "", false
	}
	sameRules := e.PickleVersion == scan.PickleEngineVersion && e.FormatVersion == modelformat.Version
	var usable bool
	switch e.Status {
	case scan.StatusInfected:
		byAV := len(withoutBlocklist(e.Signatures)) > 0
		byPickle := e.Result.Highest == pickle.Dangerous
		usable = byAV || (sameRules && (!byPickle || e.PickleFinding != ""))
	case scan.StatusOK:
		usable = e.ClamAVVersion == avVersion && sameRules && (e.Mode == scan.ModeFull || e.Mode == s.Settings.Mode)
	}
	if !usable {
		return scan.Result{}, "", false
	}
	sha, err := s.hashAll(ctx, ref, nil)
	if err != nil || sha != oid {
		return scan.Result{}, "", false
	}
	res := *base
	res.SHA256, res.CacheHit = sha, true
	res.Signatures = e.Signatures
	res.Imports, res.Highest, res.PickleKind = e.Result.Imports, e.Result.Highest, e.Result.PickleKind
	res.Findings, res.Companions = e.Result.Findings, e.Result.Companions
	res.ClamAVMode, res.ClamAVBytes, res.PickleBytes = e.Mode, 0, 0
	if e.ClamAVVersion != "" {
		res.Engines[scan.EngineClamAV] = e.ClamAVVersion
	}
	return res, e.PickleFinding, true
}

// hashAll streams the whole object into a SHA-256, and into w if not nil.
func (s *Scanner) hashAll(ctx context.Context, ref scan.ObjectRef, w io.Writer) (string, error) {
	body, err := s.Objects.Range(ctx, ref.Bucket, ref.Key, ref.VersionID, 0, -1)
	if err != nil {
		return "", err
	}
	defer body.Close()
	h := sha256.New()
	dst := io.Writer(h)
	if w != nil {
		dst = io.MultiWriter(h, w)
	}
	if _, err := io.Copy(dst, body); err != nil {
		return "", err
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}

// avReason turns a clamd failure into a reason fit for the result (no
// addresses, no internal text).
func avReason(err error) string {
	switch clamd.KindOf(err) {
	case clamd.KindSizeLimit:
		return "file exceeds clamd's StreamMaxLength: not scanned by ClamAV"
	case clamd.KindUnreachable:
		return scan.ReasonClamdUnreachable
	case clamd.KindTimeout:
		return "ClamAV (clamd) timed out"
	case clamd.KindClamd:
		return "ClamAV (clamd) reported an error"
	case clamd.KindLimit:
		return "ClamAV stopped at one of its limits (archive nesting, file count, scan time or size): not fully scanned"
	}
	return "ClamAV scan failed"
}

// antivirus runs ClamAV in the configured mode and hashes the whole object
// on the way (full mode: one pass feeds both). It fills the result's
// signatures and ClamAV byte count and returns the hash and an error reason.
//
// clamd's reachability is checked first (verErr, its VERSION answer): when
// it cannot scan, the object is not read at all, not even to hash it. The
// result is an error retried when clamd is back (scan.Retries), which scans
// and hashes it then; the hash would only have served the blocklist and the
// content checks, and an error is refused for download either way. So an
// outage costs no whole-object reads, however many times it is retried.
func (s *Scanner) antivirus(ctx context.Context, ref scan.ObjectRef, verErr error, res *scan.Result) (string, string) {
	if verErr != nil {
		return "", avReason(verErr)
	}
	if s.Settings.Mode == scan.ModeStructure {
		if sha, reason, ok := s.antivirusStructure(ctx, ref, res); ok {
			return sha, reason
		}
	}
	res.ClamAVMode = scan.ModeFull
	if ref.Size > s.Settings.MaxAVBytes {
		return s.antivirusWindows(ctx, ref, res)
	}
	body, err := s.Objects.Range(ctx, ref.Bucket, ref.Key, ref.VersionID, 0, -1)
	if err != nil {
		return "", "could not read the object"
	}
	defer body.Close()
	h := sha256.New()
	verdict, avErr := s.AV.Scan(ctx, io.TeeReader(body, h))
	res.ClamAVBytes = verdict.BytesSent
	if _, err := io.Copy(h, body); err != nil { // the rest, if clamd stopped early
		return "", "could not read the object"
	}
	sha := hex.EncodeToString(h.Sum(nil))
	if avErr != nil {
		s.Log.WarnContext(ctx, "clamd", "object", ref.String(), "err", avErr)
		return sha, avReason(avErr)
	}
	if verdict.Infected {
		res.Signatures = append(res.Signatures, verdict.Signatures...)
	}
	return sha, ""
}

// antivirusStructure scans a recognised model archive without its tensor
// bytes while another goroutine hashes the whole object. ok is false when
// the file is not recognised: the caller scans it in full.
func (s *Scanner) antivirusStructure(ctx context.Context, ref scan.ObjectRef, res *scan.Result) (string, string, bool) {
	ra := newRangeReaderAt(ctx, s.Objects, ref, ref.Size)
	plan, err := planStructure(ra, ref.Size)
	if err != nil {
		return "", "", false
	}
	type hashed struct {
		sha string
		err error
	}
	hc := make(chan hashed, 1)
	go func() {
		sha, err := s.hashAll(ctx, ref, nil)
		hc <- hashed{sha, err}
	}()
	res.ClamAVMode = scan.ModeStructure
	var reason string
	for _, st := range windowed(plan.streams, s.Settings.MaxAVBytes) {
		if st.bytes() > s.Settings.MaxAVBytes {
			reason = fmt.Sprintf("deflated member %s inflates past the %d bytes ClamAV can scan in one stream", st.name, s.Settings.MaxAVBytes)
			break
		}
		verdict, err := s.scanStream(ctx, ref, st)
		res.ClamAVBytes += verdict.BytesSent
		if err != nil {
			s.Log.WarnContext(ctx, "clamd", "object", ref.String(), "stream", st.name, "err", err)
			reason = avReason(err)
			break
		}
		if verdict.Infected {
			res.Signatures = append(res.Signatures, verdict.Signatures...)
		}
	}
	h := <-hc
	if h.err != nil {
		return "", "could not read the object", true
	}
	return h.sha, reason, true
}

// scanStream sends one planned stream to clamd.
func (s *Scanner) scanStream(ctx context.Context, ref scan.ObjectRef, st avStream) (clamd.Verdict, error) {
	pr, pw := io.Pipe()
	go func() {
		for _, g := range st.segments {
			body, err := s.Objects.Range(ctx, ref.Bucket, ref.Key, ref.VersionID, g.off, g.n)
			if err != nil {
				pw.CloseWithError(err)
				return
			}
			_, err = io.Copy(pw, body)
			body.Close()
			if err != nil {
				pw.CloseWithError(err)
				return
			}
		}
		pw.Close()
	}()
	var r io.Reader = pr
	if st.deflated {
		r = newInflater(pr)
	}
	v, err := s.AV.Scan(ctx, r)
	pr.CloseWithError(io.ErrClosedPipe)
	return v, err
}

// windowOverlap is how much consecutive ClamAV windows of a large file
// share: 1 MiB, or a quarter of the window when that is smaller. A
// signature up to that long is seen whole in some window wherever it lies.
func windowOverlap(window int64) int64 { return min(1<<20, window/4) }

// antivirusWindows scans an object larger than one clamd stream
// (MaxAVBytes, clamd's StreamMaxLength) as consecutive windows of
// MaxAVBytes that overlap by windowOverlap, each its own INSTREAM, and
// hashes every byte once on the way. Size alone never makes a verdict.
func (s *Scanner) antivirusWindows(ctx context.Context, ref scan.ObjectRef, res *scan.Result) (string, string) {
	w := s.Settings.MaxAVBytes
	step := w - windowOverlap(w)
	h := sha256.New()
	hashed := int64(0) // the object's bytes [0, hashed) are in h
	reason := ""
	for start := int64(0); start < ref.Size && reason == "" && len(res.Signatures) == 0; start += step {
		n := min(w, ref.Size-start)
		body, err := s.Objects.Range(ctx, ref.Bucket, ref.Key, ref.VersionID, start, n)
		if err != nil {
			return "", "could not read the object"
		}
		tail := &skipWriter{skip: hashed - start, w: h}
		verdict, avErr := s.AV.Scan(ctx, io.TeeReader(body, tail))
		res.ClamAVBytes += verdict.BytesSent
		_, err = io.Copy(tail, body) // the rest, if clamd stopped early
		body.Close()
		if err != nil {
			return "", "could not read the object"
		}
		hashed = start + n
		switch {
		case avErr != nil:
			s.Log.WarnContext(ctx, "clamd", "object", ref.String(), "window", start, "err", avErr)
			reason = avReason(avErr)
		case verdict.Infected:
			res.Signatures = append(res.Signatures, verdict.Signatures...)
		}
		if start+n >= ref.Size {
			break
		}
	}
	if hashed < ref.Size { // stopped early: hash the rest
		body, err := s.Objects.Range(ctx, ref.Bucket, ref.Key, ref.VersionID, hashed, ref.Size-hashed)
		if err != nil {
			return "", "could not read the object"
		}
		_, err = io.Copy(h, body)
		body.Close()
		if err != nil {
			return "", "could not read the object"
		}
	}
	return hex.EncodeToString(h.Sum(nil)), reason
}

// skipWriter drops the first skip bytes written to it (the overlap already
// hashed) and passes the rest to w.
type skipWriter struct {
	skip int64
	w    io.Writer
}

func (s *skipWriter) Write(p []byte) (int, error) {
	n := len(p)
	if s.skip > 0 {
		k := min(int64(len(p)), s.skip)
		s.skip -= k
		p = p[k:]
	}
	if len(p) > 0 {
		if _, err := s.w.Write(p); err != nil {
			return 0, err
		}
	}
	return n, nil
}
