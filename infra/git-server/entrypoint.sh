#!/bin/sh
# Writes the git server's system config from the environment, then runs
# nginx + fcgiwrap serving git http-backend from /srv/git. Not run here (no
# Docker engine); see docs/git-server.md.
set -eu
: "${TRUSTLAYER_COMMITS_FUNCTION:?set it to the CommitsFunction ARN}"
: "${TRUSTLAYER_FILES_FUNCTION:?set it to the UploadsFunction ARN}"
: "${TRUSTLAYER_SCANNER_FUNCTION:?set it to the ScannerFunction ARN}"
cat >/etc/gitconfig <<CONF
[core]
	hooksPath = /opt/trustlayer/hooks
[receive]
	# Pushed objects meet git's own rules (invariant 5, docs/invariants.md):
	# trees with .git in any spelling, hostile .gitmodules, broken objects.
	fsckObjects = true
[trustlayer]
	commitsFunction = ${TRUSTLAYER_COMMITS_FUNCTION}
	filesFunction = ${TRUSTLAYER_FILES_FUNCTION}
	# Invariant 11: new regular files are judged by the scanner at pre-receive.
	scannerFunction = ${TRUSTLAYER_SCANNER_FUNCTION}
	projectRoot = /srv/git
CONF
fcgiwrap -s unix:/run/fcgiwrap.sock &
exec nginx -g 'daemon off;'
