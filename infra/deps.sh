#!/usr/bin/env bash
# Installs the Debian packages the local stack and the tests need, only those
# missing. `make dev`, `make test` and .ci/run call it first, before any
# download, so a fresh machine learns in seconds what it lacks.
#
# As root, or with passwordless sudo, it runs apt-get itself. Otherwise it
# prints the one command that installs what is missing and exits 1.
# TRUSTLAYER_NO_APT=1 only checks (the same message, no apt-get).
set -euo pipefail

say() { printf 'deps.sh: %s\n' "$*"; }

# Packages checked by name (dpkg), then toolchains the README lists as
# prerequisites, installed from Debian only when their command is absent.
want=(clamav clamav-daemon git-lfs gnupg openssh-client p7zip-full chromium python3-onnx python3-h5py)
# The real-library model corpus (shared/modelfile/testdata/realcorpus.py).
want+=(python3-torch python3-numpy python3-sklearn python3-joblib python3-pandas python3-dill python3-cloudpickle python3-lz4)
missing=()
installed() { dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep -q "install ok installed"; }
if command -v dpkg-query >/dev/null 2>&1; then
	for p in "${want[@]}"; do
		installed "$p" || missing+=("$p")
	done
else
	# Not Debian: check the commands those packages provide instead.
	declare -A provides=([clamav]=clamscan [clamav-daemon]=clamd [git-lfs]=git-lfs [gnupg]=gpg
		[openssh-client]=ssh-keygen [p7zip-full]=7z [chromium]=chromium)
	declare -A pymodule=([python3-onnx]=onnx [python3-h5py]=h5py [python3-torch]=torch [python3-numpy]=numpy
		[python3-sklearn]=sklearn [python3-joblib]=joblib [python3-pandas]=pandas [python3-dill]=dill [python3-cloudpickle]=cloudpickle [python3-lz4]=lz4)
	for p in "${want[@]}"; do
		if [ -n "${pymodule[$p]:-}" ]; then
			python3 -c "import ${pymodule[$p]}" >/dev/null 2>&1 || missing+=("$p")
			continue
		fi
		c=${provides[$p]}
		command -v "$c" >/dev/null 2>&1 || [ -x "/usr/sbin/$c" ] || missing+=("$p")
	done
fi
command -v java >/dev/null 2>&1 || missing+=(openjdk-17-jre-headless)
command -v node >/dev/null 2>&1 || missing+=(nodejs)
command -v npm >/dev/null 2>&1 || missing+=(npm)
command -v python3 >/dev/null 2>&1 || missing+=(python3)
command -v git >/dev/null 2>&1 || missing+=(git)

if [ ${#missing[@]} -eq 0 ]; then
	say "Debian packages present"
	exit 0
fi

cmd="apt-get update && apt-get install -y --no-install-recommends ${missing[*]}"
run=()
if [ "${TRUSTLAYER_NO_APT:-}" = 1 ] || ! command -v apt-get >/dev/null 2>&1; then
	run=()
elif [ "$(id -u)" = 0 ]; then
	run=(env)
elif command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then
	run=(sudo env)
fi
if [ ${#run[@]} -eq 0 ]; then
	say "missing: ${missing[*]}"
	say "install them with:"
	printf '\n    sudo sh -c "%s"\n\n' "$cmd"
	exit 1
fi

say "installing missing packages: ${missing[*]}"
# Wait for another apt run (a second stack starting at the same time)
# instead of failing on the dpkg lock.
lock=(-o DPkg::Lock::Timeout=300)
"${run[@]}" DEBIAN_FRONTEND=noninteractive apt-get "${lock[@]}" update -q
"${run[@]}" DEBIAN_FRONTEND=noninteractive apt-get "${lock[@]}" install -y -q --no-install-recommends "${missing[@]}"
say "installed: ${missing[*]}"
