// Package principal carries the caller, as the authorizer decided it, from
// the authorizer to the functions behind it.
//
// The authorizer returns a context map (API Gateway passes it to the
// function as requestContext.authorizer.lambda); Context and FromContext are
// its two ends. HTTP API simple responses can only say "403 Forbidden", but
// Hugging Face clients need 401 for a bad token and 404 for a private repo
// they cannot see. So the authorizer answers isAuthorized=false only where a
// 403 is right, and otherwise allows with decision=deny plus the status and
// message; Middleware, wrapped around every function, answers those before
// any handler runs.
package principal

import (
	"context"
	"fmt"
	"net/http"
	"strconv"

	"github.com/awslabs/aws-lambda-go-api-proxy/core"

	"github.com/hubsec/trustlayer/shared/access"
	"github.com/hubsec/trustlayer/shared/platform/apperr"
	"github.com/hubsec/trustlayer/shared/platform/httpapi"
)

// Context keys.
const (
	KeyKind     = "kind"
	KeyUserID   = "userId"
	KeyUser     = "user"
	KeyTokenID  = "tokenId"
	KeyRole     = "role"
	KeyOrg      = "org"
	KeyDecision = "decision"
	KeyStatus   = "status"
	KeyReason   = "reason"
	KeyCode     = "errorCode"
	KeySourceIP = "sourceIp"
	KeyGrant    = "grant" // a fine-grained token's grant (access.EncodeGrant)

	// What the authorizer read of the route's repository (access.Established).
	KeyRepoType    = "repoType"
	KeyRepoNS      = "repoNamespace"
	KeyRepoName    = "repoName"
	KeyRepoID      = "repoId"
	KeyRepoPrivate = "repoPrivate"
	KeyRepoOwner   = "repoOwner"
	KeyRepoCreator = "repoCreator"
	KeyRepoPolicy  = "repoTokenPolicy"
	KeyOrgRole     = "orgRole"
)

// Kind names as they travel in the context.
var kindNames = map[access.PrincipalKind]string{
	access.KindAnonymous: "anonymous",
	access.KindSession:   "session",
	access.KindUserToken: "token",
	access.KindOrgToken:  "org_token",
}

// Context turns a caller and a decision into the authorizer's context map.
// deny==nil means allowed.
func Context(c access.Caller, deny *apperr.Error) map[string]any {
	m := map[string]any{KeyKind: kindNames[c.Kind], KeyDecision: "allow"}
	put := func(k, v string) {
		if v != "" {
			m[k] = v
		}
	}
	put(KeyUserID, c.UserID)
	put(KeyUser, c.Username)
	put(KeyTokenID, c.TokenID)
	put(KeyRole, string(c.Role))
	put(KeyOrg, c.Org)
	if c.Kind == access.KindSession {
		m[KeyRole] = "session"
	}
	if c.Grant != nil {
		m[KeyGrant] = access.EncodeGrant(c.Grant)
	}
	if e := c.Repo; e != nil && deny == nil {
		owner := "user"
		if e.Facts.Owner == access.OwnerOrg {
			owner = "org"
		}
		m[KeyRepoType], m[KeyRepoNS], m[KeyRepoName], m[KeyRepoOwner] = string(e.Type), e.Facts.Namespace, e.Facts.Name, owner
		m[KeyRepoPrivate] = strconv.FormatBool(e.Facts.Private)
		put(KeyRepoID, e.Facts.ID)
		put(KeyRepoCreator, e.Facts.Creator)
		put(KeyRepoPolicy, string(e.Facts.Policy))
		put(KeyOrgRole, string(e.Role))
	}
	if deny != nil {
		m[KeyDecision] = "deny"
		m[KeyStatus] = strconv.Itoa(httpapi.Status(deny.Kind))
		m[KeyReason] = deny.Msg
		put(KeyCode, deny.Code)
	}
	return m
}

// FromContext reads the caller and any deferred denial from a context map.
func FromContext(m map[string]any) (access.Caller, *apperr.Error) {
	str := func(k string) string {
		switch v := m[k].(type) {
		case string:
			return v
		case nil:
			return ""
		default:
			return fmt.Sprint(v)
		}
	}
	c := access.Caller{UserID: str(KeyUserID), Username: str(KeyUser), TokenID: str(KeyTokenID), Org: str(KeyOrg)}
	switch str(KeyKind) {
	case "session":
		c.Kind = access.KindSession
	case "token":
		c.Kind = access.KindUserToken
		c.Role = access.TokenRole(str(KeyRole))
		if c.Role == access.TokenFineGrained {
			// Without its grant a fine-grained token may do nothing: a
			// missing or damaged one leaves the caller anonymous.
			g, err := access.DecodeGrant(str(KeyGrant))
			if err != nil || g == nil {
				return access.Caller{}, apperr.E(apperr.Unauthenticated, "Invalid credentials in Authorization header")
			}
			c.Grant = g
		}
	case "org_token":
		c.Kind = access.KindOrgToken
	default:
		c.Kind = access.KindAnonymous
	}
	if str(KeyDecision) == "allow" {
		c.Repo = established(str)
	}
	if str(KeyDecision) != "allow" {
		kind := apperr.Permission
		switch str(KeyStatus) {
		case "401":
			kind = apperr.Unauthenticated
		case "404":
			kind = apperr.NotExist
		case "400":
			kind = apperr.Invalid
		case "503":
			kind = apperr.Unavailable
		}
		msg := str(KeyReason)
		if msg == "" {
			msg = "Forbidden"
		}
		e := apperr.E(kind, "%s", msg)
		e.Code = str(KeyCode)
		return c, e
	}
	return c, nil
}

// established reads the authorizer's reading of the repository; nil when
// it is absent or incomplete (the function then reads for itself).
func established(str func(string) string) *access.Established {
	typ, ns, name, id := str(KeyRepoType), str(KeyRepoNS), str(KeyRepoName), str(KeyRepoID)
	if typ == "" || ns == "" || name == "" || id == "" {
		return nil
	}
	var owner access.OwnerKind
	switch str(KeyRepoOwner) {
	case "user":
		owner = access.OwnerUser
	case "org":
		owner = access.OwnerOrg
	default:
		return nil
	}
	private, err := strconv.ParseBool(str(KeyRepoPrivate))
	if err != nil {
		return nil
	}
	return &access.Established{Type: access.RepoType(typ), Role: access.OrgRole(str(KeyOrgRole)),
		Facts: access.RepoFacts{Private: private, Owner: owner, ID: id, Creator: str(KeyRepoCreator),
			Policy: access.TokenPolicy(str(KeyRepoPolicy)), Namespace: ns, Name: name}}
}

type ctxKey struct{}

// From returns the caller stored by Middleware.
func From(ctx context.Context) access.Caller {
	c, _ := ctx.Value(ctxKey{}).(access.Caller)
	return c
}

// With stores a caller in ctx (used by Middleware, and by tests).
func With(ctx context.Context, c access.Caller) context.Context {
	return context.WithValue(ctx, ctxKey{}, c)
}

// Middleware reads the authorizer's context from the API Gateway event,
// answers deferred denials, and stores the caller for handlers. A request
// that carries no authorizer context is refused: every protected function
// must sit behind the authorizer (the local gateway and API Gateway put it
// there; a function served bare on $PORT trusts nothing).
func Middleware(next http.Handler, onError func(http.ResponseWriter, *http.Request, error)) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		rc, ok := core.GetAPIGatewayV2ContextFromContext(r.Context())
		if !ok || rc.Authorizer == nil || rc.Authorizer.Lambda == nil {
			onError(w, r, apperr.E(apperr.Unauthenticated, "Invalid credentials in Authorization header"))
			return
		}
		c, deny := FromContext(rc.Authorizer.Lambda)
		if deny != nil {
			onError(w, r, deny)
			return
		}
		c.SourceIP = rc.HTTP.SourceIP
		next.ServeHTTP(w, r.WithContext(With(r.Context(), c)))
	})
}
