#!/usr/bin/env bash
# Builds the web app into services/web/dist (what coach-gateway --web-root serves): installs its
# npm dependencies from the committed lockfile when they are missing or changed, then bundles.
#   services/web/build.sh [--test BUILD_DIR]   --test: also run the end-to-end tests (Playwright,
#                                               Debian's chromium) against BUILD_DIR's binaries
set -euo pipefail
cd "$(dirname "$0")"
if [ "${1:-}" = "--help" ] || [ "${1:-}" = "-h" ]; then sed -n '2,5p' "$0" | sed 's/^# \{0,1\}//'; exit 0; fi
# Playwright drives the system's chromium: its own browser download is not needed.
export PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1
stamp=node_modules/.lock-stamp
if [ ! -f "$stamp" ] || ! cmp -s package-lock.json "$stamp"; then
  npm ci --no-audit --no-fund --loglevel=error
  cp package-lock.json "$stamp"
fi
node build.mjs
if [ "${1:-}" = "--test" ]; then
  [ -n "${2:-}" ] || { echo "build.sh: --test needs the build directory" >&2; exit 2; }
  COACH_BUILD_DIR="$(cd "$OLDPWD" && realpath "$2")" npx playwright test
fi
