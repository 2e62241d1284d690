#!/usr/bin/env bash
# Installs the local stack's tools into ${TRUSTLAYER_CACHE:-$HOME/.cache/trustlayer}.
# Idempotent: a second run only checks. Needs go, npm, java (DynamoDB Local),
# clamd and git-lfs; a missing system tool is named with its apt package.
set -euo pipefail

CACHE="${TRUSTLAYER_CACHE:-$HOME/.cache/trustlayer}"
DDB_PKG="amplify-dynamodb-simulator@2.9.30"
DDB_TGZ="amplify-dynamodb-simulator-2.9.30.tgz"
# emulator/sha256 in that package: the SHA-256 of AWS's dynamodb_local
# tarball it was extracted from (DynamoDB Local 1.25.1). The jar's own hash
# pins what we actually run. npm itself checks the tarball's integrity.
DDB_UPSTREAM_SHA256="55b425a9a42cfc728436eaf0e4ae64d688b64d177c99c4f4c4d7e3dbb3ac6c09"
DDB_JAR_SHA256="454305e9bc3e6ebcca5b62569869e31563b8d7e346474e94557b2600702146c7"
VERSITYGW="github.com/versity/versitygw/cmd/versitygw@v1.8.0"
HFJS="@huggingface/hub@2.17.5" # the real huggingface.js client, driven by e2e tests
RIE="github.com/aws/aws-lambda-runtime-interface-emulator/cmd/aws-lambda-rie@v0.0.0-20261030222936-bef5c4ba774d"

say() { printf 'tools.sh: %s\n' "$*"; }
missing=()
need() { # need PROGRAM APT_PACKAGE [DIR...]
	local prog=$1 pkg=$2
	if command -v "$prog" >/dev/null 2>&1 || [ -x "/usr/sbin/$prog" ]; then return 0; fi
	missing+=("$prog (apt-get install -y $pkg)")
}

need go golang-go
need npm npm
need java openjdk-17-jre-headless
need clamd clamav-daemon
need clamscan clamav
need git git
need git-lfs git-lfs
need gpg gnupg
need ssh-keygen openssh-client
if [ ${#missing[@]} -gt 0 ]; then
	for m in "${missing[@]}"; do say "MISSING: $m"; done
	# go and npm are needed to install; the others only to run.
	for m in "${missing[@]}"; do
		case $m in go\ *|npm\ *) say "cannot install without go and npm"; exit 1 ;; esac
	done
fi

mkdir -p "$CACHE/bin" "$CACHE/ddb"

jar="$CACHE/ddb/package/emulator/DynamoDBLocal.jar"
if [ -f "$jar" ] && [ "$(sha256sum "$jar" | cut -d' ' -f1)" = "$DDB_JAR_SHA256" ]; then
	say "DynamoDB Local: cached ($jar)"
else
	say "DynamoDB Local: npm pack $DDB_PKG"
	rm -rf "$CACHE/ddb/package"
	(cd "$CACHE/ddb" && npm pack --silent "$DDB_PKG" >/dev/null && tar xzf "$DDB_TGZ")
	got_upstream="$(tr -d ' \n' <"$CACHE/ddb/package/emulator/sha256")"
	if [ "$got_upstream" != "$DDB_UPSTREAM_SHA256" ]; then
		say "emulator/sha256 is $got_upstream, expected $DDB_UPSTREAM_SHA256: refusing this package"
		exit 1
	fi
	got_jar="$(sha256sum "$jar" | cut -d' ' -f1)"
	if [ "$got_jar" != "$DDB_JAR_SHA256" ]; then
		say "DynamoDBLocal.jar SHA-256 is $got_jar, expected $DDB_JAR_SHA256: refusing it"
		exit 1
	fi
	rm -f "$CACHE/ddb/$DDB_TGZ"
	say "DynamoDB Local: installed and verified ($jar)"
fi

install_go() { # install_go BINARY MODULE@VERSION
	local bin=$1 mod=$2 stamp="$CACHE/bin/.$1.version"
	if [ -x "$CACHE/bin/$bin" ] && [ "$(cat "$stamp" 2>/dev/null)" = "$mod" ]; then
		say "$bin: cached"
		return
	fi
	if [ -x "$CACHE/bin/$bin" ] && [ ! -f "$stamp" ]; then
		# Installed by hand with the documented command: check its build info.
		if go version -m "$CACHE/bin/$bin" 2>/dev/null | grep -q "${mod#*@}"; then
			echo "$mod" >"$stamp"
			say "$bin: cached"
			return
		fi
	fi
	say "$bin: go install $mod"
	GOBIN="$CACHE/bin" go install "$mod"
	echo "$mod" >"$stamp"
}
install_go versitygw "$VERSITYGW"
install_go aws-lambda-rie "$RIE"

hfjs="$CACHE/hfjs"
if [ "$(cat "$hfjs/.version" 2>/dev/null)" = "$HFJS" ] && [ -f "$hfjs/node_modules/@huggingface/hub/package.json" ]; then
	say "$HFJS: cached ($hfjs)"
else
	say "npm install $HFJS into $hfjs"
	mkdir -p "$hfjs"
	(cd "$hfjs" && [ -f package.json ] || echo '{"private":true}' >"$hfjs/package.json")
	npm install --silent --no-audit --no-fund --ignore-scripts --prefix "$hfjs" "$HFJS" >/dev/null
	echo "$HFJS" >"$hfjs/.version"
fi

say "ready in $CACHE"
