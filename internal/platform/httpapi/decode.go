package httpapi

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"

	"github.com/hubsec/trustlayer/internal/platform/apperr"
)

// MaxBody is the default limit on a JSON request body.
const MaxBody = 64 << 10

// Decode reads r's JSON body into v, refusing bodies over limit bytes,
// unknown fields, trailing data and wrong types with a message that names
// the problem (and the field, when there is one).
func Decode(r *http.Request, v any, limit int64) error {
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
	return DecodeBytes(body, v)
}

// DecodeBytes is Decode for a body already in memory.
func DecodeBytes(body []byte, v any) error {
	if len(bytes.TrimSpace(body)) == 0 {
		return apperr.E(apperr.Invalid, "Request body is empty: expected a JSON object")
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
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
