#!/usr/bin/env bash
# Keeps each plugin README's config table in step with the schema in its manifest.
#   deploy/plugin-docs.sh BUILD_DIR            rewrite the tables
#   deploy/plugin-docs.sh --check BUILD_DIR    exit 1 naming each README whose table is stale
# A README marks its table with <!-- config-table --> ... <!-- /config-table -->.
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
for readme in "$root"/plugins/*/README.md; do
  plugin=$(basename "$(dirname "$readme")")
  grep -q '<!-- config-table -->' "$readme" || continue
  table=$("$coachd" --print-config-table "$plugin")
  updated=$(awk -v table="$table" '
    /<!-- config-table -->/ { print; print table; skip = 1; next }
    /<!-- \/config-table -->/ { skip = 0 }
    !skip { print }' "$readme")
  if [ "$updated" != "$(cat "$readme")" ]; then
    if [ $check = 1 ]; then
      echo "plugin-docs: $readme: config table differs from the schema; run deploy/plugin-docs.sh $build" >&2
      stale=1
    else
      printf '%s\n' "$updated" >"$readme"
      echo "plugin-docs: updated $readme"
    fi
  fi
done
exit $stale
