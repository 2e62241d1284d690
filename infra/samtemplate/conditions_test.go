package samtemplate

import "testing"

// TestGitIntegrationURIFollowsVpcLinkCondition evaluates the real
// template's git integration URI: the public URL by default, the private
// listener when the VPC link subnets are given.
func TestGitIntegrationURIFollowsVpcLinkCondition(t *testing.T) {
	tmpl, err := Load("../../template.yaml")
	if err != nil {
		t.Fatal(err)
	}
	uri := tmpl.Resources["GitIntegration"].Properties["IntegrationUri"]
	tests := []struct {
		vars map[string]string
		want string
	}{
		{map[string]string{"GitBackendUrl": "http://127.0.0.1:3003"}, "http://127.0.0.1:3003/{proxy}"},
		{map[string]string{"GitVpcLinkSubnetIds": "subnet-1,subnet-2", "GitBackendListenerArn": "arn:aws:elasticloadbalancing:l"}, "arn:aws:elasticloadbalancing:l"},
	}
	for _, tt := range tests {
		if got := tmpl.Sub(uri, tt.vars); got != tt.want {
			t.Errorf("vars %v: got %q, want %q", tt.vars, got, tt.want)
		}
	}
	if !tmpl.Condition("GitViaVpcLink", map[string]string{"GitVpcLinkSubnetIds": "subnet-1"}) {
		t.Error("GitViaVpcLink is false with a subnet given")
	}
	if tmpl.Condition("GitViaVpcLink", nil) || tmpl.Condition("HasTrustHopSecret", nil) {
		t.Error("a condition on an empty parameter default is true")
	}
	if !tmpl.Condition("HasTrustHopSecret", map[string]string{"TrustHopSecret": "s"}) {
		t.Error("HasTrustHopSecret is false with a secret given")
	}
}
