package infra_test

import (
	"strings"
	"testing"

	"github.com/hubsec/trustlayer/infra/samtemplate"
)

// signInRoutes are the routes an anonymous caller drives to create or prove
// credentials: the abuse-prone ones, throttled lowest.
var signInRoutes = map[string]bool{
	"POST /api/signup": true, "POST /api/login": true, "POST /api/emails/verify": true,
	"POST /api/emails/resend": true, "POST /api/credentials/revoke": true,
	"POST /join": true, "POST /login": true, "POST /email/verify": true, "POST /settings/emails/resend": true,
}

// throttleClass is the class a HubApi route must be throttled as; "Read"
// is the API's default route settings.
func throttleClass(r samtemplate.Route) string {
	key := r.Key()
	switch {
	case r.Integration != nil:
		// git: an ApiGatewayV2::Route of its own, on the default.
		return "Read"
	case signInRoutes[key]:
		return "SignIn"
	case (r.Method == "GET" || r.Method == "HEAD") && (strings.Contains(r.Path, "/resolve/") || strings.Contains(r.Path, "/raw/")),
		r.Method == "POST" && strings.HasSuffix(r.Path, "/info/lfs/objects/batch"):
		return "Download"
	case r.Method == "GET" || r.Method == "HEAD" || strings.Contains(r.Path, "/paths-info/"):
		return "Read"
	}
	return "Write"
}

// refPair reads {ThrottlingRateLimit: !Ref X, ThrottlingBurstLimit: !Ref Y}.
func refPair(m map[string]any) (rate, burst string) {
	return samtemplate.RefTarget(m["ThrottlingRateLimit"]), samtemplate.RefTarget(m["ThrottlingBurstLimit"])
}

func paramDefault(t *testing.T, tmpl *samtemplate.Template, name string) float64 {
	t.Helper()
	p := samtemplate.Map(tmpl.Parameters[name])
	if p == nil {
		t.Fatalf("parameter %s is missing", name)
	}
	if samtemplate.String(p["Type"]) != "Number" {
		t.Errorf("parameter %s: Type %v, want Number", name, p["Type"])
	}
	switch v := p["Default"].(type) {
	case int:
		return float64(v)
	case float64:
		return v
	}
	t.Fatalf("parameter %s: Default %v is not a number", name, p["Default"])
	return 0
}

// TestThrottlesByRouteClass: every HubApi route is throttled by the
// parameters of its class (downloads, reads, writes, sign-in), never by a
// literal, and the defaults are ordered: downloads at the account limit,
// writes lower, sign-in lowest.
func TestThrottlesByRouteClass(t *testing.T) {
	tmpl := loadTemplate(t)
	api := samtemplate.Map(tmpl.Resources["HubApi"].Properties)
	rate, burst := refPair(samtemplate.Map(api["DefaultRouteSettings"]))
	if rate != "ThrottleReadRate" || burst != "ThrottleReadBurst" {
		t.Errorf("HubApi DefaultRouteSettings: %q/%q, want !Ref ThrottleReadRate/ThrottleReadBurst", rate, burst)
	}
	settings := samtemplate.Map(api["RouteSettings"])
	routes, err := tmpl.HTTPRoutes()
	if err != nil {
		t.Fatal(err)
	}
	seen := map[string]bool{}
	count := map[string]int{}
	for _, r := range routes {
		if r.API != "HubApi" {
			continue
		}
		key, want := r.Key(), throttleClass(r)
		seen[key] = true
		count[want]++
		s, listed := settings[key]
		if want == "Read" {
			if listed {
				t.Errorf("%s (%s): a read route takes the default settings; remove it from RouteSettings", key, r.Source)
			}
			continue
		}
		if !listed {
			t.Errorf("%s (%s): missing from HubApi RouteSettings (class %s)", key, r.Source, want)
			continue
		}
		rate, burst := refPair(samtemplate.Map(s))
		if rate != "Throttle"+want+"Rate" || burst != "Throttle"+want+"Burst" {
			t.Errorf("%s: throttled by %q/%q, want !Ref Throttle%sRate/Throttle%sBurst", key, rate, burst, want, want)
		}
	}
	for key := range settings {
		if !seen[key] {
			t.Errorf("RouteSettings names %q, which is no route of HubApi", key)
		}
	}
	for _, c := range []string{"Download", "Read", "Write", "SignIn"} {
		if count[c] == 0 {
			t.Errorf("no route of class %s: the classification no longer matches the template", c)
		}
	}
	def := func(n string) float64 { return paramDefault(t, tmpl, n) }
	const accountRate, accountBurst = 10000, 5000
	if def("ThrottleDownloadRate") != accountRate || def("ThrottleDownloadBurst") != accountBurst {
		t.Errorf("downloads default to %v/%v, want the account limit %v/%v", def("ThrottleDownloadRate"), def("ThrottleDownloadBurst"), accountRate, accountBurst)
	}
	order := []string{"Download", "Read", "Write", "SignIn"}
	for i := 1; i < len(order); i++ {
		if def("Throttle"+order[i]+"Rate") > def("Throttle"+order[i-1]+"Rate") {
			t.Errorf("Throttle%sRate default exceeds Throttle%sRate's", order[i], order[i-1])
		}
	}
	for _, c := range order {
		if def("Throttle"+c+"Rate") > accountRate || def("Throttle"+c+"Burst") > accountBurst {
			t.Errorf("Throttle%s defaults exceed the account limit", c)
		}
	}
}
