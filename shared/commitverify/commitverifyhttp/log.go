package commitverifyhttp

import (
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/hubsec/trustlayer/shared/access"
	"github.com/hubsec/trustlayer/shared/commitverify"
	"github.com/hubsec/trustlayer/shared/platform/apperr"
	"github.com/hubsec/trustlayer/shared/platform/httpapi"
	"github.com/hubsec/trustlayer/shared/principal"
)

// CommitJSON is one entry of the commit list, in the Hub's shape plus
// parents and the stored verification.
type CommitJSON struct {
	ID           string           `json:"id"`
	Title        string           `json:"title"`
	Message      string           `json:"message"`
	Authors      []AuthorJSON     `json:"authors"`
	Date         *time.Time       `json:"date"`
	Parents      []string         `json:"parents"`
	Verification VerificationJSON `json:"verification"`
}

// AuthorJSON names a commit's author.
type AuthorJSON struct {
	Name  string `json:"name"`
	Email string `json:"email"`
}

// VerificationJSON is the stored verdict of a commit.
type VerificationJSON struct {
	Verified      bool        `json:"verified"`
	Status        string      `json:"status"`
	Reason        string      `json:"reason"`
	SignatureType string      `json:"signatureType"`
	Signer        *SignerJSON `json:"signer,omitempty"`
	// CommittedByService: the service signed it for CommittedFor (the
	// commit API); Label says so ("Verified · committed by the service
	// for bob").
	CommittedByService bool   `json:"committedByService"`
	CommittedFor       string `json:"committedFor,omitempty"`
	Label              string `json:"label"`
}

// SignerJSON is who signed a verified commit.
type SignerJSON struct {
	AccountID   string `json:"accountId"`
	KeyID       string `json:"keyId,omitempty"`
	Fingerprint string `json:"fingerprint,omitempty"`
}

func commitJSON(rec commitverify.Record) CommitJSON {
	r := rec.Result
	out := CommitJSON{ID: r.ObjectID, Message: rec.Message, Authors: []AuthorJSON{}, Parents: rec.Parents,
		Verification: VerificationJSON{Verified: r.Verified, Status: string(r.Status), Reason: string(r.Reason), SignatureType: string(r.SignatureType),
			CommittedByService: rec.ServiceSigned(), Label: rec.Label()}}
	if rec.ServiceSigned() {
		out.Verification.CommittedFor = rec.SubmittedBy
	}
	out.Title, _, _ = strings.Cut(rec.Message, "\n")
	if out.Parents == nil {
		out.Parents = []string{}
	}
	if r.Author != nil {
		out.Authors = append(out.Authors, AuthorJSON{Name: r.Author.Name, Email: r.Author.Email})
	}
	if r.Committer != nil {
		d := r.Committer.Date
		out.Date = &d
	}
	if r.Verified {
		out.Verification.Signer = &SignerJSON{AccountID: r.AccountID, KeyID: r.SignerKeyID, Fingerprint: r.SignerFingerprint}
	}
	return out
}

// commits answers GET .../commits/{rev}?p=<page>&limit=<n>, with a Link
// header to the next page.
func (a *api) commits(typ access.RepoType) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		q := r.URL.Query()
		page, limit := 0, commitverify.DefaultPageSize
		for name, dst := range map[string]*int{"p": &page, "limit": &limit} {
			if v := q.Get(name); v != "" {
				n, err := strconv.Atoi(v)
				if err != nil || n < 0 {
					a.fail(w, r, apperr.E(apperr.Invalid, "%s must be a whole number", name))
					return
				}
				*dst = n
			}
		}
		recs, more, err := a.svc.Commits(r.Context(), principal.From(r.Context()), typ, r.PathValue("namespace"), r.PathValue("name"),
			r.PathValue("rev"), page*limit, limit)
		if err != nil {
			a.fail(w, r, err)
			return
		}
		out := make([]CommitJSON, 0, len(recs))
		for _, rec := range recs {
			out = append(out, commitJSON(rec))
		}
		if more {
			next := url.Values{"p": {strconv.Itoa(page + 1)}}
			if q.Get("limit") != "" {
				next.Set("limit", strconv.Itoa(limit))
			}
			w.Header().Set("Link", fmt.Sprintf("<%s?%s>; rel=\"next\"", r.URL.Path, next.Encode()))
		}
		httpapi.JSON(w, http.StatusOK, out)
	}
}
