// Package wire builds the adapters a function's main needs from its
// configuration, so that every main stays a few lines of wiring.
package wire

import (
	"context"
	"log/slog"

	"github.com/aws/aws-sdk-go-v2/aws"

	"github.com/hubsec/trustlayer/internal/authz"
	"github.com/hubsec/trustlayer/internal/awsconfig"
	"github.com/hubsec/trustlayer/internal/config"
	"github.com/hubsec/trustlayer/internal/dynamostore"
	"github.com/hubsec/trustlayer/internal/identity"
	"github.com/hubsec/trustlayer/internal/identityhttp"
	"github.com/hubsec/trustlayer/internal/org"
)

// AWS loads the SDK configuration.
func AWS(ctx context.Context) (aws.Config, error) { return awsconfig.Load(ctx) }

// Table returns the table handle.
func Table(cfg *config.Config, awsCfg aws.Config) dynamostore.Table {
	return dynamostore.Table{DB: awsconfig.DynamoDB(awsCfg), Name: cfg.Table}
}

// Identity returns the identity service over the table.
func Identity(cfg *config.Config, awsCfg aws.Config, log *slog.Logger, mailer identity.Mailer) (*identity.Service, dynamostore.Identity) {
	store := dynamostore.Identity{Table: Table(cfg, awsCfg)}
	return &identity.Service{Store: store, Mailer: mailer, Log: log, CodePepper: []byte(cfg.TokenPepper)}, store
}

// Orgs returns the directory of users' organizations for whoami-v2.
func Orgs(cfg *config.Config, awsCfg aws.Config) identityhttp.OrgDirectory {
	return orgDirectory{orgs: dynamostore.Orgs{Table: Table(cfg, awsCfg)}}
}

// Facts returns what the authorizer loads per request: org roles and org
// tokens from the orgs items, visibility and owner from the repo items.
func Facts(cfg *config.Config, awsCfg aws.Config) authz.Facts {
	return dynamostore.Facts{Table: Table(cfg, awsCfg)}
}

type orgDirectory struct{ orgs dynamostore.Orgs }

func (d orgDirectory) OrgsOf(ctx context.Context, user string) ([]identityhttp.OrgMembership, error) {
	list, err := d.orgs.OrgsOf(ctx, user)
	if err != nil {
		return nil, err
	}
	out := make([]identityhttp.OrgMembership, 0, len(list))
	for _, m := range list {
		out = append(out, identityhttp.OrgMembership{ID: m.OrgID, Name: m.Org, Fullname: m.Fullname, Role: string(m.Role)})
	}
	return out, nil
}

// LeakedOrgTokens returns what revokes organization API tokens reported as
// leaked (POST /api/credentials/revoke on the tokens function).
func LeakedOrgTokens(cfg *config.Config, awsCfg aws.Config, log *slog.Logger) identity.LeakedOrgTokens {
	table := Table(cfg, awsCfg)
	ids := dynamostore.Identity{Table: table}
	orgs := dynamostore.Orgs{Table: table}
	return &org.Service{Store: orgs, Users: ids, Audit: ids, Log: log, TokenOwners: orgs}
}
