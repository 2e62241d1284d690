package infra_test

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"testing"

	"github.com/aws/aws-lambda-go/events"

	"github.com/hubsec/trustlayer/infra/samtemplate"
)

// TestEventFixtures checks that every fixture in infra/events is a real
// payload: it decodes into its aws-lambda-go type with no unknown field
// and survives a round trip.
func TestEventFixtures(t *testing.T) {
	tests := []struct {
		file string
		into func() any
	}{
		{"http-api-v2-get-health.json", func() any { return new(events.APIGatewayV2HTTPRequest) }},
		{"authorizer-v2-request.json", func() any { return new(events.APIGatewayV2CustomAuthorizerV2Request) }},
		{"rest-token-authorizer.json", func() any { return new(events.APIGatewayCustomAuthorizerRequest) }},
		{"rest-request-authorizer.json", func() any { return new(events.APIGatewayCustomAuthorizerRequestTypeRequest) }},
		{"s3-object-created.json", func() any { return new(events.S3Event) }},
		{"scheduled-event.json", func() any { return new(events.CloudWatchEvent) }},
	}
	files, _ := filepath.Glob("events/*.json")
	if len(files) != len(tests) {
		t.Errorf("infra/events holds %d fixtures, the test knows %d: add the new one here", len(files), len(tests))
	}
	for _, tt := range tests {
		raw, err := os.ReadFile(filepath.Join("events", tt.file))
		if err != nil {
			t.Fatal(err)
		}
		v := tt.into()
		d := json.NewDecoder(bytes.NewReader(raw))
		d.DisallowUnknownFields()
		if err := d.Decode(v); err != nil {
			t.Errorf("%s: %v", tt.file, err)
			continue
		}
		again, err := json.Marshal(v)
		if err != nil {
			t.Fatal(err)
		}
		v2 := tt.into()
		if err := json.Unmarshal(again, v2); err != nil || !reflect.DeepEqual(v, v2) {
			t.Errorf("%s: round trip changed it (%v)", tt.file, err)
		}
	}
}

func TestS3FixtureKeyIsURLEncoded(t *testing.T) {
	raw, _ := os.ReadFile("events/s3-object-created.json")
	var ev events.S3Event
	if err := json.Unmarshal(raw, &ev); err != nil {
		t.Fatal(err)
	}
	if got := ev.Records[0].S3.Object.Key; got != "lfs/acme/tiny-llm/model+weights%281%29.safetensors" {
		t.Errorf("key %q: want AWS's form-encoded key (space as +)", got)
	}
}

// TestFunctionEventFixtures checks every functions/<name>/events/*.json: a
// real HTTP API payload 2.0 request (no unknown field, authorizer context
// in the shape principal.Context writes), whose route key is one of that
// function's routes in template.yaml. `make invoke FN=<name> EVENT=...` and
// `sam local invoke --event` take them as they are.
func TestFunctionEventFixtures(t *testing.T) {
	tmpl, err := samtemplate.Load("../template.yaml")
	if err != nil {
		t.Fatal(err)
	}
	routes, err := tmpl.HTTPRoutes()
	if err != nil {
		t.Fatal(err)
	}
	files, _ := filepath.Glob("../functions/*/events/*.json")
	if len(files) == 0 {
		t.Fatal("no function event fixtures found")
	}
	for _, f := range files {
		folder := filepath.Base(filepath.Dir(filepath.Dir(f)))
		raw, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		var ev events.APIGatewayV2HTTPRequest
		d := json.NewDecoder(bytes.NewReader(raw))
		d.DisallowUnknownFields()
		if err := d.Decode(&ev); err != nil {
			t.Errorf("%s: not an HTTP API 2.0 request: %v", f, err)
			continue
		}
		found := false
		for _, r := range routes {
			if r.Key() == ev.RouteKey && samtemplate.Folder(r.Function) == folder {
				found = true
			}
		}
		if !found {
			t.Errorf("%s: route %q is not one of functions/%s's routes in template.yaml", f, ev.RouteKey, folder)
		}
		if ev.RequestContext.Authorizer == nil || ev.RequestContext.Authorizer.Lambda["decision"] != "allow" {
			t.Errorf("%s: no authorizer context (the functions refuse requests without one)", f)
		}
	}
}
