#!/usr/bin/env bash
# coach-gateway under wrk, in one run: POST /v1/echo/Echo through the gateway at 64 keep-alive
# connections (and one, for latency), the same request over the bus to the same coachd
# (coach_bus_bench --endpoint, stated for the same person as the gateway states it), and nginx
# serving a static JSON body on this machine as the baseline. Rounds alternate the runs, so every
# figure sees the machine's drift, and medians are compared with the targets (gateway >= 30 % of
# nginx's throughput; gateway p50 <= bus p50 + 100 us).
# Usage: tests/bench/gateway_bench.sh [BUILD_DIR (default build/release)] [SECONDS per run
#        (default 5)] [ROUNDS (default 5)]
set -euo pipefail
cd "$(dirname "$0")/../.."
if [ "${1:-}" = "--help" ] || [ "${1:-}" = "-h" ]; then
  sed -n '2,9p' "$0"; exit 0
fi
build="${1:-build/release}"
seconds="${2:-5}"
rounds="${3:-5}"
bin="$build/bin"
for tool in wrk nginx; do
  if ! command -v "$tool" >/dev/null 2>&1 && [ ! -x "/usr/sbin/$tool" ]; then
    echo "gateway_bench: installing wrk and nginx-light (Debian)"
    apt-get install -y -qq --no-install-recommends wrk nginx-light >/dev/null
  fi
done
[ -x "$bin/coach-gateway" ] || { echo "gateway_bench: build $build first (cmake --build --preset release)" >&2; exit 2; }

dir=$(mktemp -d /tmp/coach-gwbench-XXXXXX)
pids=()
cleanup() { for p in "${pids[@]}"; do kill -TERM "$p" 2>/dev/null || true; done; wait 2>/dev/null || true; rm -rf "$dir"; }
trap cleanup EXIT
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

cat > "$dir/coachd.yaml" <<YAML
log: {level: warn}
bus:
  request_endpoint: ipc://$dir/req.sock
  event_endpoint: ipc://$dir/ev.sock
store: {sqlite: {path: $dir/coachd.db}}
plugin_dirs: [$PWD/$build/lib/coach/plugins]
plugins:
  echo: {}
YAML
"$bin/coachd" --config "$dir/coachd.yaml" 2>"$dir/coachd.log" & pids+=($!)
ctl=("$bin/coachctl" -e "ipc://$dir/req.sock")
for _ in $(seq 100); do "${ctl[@]}" --timeout 200 health >/dev/null 2>&1 && break; sleep 0.1; done
printf 'id,name,roles\nbench,Bench,integration\n' > "$dir/people.csv"
"${ctl[@]}" people import "$dir/people.csv" >/dev/null 2>&1
token=$("${ctl[@]}" token create --person bench --role integration 2>/dev/null)
gw_port=$(free_port)
"$bin/coach-gateway" --listen "127.0.0.1:$gw_port" -e "ipc://$dir/req.sock" --log-level warn \
  2>"$dir/gateway.log" & pids+=($!)
ng_port=$(free_port)
body='{"text":"echo: hi","tenant":"default","served":"1"}'
cat > "$dir/nginx.conf" <<NGINX
worker_processes 1;
daemon off;
pid $dir/nginx.pid;
error_log $dir/nginx.log warn;
events { worker_connections 1024; }
http {
  access_log off;
  client_body_temp_path $dir; proxy_temp_path $dir; fastcgi_temp_path $dir;
  uwsgi_temp_path $dir; scgi_temp_path $dir;
  server {
    listen 127.0.0.1:$ng_port;
    location / { default_type application/json; return 200 '$body'; }
  }
}
NGINX
/usr/sbin/nginx -c "$dir/nginx.conf" -p "$dir" & pids+=($!)
for _ in $(seq 50); do curl -sf "http://127.0.0.1:$gw_port/healthz" >/dev/null && curl -sf "http://127.0.0.1:$ng_port/" >/dev/null && break; sleep 0.1; done

cat > "$dir/post.lua" <<LUA
wrk.method = "POST"
wrk.body = '{"text":"hi"}'
wrk.headers["Content-Type"] = "application/json"
wrk.headers["Authorization"] = "Bearer $token"
LUA
run_wrk() {  # name url connections [script] -> "rps p50_us"
  local out
  local threads=2
  [ "$3" -ge 2 ] || threads=1
  out=$(wrk -t"$threads" -c"$3" -d"${seconds}s" --latency ${4:+-s "$4"} "$2")
  echo "$out" > "$dir/wrk-$1-$3.txt"
  local rps p50
  rps=$(awk '/^Requests\/sec:/ {print $2}' <<<"$out")
  p50=$(awk '$1=="50%" {v=$2; if (v ~ /us$/) {sub(/us/,"",v); print v} else if (v ~ /ms$/) {sub(/ms/,"",v); print v*1000} else {sub(/s/,"",v); print v*1000000}}' <<<"$out")
  local errors
  errors=$(awk '/Non-2xx/ {print $NF}' <<<"$out")
  [ -z "$errors" ] || echo "gateway_bench: $1: $errors non-2xx answers" >&2
  echo "$rps $p50"
}
run_bus() {  # -> p50_us: the gateway's request, stated for its person, straight to coachd
  "$bin/coach_bus_bench" --endpoint "ipc://$dir/req.sock" --tenant default --person bench \
    --role integration --rounds 1 --sequential 4000 --pipelined 0 2>/dev/null |
    awk '/^coachd -> echo plugin/ {print $5}'
}
median() { tr ' ' '\n' | grep -v '^$' | sort -g | awk '{v[NR]=$1} END {print (NR%2 ? v[(NR+1)/2] : (v[NR/2]+v[NR/2+1])/2)}'; }
echo "wrk, ${seconds} s per run, ${rounds} rounds; gateway POST /v1/echo/Echo, nginx GET of the same JSON"
ng=() gw=() gw1=() bus=() ng1=()
for r in $(seq "$rounds"); do
  read -r rps _ <<<"$(run_wrk nginx "http://127.0.0.1:$ng_port/" 64)"; ng+=("$rps")
  read -r rps _ <<<"$(run_wrk gateway "http://127.0.0.1:$gw_port/v1/echo/Echo" 64 "$dir/post.lua")"; gw+=("$rps")
  read -r _ p50 <<<"$(run_wrk gateway "http://127.0.0.1:$gw_port/v1/echo/Echo" 1 "$dir/post.lua")"; gw1+=("$p50")
  bus+=("$(run_bus)")
  read -r _ p50 <<<"$(run_wrk nginx "http://127.0.0.1:$ng_port/" 1)"; ng1+=("$p50")
  printf 'round %d: 64 connections gateway %.0f/s nginx %.0f/s (%.2f); 1 connection p50 gateway %.0f us, bus %.1f us (+%.0f), nginx %.0f us\n' \
    "$r" "${gw[-1]}" "${ng[-1]}" "$(awk -v g="${gw[-1]}" -v n="${ng[-1]}" 'BEGIN {print g / n}')" \
    "${gw1[-1]}" "${bus[-1]}" "$(awk -v g="${gw1[-1]}" -v b="${bus[-1]}" 'BEGIN {print g - b}')" "${ng1[-1]}"
done
ng_rps=$(echo "${ng[*]}" | median); gw_rps=$(echo "${gw[*]}" | median)
gw1_p50=$(echo "${gw1[*]}" | median); bus_p50=$(echo "${bus[*]}" | median); ng1_p50=$(echo "${ng1[*]}" | median)
printf '\nmedians over %d rounds %18s %10s\n' "$rounds" "requests/s" "p50 us"
printf '%-40s %12.0f\n' "nginx, static JSON, 64 connections" "$ng_rps"
printf '%-40s %12.0f\n' "gateway -> coachd echo, 64 connections" "$gw_rps"
printf '%-40s %12s %10.1f\n' "gateway, 1 connection" "" "$gw1_p50"
printf '%-40s %12s %10.1f\n' "bus round trip, same coachd and request" "" "$bus_p50"
printf '%-40s %12s %10.1f\n' "nginx, 1 connection (HTTP on loopback)" "" "$ng1_p50"
awk -v g="$gw_rps" -v n="$ng_rps" -v p="$gw1_p50" -v b="$bus_p50" 'BEGIN {
  r = g / n; d = p - b;
  printf "\nthroughput gateway/nginx: %.2f (target >= 0.30: %s)\n", r, (r >= 0.30 ? "met" : "MISSED");
  printf "gateway p50 (1 connection) - bus p50: %.0f us (target <= 100 us: %s)\n", d, (d <= 100 ? "met" : "MISSED") }'
