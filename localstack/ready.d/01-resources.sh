#!/usr/bin/env bash
# LocalStack ready hook: the table (shape from table.json, which a Go test
# keeps equal to shared/table.Shape) and the uploads bucket with versioning.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
TABLE="${TRUSTLAYER_TABLE:-trustlayer}"
BUCKET="${TRUSTLAYER_BUCKET:-trustlayer-uploads}"

if ! awslocal dynamodb describe-table --table-name "$TABLE" >/dev/null 2>&1; then
	awslocal dynamodb create-table --cli-input-json "file://$here/table.json" --table-name "$TABLE"
	awslocal dynamodb wait table-exists --table-name "$TABLE"
fi
awslocal dynamodb update-time-to-live --table-name "$TABLE" \
	--time-to-live-specification "Enabled=true,AttributeName=ttl" >/dev/null 2>&1 || true

awslocal s3api head-bucket --bucket "$BUCKET" >/dev/null 2>&1 || awslocal s3api create-bucket --bucket "$BUCKET"
awslocal s3api put-bucket-versioning --bucket "$BUCKET" --versioning-configuration Status=Enabled
echo "trustlayer: table $TABLE and bucket $BUCKET ready"
