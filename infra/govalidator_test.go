package infra

import (
	"testing"

	"github.com/asaskevich/govalidator"
)

// TestGovalidatorReplacement: the in-tree govalidator (go.mod's replace,
// infra/third_party/govalidator) answers IsEmail as the upstream does, on
// the upstream's own test cases (validator_test.go's TestIsEmail at
// v0.0.0-20230301143203-a9d515a09cc2).
func TestGovalidatorReplacement(t *testing.T) {
	for _, c := range []struct {
		in   string
		want bool
	}{
		{"", false},
		{"foo@bar.com", true},
		{"x@x.x", true},
		{"foo@bar.com.au", true},
		{"foo+bar@bar.com", true},
		{"foo@bar.coffee", true},
		{"foo@bar.coffee..coffee", false},
		{"foo@bar.bar.coffee", true},
		{"foo@bar.中文网", true},
		{"invalidemail@", false},
		{"invalid.com", false},
		{"@invalid.com", false},
		{"test|123@m端ller.com", true},
		{"hans@m端ller.com", true},
		{"hans.m端ller@test.com", true},
		{"NathAn.daVIeS@DomaIn.cOM", true},
		{"NATHAN.DAVIES@DOMAIN.CO.UK", true},
		// Beyond the upstream's table (the upstream package answers the
		// same): a workflow URI SAN, and a quoted local part with a space.
		{"https://github.com/org/repo/.github/workflows/x.yml@refs/heads/main", false},
		{"\"a b\"@example.com", false},
	} {
		if got := govalidator.IsEmail(c.in); got != c.want {
			t.Errorf("IsEmail(%q) = %v, want %v", c.in, got, c.want)
		}
	}
}
