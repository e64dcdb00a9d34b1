#!/usr/bin/env bash
# Installs the SDK from a build tree, builds examples/hello_plugin against it with
# find_package(coach), and a copy of plugins/echo renamed to "greeter", as a third party would;
# runs their unit tests, loads both into a real coachd and calls them through coachctl.
set -euo pipefail
build_dir=$1
src_dir=$2
work=$(mktemp -d)
pid=""
cleanup() { if [ -n "$pid" ]; then kill "$pid" 2>/dev/null || true; fi; rm -rf "$work"; }
trap cleanup EXIT

cmake --install "$build_dir" --prefix "$work/prefix" >/dev/null
cmake -S "$src_dir/examples/hello_plugin" -B "$work/build" -G Ninja \
  -DCMAKE_PREFIX_PATH="$work/prefix" -DCMAKE_BUILD_TYPE=Debug >/dev/null
cmake --build "$work/build" >/dev/null
test -f "$work/build/hello.so"
# Its unit test, on coach/testing.hpp, needs no daemon.
(cd "$work/build" && ctest --output-on-failure) >"$work/ctest.log" 2>&1 || { cat "$work/ctest.log" >&2; exit 1; }

# The template, copied and renamed, builds and passes its own unit test as it is.
cp -r "$src_dir/plugins/echo" "$work/greeter"
(cd "$work/greeter" && for f in $(find . -name '*echo*'); do mv "$f" "${f//echo/greeter}"; done)
find "$work/greeter" -type f -exec sed -i 's/echo/greeter/g; s/Echo/Greeter/g' {} +
cmake -S "$work/greeter" -B "$work/greeter-build" -G Ninja \
  -DCMAKE_PREFIX_PATH="$work/prefix" -DCMAKE_BUILD_TYPE=Debug >/dev/null
cmake --build "$work/greeter-build" >/dev/null
(cd "$work/greeter-build" && ctest --output-on-failure) >"$work/ctest.log" 2>&1 || { cat "$work/ctest.log" >&2; exit 1; }
cp "$work/greeter-build/greeter.so" "$work/build/"

cat >"$work/coachd.yaml" <<YAML
bus:
  request_endpoint: ipc://$work/req.sock
  event_endpoint: ipc://$work/ev.sock
plugin_dirs: [$work/build]
store:
  sqlite:
    path: $work/coachd.db
plugins:
  hello: {}
  greeter: {}
YAML
"$work/prefix/bin/coachd" --config "$work/coachd.yaml" 2>"$work/coachd.log" &
pid=$!
for _ in $(seq 100); do
  "$work/prefix/bin/coachctl" -e "ipc://$work/req.sock" -t 200 health >/dev/null 2>&1 && break
  sleep 0.1
done
out=$("$work/prefix/bin/coachctl" -e "ipc://$work/req.sock" call hello Greet '{"name":"Ada"}')
echo "$out"
grep -q '"greeting":"Hello, Ada, from default"' <<<"$out" || { cat "$work/coachd.log" >&2; exit 1; }
out=$("$work/prefix/bin/coachctl" -e "ipc://$work/req.sock" call greeter Greeter '{"text":"hi"}')
echo "$out"
grep -q '"text":"greeter: hi"' <<<"$out" || { cat "$work/coachd.log" >&2; exit 1; }
desc=$("$work/prefix/bin/coachctl" -e "ipc://$work/req.sock" describe hello) || { cat "$work/coachd.log" >&2; exit 1; }
echo "$desc"
grep -q 'Greets someone by name' <<<"$desc" || { echo "describe shows no comment" >&2; exit 1; }
kill -TERM "$pid"
if ! wait "$pid"; then
  echo "coachd did not exit cleanly; its log:" >&2
  cat "$work/coachd.log" >&2
  exit 1
fi
pid=""
echo "out-of-tree plugin built against the installed SDK, unit-tested and served by coachd"
