package pickle

// argKind says how an opcode's inline argument is encoded.
type argKind uint8

const (
	argNone     argKind = iota
	argFixed            // size bytes
	argLine             // one newline-terminated line
	argTwoLines         // module and name lines (GLOBAL, INST)
	argLen1             // 1-byte length, then data
	argLen4             // 4-byte little-endian unsigned length, then data
	argLen4s            // 4-byte little-endian signed length, then data
	argLen8             // 8-byte little-endian length, then data
)

// opClass says what an opcode means to the import analysis.
type opClass uint8

const (
	clsOther       opClass = iota // pushes or changes something we do not model
	clsString                     // pushes a str the unpickler may use in STACK_GLOBAL
	clsQuoted                     // STRING: quoted, escaped line
	clsRawUnicode                 // UNICODE: raw-unicode-escape line
	clsGet                        // memo read
	clsPut                        // memo write at an explicit index
	clsMemoize                    // memo write at len(memo)
	clsFrame                      // framing, transparent
	clsStop                       // end of one pickle
	clsGlobal                     // GLOBAL
	clsInst                       // INST
	clsStackGlobal                // STACK_GLOBAL
	clsExt                        // EXT1/2/4: extension registry lookup
	clsProto                      // PROTO
	clsNumberLine                 // INT, LONG, FLOAT: numeric text line
)

type opInfo struct {
	name  string
	arg   argKind
	size  int // for argFixed
	class opClass
	valid bool
}

// ops is indexed by opcode byte; see Python's Lib/pickletools.py.
var ops [256]opInfo

func def(code byte, name string, arg argKind, size int, class opClass) {
	ops[code] = opInfo{name: name, arg: arg, size: size, class: class, valid: true}
}

func init() {
	// Protocol 0 and 1.
	def('(', "MARK", argNone, 0, clsOther)
	def('.', "STOP", argNone, 0, clsStop)
	def('0', "POP", argNone, 0, clsOther)
	def('1', "POP_MARK", argNone, 0, clsOther)
	def('2', "DUP", argNone, 0, clsOther)
	def('F', "FLOAT", argLine, 0, clsNumberLine)
	def('I', "INT", argLine, 0, clsNumberLine)
	def('J', "BININT", argFixed, 4, clsOther)
	def('K', "BININT1", argFixed, 1, clsOther)
	def('L', "LONG", argLine, 0, clsNumberLine)
	def('M', "BININT2", argFixed, 2, clsOther)
	def('N', "NONE", argNone, 0, clsOther)
	def('P', "PERSID", argLine, 0, clsOther)
	def('Q', "BINPERSID", argNone, 0, clsOther)
	def('R', "REDUCE", argNone, 0, clsOther)
	def('S', "STRING", argLine, 0, clsQuoted)
	def('T', "BINSTRING", argLen4s, 0, clsString)
	def('U', "SHORT_BINSTRING", argLen1, 0, clsString)
	def('V', "UNICODE", argLine, 0, clsRawUnicode)
	def('X', "BINUNICODE", argLen4, 0, clsString)
	def('a', "APPEND", argNone, 0, clsOther)
	def('b', "BUILD", argNone, 0, clsOther)
	def('c', "GLOBAL", argTwoLines, 0, clsGlobal)
	def('d', "DICT", argNone, 0, clsOther)
	def('}', "EMPTY_DICT", argNone, 0, clsOther)
	def('e', "APPENDS", argNone, 0, clsOther)
	def('g', "GET", argLine, 0, clsGet)
	def('h', "BINGET", argFixed, 1, clsGet)
	def('i', "INST", argTwoLines, 0, clsInst)
	def('j', "LONG_BINGET", argFixed, 4, clsGet)
	def('l', "LIST", argNone, 0, clsOther)
	def(']', "EMPTY_LIST", argNone, 0, clsOther)
	def('o', "OBJ", argNone, 0, clsOther)
	def('p', "PUT", argLine, 0, clsPut)
	def('q', "BINPUT", argFixed, 1, clsPut)
	def('r', "LONG_BINPUT", argFixed, 4, clsPut)
	def('s', "SETITEM", argNone, 0, clsOther)
	def('t', "TUPLE", argNone, 0, clsOther)
	def(')', "EMPTY_TUPLE", argNone, 0, clsOther)
	def('u', "SETITEMS", argNone, 0, clsOther)
	def('G', "BINFLOAT", argFixed, 8, clsOther)
	// Protocol 2.
	def(0x80, "PROTO", argFixed, 1, clsProto)
	def(0x81, "NEWOBJ", argNone, 0, clsOther)
	def(0x82, "EXT1", argFixed, 1, clsExt)
	def(0x83, "EXT2", argFixed, 2, clsExt)
	def(0x84, "EXT4", argFixed, 4, clsExt)
	def(0x85, "TUPLE1", argNone, 0, clsOther)
	def(0x86, "TUPLE2", argNone, 0, clsOther)
	def(0x87, "TUPLE3", argNone, 0, clsOther)
	def(0x88, "NEWTRUE", argNone, 0, clsOther)
	def(0x89, "NEWFALSE", argNone, 0, clsOther)
	def(0x8a, "LONG1", argLen1, 0, clsOther)
	def(0x8b, "LONG4", argLen4s, 0, clsOther)
	// Protocol 3.
	def('B', "BINBYTES", argLen4, 0, clsOther)
	def('C', "SHORT_BINBYTES", argLen1, 0, clsOther)
	// Protocol 4.
	def(0x8c, "SHORT_BINUNICODE", argLen1, 0, clsString)
	def(0x8d, "BINUNICODE8", argLen8, 0, clsString)
	def(0x8e, "BINBYTES8", argLen8, 0, clsOther)
	def(0x8f, "EMPTY_SET", argNone, 0, clsOther)
	def(0x90, "ADDITEMS", argNone, 0, clsOther)
	def(0x91, "FROZENSET", argNone, 0, clsOther)
	def(0x92, "NEWOBJ_EX", argNone, 0, clsOther)
	def(0x93, "STACK_GLOBAL", argNone, 0, clsStackGlobal)
	def(0x94, "MEMOIZE", argNone, 0, clsMemoize)
	def(0x95, "FRAME", argFixed, 8, clsFrame)
	// Protocol 5.
	def(0x96, "BYTEARRAY8", argLen8, 0, clsOther)
	def(0x97, "NEXT_BUFFER", argNone, 0, clsOther)
	def(0x98, "READONLY_BUFFER", argNone, 0, clsOther)
}

// HighestProtocol is the newest pickle protocol this package understands.
const HighestProtocol = 5
