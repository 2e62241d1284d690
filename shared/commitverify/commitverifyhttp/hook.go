package commitverifyhttp

import (
	"net/http"

	"github.com/hubsec/trustlayer/shared/access"
	"github.com/hubsec/trustlayer/shared/commitverify"
	"github.com/hubsec/trustlayer/shared/githook"
	"github.com/hubsec/trustlayer/shared/platform/apperr"
	"github.com/hubsec/trustlayer/shared/platform/httpapi"
	"github.com/hubsec/trustlayer/shared/signature"
	"github.com/hubsec/trustlayer/shared/token"
)

func repoType(s string) (access.RepoType, error) {
	switch t := access.RepoType(s); t {
	case access.RepoModel, access.RepoDataset, access.RepoSpace:
		return t, nil
	}
	return "", apperr.E(apperr.Invalid, "repo.type %q, want model, dataset or space", s)
}

// preReceive verifies the new objects of a push, stores their records and
// answers the decision.
func (a *api) preReceive(w http.ResponseWriter, r *http.Request) {
	var in githook.PreReceiveRequest
	if err := httpapi.Decode(r, &in, MaxBody); err != nil {
		a.fail(w, r, err)
		return
	}
	typ, err := repoType(in.Repo.Type)
	if err != nil {
		a.fail(w, r, err)
		return
	}
	objs := make([]commitverify.Object, 0, len(in.Objects))
	for i, o := range in.Objects {
		if o.Type != string(signature.Commit) && o.Type != string(signature.Tag) {
			a.fail(w, r, apperr.E(apperr.Invalid, "objects[%d]: type %q, want \"commit\" or \"tag\"", i, o.Type))
			return
		}
		objs = append(objs, commitverify.Object{Kind: signature.ObjectKind(o.Type), Raw: o.Raw, WantID: o.ID, Label: o.Type + " " + o.ID})
	}
	var secrets []commitverify.Secret
	for _, s := range in.Secrets {
		secrets = append(secrets, commitverify.Secret{Token: s.Token, Path: s.Path, Line: s.Line, Object: s.Object})
	}
	res, err := a.svc.CheckPush(r.Context(), commitverify.PushCheck{Pusher: in.Pusher, Type: typ,
		Namespace: in.Repo.Namespace, Name: in.Repo.Name, Objects: objs, Secrets: secrets})
	if err != nil {
		a.fail(w, r, err)
		return
	}
	push := res.Push
	out := githook.PreReceiveResponse{Allowed: res.Allowed(), RequireSignedCommits: push.RequireSignedCommits,
		Rejected: []githook.Rejected{}, Message: message(push), Secrets: []githook.SecretFinding{}, SecretsBlock: res.SecretsBlock,
		RequireSignedModels: res.RequireSignedModels}
	for _, f := range res.Secrets {
		k, _ := token.Parse(f.Token)
		out.Secrets = append(out.Secrets, githook.SecretFinding{Kind: k.String(), Hint: token.Hint(f.Token), Path: f.Path, Line: f.Line, Object: f.Object, Live: f.Live})
	}
	for _, o := range push.Outcomes {
		if !o.AlreadyRecorded {
			out.Recorded++
		}
	}
	for _, rj := range push.Decision.Rejected {
		out.Rejected = append(out.Rejected, githook.Rejected{ObjectID: rj.ObjectID, Kind: string(rj.Kind), Status: string(rj.Status), Reason: string(rj.Reason)})
	}
	httpapi.JSON(w, http.StatusOK, out)
}
