package gateway

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"

	"github.com/hubsec/trustlayer/shared/platform/serve"
)

// Invoker runs one function with a raw Lambda event and returns its raw
// result. A function that failed (Lambda's X-Amz-Function-Error) is a
// *FunctionError.
type Invoker interface {
	Invoke(ctx context.Context, payload []byte) ([]byte, error)
}

// InvokerFunc adapts a function to Invoker.
type InvokerFunc func(ctx context.Context, payload []byte) ([]byte, error)

// Invoke calls f.
func (f InvokerFunc) Invoke(ctx context.Context, payload []byte) ([]byte, error) {
	return f(ctx, payload)
}

// FunctionError is a function's own error result: {"errorMessage",
// "errorType"}, as Lambda returns it with X-Amz-Function-Error.
type FunctionError struct {
	Message string `json:"errorMessage"`
	Type    string `json:"errorType,omitempty"`
	// Payload is the raw error document the function returned.
	Payload []byte `json:"-"`
}

func (e *FunctionError) Error() string {
	if e.Type != "" {
		return fmt.Sprintf("function error %s: %s", e.Type, e.Message)
	}
	return "function error: " + e.Message
}

// maxInvokeResponse bounds what is read back from a function (Lambda's
// synchronous response limit is 6 MB).
const maxInvokeResponse = 6 << 20

// HTTPInvoker invokes a function process through the Lambda invoke path it
// serves (shared/serve off Lambda, or the Runtime Interface Emulator).
type HTTPInvoker struct {
	URL    string // http://127.0.0.1:PORT/2015-03-31/functions/function/invocations
	Client *http.Client
	// Secret is the local stack's invoke secret, sent in
	// serve.InvokeSecretHeader: function processes serve the invoke path
	// only to its holder (RIE ignores it).
	Secret string
}

// InvokePath is the invoke path of a function process and of RIE.
const InvokePath = "/2015-03-31/functions/function/invocations"

// NewHTTPInvoker returns an invoker for the function process at baseURL
// (http://127.0.0.1:PORT).
func NewHTTPInvoker(baseURL string) *HTTPInvoker {
	return &HTTPInvoker{
		URL:    strings.TrimRight(baseURL, "/") + InvokePath,
		Client: &http.Client{Timeout: 15 * time.Minute},
	}
}

// Invoke posts payload and returns the function's result.
func (h *HTTPInvoker) Invoke(ctx context.Context, payload []byte) ([]byte, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, h.URL, bytes.NewReader(payload))
	if err != nil {
		return nil, fmt.Errorf("invoke %s: %w", h.URL, err)
	}
	req.Header.Set("Content-Type", "application/json")
	if h.Secret != "" {
		req.Header.Set(serve.InvokeSecretHeader, h.Secret)
	}
	resp, err := h.Client.Do(req)
	if err != nil {
		return nil, fmt.Errorf("invoke %s: %w", h.URL, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxInvokeResponse+1))
	if err != nil {
		return nil, fmt.Errorf("invoke %s: read response: %w", h.URL, err)
	}
	if len(body) > maxInvokeResponse {
		return nil, fmt.Errorf("invoke %s: response larger than %d bytes", h.URL, maxInvokeResponse)
	}
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("invoke %s: status %d", h.URL, resp.StatusCode)
	}
	if resp.Header.Get("X-Amz-Function-Error") != "" {
		return nil, decodeFunctionError(body)
	}
	return body, nil
}

func decodeFunctionError(body []byte) *FunctionError {
	fe := &FunctionError{Payload: body}
	if json.Unmarshal(body, fe) != nil || fe.Message == "" {
		fe.Message = strings.TrimSpace(string(body))
	}
	return fe
}

// InProcess returns an invoker that calls fn in this process, the way
// aws-lambda-go would: the event is fn's input, its result is marshalled to
// JSON, and an error becomes a *FunctionError.
func InProcess(fn func(ctx context.Context, event json.RawMessage) (any, error)) Invoker {
	return InvokerFunc(func(ctx context.Context, payload []byte) ([]byte, error) {
		out, err := fn(ctx, json.RawMessage(payload))
		if err != nil {
			return nil, &FunctionError{Message: err.Error(), Type: fmt.Sprintf("%T", err)}
		}
		b, err := json.Marshal(out)
		if err != nil {
			return nil, &FunctionError{Message: "marshal result: " + err.Error(), Type: "Runtime.MarshalError"}
		}
		return b, nil
	})
}
