#!/usr/bin/env bash
# Builds tests/fuzz/envelope_fuzz.cpp with clang's libFuzzer (and Address/UB sanitizers) against a
# build tree's generated protobuf code, then fuzzes for SECONDS from the corpus in the repository.
#   tests/fuzz/fuzz.sh BUILD_DIR SOURCE_DIR [SECONDS]
# New inputs go to a scratch copy of the corpus; a crash fails the run and leaves the input in
# BUILD_DIR/fuzz/ (crash-*), to be added to the corpus once fixed.
set -euo pipefail
if [ $# -lt 2 ] || [ "${1:-}" = "--help" ]; then
  sed -n '2,6p' "$0" | sed 's/^# \{0,1\}//'
  exit 2
fi
build=$(cd "$1" && pwd)
src=$(cd "$2" && pwd)
seconds=${3:-20}
out="$build/fuzz"
mkdir -p "$out/corpus"
command -v clang++ >/dev/null || { echo "fuzz: clang++ not installed (deploy/install-deps.sh)" >&2; exit 1; }
flags=(-std=c++20 -O1 -g -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined
       -I"$src/core/src" -I"$src/core/include" -I"$build/proto")
if [ ! -x "$out/envelope_fuzz" ] || [ -n "$(find "$src/tests/fuzz/envelope_fuzz.cpp" "$src/core/src" \
    "$build/proto" -newer "$out/envelope_fuzz" -name '*.[ch]*' 2>/dev/null | head -1)" ]; then
  echo "fuzz: building envelope_fuzz with clang"
  clang++ "${flags[@]}" -o "$out/envelope_fuzz" "$src/tests/fuzz/envelope_fuzz.cpp" \
    "$src/core/src/envelope.cpp" "$src/core/src/request_router.cpp" \
    "$build/proto/coach/v1/envelope.pb.cc" \
    $(pkg-config --libs protobuf libzmq fmt)
fi
cp -n "$src"/tests/fuzz/corpus/envelope/* "$out/corpus/" 2>/dev/null || true
cd "$out"
echo "fuzz: envelope decoding for ${seconds} s"
./envelope_fuzz -max_total_time="$seconds" -max_len=65536 -print_final_stats=1 corpus 2>&1 | tail -12
