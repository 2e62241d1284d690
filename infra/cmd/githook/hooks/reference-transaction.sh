#!/bin/sh
# trustlayer's reference-transaction hook, written by `githook install`
# (infra/cmd/githook/install.go; invariant 8 in docs/invariants.md).
#
# In the "prepared" state git holds the lock of every ref the transaction
# moves: each update ("<old> <new> <ref>" on standard input) gets the next
# number in <git dir>/trustlayer-refseq, "<seq> <old> <new> <ref>" a line,
# the last 4096 kept. The next number is one more than the largest in the
# file, and never less than the clock in microseconds since 1970, so
# numbers keep growing even if the file is lost or the repository's folder
# is restored from an older copy. Writers take an exclusive flock on
# trustlayer-refseq.lock and replace the file whole (rename), so a reader
# needs no lock and a crash leaves the previous file.
# It fails closed: an update it cannot number is refused, and git then
# aborts the whole transaction (no ref moves without a number). The other
# states need nothing, and a shell starts in a fraction of the time a Go
# program takes.
[ "$1" = prepared ] || exit 0
f="${GIT_DIR:-.}/trustlayer-refseq"
(
	exec 9>>"$f.lock" && flock 9 &&
	{ [ ! -e "$f" ] || { [ -f "$f" ] && [ -r "$f" ]; }; } &&
	now=$(date +%s%6N) &&
	awk -v f="$f" -v keep=4096 -v now="$now" '
BEGIN {
	if (now !~ /^[0-9]+$/) { print "no clock" > "/dev/stderr"; exit 1 }
	n = 0; last = 0
	while ((getline l < f) > 0) {
		if (split(l, x, " ") == 4 && x[1] ~ /^[0-9]+$/) {
			line[++n] = l
			if (x[1] + 0 > last) last = x[1] + 0
		}
	}
	close(f)
	if (last < now - 1) last = now - 1
}
NF == 3 { line[++n] = sprintf("%.0f %s %s %s", ++last, $1, $2, $3); next }
{ bad = 1 }
END {
	if (bad) { print "unexpected hook input" > "/dev/stderr"; exit 1 }
	for (i = (n > keep ? n - keep + 1 : 1); i <= n; i++) print line[i]
}' >"$f.tmp" && mv -fT "$f.tmp" "$f"
) || {
	echo "trustlayer: ref update refused: it could not be numbered, so the index could not keep it in order; nothing changed, push again" >&2
	exit 1
}
