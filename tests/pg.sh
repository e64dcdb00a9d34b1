#!/usr/bin/env bash
# A throwaway PostgreSQL cluster for the tests, from Debian's postgresql package.
#   tests/pg.sh start DIR PORT   initdb in DIR, listen only on a unix socket there, print the DSN
#   tests/pg.sh stop DIR         stop it, data kept (for resume, or a look at server.log)
#   tests/pg.sh resume DIR PORT  start a stopped cluster again
#   tests/pg.sh destroy DIR      stop it and remove every file it had
# As root the server runs as the postgres user (it refuses to run as root). When that user cannot
# reach DIR (a clone under /root, mode 0700), the cluster lives in a private directory under /tmp
# that it can reach, and DIR becomes a link to it; the DSN names the real directory.
set -euo pipefail
usage() { echo "usage: tests/pg.sh start DIR PORT | resume DIR PORT | stop DIR | destroy DIR | status DIR" >&2; exit 2; }
case "${1:-}" in -h|--help) echo "usage: tests/pg.sh start DIR PORT | resume DIR PORT | stop DIR | destroy DIR | status DIR"; exit 0 ;; esac
[ $# -ge 2 ] || usage
cmd=$1 dir=$2
bindir=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1)
[ -n "$bindir" ] || { echo "pg.sh: PostgreSQL server not installed (deploy/install-deps.sh)" >&2; exit 1; }
as_root() { [ "$(id -u)" = 0 ]; }
as_pg() { if as_root; then runuser -u postgres -- "$@"; else "$@"; fi; }
# The directory the cluster's files are really in: DIR, or where DIR links to.
real_dir() { if [ -L "$dir" ]; then readlink -f "$dir"; else echo "$dir"; fi; }
# fsync stays on: the store's durability is what the tests and the benchmark measure.
serve() {
  local real; real=$(real_dir)
  as_pg "$bindir/pg_ctl" -D "$real/data" -l "$real/server.log" -w -t 30 \
    -o "-k $real -p $1 -c listen_addresses='' -c max_connections=200" start >/dev/null ||
    { cat "$real/server.log" >&2; exit 1; }
}
halt() {  # mode: fast or immediate
  local real; real=$(real_dir)
  if [ -f "$real/data/postmaster.pid" ]; then as_pg "$bindir/pg_ctl" -D "$real/data" -m "$1" -w stop >/dev/null 2>&1 || true; fi
}
remove() {
  local real; real=$(real_dir)
  rm -rf "$real"
  if [ -L "$dir" ]; then rm -f "$dir"; fi
}

case $cmd in
  start)
    [ $# -eq 3 ] || usage
    port=$3
    halt immediate
    remove
    mkdir -p "$(dirname "$dir")"
    real=$dir
    if as_root && ! runuser -u postgres -- test -x "$(dirname "$dir")"; then
      real=$(mktemp -d /tmp/coach-pg.XXXXXXXX)
      ln -s "$real" "$dir"
    else
      mkdir -p "$dir"
    fi
    if as_root; then chown postgres: "$real"; fi
    chmod 0755 "$real"
    as_pg "$bindir/initdb" -D "$real/data" -A trust -U coach -E UTF8 --no-sync >"$real/initdb.log" 2>&1 ||
      { cat "$real/initdb.log" >&2; exit 1; }
    serve "$port"
    as_pg "$bindir/createdb" -h "$real" -p "$port" -U coach coach
    echo "host=$real port=$port user=coach dbname=coach"
    ;;
  resume)
    [ $# -eq 3 ] || usage
    serve "$3"
    ;;
  stop)
    halt fast
    ;;
  destroy)
    halt fast
    remove
    ;;
  status)
    as_pg "$bindir/pg_ctl" -D "$(real_dir)/data" status
    ;;
  *) usage ;;
esac
