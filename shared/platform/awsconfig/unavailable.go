package awsconfig

import (
	"context"
	"errors"
	"net"

	"github.com/aws/aws-sdk-go-v2/aws/retry"
	"github.com/aws/smithy-go"
	"github.com/aws/smithy-go/middleware"
	smithyhttp "github.com/aws/smithy-go/transport/http"

	"github.com/hubsec/trustlayer/shared/platform/apperr"
)

// Unavailable reports whether err means the service could not answer (a
// network error, a timeout, throttling, a 5xx, or retries exhausted on
// one), as opposed to an answer we must act on (a failed condition, a
// validation error). It is the one place store outages are told apart.
func Unavailable(err error) bool {
	if err == nil || errors.Is(err, context.Canceled) {
		return false
	}
	if errors.Is(err, context.DeadlineExceeded) {
		return true
	}
	var (
		netErr  net.Error
		sendErr *smithyhttp.RequestSendError
		maxErr  *retry.MaxAttemptsError
		respErr *smithyhttp.ResponseError
		apiErr  smithy.APIError
		// any other error carrying an HTTP status (awsrest's)
		statusErr interface{ HTTPStatusCode() int }
	)
	switch {
	case errors.As(err, &netErr), errors.As(err, &sendErr), errors.As(err, &maxErr):
		return true
	case errors.As(err, &respErr) && respErr.HTTPStatusCode() >= 500:
		return true
	case errors.As(err, &statusErr) && statusErr.HTTPStatusCode() >= 500:
		return true // awsrest.APIError
	case errors.As(err, &apiErr):
		switch apiErr.ErrorCode() {
		case "ThrottlingException", "ProvisionedThroughputExceededException", "RequestLimitExceeded",
			"InternalServerError", "InternalFailure", "ServiceUnavailable", "ServiceUnavailableException":
			return true
		}
	}
	return false
}

// classifyOutages is client middleware, outermost (after the SDK's
// retries), that marks an outage as apperr.Unavailable, so every layer
// above answers it as a 503 with Retry-After instead of a 500 or a denial.
func classifyOutages(stack *middleware.Stack) error {
	return stack.Initialize.Add(middleware.InitializeMiddlewareFunc("trustlayerClassifyOutages",
		func(ctx context.Context, in middleware.InitializeInput, next middleware.InitializeHandler) (middleware.InitializeOutput, middleware.Metadata, error) {
			out, md, err := next.HandleInitialize(ctx, in)
			if err != nil && Unavailable(err) && apperr.KindOf(err) == apperr.Internal {
				err = apperr.Wrap(apperr.Unavailable, err, "")
			}
			return out, md, err
		}), middleware.Before)
}
