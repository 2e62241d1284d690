#!/bin/sh
# Starts clamd, waits until it answers, then runs the scanner (not built or
# tested here; see the Dockerfile).
set -e
/usr/sbin/clamd -c /etc/clamd.conf
i=0
until printf 'zPING\0' | timeout 1 nc -U /tmp/clamd.sock 2>/dev/null | grep -q PONG; do
  i=$((i+1)); [ "$i" -gt 120 ] && { echo "clamd did not start" >&2; exit 1; }
  sleep 1
done
export CLAMD_ADDRESS=unix:///tmp/clamd.sock
exec /var/runtime/bootstrap
