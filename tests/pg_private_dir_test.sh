#!/usr/bin/env bash
# Regression test: a clone under /root (mode 0700) must still get a working throwaway cluster.
# As root, starts tests/pg.sh in a directory only root can reach, queries it, destroys it and
# checks nothing is left behind. As another user the server runs as that user: same checks.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
port=${1:-$((41000 + $$ % 4000))}
private=$(mktemp -d /tmp/coach-private.XXXXXXXX)
chmod 0700 "$private"
trap '"$here/pg.sh" destroy "$private/build/pg" >/dev/null 2>&1 || true; rm -rf "$private"' EXIT

dsn=$("$here/pg.sh" start "$private/build/pg" "$port" | tail -1)
real=$(echo "$dsn" | sed -n 's/^host=\([^ ]*\) .*/\1/p')
[ -d "$real/data" ] || { echo "FAIL: no cluster at $real (dsn: $dsn)"; exit 1; }
answer=$(psql "$dsn" -Atc "SELECT 40 + 2")
[ "$answer" = 42 ] || { echo "FAIL: query answered '$answer'"; exit 1; }
"$here/pg.sh" destroy "$private/build/pg"
[ ! -e "$real" ] || { echo "FAIL: $real left behind"; exit 1; }
[ ! -e "$private/build/pg" ] || { echo "FAIL: $private/build/pg left behind"; exit 1; }
echo "ok: cluster in $real served from a 0700 tree and was removed"
