package infra

import (
	"sort"
	"strings"
	"testing"

	"github.com/hubsec/trustlayer/infra/samtemplate"
)

// functionPolicies renders each function's IAM statements of template.yaml
// as "actions on resources [if attributes]", sorted.
func functionPolicies(t *testing.T) map[string][]string {
	t.Helper()
	tmpl, err := samtemplate.Load("../template.yaml")
	if err != nil {
		t.Fatal(err)
	}
	out := map[string][]string{}
	for _, r := range tmpl.OfType(samtemplate.TypeFunction) {
		var sts []string
		pols, _ := r.Properties["Policies"].([]any)
		for _, p := range pols {
			list, _ := samtemplate.Map(p)["Statement"].([]any)
			for _, st := range list {
				m := samtemplate.Map(st)
				if e := samtemplate.String(m["Effect"]); e != "Allow" {
					t.Errorf("%s: a %q statement; the test's table knows Allow only", r.LogicalID, e)
				}
				sts = append(sts, describe(m))
			}
		}
		sort.Strings(sts)
		out[r.LogicalID] = sts
	}
	return out
}

// TestFunctionPolicies holds every function's IAM policy in template.yaml
// to the table below: a new action, resource or widened condition fails
// until the table says so (a reviewed decision). Every DynamoDB statement
// carries its dynamodb:LeadingKeys patterns ("keys …"): the table's
// partition-key prefixes on the table, gsi1's on the index (Query only).
// TestLeadingKeysDerivedFromStores (keys_test.go) derives the same lists
// from the stores each function links, so this table and the code cannot
// drift apart silently.
func TestFunctionPolicies(t *testing.T) {
	want := map[string][]string{
		"AccountsFunction": {
			"dynamodb:BatchGetItem,dynamodb:DeleteItem,dynamodb:GetItem,dynamodb:PutItem,dynamodb:Query,dynamodb:UpdateItem on Table keys AUDIT#*,EMAIL#*,NAME#*,ORG#*,ORGPOLICY#*,ORGTOKEN#*,RATE#*,REPO#*,REPODIR#*,REPOID#*,SESSION#*,TOKEN#*,TOKENAPPROVAL#*,USER#*",
			"dynamodb:Query on ${Table.Arn}/index/gsi1 keys MEMBEROF#*,NS#*,TOKENEXPIRY*,USER#*",
			"ses:SendEmail on *",
		},
		"AuthorizerFunction": {
			"dynamodb:BatchGetItem,dynamodb:GetItem,dynamodb:Query on Table keys AUDIT#*,EMAIL#*,NAME#*,ORG#*,ORGPOLICY#*,ORGTOKEN#*,RATE#*,REPO#*,REPODIR#*,REPOID#*,SESSION#*,TOKEN#*,TOKENAPPROVAL#*,USER#*",
			"dynamodb:PutItem on Table if createdAt,pk,sk,tokenName,ttl,userId,username keys TOKENAPPROVAL#*",
			"dynamodb:UpdateItem on Table if lastUsedAt,lastUsedWindow,pk,sk,ttl keys USER#*",
		},
		"CardsFunction": {}, // logs only
		"CommitsFunction": {
			"dynamodb:ConditionCheckItem,dynamodb:DeleteItem,dynamodb:GetItem,dynamodb:PutItem,dynamodb:Query,dynamodb:UpdateItem on Table keys AUDIT#*,EMAIL#*,GITREF#*,GPGKEYID#*,NAME#*,ORG#*,ORGPOLICY#*,ORGTOKEN#*,RATE#*,REPO#*,REPODIR#*,REPOID#*,SESSION#*,SIGREC#*,SSHFPR#*,TOKEN#*,TOKENAPPROVAL#*,USER#*",
			"dynamodb:Query on ${Table.Arn}/index/gsi1 keys MEMBEROF#*,NS#*,TOKENEXPIRY*,USER#*",
			"secretsmanager:GetSecretValue on HookSecret",
			"ses:SendEmail on *",
		},
		"HealthFunction": {
			"dynamodb:DescribeTable on Table",
			"s3:ListBucket on UploadsBucket",
		},
		"OrgsFunction": {
			"dynamodb:BatchGetItem,dynamodb:ConditionCheckItem,dynamodb:DeleteItem,dynamodb:GetItem,dynamodb:PutItem,dynamodb:Query,dynamodb:UpdateItem on Table keys AUDIT#*,EMAIL#*,NAME#*,ORG#*,ORGPOLICY#*,ORGTOKEN#*,RATE#*,SESSION#*,TOKEN#*,TOKENAPPROVAL#*,USER#*",
			"dynamodb:Query on ${Table.Arn}/index/gsi1 keys MEMBEROF#*,TOKENEXPIRY*,USER#*",
		},
		"ReposFunction": {
			"dynamodb:BatchGetItem,dynamodb:ConditionCheckItem,dynamodb:DeleteItem,dynamodb:GetItem,dynamodb:PutItem,dynamodb:Query,dynamodb:UpdateItem on Table keys AUDIT#*,FILES#*,GITREF#*,MODELSIG#*,MODELSIGNERS#*,NAME#*,ORG#*,ORGPOLICY#*,ORGTOKEN#*,REPO#*,REPODIR#*,REPOID#*,SCAN#*,SHA256#*,TREE#*",
			"dynamodb:Query on ${Table.Arn}/index/gsi1 keys MEMBEROF#*,NS#*,SCANDUE*",
		},
		"ScannerFunction": {
			"dynamodb:ConditionCheckItem,dynamodb:DeleteItem,dynamodb:GetItem,dynamodb:PutItem,dynamodb:Query,dynamodb:TransactWriteItems,dynamodb:UpdateItem on Table keys AUDIT#*,EMAIL#*,NAME#*,ORG#*,ORGPOLICY#*,ORGTOKEN#*,RATE#*,REPO#*,REPODIR#*,REPOID#*,SCAN#*,SESSION#*,SHA256#*,TOKEN#*,TOKENAPPROVAL#*,USER#*",
			"dynamodb:Query on ${Table.Arn}/index/gsi1 keys MEMBEROF#*,NS#*,SCANDUE*,TOKENEXPIRY*,USER#*",
			"s3:GetObject,s3:GetObjectTagging,s3:GetObjectVersion,s3:GetObjectVersionTagging,s3:PutObjectTagging,s3:PutObjectVersionTagging on ${UploadsBucket.Arn}/*",
			"s3:PutObject on ${UploadsBucket.Arn}/_reports/*", // full scan reports (scan.Summarize)
			"secretsmanager:GetSecretValue on HookSecret",     // verifies the git server's push checks (invariant 11)
			"ses:SendEmail on *",
		},
		"SigningKeysFunction": {
			"dynamodb:DeleteItem,dynamodb:GetItem,dynamodb:PutItem,dynamodb:Query on Table keys AUDIT#*,EMAIL#*,GPGKEYID#*,NAME#*,RATE#*,SESSION#*,SSHFPR#*,TOKEN#*,TOKENAPPROVAL#*,USER#*",
			"dynamodb:Query on ${Table.Arn}/index/gsi1 keys TOKENEXPIRY*,USER#*",
		},
		"SweeperFunction": {
			"dynamodb:DeleteItem,dynamodb:GetItem,dynamodb:PutItem,dynamodb:Query,dynamodb:UpdateItem on Table keys AUDIT#*,EMAIL#*,NAME#*,RATE#*,SCAN#*,SESSION#*,SHA256#*,TOKEN#*,TOKENAPPROVAL#*,USER#*",
			"dynamodb:Query on ${Table.Arn}/index/gsi1 keys SCANDUE*,TOKENEXPIRY*,USER#*",
			"lambda:InvokeFunction on UploadsFunction",
			"s3:ListBucket on UploadsBucket",
			"secretsmanager:GetSecretValue on HookSecret",
			"ses:SendEmail on *",
			"sqs:DeleteMessage,sqs:ReceiveMessage on ScannerDeadLetterQueue",
			"sqs:SendMessage on ScanQueue",
		},
		"TokensFunction": {
			"dynamodb:DeleteItem,dynamodb:GetItem,dynamodb:PutItem,dynamodb:Query,dynamodb:UpdateItem on Table keys AUDIT#*,EMAIL#*,NAME#*,ORG#*,ORGPOLICY#*,ORGTOKEN#*,RATE#*,REPO#*,REPODIR#*,REPOID#*,SESSION#*,TOKEN#*,TOKENAPPROVAL#*,USER#*",
			"dynamodb:Query on ${Table.Arn}/index/gsi1 keys MEMBEROF#*,NS#*,TOKENEXPIRY*,USER#*",
			"ses:SendEmail on *",
		},
		"KeylessFunction": {}, // logs only
		"UploadsFunction": {
			"dynamodb:BatchGetItem,dynamodb:BatchWriteItem,dynamodb:ConditionCheckItem,dynamodb:DeleteItem,dynamodb:GetItem,dynamodb:PutItem,dynamodb:Query,dynamodb:UpdateItem on Table keys AUDIT#*,FILES#*,GITREF#*,LFSFILES#*,MODELSIG#*,MODELSIGNERS#*,NAME#*,ORG#*,ORGPOLICY#*,ORGTOKEN#*,REPO#*,REPODIR#*,REPOID#*,SCAN#*,SHA256#*,SIGREC#*,TREE#*",
			"dynamodb:Query on ${Table.Arn}/index/gsi1 keys MEMBEROF#*,NS#*,SCANDUE*",
			"lambda:InvokeFunction on KeylessFunction",
			"s3:DeleteObject on ${UploadsBucket.Arn}/_index/*",
			"s3:GetObject,s3:GetObjectTagging,s3:GetObjectVersion,s3:PutObject on ${UploadsBucket.Arn}/*",
			"secretsmanager:GetSecretValue on HookSecret",
			"sqs:SendMessage on ScanQueue",
		},
		"WebFunction": {
			"dynamodb:BatchGetItem,dynamodb:ConditionCheckItem,dynamodb:DeleteItem,dynamodb:GetItem,dynamodb:PutItem,dynamodb:Query,dynamodb:TransactWriteItems,dynamodb:UpdateItem on Table keys AUDIT#*,EMAIL#*,FILES#*,GITREF#*,GPGKEYID#*,MODELSIG#*,MODELSIGNERS#*,NAME#*,ORG#*,ORGPOLICY#*,ORGTOKEN#*,RATE#*,REPO#*,REPODIR#*,REPOID#*,SCAN#*,SESSION#*,SHA256#*,SIGREC#*,SSHFPR#*,TOKEN#*,TOKENAPPROVAL#*,TREE#*,USER#*",
			"dynamodb:Query on ${Table.Arn}/index/gsi1 keys MEMBEROF#*,NS#*,SCANDUE*,TOKENEXPIRY*,USER#*",
			"lambda:InvokeFunction on CardsFunction",
			"s3:GetObject on ${UploadsBucket.Arn}/_reports/*", // file pages show full scan reports
			"ses:SendEmail on *",
			"sqs:SendMessage on ScanQueue",
		},
	}
	got := functionPolicies(t)
	for fn, sts := range got {
		w, ok := want[fn]
		if !ok {
			t.Errorf("%s is not in the test's table:\n\t%s", fn, strings.Join(sts, "\n\t"))
			continue
		}
		if strings.Join(sts, "\n") != strings.Join(w, "\n") {
			t.Errorf("%s policy:\n got  %q\n want %q", fn, sts, w)
		}
	}
}
