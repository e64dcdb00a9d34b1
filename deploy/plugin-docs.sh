#!/usr/bin/env bash
# Keeps each plugin README's tables in step with the plugin: its config table with the schema in its
# manifest, its method table with the rpc service (and comments) of its .proto.
#   deploy/plugin-docs.sh BUILD_DIR            rewrite the tables
#   deploy/plugin-docs.sh --check BUILD_DIR    exit 1 naming each README whose tables are stale
# A README marks them <!-- config-table --> ... <!-- /config-table --> and
# <!-- method-table --> ... <!-- /method-table -->.
set -euo pipefail
check=0
if [ "${1:-}" = "--check" ]; then check=1; shift; fi
if [ $# -ne 1 ] || [ "${1:-}" = "--help" ]; then
  sed -n '2,5p' "$0" | sed 's/^# \{0,1\}//'
  exit 2
fi
build=$1
root=$(cd "$(dirname "$0")/.." && pwd)
coachd="$build/bin/coachd"
[ -x "$coachd" ] || { echo "plugin-docs: no coachd in $build/bin (build first)" >&2; exit 2; }
stale=0
# README text with the block between <!-- NAME --> and <!-- /NAME --> replaced by TABLE.
replace_block() {
  awk -v name="$1" -v table="$2" '
    $0 == "<!-- " name " -->" { print; print table; skip = 1; next }
    $0 == "<!-- /" name " -->" { skip = 0 }
    !skip { print }' "$3"
}
for readme in "$root"/plugins/*/README.md; do
  plugin=$(basename "$(dirname "$readme")")
  updated=$(cat "$readme")
  for block in config-table method-table; do
    grep -q "<!-- $block -->" "$readme" || continue
    table=$("$coachd" "--print-$block" "$plugin")
    updated=$(replace_block "$block" "$table" <(printf '%s\n' "$updated"))
  done
  if [ "$updated" != "$(cat "$readme")" ]; then
    if [ $check = 1 ]; then
      echo "plugin-docs: $readme: a table differs from the plugin; run deploy/plugin-docs.sh $build" >&2
      stale=1
    else
      printf '%s\n' "$updated" >"$readme"
      echo "plugin-docs: updated $readme"
    fi
  fi
done
exit $stale
