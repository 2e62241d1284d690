package awsconfig

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"testing"

	"github.com/aws/smithy-go"
	smithyhttp "github.com/aws/smithy-go/transport/http"
)

func TestUnavailable(t *testing.T) {
	resp := func(code int) error {
		return &smithyhttp.ResponseError{Response: &smithyhttp.Response{Response: &http.Response{StatusCode: code}}, Err: errors.New("x")}
	}
	api := func(code string) error { return &smithy.GenericAPIError{Code: code} }
	tests := []struct {
		name string
		err  error
		want bool
	}{
		{"throttled", api("ThrottlingException"), true},
		{"over capacity", fmt.Errorf("put: %w", api("ProvisionedThroughputExceededException")), true},
		{"server error", resp(500), true},
		{"unavailable", resp(503), true},
		{"deadline", context.DeadlineExceeded, true},
		{"condition failed", api("ConditionalCheckFailedException"), false},
		{"validation", api("ValidationException"), false},
		{"client error", resp(400), false},
		{"caller went away", context.Canceled, false},
		{"plain error", errors.New("boom"), false},
		{"nil", nil, false},
	}
	for _, tt := range tests {
		if got := Unavailable(tt.err); got != tt.want {
			t.Errorf("%s: got %v, want %v", tt.name, got, tt.want)
		}
	}
}
