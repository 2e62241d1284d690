package modelformat

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
)

// A minimal HDF5 reader for one thing: an attribute of the root group
// (Keras' model_config), read through the structures the HDF5 library
// follows (superblock versions 0-3, object headers versions 1 and 2 with
// their continuation blocks, attribute messages versions 1-3, fixed-length
// strings inline and variable-length strings in the global heap). It never
// searches bytes: a name split or repeated elsewhere in the file is not an
// attribute.

var hdf5Magic = []byte("\x89HDF\r\n\x1a\n")

const (
	hdf5MsgNil          = 0x00
	hdf5MsgContinuation = 0x10
	hdf5MsgAttribute    = 0x0c
	hdf5MsgAttrInfo     = 0x15
	hdf5MaxMessages     = 1 << 16
	hdf5MaxBlocks       = 1 << 10
)

// findHDF5 looks for the superblock where the library looks: offset 0,
// then 512, 1024, 2048... (a user block before it).
func findHDF5(s *src) (int64, bool, error) {
	for off := int64(0); off+8 <= s.size; {
		b, err := s.exact(off, 8)
		if err != nil {
			return 0, false, err
		}
		if bytes.Equal(b, hdf5Magic) {
			return off, true, nil
		}
		if off == 0 {
			off = 512
		} else {
			off *= 2
		}
	}
	return 0, false, nil
}

type hdf5 struct {
	s            *src
	so, sl       int // sizes of offsets and lengths
	base         int64
	messages     int
	blocks       int
	sawDenseAttr bool
}

func (h *hdf5) uint(b []byte) uint64 {
	switch len(b) {
	case 1:
		return uint64(b[0])
	case 2:
		return uint64(binary.LittleEndian.Uint16(b))
	case 4:
		return uint64(binary.LittleEndian.Uint32(b))
	case 8:
		return binary.LittleEndian.Uint64(b)
	}
	return 0
}

// addr turns a file address into an offset in the source.
func (h *hdf5) addr(a uint64) (int64, error) {
	if a == ^uint64(0) || (h.so == 4 && a == 0xffffffff) {
		return 0, errors.New("undefined address")
	}
	off := h.base + int64(a)
	if a > uint64(h.s.size) || off < 0 || off > h.s.size {
		return 0, fmt.Errorf("address %d beyond the file", a)
	}
	return off, nil
}

// hdf5RootAttribute returns the value of the named string attribute of
// the root group; found is false when the root group has no such
// attribute.
func hdf5RootAttribute(s *src, sb int64, name string) ([]byte, bool, error) {
	h := &hdf5{s: s}
	b, err := s.at(sb, min64(96, s.size-sb))
	if err != nil {
		return nil, false, err
	}
	if len(b) < 12 {
		return nil, false, errors.New("truncated HDF5 superblock")
	}
	var root uint64
	switch v := b[8]; v {
	case 0, 1:
		if len(b) < 16 {
			return nil, false, errors.New("truncated HDF5 superblock")
		}
		h.so, h.sl = int(b[13]), int(b[14])
		pos := 24
		if v == 1 {
			pos = 28
		}
		if !okSize(h.so) || !okSize(h.sl) || len(b) < pos+5*h.so+h.so {
			return nil, false, errors.New("bad HDF5 superblock")
		}
		h.base = int64(h.uint(b[pos : pos+h.so]))
		// base, free space, end of file, driver info, then the root
		// group's symbol table entry: link name offset, object header.
		root = h.uint(b[pos+5*h.so : pos+6*h.so])
	case 2, 3:
		h.so, h.sl = int(b[9]), int(b[10])
		pos := 12
		if !okSize(h.so) || !okSize(h.sl) || len(b) < pos+4*h.so {
			return nil, false, errors.New("bad HDF5 superblock")
		}
		h.base = int64(h.uint(b[pos : pos+h.so]))
		root = h.uint(b[pos+3*h.so : pos+4*h.so])
	default:
		return nil, false, fmt.Errorf("HDF5 superblock version %d not supported", v)
	}
	if h.base < 0 || h.base > s.size {
		return nil, false, errors.New("bad HDF5 base address")
	}
	off, err := h.addr(root)
	if err != nil {
		return nil, false, fmt.Errorf("root group: %v", err)
	}
	val, found, err := h.objectAttribute(off, name)
	if err == nil && !found && h.sawDenseAttr {
		err = errors.New("the root group keeps its attributes in dense storage (a fractal heap), which this reader does not follow")
	}
	return val, found, err
}

func okSize(n int) bool { return n == 2 || n == 4 || n == 8 }

type hdf5Msg struct {
	typ   int
	flags byte
	data  []byte
}

// objectAttribute reads the object header at off (and its continuation
// blocks) for the attribute.
func (h *hdf5) objectAttribute(off int64, name string) ([]byte, bool, error) {
	type block struct {
		off, n int64
		v2     bool
	}
	var queue []block
	sig, err := h.s.at(off, min64(16, h.s.size-off))
	if err != nil {
		return nil, false, err
	}
	creationOrder := false
	switch {
	case len(sig) >= 6 && string(sig[:4]) == "OHDR":
		if sig[4] != 2 {
			return nil, false, fmt.Errorf("object header version %d", sig[4])
		}
		flags := sig[5]
		creationOrder = flags&0x04 != 0
		pos := off + 6
		if flags&0x20 != 0 {
			pos += 16
		}
		if flags&0x10 != 0 {
			pos += 4
		}
		sz := int64(1) << (flags & 3)
		b, err := h.s.at(pos, sz)
		if err != nil {
			return nil, false, err
		}
		n := int64(h.uint(b)) // chunk 0, its checksum after it
		queue = append(queue, block{pos + sz, n, true})
	case len(sig) >= 16 && sig[0] == 1:
		n := int64(binary.LittleEndian.Uint32(sig[8:12]))
		queue = append(queue, block{off + 16, n, false})
	default:
		return nil, false, errors.New("not an HDF5 object header")
	}
	seen := map[int64]bool{}
	for len(queue) > 0 {
		bl := queue[0]
		queue = queue[1:]
		if seen[bl.off] {
			return nil, false, errors.New("object header continuation loop")
		}
		seen[bl.off] = true
		if h.blocks++; h.blocks > hdf5MaxBlocks {
			return nil, false, fmt.Errorf("%w: %d object header blocks", errLimit, h.blocks)
		}
		if bl.n < 0 || bl.n > h.s.size-bl.off || bl.n > 1<<24 {
			return nil, false, errors.New("object header block beyond the file")
		}
		data, err := h.s.at(bl.off, bl.n)
		if err != nil {
			return nil, false, err
		}
		msgs, err := h.parseMessages(data, bl.v2, creationOrder)
		if err != nil {
			return nil, false, err
		}
		for _, m := range msgs {
			switch m.typ {
			case hdf5MsgContinuation:
				if len(m.data) < h.so+h.sl {
					return nil, false, errors.New("short continuation message")
				}
				coff, err := h.addr(h.uint(m.data[:h.so]))
				if err != nil {
					return nil, false, fmt.Errorf("continuation: %v", err)
				}
				n := int64(h.uint(m.data[h.so : h.so+h.sl]))
				if bl.v2 {
					// OCHK signature before, checksum after.
					sig, err := h.s.at(coff, 4)
					if err != nil || string(sig) != "OCHK" {
						return nil, false, errors.New("continuation block without its OCHK signature")
					}
					queue = append(queue, block{coff + 4, n - 8, true})
				} else {
					queue = append(queue, block{coff, n, false})
				}
			case hdf5MsgAttrInfo:
				// Version, flags, [max creation index], fractal heap
				// address, name index B-tree address...
				if len(m.data) >= 2 {
					pos := 2
					if m.data[1]&0x01 != 0 {
						pos += 2
					}
					if len(m.data) >= pos+h.so {
						if a := h.uint(m.data[pos : pos+h.so]); a != ^uint64(0) && !(h.so == 4 && a == 0xffffffff) {
							h.sawDenseAttr = true
						}
					}
				}
			case hdf5MsgAttribute:
				// An attribute that does not decode matters only when it
				// is the one asked for, or when its name is unreadable.
				n, val, err := h.attribute(m)
				if n == name || n == "" {
					if err != nil {
						return nil, false, err
					}
				}
				if n == name {
					if val == nil {
						return nil, false, fmt.Errorf("attribute %q is not a string", name)
					}
					return val, true, nil
				}
			}
		}
	}
	return nil, false, nil
}

func (h *hdf5) parseMessages(b []byte, v2, creationOrder bool) ([]hdf5Msg, error) {
	var out []hdf5Msg
	pos := 0
	for {
		hdr := 8
		if v2 {
			hdr = 4
			if creationOrder {
				hdr = 6
			}
		}
		if len(b)-pos < hdr {
			break // a gap smaller than a message header
		}
		var m hdf5Msg
		var size int
		if v2 {
			m.typ, size, m.flags = int(b[pos]), int(binary.LittleEndian.Uint16(b[pos+1:])), b[pos+3]
		} else {
			m.typ, size, m.flags = int(binary.LittleEndian.Uint16(b[pos:])), int(binary.LittleEndian.Uint16(b[pos+2:])), b[pos+4]
		}
		pos += hdr
		if size > len(b)-pos {
			return nil, errors.New("object header message overruns its block")
		}
		m.data = b[pos : pos+size]
		pos += size
		if h.messages++; h.messages > hdf5MaxMessages {
			return nil, fmt.Errorf("%w: %d object header messages", errLimit, h.messages)
		}
		if m.typ != hdf5MsgNil {
			out = append(out, m)
		}
	}
	return out, nil
}

func pad8(n int) int { return (n + 7) &^ 7 }

// attribute decodes an attribute message: its name and, when it is a
// string, its value.
func (h *hdf5) attribute(m hdf5Msg) (string, []byte, error) {
	d := m.data
	if len(d) < 8 {
		return "", nil, errors.New("short attribute message")
	}
	if m.flags&0x02 != 0 {
		return "", nil, errors.New("a shared attribute message, which this reader does not follow")
	}
	v := d[0]
	nameSize, dtSize, dsSize := int(binary.LittleEndian.Uint16(d[2:])), int(binary.LittleEndian.Uint16(d[4:])), int(binary.LittleEndian.Uint16(d[6:]))
	pos := 8
	var name, dt, ds []byte
	take := func(n int, pad bool) ([]byte, error) {
		if n > len(d)-pos {
			return nil, errors.New("attribute message overruns itself")
		}
		out := d[pos : pos+n]
		if pad {
			n = pad8(n)
		}
		pos += n
		if pos > len(d) {
			pos = len(d)
		}
		return out, nil
	}
	var err error
	switch v {
	case 1:
		if name, err = take(nameSize, true); err == nil {
			if dt, err = take(dtSize, true); err == nil {
				ds, err = take(dsSize, true)
			}
		}
	case 2, 3:
		if d[1]&0x03 != 0 {
			n, _ := cstring(d, pos, nameSize, v)
			return n, nil, errors.New("an attribute with a shared datatype or dataspace, which this reader does not follow")
		}
		if v == 3 {
			pos++
		}
		if name, err = take(nameSize, false); err == nil {
			if dt, err = take(dtSize, false); err == nil {
				ds, err = take(dsSize, false)
			}
		}
	default:
		return "", nil, fmt.Errorf("attribute message version %d", v)
	}
	if err != nil {
		return "", nil, err
	}
	if i := bytes.IndexByte(name, 0); i >= 0 {
		name = name[:i]
	}
	data := d[pos:]
	val, err := h.stringValue(dt, ds, data)
	if err != nil {
		return string(name), nil, fmt.Errorf("attribute %q: %v", name, err)
	}
	return string(name), val, nil
}

func cstring(d []byte, pos, n int, v byte) (string, bool) {
	if v == 3 {
		pos++
	}
	if pos+n > len(d) {
		return "", false
	}
	b := d[pos : pos+n]
	if i := bytes.IndexByte(b, 0); i >= 0 {
		b = b[:i]
	}
	return string(b), true
}

// stringValue reads a scalar (or one-element) string attribute value;
// other types answer nil.
func (h *hdf5) stringValue(dt, ds, data []byte) ([]byte, error) {
	if len(dt) < 8 {
		return nil, errors.New("short datatype")
	}
	class := dt[0] & 0x0f
	size := int(binary.LittleEndian.Uint32(dt[4:]))
	n, err := h.elements(ds)
	if err != nil {
		return nil, err
	}
	switch class {
	case 3: // fixed-length string
		if n != 1 {
			return nil, nil
		}
		if size > len(data) {
			return nil, errors.New("string value overruns its message")
		}
		v := data[:size]
		if i := bytes.IndexByte(v, 0); i >= 0 {
			v = v[:i]
		}
		return v, nil
	case 9: // variable-length
		if dt[1]&0x0f != 1 || n != 1 {
			return nil, nil // a sequence, not a string
		}
		if len(data) < 4+h.so+4 {
			return nil, errors.New("short variable-length value")
		}
		length := int64(binary.LittleEndian.Uint32(data))
		coll := h.uint(data[4 : 4+h.so])
		index := binary.LittleEndian.Uint32(data[4+h.so:])
		return h.globalHeap(coll, index, length)
	}
	return nil, nil
}

func (h *hdf5) elements(ds []byte) (int64, error) {
	if len(ds) < 2 {
		return 0, errors.New("short dataspace")
	}
	v, rank := ds[0], int(ds[1])
	pos := 8
	if v == 2 {
		pos = 4
		if len(ds) >= 4 && ds[3] == 2 {
			return 0, nil // null dataspace
		}
	} else if v != 1 {
		return 0, fmt.Errorf("dataspace version %d", v)
	}
	n := int64(1)
	for i := 0; i < rank; i++ {
		if pos+h.sl > len(ds) {
			return 0, errors.New("short dataspace")
		}
		d := h.uint(ds[pos : pos+h.sl])
		if d > 1<<32 {
			return 0, errors.New("dataspace too large")
		}
		n *= int64(d)
		if n > 1<<32 {
			return 0, errors.New("dataspace too large")
		}
		pos += h.sl
	}
	return n, nil
}

// globalHeap reads object index of the global heap collection at addr.
func (h *hdf5) globalHeap(addr uint64, index uint32, length int64) ([]byte, error) {
	off, err := h.addr(addr)
	if err != nil {
		return nil, fmt.Errorf("global heap: %v", err)
	}
	head, err := h.s.at(off, min64(int64(8+h.sl), h.s.size-off))
	if err != nil {
		return nil, err
	}
	if len(head) < 8+h.sl || string(head[:4]) != "GCOL" {
		return nil, errors.New("global heap collection without its GCOL signature")
	}
	size := int64(h.uint(head[8 : 8+h.sl]))
	if size < int64(8+h.sl) || size > h.s.size-off || size > h.s.opt.MaxText+(1<<20) {
		return nil, errors.New("global heap collection size out of bounds")
	}
	coll, err := h.s.at(off, size)
	if err != nil {
		return nil, err
	}
	pos := 8 + h.sl
	for pos+8+h.sl <= len(coll) {
		idx := binary.LittleEndian.Uint16(coll[pos:])
		osize := int64(h.uint(coll[pos+8 : pos+8+h.sl]))
		pos += 8 + h.sl
		if idx == 0 {
			break // free space: the rest of the collection
		}
		if osize < 0 || osize > int64(len(coll)-pos) {
			return nil, errors.New("global heap object overruns its collection")
		}
		if uint32(idx) == index {
			if length > osize {
				return nil, errors.New("variable-length string longer than its heap object")
			}
			return coll[pos : pos+int(length)], nil
		}
		pos += pad8(int(osize))
	}
	return nil, errors.New("global heap object not found")
}
