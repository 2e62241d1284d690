package awsconfig

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"net/http"
	"os"
	"strconv"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/aws-sdk-go-v2/credentials"
)

// FromEnv builds the SDK configuration from environment variables alone,
// the way the SDK's own loader reads them: credentials (AWS_ACCESS_KEY_ID,
// AWS_SECRET_ACCESS_KEY, AWS_SESSION_TOKEN), AWS_REGION or
// AWS_DEFAULT_REGION, AWS_MAX_ATTEMPTS, AWS_RETRY_MODE, AWS_CA_BUNDLE,
// AWS_ENDPOINT_URL and AWS_ENDPOINT_URL_<SERVICE>. ok is false when the
// environment names no credentials, or names a profile or config file
// (which only the shared loader reads).
func FromEnv(lookup func(string) (string, bool)) (cfg aws.Config, ok bool, err error) {
	get := func(k string) string { v, _ := lookup(k); return v }
	id, secret := get("AWS_ACCESS_KEY_ID"), get("AWS_SECRET_ACCESS_KEY")
	if id == "" || secret == "" || get("AWS_PROFILE") != "" || get("AWS_CONFIG_FILE") != "" || get("AWS_SHARED_CREDENTIALS_FILE") != "" {
		return aws.Config{}, false, nil
	}
	cfg = aws.Config{
		Region:      get("AWS_REGION"),
		Credentials: aws.NewCredentialsCache(credentials.NewStaticCredentialsProvider(id, secret, get("AWS_SESSION_TOKEN"))),
	}
	if cfg.Region == "" {
		cfg.Region = get("AWS_DEFAULT_REGION")
	}
	if cfg.Region == "" {
		cfg.Region = DefaultRegion
	}
	if v := get("AWS_MAX_ATTEMPTS"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 {
			return aws.Config{}, true, fmt.Errorf("AWS_MAX_ATTEMPTS is %q: give a positive integer", v)
		}
		cfg.RetryMaxAttempts = n
	}
	if v := get("AWS_RETRY_MODE"); v != "" {
		m, err := aws.ParseRetryMode(v)
		if err != nil {
			return aws.Config{}, true, fmt.Errorf("AWS_RETRY_MODE: %w", err)
		}
		cfg.RetryMode = m
	}
	if path := get("AWS_CA_BUNDLE"); path != "" {
		pem, err := os.ReadFile(path)
		if err != nil {
			return aws.Config{}, true, fmt.Errorf("AWS_CA_BUNDLE: %w", err)
		}
		pool := x509.NewCertPool()
		if !pool.AppendCertsFromPEM(pem) {
			return aws.Config{}, true, fmt.Errorf("AWS_CA_BUNDLE %s: no PEM certificate in it", path)
		}
		cfg.HTTPClient = awshttp.NewBuildableClient().WithTransportOptions(func(tr *http.Transport) {
			if tr.TLSClientConfig == nil {
				tr.TLSClientConfig = &tls.Config{MinVersion: tls.VersionTLS12}
			}
			tr.TLSClientConfig.RootCAs = pool
		})
	}
	if v := get("AWS_ENDPOINT_URL"); v != "" {
		cfg.BaseEndpoint = aws.String(v)
	}
	cfg.ConfigSources = []any{serviceEndpoints(get)}
	return cfg, true, nil
}

// serviceEndpoints gives each service client its AWS_ENDPOINT_URL_<SERVICE>
// (the SDK ID upper-cased, spaces as underscores), as the SDK's
// environment loader does; the clients ask their ConfigSources for it.
type serviceEndpoints func(string) string

func (e serviceEndpoints) GetServiceBaseEndpoint(_ context.Context, sdkID string) (string, bool, error) {
	v := e("AWS_ENDPOINT_URL_" + strings.ToUpper(strings.ReplaceAll(sdkID, " ", "_")))
	return v, v != "", nil
}
