// Package commitverifyhttp is the HTTP face of package commitverify: the commits
// function. POST .../commits/verify takes the raw objects of a push and
// answers each verdict and the push decision; GET
// .../commits/{sha}/verification reads a stored record.
package commitverifyhttp

import (
	"encoding/base64"
	"fmt"
	"log/slog"
	"net/http"
	"time"

	"github.com/hubsec/trustlayer/shared/access"
	"github.com/hubsec/trustlayer/shared/commitverify"
	"github.com/hubsec/trustlayer/shared/githook"
	"github.com/hubsec/trustlayer/shared/githook/githookhttp"
	"github.com/hubsec/trustlayer/shared/gitobject"
	"github.com/hubsec/trustlayer/shared/platform/apperr"
	"github.com/hubsec/trustlayer/shared/platform/httpapi"
	"github.com/hubsec/trustlayer/shared/principal"
	"github.com/hubsec/trustlayer/shared/signature"
)

// MaxBody bounds a verify request: Lambda's 6 MB synchronous payload limit.
// The raw objects inside are limited to commitverify.MaxTotalBytes.
const MaxBody = 6 << 20

// Handler returns the commits function's handler; hook admits the git
// server's signed calls.
func Handler(svc *commitverify.Service, log *slog.Logger, hook githookhttp.Guard) http.Handler {
	a := &api{svc: svc, log: log}
	mux := http.NewServeMux()
	for _, t := range []struct {
		prefix string
		typ    access.RepoType
	}{{"/api/models", access.RepoModel}, {"/api/datasets", access.RepoDataset}, {"/api/spaces", access.RepoSpace}} {
		mux.HandleFunc("POST "+t.prefix+"/{namespace}/{name}/commits/verify", a.verify(t.typ))
		mux.HandleFunc("GET "+t.prefix+"/{namespace}/{name}/commits/{sha}/verification", a.record(t.typ))
		mux.HandleFunc("GET "+t.prefix+"/{namespace}/{name}/commits/{rev}", a.commits(t.typ))
	}
	mux.HandleFunc("POST "+githook.PreReceivePath, hook.Only(a.preReceive, httpapi.NotFound(log)))
	mux.Handle("/", httpapi.NotFound(log))
	return principal.Middleware(mux, a.fail)
}

type api struct {
	svc *commitverify.Service
	log *slog.Logger
}

func (a *api) fail(w http.ResponseWriter, r *http.Request, err error) {
	httpapi.Error(w, r, a.log, err)
}

// VerifyInput is the body of POST .../commits/verify. Commits and Tags hold
// raw objects as JSON strings (UTF-8 text, as `git cat-file` prints them);
// Objects also takes base64 for objects that are not UTF-8.
type VerifyInput struct {
	Commits []string      `json:"commits"`
	Tags    []string      `json:"tags"`
	Objects []ObjectInput `json:"objects"`
}

// ObjectInput is one entry of VerifyInput.Objects.
type ObjectInput struct {
	Type     string `json:"type"`               // "commit" or "tag"
	Raw      string `json:"raw"`                // the object
	Encoding string `json:"encoding,omitempty"` // "" (text) or "base64"
	ID       string `json:"id,omitempty"`       // optional: the object id, checked
}

// objects turns the input into commitverify objects, naming each by its
// place in the body.
func (in VerifyInput) objects() ([]commitverify.Object, error) {
	var out []commitverify.Object
	for i, raw := range in.Commits {
		out = append(out, commitverify.Object{Kind: signature.Commit, Raw: []byte(raw), Label: fmt.Sprintf("commits[%d]", i)})
	}
	for i, raw := range in.Tags {
		out = append(out, commitverify.Object{Kind: signature.Tag, Raw: []byte(raw), Label: fmt.Sprintf("tags[%d]", i)})
	}
	for i, o := range in.Objects {
		label := fmt.Sprintf("objects[%d]", i)
		obj := commitverify.Object{Kind: signature.ObjectKind(o.Type), Label: label, WantID: o.ID}
		if o.Type != string(signature.Commit) && o.Type != string(signature.Tag) {
			return nil, apperr.E(apperr.Invalid, "%s: type %q, want \"commit\" or \"tag\"", label, o.Type)
		}
		if o.ID != "" && !commitverify.ValidObjectID(o.ID) {
			return nil, apperr.E(apperr.Invalid, "%s: id must be 40 or 64 hex digits", label)
		}
		switch o.Encoding {
		case "", "utf-8", "utf8":
			obj.Raw = []byte(o.Raw)
		case "base64":
			b, err := base64.StdEncoding.DecodeString(o.Raw)
			if err != nil {
				return nil, apperr.E(apperr.Invalid, "%s: raw is not valid base64", label)
			}
			obj.Raw = b
		default:
			return nil, apperr.E(apperr.Invalid, "%s: encoding %q, want \"base64\" or none", label, o.Encoding)
		}
		out = append(out, obj)
	}
	return out, nil
}

// RecordJSON is a verification record as the API shows it.
type RecordJSON struct {
	ObjectID           string              `json:"objectId"`
	ObjectFormat       string              `json:"objectFormat"`
	Kind               string              `json:"kind"`
	Verified           bool                `json:"verified"`
	Status             string              `json:"status"`
	Reason             string              `json:"reason"`
	SignatureType      string              `json:"signatureType,omitempty"`
	SignerKeyID        string              `json:"signerKeyId,omitempty"`
	SignerPrimaryKeyID string              `json:"signerPrimaryKeyId,omitempty"`
	SignerFingerprint  string              `json:"signerFingerprint,omitempty"`
	SignerAccountID    string              `json:"signerAccountId,omitempty"`
	SignedAt           *time.Time          `json:"signedAt,omitempty"`
	Author             *gitobject.Identity `json:"author,omitempty"`
	Committer          *gitobject.Identity `json:"committer,omitempty"`
	VerifiedAt         time.Time           `json:"verifiedAt"`
	SubmittedBy        string              `json:"submittedBy,omitempty"`
	Signature          string              `json:"signature,omitempty"`
	// CommittedByService: the service signed it for the user that
	// SubmittedBy names (the commit API); Label is how it is shown.
	CommittedByService bool   `json:"committedByService"`
	Label              string `json:"label"`
	// AlreadyRecorded, in verify answers only: this object had a record
	// already, returned unchanged (its verifiedAt is the first one's).
	AlreadyRecorded *bool `json:"alreadyRecorded,omitempty"`
}

func recordJSON(rec commitverify.Record) RecordJSON {
	r := rec.Result
	return RecordJSON{ObjectID: r.ObjectID, ObjectFormat: string(r.ObjectFormat), Kind: string(r.Kind),
		Verified: r.Verified, Status: string(r.Status), Reason: string(r.Reason), SignatureType: string(r.SignatureType),
		SignerKeyID: r.SignerKeyID, SignerPrimaryKeyID: r.SignerPrimaryKeyID, SignerFingerprint: r.SignerFingerprint,
		SignerAccountID: r.AccountID, SignedAt: r.SignedAt, Author: r.Author, Committer: r.Committer,
		VerifiedAt: r.VerifiedAt, SubmittedBy: rec.SubmittedBy, Signature: r.Signature,
		CommittedByService: rec.ServiceSigned(), Label: rec.Label()}
}

// PushJSON is the push decision.
type PushJSON struct {
	Allowed              bool           `json:"allowed"`
	RequireSignedCommits bool           `json:"requireSignedCommits"`
	Rejected             []RejectedJSON `json:"rejected"`
	Message              string         `json:"message"`
}

// RejectedJSON names one object the policy refused.
type RejectedJSON struct {
	ObjectID string `json:"objectId"`
	Kind     string `json:"kind"`
	Status   string `json:"status"`
	Reason   string `json:"reason"`
}

// VerifyJSON is the answer to POST .../commits/verify.
type VerifyJSON struct {
	Results []RecordJSON `json:"results"`
	Push    PushJSON     `json:"push"`
}

func (a *api) verify(typ access.RepoType) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		var in VerifyInput
		if err := httpapi.Decode(r, &in, MaxBody); err != nil {
			a.fail(w, r, err)
			return
		}
		objs, err := in.objects()
		if err != nil {
			a.fail(w, r, err)
			return
		}
		push, err := a.svc.VerifyPush(r.Context(), principal.From(r.Context()), typ, r.PathValue("namespace"), r.PathValue("name"), objs)
		if err != nil {
			a.fail(w, r, err)
			return
		}
		out := VerifyJSON{Results: make([]RecordJSON, 0, len(push.Outcomes)), Push: PushJSON{
			Allowed: push.Decision.Allowed, RequireSignedCommits: push.RequireSignedCommits,
			Rejected: make([]RejectedJSON, 0, len(push.Decision.Rejected)), Message: message(push),
		}}
		for _, o := range push.Outcomes {
			j := recordJSON(o.Record)
			already := o.AlreadyRecorded
			j.AlreadyRecorded = &already
			out.Results = append(out.Results, j)
		}
		for _, rj := range push.Decision.Rejected {
			out.Push.Rejected = append(out.Push.Rejected, RejectedJSON{ObjectID: rj.ObjectID, Kind: string(rj.Kind), Status: string(rj.Status), Reason: string(rj.Reason)})
		}
		httpapi.JSON(w, http.StatusOK, out)
	}
}

// message is the line a git client shows for the decision.
func message(p commitverify.Push) string {
	switch {
	case !p.Decision.Allowed:
		return p.Decision.Message()
	case p.RequireSignedCommits:
		return fmt.Sprintf("all %d objects have verified signatures", len(p.Outcomes))
	default:
		return "signed commits are not required in this repository"
	}
}

func (a *api) record(typ access.RepoType) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		rec, err := a.svc.Record(r.Context(), principal.From(r.Context()), typ, r.PathValue("namespace"), r.PathValue("name"), r.PathValue("sha"))
		if err != nil {
			a.fail(w, r, err)
			return
		}
		httpapi.JSON(w, http.StatusOK, recordJSON(rec))
	}
}
