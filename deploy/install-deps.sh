#!/usr/bin/env bash
# Installs, idempotently, every Debian 12 package coachd needs to build, test and run.
# Usage: deploy/install-deps.sh [--runtime-only]
set -euo pipefail

build_pkgs=(
  build-essential cmake ninja-build pkg-config ccache git curl
  libzmq3-dev cppzmq-dev
  libprotobuf-dev protobuf-compiler
  libboost-dev libboost-filesystem-dev
  libspdlog-dev libfmt-dev
  libyaml-cpp-dev libcli11-dev
  libsqlite3-dev libpq-dev postgresql
  libgtest-dev libgmock-dev
  procps python3 python3-zmq
  clang libclang-rt-14-dev
  libssl-dev openssl ca-certificates
  chromium
)

missing=()
for p in "${build_pkgs[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done

# Node.js for the tests' OpenAPI validator (and the web app): Debian's, unless a node and npm
# (e.g. NodeSource's, which bundles npm and conflicts with Debian's npm) are already there.
command -v node >/dev/null 2>&1 || missing+=(nodejs)
command -v npm >/dev/null 2>&1 || missing+=(npm)

if [ "${#missing[@]}" -eq 0 ]; then
  echo "install-deps: all ${#build_pkgs[@]} packages present"
  exit 0
fi

echo "install-deps: installing ${missing[*]}"
SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
