package signature

import (
	"fmt"
	"strings"
)

// Rejection names one object that failed the policy.
type Rejection struct {
	ObjectID string     `json:"object_id"`
	Kind     ObjectKind `json:"kind"`
	Status   Status     `json:"status"`
	Reason   Reason     `json:"reason"`
}

// Decision is the outcome of Policy for one push.
type Decision struct {
	Allowed  bool        `json:"allowed"`
	Rejected []Rejection `json:"rejected"`
}

// Rules is the push policy of a repository (its own setting or its
// organization's).
type Rules struct {
	// RequireSigned: every object must be verified.
	RequireSigned bool
	// AllowServiceSigned: under RequireSigned, a commit the service signed
	// for a user (ReasonSignedByService, the commit API) passes. Off by
	// default: the service's signature is not the user's, and any writer
	// without a key could otherwise put content on a branch that requires
	// signed commits.
	AllowServiceSigned bool
}

// Policy decides a push from the verification results of the objects it
// brings to its refs. With rules.RequireSigned, every object must be
// verified (a service-signed one only with rules.AllowServiceSigned) and
// each one that is not is named; without it, everything is allowed and
// nothing is rejected.
func Policy(results []Result, rules Rules) Decision {
	d := Decision{Allowed: true, Rejected: []Rejection{}}
	if !rules.RequireSigned {
		return d
	}
	for _, r := range results {
		if r.Status != StatusVerified || (r.Reason == ReasonSignedByService && !rules.AllowServiceSigned) {
			d.Rejected = append(d.Rejected, Rejection{ObjectID: r.ObjectID, Kind: r.Kind, Status: r.Status, Reason: r.Reason})
		}
	}
	d.Allowed = len(d.Rejected) == 0
	return d
}

// Message renders the decision as lines a git client shows on a refused
// push, one per offending object.
func (d Decision) Message() string {
	if d.Allowed {
		return ""
	}
	var b strings.Builder
	b.WriteString("push declined: this repository requires verified signatures\n")
	for _, r := range d.Rejected {
		fmt.Fprintf(&b, "  %s %s: %s (%s)\n", r.Kind, r.ObjectID, r.Status, r.Reason)
	}
	return b.String()
}
