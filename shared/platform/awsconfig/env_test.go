package awsconfig

import (
	"context"
	"strings"
	"testing"
)

func lookupIn(env map[string]string) func(string) (string, bool) {
	return func(k string) (string, bool) { v, ok := env[k]; return v, ok }
}

func TestFromEnv(t *testing.T) {
	creds := map[string]string{"AWS_ACCESS_KEY_ID": "AKID", "AWS_SECRET_ACCESS_KEY": "secret", "AWS_SESSION_TOKEN": "session"}
	with := func(kv ...string) map[string]string {
		m := map[string]string{}
		for k, v := range creds {
			m[k] = v
		}
		for i := 0; i < len(kv); i += 2 {
			m[kv[i]] = kv[i+1]
		}
		return m
	}
	t.Run("no credentials: the shared loader decides", func(t *testing.T) {
		if _, ok, err := FromEnv(lookupIn(map[string]string{"AWS_REGION": "eu-west-1"})); ok || err != nil {
			t.Fatalf("got ok=%v err=%v, want ok=false", ok, err)
		}
	})
	t.Run("a profile: the shared loader decides", func(t *testing.T) {
		if _, ok, _ := FromEnv(lookupIn(with("AWS_PROFILE", "dev"))); ok {
			t.Fatal("got ok=true with AWS_PROFILE set")
		}
	})
	t.Run("credentials, region and endpoints", func(t *testing.T) {
		cfg, ok, err := FromEnv(lookupIn(with("AWS_REGION", "eu-west-1", "AWS_MAX_ATTEMPTS", "1",
			"AWS_ENDPOINT_URL_DYNAMODB", "http://127.0.0.1:8000", "AWS_ENDPOINT_URL_S3", "http://127.0.0.1:9000")))
		if !ok || err != nil {
			t.Fatalf("got ok=%v err=%v", ok, err)
		}
		if cfg.Region != "eu-west-1" || cfg.RetryMaxAttempts != 1 {
			t.Errorf("got region %q attempts %d, want eu-west-1 and 1", cfg.Region, cfg.RetryMaxAttempts)
		}
		c, err := cfg.Credentials.Retrieve(context.Background())
		if err != nil || c.AccessKeyID != "AKID" || c.SecretAccessKey != "secret" || c.SessionToken != "session" {
			t.Errorf("got credentials %+v, %v", c, err)
		}
		if got := DynamoDB(cfg).Options().BaseEndpoint; got == nil || *got != "http://127.0.0.1:8000" {
			t.Errorf("DynamoDB endpoint: got %v, want http://127.0.0.1:8000", got)
		}
		if got := S3(cfg).Options().BaseEndpoint; got == nil || *got != "http://127.0.0.1:9000" {
			t.Errorf("S3 endpoint: got %v, want http://127.0.0.1:9000", got)
		}
	})
	t.Run("default region", func(t *testing.T) {
		cfg, _, _ := FromEnv(lookupIn(with()))
		if cfg.Region != DefaultRegion {
			t.Errorf("got %q, want %q", cfg.Region, DefaultRegion)
		}
	})
	t.Run("bad values say which", func(t *testing.T) {
		for _, kv := range [][2]string{{"AWS_MAX_ATTEMPTS", "many"}, {"AWS_CA_BUNDLE", "/nonexistent/ca.pem"}, {"AWS_RETRY_MODE", "eager"}} {
			_, ok, err := FromEnv(lookupIn(with(kv[0], kv[1])))
			if !ok || err == nil || !strings.Contains(err.Error(), kv[0]) {
				t.Errorf("%s=%s: got ok=%v err=%v, want an error naming it", kv[0], kv[1], ok, err)
			}
		}
	})
}
