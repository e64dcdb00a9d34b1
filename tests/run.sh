#!/usr/bin/env bash
# Installs what is missing, builds the dev and asan presets and runs every test in both.
# Usage: tests/run.sh [--dev-only]
set -euo pipefail
cd "$(dirname "$0")/.."

if [ "${1:-}" = "--help" ] || [ "${1:-}" = "-h" ]; then
  echo "usage: tests/run.sh [--dev-only]   build dev + asan presets and run every test"; exit 0
fi
presets=(dev asan)
[ "${1:-}" = "--dev-only" ] && presets=(dev)

./deploy/install-deps.sh
# The OpenAPI validator the gateway test runs (npm, from the committed lockfile).
npm ci --prefix tests/openapi --no-audit --no-fund --loglevel=error
export COACH_REQUIRE_PG=1  # the store suite must run against PostgreSQL too, never skip it
export CCACHE_DIR="${CCACHE_DIR:-$PWD/.cache/ccache}"
jobs=$(nproc)
start=$(date +%s)
for preset in "${presets[@]}"; do
  t0=$(date +%s)
  echo "== [$preset] configure + build"
  cmake --preset "$preset" >/dev/null
  cmake --build --preset "$preset" -j "$jobs"
  echo "== [$preset] test"
  ctest --preset "$preset" -j "$jobs"
  if [ "$preset" = dev ]; then
    # The web app, built and driven in chromium against this preset's coachd and gateway (once:
    # the sanitizers add nothing to a browser test). Screenshots: services/web/test-results.
    echo "== [$preset] web app: build and end-to-end tests"
    services/web/build.sh --test "build/$preset"
  fi
  echo "== [$preset] passed in $(( $(date +%s) - t0 )) s"
done
echo "== all tests passed (${presets[*]}) in $(( $(date +%s) - start )) s"
