package modelfile

import (
	"bytes"
	"compress/flate"
	"fmt"
	"io"
	"strings"

	"github.com/bodgit/sevenzip"
)

// memberSource gives access to one archive member: random access when the
// member is stored uncompressed in a random-access parent, a stream always.
type memberSource struct {
	name string      // path inside its archive
	size int64       // uncompressed size as declared
	at   io.ReaderAt // nil when only a stream is available
	open func() (io.ReadCloser, error)
}

// zip walks a zip's central directory and looks at each member. It reports
// pytorch-zip when a member is a data.pkl under one directory, as torch.save
// writes it.
func (a *analyzer) zip(r io.ReaderAt, size int64, name, archivePath string, depth int) Kind {
	entries, dirOff, err := readCentralDirectory(r, size, a.opts.MaxMembers, a.opts.MaxDirBytes)
	if err != nil {
		a.problem("%s: zip: %v", orName(archivePath, name), err)
	}
	var spans []zipSpan
	complete := err == nil
	kind := KindZip
	for _, e := range entries {
		if strings.HasSuffix(e.name, "/data.pkl") || e.name == "data.pkl" {
			kind = KindPyTorchZip
		}
	}
	for _, e := range entries {
		if kind == KindPyTorchZip && !torchUnpickles(e.name) {
			// torch.load unpickles only data.pkl (and torch.jit.load
			// constants.pkl); tensor storages and the other records are
			// never read as pickles, so they are not judged as ones. Their
			// place in the archive still counts for the coverage check.
			off, err := dataOffset(r, e)
			if err != nil {
				a.problem("%s: %v", join(archivePath, e.name), err)
				complete = false
				continue
			}
			spans = append(spans, spanOf(e, off))
			if err := a.checkTorchRecord(r, e, off); err != nil {
				a.problem("%s: %v", join(archivePath, e.name), err)
			}
			continue
		}
		if strings.HasSuffix(e.name, "/") && e.size == 0 {
			off, err := dataOffset(r, e)
			if err != nil {
				a.problem("%s: %v", join(archivePath, e.name), err)
				complete = false
				continue
			}
			spans = append(spans, spanOf(e, off)) // directory
			continue
		}
		if !a.zipMember(r, size, e, archivePath, depth, &spans) {
			complete = false
			break
		}
	}
	if complete {
		if err := checkCoverage(spans, dirOff); err != nil {
			a.problem("%s: zip: %v", orName(archivePath, name), err)
		}
	}
	return kind
}

func orName(archivePath, name string) string {
	if archivePath != "" {
		return archivePath
	}
	return name
}

func (a *analyzer) zipMember(r io.ReaderAt, size int64, e zipEntry, archivePath string, depth int, spans *[]zipSpan) bool {
	full := join(archivePath, e.name)
	off, err := dataOffset(r, e)
	if err != nil {
		a.problem("%s: %v", full, err)
		return a.ctx.Err() == nil
	}
	*spans = append(*spans, spanOf(e, off))
	if uint64(off)+e.compressed > uint64(size) {
		a.problem("%s: data at %d+%d past end of archive (%d)", full, off, e.compressed, size)
		return a.ctx.Err() == nil
	}
	section := io.NewSectionReader(r, off, int64(e.compressed))
	src := memberSource{name: e.name, size: int64(e.size)}
	switch e.method {
	case 0:
		src.size = int64(e.compressed)
		src.at = section
		src.open = func() (io.ReadCloser, error) { return io.NopCloser(io.NewSectionReader(section, 0, src.size)), nil }
	case 8:
		src.open = func() (io.ReadCloser, error) {
			return flate.NewReader(io.NewSectionReader(r, off, int64(e.compressed))), nil
		}
	default:
		a.problem("%s: unsupported zip compression method %d", full, e.method)
		return a.ctx.Err() == nil
	}
	return a.member(src, archivePath, depth)
}

// member recognises one archive member by its first bytes and scans it. It
// returns false when the walk must stop (member limit, context done).
func (a *analyzer) member(src memberSource, archivePath string, depth int) bool {
	if a.ctx.Err() != nil {
		return false
	}
	a.members++
	if a.members > a.opts.MaxMembers {
		a.problem("%s: %v: more than %d members", orName(archivePath, "archive"), errMemberLimit, a.opts.MaxMembers)
		return false
	}
	full := join(archivePath, src.name)
	rc, err := src.open()
	if err != nil {
		a.problem("%s: open: %v", full, err)
		return true
	}
	defer rc.Close()
	stream := &ctxReader{ctx: a.ctx, r: rc}
	head := make([]byte, min(int64(a.opts.SniffBytes), max(src.size, 0)))
	n, err := io.ReadFull(stream, head)
	head = head[:n]
	if err != nil && err != io.ErrUnexpectedEOF && err != io.EOF {
		a.problem("%s: read: %v", full, err)
		return true
	}
	rest := io.MultiReader(bytes.NewReader(head), stream)

	switch detect(head, src.size) {
	case KindZip, Kind7z:
		if depth+1 > a.opts.MaxDepth {
			a.problem("%s: archive nested deeper than %d levels", full, a.opts.MaxDepth)
			return true
		}
		at := src.at
		if at == nil {
			data, err := io.ReadAll(io.LimitReader(rest, a.opts.MaxInflate+1))
			if err != nil {
				a.problem("%s: inflate: %v", full, err)
				return true
			}
			if int64(len(data)) > a.opts.MaxInflate {
				a.problem("%s: compressed nested archive larger than %d bytes", full, a.opts.MaxInflate)
				return true
			}
			at, src.size = bytes.NewReader(data), int64(len(data))
		}
		a.analyzeArchive(at, src.size, full, depth+1)
	case KindNumpy:
		a.npyStream(rest, full)
	default:
		size := src.size // exact for stored members
		if src.at == nil {
			size = -1 // a declared uncompressed size is not to be trusted
		}
		a.pickleAt(head, size, func() io.Reader { return rest }, full)
	}
	return a.ctx.Err() == nil
}

// analyzeArchive opens a nested zip or 7z whose own path is full.
func (a *analyzer) analyzeArchive(r io.ReaderAt, size int64, full string, depth int) {
	head, _ := readAtMost(r, 0, 6)
	if bytes.HasPrefix(head, []byte("7z\xbc\xaf\x27\x1c")) {
		a.sevenZip(r, size, full, full, depth)
		return
	}
	a.zip(r, size, full, full, depth)
}

// sevenZip looks at every file of a 7z archive, streaming each one.
func (a *analyzer) sevenZip(r io.ReaderAt, size int64, name, archivePath string, depth int) {
	z, err := sevenzip.NewReader(r, size)
	if err != nil {
		a.problem("%s: 7z: %v", orName(archivePath, name), err)
		return
	}
	for _, f := range z.File {
		if f.FileInfo().IsDir() {
			continue
		}
		src := memberSource{name: f.Name, size: int64(min(f.UncompressedSize, 1<<62)), open: f.Open}
		if !a.member(src, archivePath, depth) {
			return
		}
	}
}

// ctxReader stops a stream when its context ends.
type ctxReader struct {
	ctx interface{ Err() error }
	r   io.Reader
}

func (c *ctxReader) Read(p []byte) (int, error) {
	if err := c.ctx.Err(); err != nil {
		return 0, fmt.Errorf("read: %w", err)
	}
	return c.r.Read(p)
}

// torchUnpickles reports whether torch.load (or torch.jit.load, which
// torch.load hands a TorchScript archive to) unpickles the zip record name:
// <archive>/data.pkl and <archive>/constants.pkl.
func torchUnpickles(name string) bool {
	base := name[strings.LastIndexByte(name, '/')+1:]
	return base == "data.pkl" || base == "constants.pkl"
}

// checkTorchRecord checks the small records torch reads as text have the
// shape torch writes: byteorder "little" or "big", version a decimal
// number. Anything else is a file no torch wrote.
func (a *analyzer) checkTorchRecord(r io.ReaderAt, e zipEntry, off int64) error {
	base := e.name[strings.LastIndexByte(e.name, '/')+1:]
	if base != "byteorder" && base != "version" {
		return nil
	}
	if e.method != 0 || e.compressed > 32 {
		return fmt.Errorf("%s record of %d bytes (method %d), not what torch writes", base, e.compressed, e.method)
	}
	b, err := readAtMost(r, off, int64(e.compressed))
	if err != nil {
		return err
	}
	text := strings.TrimRight(string(b), "\n")
	ok := text != ""
	if base == "byteorder" {
		ok = text == "little" || text == "big"
	} else {
		for _, c := range text {
			ok = ok && c >= '0' && c <= '9'
		}
	}
	if !ok {
		return fmt.Errorf("%s record %q is not what torch writes", base, truncateText(text))
	}
	return nil
}

func truncateText(s string) string {
	if len(s) > 32 {
		return s[:32] + "..."
	}
	return s
}
