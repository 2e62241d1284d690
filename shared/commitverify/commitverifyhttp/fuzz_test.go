package commitverifyhttp

import (
	"testing"

	"github.com/hubsec/trustlayer/shared/commitverify"
	"github.com/hubsec/trustlayer/shared/platform/apperr"
	"github.com/hubsec/trustlayer/shared/platform/httpapi"
)

// FuzzVerifyBody feeds hostile bodies of POST .../commits/verify through
// everything that runs before any store call: strict JSON decoding, the
// base64/text object decoding and commitverify.Check (count, size, parse,
// id). Nothing may panic, and every refusal must be a client error (4xx)
// that names the problem — never an internal error, which would be a 500.
func FuzzVerifyBody(f *testing.F) {
	commit := "tree 4b825dc642cb6eb9a060e54bf8d69288fbee4904\nauthor A <a@example.com> 1700000000 +0000\ncommitter A <a@example.com> 1700000000 +0000\n\nmsg\n"
	f.Add([]byte(`{"commits":["` + "tree 4b825dc642cb6eb9a060e54bf8d69288fbee4904\\nauthor A <a@example.com> 1700000000 +0000\\ncommitter A <a@example.com> 1700000000 +0000\\n\\nmsg\\n" + `"]}`))
	f.Add([]byte(`{"objects":[{"type":"commit","raw":"dHJlZQ==","encoding":"base64"}]}`))
	f.Add([]byte(`{"objects":[{"type":"blob","raw":"x"}]}`))
	f.Add([]byte(`{"tags":["object 4b825dc642cb6eb9a060e54bf8d69288fbee4904\ntype commit\ntag v1\n\nm\n"]}`))
	f.Add([]byte(`{"commits":[]}`))
	f.Add([]byte(`{"objects":[{"type":"commit","raw":"` + commit[:20] + `","id":"zz"}]}`))
	f.Fuzz(func(t *testing.T, body []byte) {
		var in VerifyInput
		if err := httpapi.DecodeBytes(body, &in); err != nil {
			clientError(t, err)
			return
		}
		objs, err := in.objects()
		if err != nil {
			clientError(t, err)
			return
		}
		if err := commitverify.Check(objs); err != nil {
			clientError(t, err)
		}
	})
}

func clientError(t *testing.T, err error) {
	t.Helper()
	k := apperr.KindOf(err)
	if s := httpapi.Status(k); s < 400 || s >= 500 {
		t.Fatalf("refusal %q maps to %d, want a 4xx", err, s)
	}
	if apperr.Public(err) == "" {
		t.Fatalf("refusal %v has no message", err)
	}
}
