package pickle

import (
	"strconv"
	"strings"
)

// The value machine follows the unpickler's stack with the few values the
// analysis must know exactly: short strings, small ints, tuples, dicts,
// globals and the calls built from them. It serves two loader semantics
// that a list of imports cannot express:
//
//   - calls judged by their constant arguments: getattr(<class>, "<name>")
//     (how Python 3.11 pickles every Enum member) is the import
//     <class>.<name>; dill's _load_type("<builtin type>") is that type.
//     Any other use of those callables is the dangerous import itself.
//   - joblib's NumpyArrayWrapper: the raw array bytes that follow its BUILD
//     (joblib reads them from the file, outside the pickle).
//
// Everything it cannot follow becomes an opaque value; a deferred callable
// that reaches anything but its one allowed call is reported at once, so
// losing track can only make a verdict stricter.

type vkind uint8

const (
	vOpaque vkind = iota
	vStr
	vInt
	vNone
	vBool
	vTuple
	vList
	vDict
	vGlobal
	vCall // a REDUCE, NEWOBJ, OBJ or INST result: fn(*args), then BUILD state
)

// value is one stack or memo entry. Containers keep at most
// maxContainerItems items (truncated records the rest was dropped).
type value struct {
	kind      vkind
	s         string // vStr; vGlobal: module
	name      string // vGlobal name
	i         int64  // vInt, vBool
	items     []*value
	truncated bool
	fn, args  *value // vCall
	state     *value // vCall after BUILD
	deferred  bool   // vGlobal: a callable judged by its arguments (getattr, _load_type...)
}

var opaqueVal = &value{kind: vOpaque}

const (
	maxContainerItems = 64
	maxVMItems        = 1 << 20 // items kept in containers over the whole scan
)

type vm struct {
	stack []*value
	marks []int
	memo  map[uint64]memoVal
	gen   int // pickle number: memo entries of an earlier pickle are ambiguous
	// genCount counts the keys set in this pickle (len(memo) of a new
	// Unpickler).
	genCount int
	items    int
	lost     bool // the model lost track: every later value is opaque
	// deferredSeen lists every deferred global pushed, reported if lost.
	deferredSeen []*value
}

type memoVal struct {
	v   *value
	gen int
}

func newVM() *vm { return &vm{memo: map[uint64]memoVal{}} }

// deferrable names callables judged by their arguments, after the Python 2
// name mapping. The value is how the allowed call is judged.
var deferrable = map[[2]string]bool{
	{"builtins", "getattr"}:         true,
	{"dill._dill", "_load_type"}:    true,
	{"dill._dill", "_create_array"}: true,
}

func canonical(module, name string) [2]string {
	if m, ok := compatNames[[2]string{module, name}]; ok {
		return m
	}
	if m, ok := compatModules[module]; ok {
		return [2]string{m, name}
	}
	return [2]string{module, name}
}

func (w *walker) vpush(v *value) {
	if w.vm.lost {
		return
	}
	w.vm.stack = append(w.vm.stack, v)
}

// vpop pops one value; use says whether popping it uses it (anything but a
// plain discard), which reports a deferred callable.
func (w *walker) vpop(use bool) *value {
	m := w.vm
	if m.lost {
		return opaqueVal
	}
	floor := 0
	if len(m.marks) > 0 {
		floor = m.marks[len(m.marks)-1]
	}
	if len(m.stack) <= floor {
		w.vlose()
		return opaqueVal
	}
	v := m.stack[len(m.stack)-1]
	m.stack = m.stack[:len(m.stack)-1]
	if use {
		w.vuse(v)
	}
	return v
}

// vpopMark pops everything down to the last mark, and the mark.
func (w *walker) vpopMark(use bool) []*value {
	m := w.vm
	if m.lost {
		return nil
	}
	if len(m.marks) == 0 {
		w.vlose()
		return nil
	}
	k := m.marks[len(m.marks)-1]
	m.marks = m.marks[:len(m.marks)-1]
	out := append([]*value(nil), m.stack[k:]...)
	m.stack = m.stack[:k]
	if use {
		for _, v := range out {
			w.vuse(v)
		}
	}
	return out
}

func (w *walker) vtop() *value {
	m := w.vm
	if m.lost || len(m.stack) == 0 {
		return opaqueVal
	}
	return m.stack[len(m.stack)-1]
}

// vuse reports a deferred callable used in any way but its allowed call.
func (w *walker) vuse(v *value) {
	if v != nil && v.kind == vGlobal && v.deferred {
		w.addImport(v.s, v.name)
	}
}

// vlose gives up modelling: every deferred callable seen is reported.
func (w *walker) vlose() {
	m := w.vm
	if m.lost {
		return
	}
	m.lost = true
	m.stack, m.marks, m.memo = nil, nil, nil
	for _, d := range m.deferredSeen {
		w.addImport(d.s, d.name)
	}
}

func (w *walker) container(kind vkind, items []*value) *value {
	v := &value{kind: kind}
	w.addItems(v, items)
	return v
}

func (w *walker) addItems(c *value, items []*value) {
	for _, it := range items {
		if len(c.items) >= maxContainerItems || w.vm.items >= maxVMItems {
			c.truncated = true
			return
		}
		c.items = append(c.items, it)
		w.vm.items++
	}
}

// vglobal pushes the value of a resolved import; a deferrable callable is
// not reported now but judged where it is used.
func (w *walker) vglobal(module, name string) (deferred bool) {
	if w.vm.lost {
		return false
	}
	v := &value{kind: vGlobal, s: module, name: name}
	if deferrable[canonical(module, name)] {
		v.deferred = true
		w.vm.deferredSeen = append(w.vm.deferredSeen, v)
	}
	w.vpush(v)
	return v.deferred
}

// vstep follows one opcode on the value stack. arg is its inline argument
// (nil when not kept). It returns a joblib array to skip, if any.
func (w *walker) vstep(info opInfo, arg []byte, kept *bool) *arrayRead {
	m := w.vm
	if m.lost {
		return nil
	}
	switch info.name {
	case "MARK":
		m.marks = append(m.marks, len(m.stack))
	case "STOP":
		w.vpop(true)
	case "POP":
		floor := 0
		if len(m.marks) > 0 {
			floor = m.marks[len(m.marks)-1]
		}
		if len(m.stack) == floor && len(m.marks) > 0 {
			m.marks = m.marks[:len(m.marks)-1]
		} else {
			w.vpop(false)
		}
	case "POP_MARK":
		w.vpopMark(false)
	case "DUP":
		w.vpush(w.vtop())
	case "INT":
		if s := strings.TrimSpace(string(arg)); s == "01" || s == "00" {
			w.vpush(&value{kind: vBool, i: int64(s[1] - '0')})
		} else {
			w.vpushInt(s)
		}
	case "LONG":
		w.vpushInt(strings.TrimSuffix(strings.TrimSpace(string(arg)), "L"))
	case "BININT":
		w.vpush(&value{kind: vInt, i: int64(int32(uint32(arg[0]) | uint32(arg[1])<<8 | uint32(arg[2])<<16 | uint32(arg[3])<<24))})
	case "BININT1":
		w.vpush(&value{kind: vInt, i: int64(arg[0])})
	case "BININT2":
		w.vpush(&value{kind: vInt, i: int64(arg[0]) | int64(arg[1])<<8})
	case "LONG1", "LONG4":
		if kept != nil && *kept && len(arg) <= 8 {
			var u uint64
			for i := len(arg) - 1; i >= 0; i-- {
				u = u<<8 | uint64(arg[i])
			}
			n := int64(u)
			if len(arg) > 0 && len(arg) < 8 && arg[len(arg)-1]&0x80 != 0 {
				n -= 1 << (8 * len(arg))
			}
			w.vpush(&value{kind: vInt, i: n})
		} else {
			w.vpush(opaqueVal)
		}
	case "NONE":
		w.vpush(&value{kind: vNone})
	case "NEWTRUE":
		w.vpush(&value{kind: vBool, i: 1})
	case "NEWFALSE":
		w.vpush(&value{kind: vBool, i: 0})
	case "EMPTY_TUPLE":
		w.vpush(&value{kind: vTuple})
	case "TUPLE":
		w.vpush(w.container(vTuple, w.vpopMark(true)))
	case "TUPLE1", "TUPLE2", "TUPLE3":
		n := int(info.name[5] - '0')
		items := make([]*value, n)
		for i := n - 1; i >= 0; i-- {
			items[i] = w.vpop(true)
		}
		w.vpush(w.container(vTuple, items))
	case "EMPTY_LIST":
		w.vpush(&value{kind: vList})
	case "LIST":
		w.vpush(w.container(vList, w.vpopMark(true)))
	case "EMPTY_DICT":
		w.vpush(&value{kind: vDict})
	case "DICT":
		w.vpush(w.container(vDict, w.vpopMark(true)))
	case "APPEND":
		v := w.vpop(true)
		w.appendTo(w.vtop(), []*value{v})
	case "APPENDS", "SETITEMS", "ADDITEMS":
		items := w.vpopMark(true)
		w.appendTo(w.vtop(), items)
	case "SETITEM":
		v := w.vpop(true)
		k := w.vpop(true)
		w.appendTo(w.vtop(), []*value{k, v})
	case "EMPTY_SET":
		w.vpush(&value{kind: vOpaque})
	case "FROZENSET":
		w.vpopMark(true)
		w.vpush(&value{kind: vOpaque})
	case "REDUCE":
		args := w.vpop(false)
		fn := w.vpop(false)
		w.vpush(w.call(fn, args))
	case "NEWOBJ":
		args := w.vpop(true)
		cls := w.vpop(true)
		w.vpush(&value{kind: vCall, fn: cls, args: args})
	case "NEWOBJ_EX":
		w.vpop(true)
		args := w.vpop(true)
		cls := w.vpop(true)
		w.vpush(&value{kind: vCall, fn: cls, args: args})
	case "OBJ":
		items := w.vpopMark(true)
		if len(items) == 0 {
			w.vlose()
			return nil
		}
		w.vpush(&value{kind: vCall, fn: items[0], args: w.container(vTuple, items[1:])})
	case "INST":
		// The class is the import just reported; its value is not kept.
		w.vpopMark(true)
		w.vpush(&value{kind: vCall, fn: opaqueVal})
	case "BUILD":
		state := w.vpop(true)
		obj := w.vtop()
		w.vuse(obj)
		if obj.kind == vCall && obj != opaqueVal {
			obj.state = state
			if a := joblibArray(obj); a != nil && !w.opts.PlainLoad {
				w.array = a
				return a
			}
		}
	case "BINPERSID":
		w.vpop(true)
		w.vpush(opaqueVal)
	case "PUT", "BINPUT", "LONG_BINPUT", "MEMOIZE":
		// handled by vmemo
	case "GET", "BINGET", "LONG_BINGET":
		// handled by vmemo
	case "PROTO", "FRAME":
	case "READONLY_BUFFER":
	case "STACK_GLOBAL", "GLOBAL":
		// handled by the import code
	case "STRING", "BINSTRING", "SHORT_BINSTRING", "UNICODE", "BINUNICODE", "SHORT_BINUNICODE", "BINUNICODE8":
		// handled by vstring
	default:
		// Every other opcode pushes one value we do not model.
		w.vpush(opaqueVal)
	}
	return nil
}

func (w *walker) vpushInt(s string) {
	n, err := strconv.ParseInt(strings.ReplaceAll(s, "_", ""), 10, 64)
	if err != nil {
		w.vpush(opaqueVal)
		return
	}
	w.vpush(&value{kind: vInt, i: n})
}

func (w *walker) appendTo(c *value, items []*value) {
	switch c.kind {
	case vList, vDict:
		w.addItems(c, items)
	default:
		w.vuse(c)
	}
}

// call judges fn(*args) for a deferred callable and returns the result.
func (w *walker) call(fn, args *value) *value {
	if fn.kind != vGlobal || !fn.deferred {
		w.vuse(fn)
		w.vuse(args)
		return &value{kind: vCall, fn: fn, args: args}
	}
	w.vuse(args)
	c := canonical(fn.s, fn.name)
	tuple := args.kind == vTuple && !args.truncated
	switch {
	case c == [2]string{"builtins", "getattr"} && tuple && len(args.items) == 2 &&
		args.items[0].kind == vGlobal && !args.items[0].deferred && args.items[1].kind == vStr:
		// getattr(<class>, "<name>") is the import <class>.<name>.
		cls, attr := args.items[0], args.items[1].s
		w.addImport(cls.s, cls.name+"."+attr)
		return &value{kind: vGlobal, s: cls.s, name: cls.name + "." + attr}
	case c == [2]string{"dill._dill", "_load_type"} && tuple && len(args.items) == 1 &&
		args.items[0].kind == vStr && isBuiltinType(args.items[0].s):
		w.addImport("builtins", args.items[0].s)
		return &value{kind: vGlobal, s: "builtins", name: args.items[0].s}
	case c == [2]string{"dill._dill", "_create_array"} && tuple && len(args.items) >= 2 &&
		args.items[0].kind == vGlobal && !args.items[0].deferred:
		// _create_array(f, args, ...) calls f(*args): as a REDUCE of f,
		// whose import is judged on its own.
		w.addImportRated(fn.s, fn.name, Suspicious)
		return opaqueVal
	}
	w.addImport(fn.s, fn.name)
	return opaqueVal
}

func isBuiltinType(s string) bool {
	for _, t := range builtinTypes {
		if t == s {
			return true
		}
	}
	return false
}

// vstring pushes a string argument (nil when too long to keep).
func (w *walker) vstring(s *string) {
	if s == nil {
		w.vpush(opaqueVal)
		return
	}
	w.vpush(&value{kind: vStr, s: *s})
}

func (w *walker) vmemoPut(k uint64) {
	m := w.vm
	if m.lost {
		return
	}
	if _, ok := m.memo[k]; !ok && len(m.memo) >= w.opts.MaxMemoEntries {
		w.vlose()
		return
	}
	if e, ok := m.memo[k]; !ok || e.gen != m.gen {
		m.genCount++
	}
	m.memo[k] = memoVal{v: w.vtop(), gen: m.gen}
}

func (w *walker) vmemoGet(k uint64, ok bool) {
	m := w.vm
	if m.lost {
		return
	}
	e, found := m.memo[k]
	switch {
	case !ok || !found:
		w.vpush(opaqueVal)
	case e.gen != m.gen:
		// Set by an earlier pickle: a new Unpickler would not have it.
		w.vuse(e.v)
		w.vpush(opaqueVal)
	default:
		w.vpush(e.v)
	}
}

// arrayRead is the raw data joblib reads after a NumpyArrayWrapper's BUILD.
type arrayRead struct {
	object bool   // object dtype: a nested pickle follows instead
	bytes  uint64 // raw bytes
	padded bool   // one pad-length byte and that many pad bytes first
	bad    string // why the wrapper could not be understood
}

var joblibWrappers = map[[2]string]bool{
	{"joblib.numpy_pickle", "NumpyArrayWrapper"}:                   true,
	{"sklearn.externals.joblib.numpy_pickle", "NumpyArrayWrapper"}: true,
}

// notStr reports that v is known not to be an exact str, which
// STACK_GLOBAL requires of both operands (PyUnicode_CheckExact in
// _pickle.c's load_stack_global): a number, None, a bool, a container, or
// a joblib array wrapper object.
func notStr(v *value) bool {
	switch v.kind {
	case vInt, vNone, vBool, vTuple, vList, vDict:
		return true
	case vCall:
		return v.fn != nil && v.fn.kind == vGlobal && joblibWrappers[[2]string{v.fn.s, v.fn.name}]
	}
	return false
}

// joblibArray returns what joblib reads after obj's BUILD when obj is a
// NumpyArrayWrapper, nil otherwise.
func joblibArray(obj *value) *arrayRead {
	if obj.fn == nil || obj.fn.kind != vGlobal || !joblibWrappers[[2]string{obj.fn.s, obj.fn.name}] {
		return nil
	}
	st := obj.state
	if st == nil || st.kind != vDict || st.truncated {
		return &arrayRead{bad: "NumpyArrayWrapper state is not a readable dict"}
	}
	field := map[string]*value{}
	for i := 0; i+1 < len(st.items); i += 2 {
		if st.items[i].kind == vStr {
			field[st.items[i].s] = st.items[i+1]
		}
	}
	a := &arrayRead{}
	if p := field["numpy_array_alignment_bytes"]; p != nil && p.kind != vNone {
		a.padded = true
	}
	dt := field["dtype"]
	item, object, ok := dtypeSize(dt)
	if !ok {
		return &arrayRead{bad: "NumpyArrayWrapper dtype not understood"}
	}
	if object {
		a.object = true
		return a
	}
	shape := field["shape"]
	if shape == nil || shape.kind != vTuple || shape.truncated {
		return &arrayRead{bad: "NumpyArrayWrapper shape not understood"}
	}
	count := uint64(1)
	for _, d := range shape.items {
		if d.kind != vInt || d.i < 0 {
			return &arrayRead{bad: "NumpyArrayWrapper shape not understood"}
		}
		if d.i != 0 && count > (1<<62)/uint64(d.i) {
			return &arrayRead{bad: "NumpyArrayWrapper shape overflows"}
		}
		count *= uint64(d.i)
	}
	if item != 0 && count > (1<<62)/item {
		return &arrayRead{bad: "NumpyArrayWrapper size overflows"}
	}
	a.bytes = count * item
	return a
}

// dtypeSize reads a numpy.dtype(typestr, False, True) value with its BUILD
// state (version, byteorder, subarray, names, fields, elsize, alignment,
// flags[, metadata]): its item size, and whether it holds objects.
func dtypeSize(dt *value) (size uint64, object, ok bool) {
	if dt == nil || dt.kind != vCall || dt.fn == nil || dt.fn.kind != vGlobal || dt.fn.name != "dtype" ||
		(dt.fn.s != "numpy" && dt.fn.s != "numpy.core.multiarray" && dt.fn.s != "numpy._core.multiarray") {
		return 0, false, false
	}
	if dt.args == nil || dt.args.kind != vTuple || len(dt.args.items) < 1 || dt.args.items[0].kind != vStr {
		return 0, false, false
	}
	typestr := dt.args.items[0].s
	elsize, flags := int64(-1), int64(0)
	if st := dt.state; st != nil && st.kind == vTuple && len(st.items) >= 8 {
		if st.items[5].kind == vInt {
			elsize = st.items[5].i
		}
		if st.items[7].kind == vInt {
			flags = st.items[7].i
		}
	} else if dt.state != nil {
		return 0, false, false
	}
	if strings.HasPrefix(typestr, "O") || flags&1 != 0 { // NPY_ITEM_REFCOUNT: holds objects
		return 0, true, true
	}
	if elsize > 0 {
		return uint64(elsize), false, true
	}
	i := strings.IndexAny(typestr, "0123456789")
	if i < 0 {
		return 0, false, elsize == 0
	}
	n, err := strconv.ParseUint(typestr[i:], 10, 32)
	if err != nil {
		return 0, false, false
	}
	switch typestr[:i] {
	case "U":
		n *= 4
	case "f", "i", "u", "b", "c", "M", "m", "S", "V", "?":
	default:
		return 0, false, false
	}
	return n, false, true
}

// newPickle starts the value stack of the next pickle in the stream.
func (m *vm) newPickle() {
	m.gen++
	m.genCount = 0
	m.stack, m.marks = m.stack[:0], m.marks[:0]
}
