package githooklambda

import (
	"testing"
)

// TestConfigFromEnv: region from the environment; the static keys of the
// environment when set.
func TestConfigFromEnv(t *testing.T) {
	t.Setenv("AWS_REGION", "")
	t.Setenv("AWS_DEFAULT_REGION", "ap-south-1")
	t.Setenv("AWS_ACCESS_KEY_ID", "AKID")
	t.Setenv("AWS_SECRET_ACCESS_KEY", "s")
	c := Config()
	if c.Region != "ap-south-1" {
		t.Errorf("region %s", c.Region)
	}
	creds, err := c.Credentials.Retrieve(t.Context())
	if err != nil || creds.AccessKeyID != "AKID" {
		t.Errorf("%+v %v", creds, err)
	}
	t.Setenv("AWS_REGION", "eu-west-3")
	if c := Config(); c.Region != "eu-west-3" {
		t.Errorf("AWS_REGION first: %s", c.Region)
	}
}
