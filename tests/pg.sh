#!/usr/bin/env bash
# A throwaway PostgreSQL cluster for the tests, from Debian's postgresql package.
#   tests/pg.sh start DIR PORT   initdb in DIR, listen only on a unix socket in DIR, print the DSN
#   tests/pg.sh stop DIR         stop it (the files stay for a look; start wipes them)
#   tests/pg.sh resume DIR PORT  start a stopped cluster again, data kept
# As root the server runs as the postgres user (it refuses to run as root).
set -euo pipefail
usage() { echo "usage: tests/pg.sh start DIR PORT | resume DIR PORT | stop DIR | status DIR" >&2; exit 2; }
[ $# -ge 2 ] || usage
cmd=$1 dir=$2
bindir=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1)
[ -n "$bindir" ] || { echo "pg.sh: PostgreSQL server not installed (deploy/install-deps.sh)" >&2; exit 1; }
as_pg() { if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi; }
# fsync stays on: the store's durability is what the tests and the benchmark measure.
serve() {
  as_pg "$bindir/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 30 \
    -o "-k $dir -p $1 -c listen_addresses='' -c max_connections=200" start >/dev/null ||
    { cat "$dir/server.log" >&2; exit 1; }
}

case $cmd in
  start)
    [ $# -eq 3 ] || usage
    port=$3
    if [ -f "$dir/data/postmaster.pid" ]; then as_pg "$bindir/pg_ctl" -D "$dir/data" -m immediate -w stop >/dev/null 2>&1 || true; fi
    rm -rf "$dir"
    mkdir -p "$dir"
    if [ "$(id -u)" = 0 ]; then chown postgres: "$dir"; fi
    chmod 0755 "$dir"
    as_pg "$bindir/initdb" -D "$dir/data" -A trust -U coach -E UTF8 --no-sync >"$dir/initdb.log" 2>&1 ||
      { cat "$dir/initdb.log" >&2; exit 1; }
    serve "$port"
    as_pg "$bindir/createdb" -h "$dir" -p "$port" -U coach coach
    echo "host=$dir port=$port user=coach dbname=coach"
    ;;
  resume)
    [ $# -eq 3 ] || usage
    serve "$3"
    ;;
  stop)
    if [ -f "$dir/data/postmaster.pid" ]; then as_pg "$bindir/pg_ctl" -D "$dir/data" -m fast -w stop >/dev/null; fi
    ;;
  status)
    as_pg "$bindir/pg_ctl" -D "$dir/data" status
    ;;
  *) usage ;;
esac
