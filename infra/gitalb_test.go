package infra

import (
	"fmt"
	"sort"
	"strings"
	"testing"

	"github.com/hubsec/trustlayer/infra/samtemplate"
)

// TestGitALBCompanion holds infra/git-server/git-alb.yaml, the path git
// smart-HTTP takes on AWS at any size (cfn-lint is not available here, so
// this checks the structure): an HTTPS listener of an application load
// balancer forwards to the git server's target group, with an idle
// timeout long enough for a big push and no API Gateway in the way; and
// the git server's role grants exactly what the hooks and the authorizer
// sidecar use (a wider grant fails here).
func TestGitALBCompanion(t *testing.T) {
	tmpl, err := samtemplate.Load("git-server/git-alb.yaml")
	if err != nil {
		t.Fatal(err)
	}
	res := func(id, typ string) samtemplate.Resource {
		t.Helper()
		r, ok := tmpl.Resources[id]
		if !ok || r.Type != typ {
			t.Fatalf("%s: want a %s, got %q", id, typ, r.Type)
		}
		return r
	}
	for _, r := range tmpl.Resources {
		if strings.HasPrefix(r.Type, "AWS::ApiGateway") {
			t.Errorf("%s: git must not pass through API Gateway (10 MB cap)", r.LogicalID)
		}
	}
	lb := res("GitLoadBalancer", "AWS::ElasticLoadBalancingV2::LoadBalancer")
	if samtemplate.String(lb.Properties["Type"]) != "application" {
		t.Errorf("load balancer type %v, want application", lb.Properties["Type"])
	}
	attrs := map[string]string{}
	for _, a := range lb.Properties["LoadBalancerAttributes"].([]any) {
		m := samtemplate.Map(a)
		attrs[samtemplate.String(m["Key"])] = samtemplate.String(m["Value"])
	}
	if attrs["idle_timeout.timeout_seconds"] != "3600" {
		t.Errorf("idle timeout %q, want 3600 (long pushes)", attrs["idle_timeout.timeout_seconds"])
	}
	l := res("HttpsListener", "AWS::ElasticLoadBalancingV2::Listener")
	if samtemplate.String(l.Properties["Protocol"]) != "HTTPS" || fmt.Sprint(l.Properties["Port"]) != "443" ||
		samtemplate.RefTarget(l.Properties["LoadBalancerArn"]) != "GitLoadBalancer" {
		t.Errorf("listener: %v", l.Properties)
	}
	acts, _ := l.Properties["DefaultActions"].([]any)
	if len(acts) != 1 || samtemplate.String(samtemplate.Map(acts[0])["Type"]) != "forward" ||
		samtemplate.RefTarget(samtemplate.Map(acts[0])["TargetGroupArn"]) != "GitTargetGroup" {
		t.Errorf("listener actions: %v", acts)
	}
	res("GitTargetGroup", "AWS::ElasticLoadBalancingV2::TargetGroup")

	// The git server's role, statement by statement: actions and resources.
	want := map[string]string{
		"HookCalls":              "lambda:InvokeFunction on CommitsFunctionArn,ScannerFunctionArn,UploadsFunctionArn",
		"PushCheckStaging":       "s3:DeleteObject,s3:PutObject on arn:${AWS::Partition}:s3:::${UploadsBucketName}/_pushcheck/*",
		"ManifestsAndBlobCopies": "s3:PutObject on arn:${AWS::Partition}:s3:::${UploadsBucketName}/_index/*,arn:${AWS::Partition}:s3:::${UploadsBucketName}/git/*",
		"HookKey":                "secretsmanager:GetSecretValue on HookSecretArn",
		"AuthorizerReads":        "dynamodb:BatchGetItem,dynamodb:GetItem,dynamodb:Query on TableArn",
		"AuthorizerTokenUse":     "dynamodb:UpdateItem on TableArn if lastUsedAt,lastUsedWindow,pk,sk,ttl",
	}
	role := res("GitServerTaskRole", "AWS::IAM::Role")
	got := map[string]string{}
	for _, p := range role.Properties["Policies"].([]any) {
		for _, st := range samtemplate.Map(samtemplate.Map(p)["PolicyDocument"])["Statement"].([]any) {
			m := samtemplate.Map(st)
			if samtemplate.String(m["Effect"]) != "Allow" {
				continue
			}
			got[samtemplate.String(m["Sid"])] = describe(m)
		}
	}
	for sid, w := range want {
		if got[sid] != w {
			t.Errorf("statement %s: got %q, want %q", sid, got[sid], w)
		}
	}
	for sid := range got {
		if _, ok := want[sid]; !ok {
			t.Errorf("statement %s (%s) is not in the test's table: a new grant is a reviewed decision", sid, got[sid])
		}
	}
}

// describe renders an IAM statement as "actions on resources [if attributes]".
func describe(st map[string]any) string {
	list := func(v any) []string {
		var out []string
		items, ok := v.([]any)
		if !ok {
			items = []any{v}
		}
		for _, it := range items {
			s := samtemplate.String(it)
			if s == "" {
				if sub, ok := samtemplate.Map(it)["Fn::Sub"].(string); ok {
					s = sub
				} else {
					s = samtemplate.RefTarget(it)
				}
			}
			out = append(out, s)
		}
		sort.Strings(out)
		return out
	}
	s := strings.Join(list(st["Action"]), ",") + " on " + strings.Join(list(st["Resource"]), ",")
	if attrs := samtemplate.Map(samtemplate.Map(st["Condition"])["ForAllValues:StringEquals"])["dynamodb:Attributes"]; attrs != nil {
		s += " if " + strings.Join(list(attrs), ",")
	}
	if keys := leadingKeys(st); keys != nil {
		s += " keys " + strings.Join(keys, ",")
	}
	return s
}
