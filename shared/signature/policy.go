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

// Policy decides a push from the verification results of its new objects.
// With requireSigned (an org or repo setting), every object must be
// verified and each one that is not is named; without it, everything is
// allowed and nothing is rejected.
func Policy(results []Result, requireSigned bool) Decision {
	d := Decision{Allowed: true, Rejected: []Rejection{}}
	if !requireSigned {
		return d
	}
	for _, r := range results {
		if r.Status != StatusVerified {
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
