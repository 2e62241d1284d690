// Package serve starts a function. On AWS Lambda (AWS_LAMBDA_RUNTIME_API is
// set) it hands the handler to aws-lambda-go; anywhere else it serves HTTP on
// $PORT, which is what Knative, Cloud Run, OpenFaaS and the local stack speak.
//
// In the local stack every function also answers the Lambda invoke path
// (POST /2015-03-31/functions/function/invocations, the path the Runtime
// Interface Emulator uses) with the same handler Lambda would run, so the
// local gateway can drive functions with real API Gateway and S3 event
// payloads without one emulator process per function. That path trusts the
// event it is given, so it is served only on loopback with the stack's
// secret (see invokeRoute); elsewhere it does not exist.
package serve

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os/signal"
	"strconv"
	"syscall"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-lambda-go/lambda"
	"github.com/awslabs/aws-lambda-go-api-proxy/httpadapter"

	"github.com/hubsec/trustlayer/shared/platform/config"
	"github.com/hubsec/trustlayer/shared/platform/httpapi"
)

// InvokePath is the Lambda invoke path served off Lambda.
const InvokePath = "/2015-03-31/functions/function/invocations"

// maxEvent bounds an invoke payload, as Lambda does (6 MB synchronous).
const maxEvent = 6 << 20

// HTTP runs an HTTP function. h is wrapped with httpapi.Wrap (request ids,
// recovery, access log). On Lambda it receives API Gateway HTTP API payload
// 2.0 events, converted by aws-lambda-go-api-proxy.
func HTTP(cfg *config.Config, log *slog.Logger, h http.Handler) error {
	wrapped := httpapi.Wrap(h, log)
	adapter := httpadapter.NewV2(wrapped)
	if cfg.OnLambda {
		lambda.Start(adapter.ProxyWithContext)
		return nil
	}
	mux, err := httpMux(cfg, log, wrapped, adapter)
	if err != nil {
		return err
	}
	return listen(cfg, log, mux)
}

// httpMux is what an HTTP function serves off Lambda.
func httpMux(cfg *config.Config, log *slog.Logger, wrapped http.Handler, adapter *httpadapter.HandlerAdapterV2) (http.Handler, error) {
	invoke, err := invokeRoute(cfg, log, invokeHandler(log, func(ctx context.Context, raw json.RawMessage) (any, error) {
		var ev events.APIGatewayV2HTTPRequest
		if err := json.Unmarshal(raw, &ev); err != nil {
			return nil, fmt.Errorf("decode HTTP API event: %w", err)
		}
		return adapter.ProxyWithContext(ctx, ev)
	}))
	if err != nil {
		return nil, err
	}
	mux := http.NewServeMux()
	mux.Handle("POST "+InvokePath, invoke)
	mux.Handle("/", wrapped)
	return mux, nil
}

// Event runs an event function (authorizer, scanner, sweeper). fn receives
// the raw event JSON. extra, if not nil, is served off Lambda beside the
// invoke path (the authorizer's forward-auth face, for example).
func Event(cfg *config.Config, log *slog.Logger, fn func(context.Context, json.RawMessage) (any, error), extra http.Handler) error {
	if cfg.OnLambda {
		lambda.Start(fn)
		return nil
	}
	invoke, err := invokeRoute(cfg, log, invokeHandler(log, fn))
	if err != nil {
		return err
	}
	mux := http.NewServeMux()
	mux.Handle("POST "+InvokePath, invoke)
	if extra != nil {
		mux.Handle("/", httpapi.Wrap(extra, log))
	} else {
		mux.Handle("/", httpapi.NotFound(log))
	}
	return listen(cfg, log, mux)
}

// invokeHandler answers an invoke like the Runtime Interface Emulator: 200
// with the function's JSON result, or 200 with {"errorMessage","errorType"}
// and X-Amz-Function-Error: Unhandled when the function returned an error.
func invokeHandler(log *slog.Logger, fn func(context.Context, json.RawMessage) (any, error)) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, err := io.ReadAll(io.LimitReader(r.Body, maxEvent+1))
		if err != nil || len(body) > maxEvent || !json.Valid(body) {
			w.Header().Set("X-Amz-Function-Error", "Unhandled")
			httpapi.JSON(w, http.StatusOK, lambdaError{"invalid or oversized event payload", "InvalidEvent"})
			return
		}
		out, err := fn(r.Context(), body)
		if err != nil {
			log.ErrorContext(r.Context(), "invocation failed", "err", err)
			w.Header().Set("X-Amz-Function-Error", "Unhandled")
			httpapi.JSON(w, http.StatusOK, lambdaError{err.Error(), fmt.Sprintf("%T", err)})
			return
		}
		httpapi.JSON(w, http.StatusOK, out)
	})
}

type lambdaError struct {
	ErrorMessage string `json:"errorMessage"`
	ErrorType    string `json:"errorType"`
}

func listen(cfg *config.Config, log *slog.Logger, h http.Handler) error {
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
	defer stop()
	srv := &http.Server{
		Handler:           h,
		ReadHeaderTimeout: 10 * time.Second,
		MaxHeaderBytes:    64 << 10,
	}
	ln, err := net.Listen("tcp", net.JoinHostPort(listenHost(cfg), strconv.Itoa(cfg.Port)))
	if err != nil {
		return fmt.Errorf("listen on port %d: %w", cfg.Port, err)
	}
	log.Info("serving HTTP", "addr", ln.Addr().String())
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
		shutdown, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		if err := srv.Shutdown(shutdown); err != nil && !errors.Is(err, http.ErrServerClosed) {
			return err
		}
		return nil
	}
}

// listenHost is HOST from the environment, 127.0.0.1 by default so that a
// function started by hand is not exposed beyond the machine.
func listenHost(cfg *config.Config) string {
	if h := cfg.Env["HOST"]; h != "" {
		return h
	}
	return "127.0.0.1"
}
