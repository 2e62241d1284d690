package pickle

// stackEffect describes how an opcode changes the unpickler's stack, for the
// sniffer: real pickles never underflow, random bytes almost always do.
type stackEffect struct {
	mark    bool // pushes a mark (MARK)
	popMark bool // pops everything down to the last mark
	pop     int  // items popped (after popMark, items needed below the mark)
	push    int
}

var effects = map[string]stackEffect{
	"MARK": {mark: true}, "STOP": {pop: 1}, "POP": {pop: 1}, "POP_MARK": {popMark: true},
	"DUP": {pop: 1, push: 2}, "BINPERSID": {pop: 1, push: 1}, "REDUCE": {pop: 2, push: 1},
	"APPEND": {pop: 2, push: 1}, "BUILD": {pop: 2, push: 1},
	"DICT": {popMark: true, push: 1}, "LIST": {popMark: true, push: 1},
	"TUPLE": {popMark: true, push: 1}, "FROZENSET": {popMark: true, push: 1},
	"INST": {popMark: true, push: 1}, "OBJ": {popMark: true, push: 1},
	"APPENDS": {popMark: true, pop: 1, push: 1}, "SETITEMS": {popMark: true, pop: 1, push: 1},
	"ADDITEMS": {popMark: true, pop: 1, push: 1},
	"PUT":      {pop: 1, push: 1}, "BINPUT": {pop: 1, push: 1}, "LONG_BINPUT": {pop: 1, push: 1},
	"MEMOIZE": {pop: 1, push: 1}, "SETITEM": {pop: 3, push: 1},
	"TUPLE1": {pop: 1, push: 1}, "TUPLE2": {pop: 2, push: 1}, "TUPLE3": {pop: 3, push: 1},
	"NEWOBJ": {pop: 2, push: 1}, "NEWOBJ_EX": {pop: 3, push: 1}, "STACK_GLOBAL": {pop: 2, push: 1},
	"READONLY_BUFFER": {pop: 1, push: 1}, "PROTO": {}, "FRAME": {},
}

// stackDepth tracks stack depth under marks.
type stackDepth struct {
	depth int
	marks []int
}

// apply returns false if the opcode would underflow the stack.
func (s *stackDepth) apply(name string) bool {
	e, ok := effects[name]
	if !ok {
		e = stackEffect{push: 1} // every other opcode pushes one value
	}
	switch {
	case e.mark:
		s.marks = append(s.marks, s.depth)
		s.depth = 0
		return true
	case e.popMark:
		if len(s.marks) == 0 {
			return false
		}
		if name == "OBJ" && s.depth == 0 {
			return false
		}
		s.depth = s.marks[len(s.marks)-1]
		s.marks = s.marks[:len(s.marks)-1]
	case name == "POP" && s.depth == 0 && len(s.marks) > 0:
		// POP on an empty stack pops the mark instead.
		s.depth = s.marks[len(s.marks)-1]
		s.marks = s.marks[:len(s.marks)-1]
		return true
	}
	if s.depth < e.pop {
		return false
	}
	s.depth += e.push - e.pop
	return true
}

// cstack tracks the unpickler's stack in the full scan, only to stop where
// CPython's unpickler certainly stops: an opcode that pops more than the
// stack holds, or looks for a MARK, while no MARK is set (fence 0). There
// the C unpickler raises "unpickling stack underflow" or "could not find
// MARK" and the pure-Python one IndexError, before the opcode imports or
// calls anything; a scan that goes on would report imports no loader
// reaches (random bytes read as opcodes). Once a MARK is set the two
// unpicklers check a MARKed stack differently (do_append and do_setitems
// test the mark's position, not the fence), so nothing is decided there;
// and the model gives up (broken) on anything it cannot follow exactly.
// Stopping later than CPython is always safe; this never stops earlier.
type cstack struct {
	n      int   // items on the stack
	marks  []int // stack sizes at each MARK
	broken bool
}

// fails applies opcode name and reports whether CPython's unpickler
// certainly stops at it before importing or calling anything.
func (s *cstack) fails(name string) bool {
	if s.broken {
		return false
	}
	e, ok := effects[name]
	if !ok {
		e = stackEffect{push: 1}
	}
	switch {
	case e.mark:
		s.marks = append(s.marks, s.n)
		return false
	case name == "INST":
		// pickle._Unpickler.load_inst calls find_class before pop_mark:
		// not a certain stop for the pure-Python unpickler.
		if len(s.marks) == 0 {
			s.broken = true
			return false
		}
		s.n = s.marks[len(s.marks)-1] + 1
		s.marks = s.marks[:len(s.marks)-1]
		return false
	case e.popMark || name == "POP_MARK":
		if len(s.marks) == 0 {
			return true // could not find MARK
		}
		x := s.marks[len(s.marks)-1]
		s.marks = s.marks[:len(s.marks)-1]
		if name == "OBJ" && s.n-x < 1 {
			s.broken = true
			return false
		}
		s.n = x
		if name == "POP_MARK" {
			return false
		}
		if e.pop > 0 {
			// APPENDS, SETITEMS, ADDITEMS: the container stays below.
			if s.n < 1 {
				s.broken = true
			}
			return false
		}
		s.n++
		return false
	case name == "POP":
		switch {
		case len(s.marks) > 0 && s.n <= s.marks[len(s.marks)-1]:
			s.marks = s.marks[:len(s.marks)-1]
		case s.n > 0:
			s.n--
		default:
			return true
		}
		return false
	}
	if s.n < e.pop {
		if len(s.marks) == 0 {
			return true // unpickling stack underflow
		}
		s.broken = true
		return false
	}
	s.n += e.push - e.pop
	return false
}
