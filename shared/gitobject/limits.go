package gitobject

// Limits bound the work done on one object. The zero value is not useful;
// start from DefaultLimits.
type Limits struct {
	MaxObjectSize int // bytes of the raw object
	MaxHeaders    int // header fields, not counting continuation lines
	MaxLineLength int // bytes of one header or continuation line
}

// DefaultLimits are generous for real commits (a signed merge of a signed
// tag is a few kilobytes) and small enough to parse in microseconds.
var DefaultLimits = Limits{
	MaxObjectSize: 4 << 20,
	MaxHeaders:    10000,
	MaxLineLength: 64 << 10,
}
