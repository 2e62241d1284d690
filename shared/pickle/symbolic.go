package pickle

// maxCandidates bounds how many string values one symbolic stack entry may
// stand for before it collapses to "unknown".
const maxCandidates = 4

// sym is what the analysis knows about one stack value: the strings it may
// be, and whether it may also be something else (unknown). The zero value
// is fully unknown.
type sym struct {
	vals    []string
	unknown bool
}

var unknownSym = sym{unknown: true}

func strSym(s string) sym { return sym{vals: []string{s}} }

func (s sym) size() int {
	n := 0
	for _, v := range s.vals {
		n += len(v)
	}
	return n
}

// candidates lists the strings s may be, with Unknown if it may be
// something that cannot be resolved.
func (s sym) candidates() []string {
	if len(s.vals) == 0 {
		return []string{Unknown}
	}
	if s.unknown {
		return append(append([]string(nil), s.vals...), Unknown)
	}
	return s.vals
}

// union merges two candidate sets, collapsing to unknown past maxCandidates.
func union(a, b sym) sym {
	out := sym{unknown: a.unknown || b.unknown || len(a.vals) == 0 || len(b.vals) == 0}
	seen := map[string]bool{}
	for _, v := range append(append([]string(nil), a.vals...), b.vals...) {
		if seen[v] {
			continue
		}
		seen[v] = true
		if len(out.vals) == maxCandidates {
			out.unknown = true
			break
		}
		out.vals = append(out.vals, v)
	}
	return out
}

// memo is a bounded symbolic copy of the unpickler's memo. Keys are dense
// in practice (MEMOIZE and picklers count up from 0), so they live in a
// slice; far-off keys go to a map.
type memo struct {
	dense    []memoSlot
	sparse   map[uint64]sym
	count    int // distinct keys, len(memo) in Python
	bytes    int
	poisoned bool // a cap was hit: every read is unknown from now on
}

type memoSlot struct {
	v   sym
	set bool
}

func newMemo() *memo { return &memo{} }

func (m *memo) lookup(k uint64) (sym, bool) {
	if k < uint64(len(m.dense)) {
		s := m.dense[k]
		return s.v, s.set
	}
	v, ok := m.sparse[k]
	return v, ok
}

func (m *memo) put(k uint64, v sym, opts *Options) {
	if m.poisoned {
		return
	}
	old, exists := m.lookup(k)
	if !exists && m.count >= opts.MaxMemoEntries {
		*m = memo{poisoned: true}
		return
	}
	if m.bytes-old.size()+v.size() > opts.MaxMemoBytes {
		v = unknownSym // keep the key (MEMOIZE indexes depend on it), drop the text
	}
	m.bytes += v.size() - old.size()
	if !exists {
		m.count++
	}
	switch {
	case k < uint64(len(m.dense)):
		m.dense[k] = memoSlot{v: v, set: true}
	case k < uint64(len(m.dense))+1024 && k < uint64(opts.MaxMemoEntries):
		for uint64(len(m.dense)) < k {
			i := uint64(len(m.dense))
			sv, ok := m.sparse[i]
			delete(m.sparse, i)
			m.dense = append(m.dense, memoSlot{v: sv, set: ok})
		}
		delete(m.sparse, k)
		m.dense = append(m.dense, memoSlot{v: v, set: true})
	default:
		if m.sparse == nil {
			m.sparse = map[uint64]sym{}
		}
		m.sparse[k] = v
	}
}

func (m *memo) memoize(v sym, opts *Options) {
	if m.poisoned {
		return
	}
	m.put(uint64(m.count), v, opts)
}

func (m *memo) get(k uint64) sym {
	if m.poisoned {
		return unknownSym
	}
	v, ok := m.lookup(k)
	if !ok {
		return unknownSym
	}
	return v
}
