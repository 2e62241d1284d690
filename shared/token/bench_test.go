package token

import "testing"

var sinkKind Kind
var sinkString string

func BenchmarkParseValid(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		sinkKind, _ = Parse(validUser)
	}
}

func BenchmarkParseMalformed(b *testing.B) {
	inputs := []string{
		"Basic dXNlcjpwYXNzd29yZA==",            // unknown prefix
		"hf_short",                              // wrong length
		"hf_abcdefghijklmnopqrstuvwxyz0BCrIyhP", // non-letter
		validUser[:len(validUser)-1] + "Q",      // checksum
	}
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		sinkKind, _ = Parse(inputs[i%len(inputs)])
		i++
	}
}

// BenchmarkCheck is the authorizer's work on a token before the store lookup:
// parse, checksum, hash.
func BenchmarkCheck(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Parse(validUser); err != nil {
			b.Fatal(err)
		}
		sinkString = Hash(validUser)
	}
}

func BenchmarkGenerate(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		s, err := Generate(KindUser)
		if err != nil {
			b.Fatal(err)
		}
		sinkString = s.Reveal()
	}
}

func BenchmarkRedactClean(b *testing.B) {
	s := "GET /api/models/acme/bert?revision=main 200 1532B 3ms request_id=4f1c"
	b.ReportAllocs()
	for b.Loop() {
		sinkString = Redact(s)
	}
}

func BenchmarkEqual(b *testing.B) {
	h1, h2 := Hash(validUser), Hash(validUserA)
	b.ReportAllocs()
	for b.Loop() {
		if Equal(h1, h2) {
			b.Fatal("equal")
		}
	}
}
