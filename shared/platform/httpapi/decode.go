package httpapi

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"strings"

	"github.com/hubsec/trustlayer/shared/platform/apperr"
)

// MaxBody is the default limit on a JSON request body.
const MaxBody = 64 << 10

// MediaJSON is the media type of every JSON request body, unless an
// endpoint's contract names another (Git LFS).
const MediaJSON = "application/json"

// Body says how DecodeBody reads one endpoint's request body.
type Body struct {
	Limit int64 // bytes; MaxBody when 0
	// MediaTypes the Content-Type may name (parameters aside); MediaJSON
	// when empty.
	MediaTypes []string
	// AllowUnknownFields lets fields the target does not declare through
	// (protocols such as Git LFS whose clients send more than we read).
	AllowUnknownFields bool
}

// Decode reads r's JSON body into v: see DecodeBody, with Content-Type
// application/json and unknown fields refused.
func Decode(r *http.Request, v any, limit int64) error {
	return DecodeBody(r, v, Body{Limit: limit})
}

// DecodeBody is the one decoder of request bodies. It refuses, each with a
// message that names the problem (and the key, when there is one): a
// Content-Type other than b.MediaTypes (415: a form or text/plain body is
// never read as JSON), a body over the limit (413), invalid UTF-8, a key sent
// twice or in two spellings that differ only in case (at any depth), unknown
// fields, wrong types and trailing data (400).
func DecodeBody(r *http.Request, v any, b Body) error {
	if err := checkMediaType(r.Header.Get("Content-Type"), b.MediaTypes); err != nil {
		return err
	}
	limit := b.Limit
	if limit <= 0 {
		limit = MaxBody
	}
	if r.Body == nil {
		return apperr.E(apperr.Invalid, "Request body is empty: expected a JSON object")
	}
	body, err := io.ReadAll(io.LimitReader(r.Body, limit+1))
	if err != nil {
		return apperr.Wrap(apperr.Invalid, err, "Could not read the request body")
	}
	if int64(len(body)) > limit {
		return apperr.E(apperr.TooLarge, "Request body is larger than %d bytes", limit)
	}
	return decodeBytes(body, v, b.AllowUnknownFields)
}

// DecodeBytes is Decode for a body already in memory (no Content-Type to
// check).
func DecodeBytes(body []byte, v any) error { return decodeBytes(body, v, false) }

func decodeBytes(body []byte, v any, allowUnknown bool) error {
	if len(bytes.TrimSpace(body)) == 0 {
		return apperr.E(apperr.Invalid, "Request body is empty: expected a JSON object")
	}
	if err := checkUTF8(body); err != nil {
		return err
	}
	if err := checkKeys(body); err != nil {
		return err
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	if !allowUnknown {
		dec.DisallowUnknownFields()
	}
	if err := dec.Decode(v); err != nil {
		return apperr.Wrap(apperr.Invalid, nil, describe(err))
	}
	if dec.More() {
		return apperr.E(apperr.Invalid, "Request body has data after the JSON object")
	}
	if _, err := dec.Token(); err != io.EOF {
		return apperr.E(apperr.Invalid, "Request body has data after the JSON object")
	}
	return nil
}

// checkMediaType accepts a Content-Type naming one of allowed (MediaJSON when
// empty), with no parameter but an optional charset=utf-8.
func checkMediaType(ct string, allowed []string) error {
	if len(allowed) == 0 {
		allowed = []string{MediaJSON}
	}
	want := strings.Join(allowed, " or ")
	if ct == "" {
		return apperr.E(apperr.MediaType, "Content-Type is missing: send the body as %s", want)
	}
	mt, params, err := mime.ParseMediaType(ct)
	if err != nil {
		return apperr.E(apperr.MediaType, "Content-Type %q is malformed: send the body as %s", ct, want)
	}
	ok := false
	for _, a := range allowed {
		if mt == a {
			ok = true
		}
	}
	if !ok {
		return apperr.E(apperr.MediaType, "Content-Type %s is not accepted here: send the body as %s", mt, want)
	}
	for k, v := range params {
		if k != "charset" {
			return apperr.E(apperr.MediaType, "Content-Type parameter %q is not accepted: only charset=utf-8", k)
		}
		if !strings.EqualFold(v, "utf-8") {
			return apperr.E(apperr.MediaType, "Content-Type charset %q is not accepted: send UTF-8", v)
		}
	}
	return nil
}

func describe(err error) string {
	var syn *json.SyntaxError
	var typ *json.UnmarshalTypeError
	switch {
	case errors.As(err, &syn):
		return fmt.Sprintf("Malformed JSON at byte %d", syn.Offset)
	case errors.As(err, &typ):
		if typ.Field != "" {
			return fmt.Sprintf("Field %q must be %s, not %s", typ.Field, jsonType(typ.Type.Kind().String()), typ.Value)
		}
		return fmt.Sprintf("Expected a JSON object, not %s", typ.Value)
	case errors.Is(err, io.ErrUnexpectedEOF):
		return "Malformed JSON: the body ends too early"
	case strings.HasPrefix(err.Error(), "json: unknown field "):
		return "Unknown field " + strings.TrimPrefix(err.Error(), "json: unknown field ")
	default:
		return "Malformed JSON"
	}
}

func jsonType(goKind string) string {
	switch goKind {
	case "string":
		return "a string"
	case "bool":
		return "a boolean"
	case "slice", "array":
		return "an array"
	case "map", "struct", "ptr":
		return "an object"
	default:
		return "a number"
	}
}
