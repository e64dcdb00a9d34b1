#!/usr/bin/env bash
# Installs what is missing, builds coachd (release preset), starts it on the embedded default
# config (deploy/coachd.yaml), shows it serving, and keeps it in the foreground until Ctrl-C.
#   --detach   leave coachd running in the background and print how to stop it
set -euo pipefail
cd "$(dirname "$0")/.."

detach=0
for arg in "$@"; do
  case "$arg" in
    --detach) detach=1 ;;
    -h|--help) sed -n '2,5p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "quickstart: unknown option $arg (try --help)" >&2; exit 2 ;;
  esac
done

./deploy/install-deps.sh
export CCACHE_DIR="${CCACHE_DIR:-$PWD/.cache/ccache}"
echo "== building (release preset)"
t0=$(date +%s)
cmake --preset release >/dev/null
cmake --build --preset release -j "$(nproc)" --target coachd coachctl coach-gateway echo behavior_styles motivation_keys service_followup coaching_sessions webhooks
services/web/build.sh
echo "== built in $(( $(date +%s) - t0 )) s"

bin=build/release/bin
runtime="${XDG_RUNTIME_DIR:+$XDG_RUNTIME_DIR/coachd}"
runtime="${RUNTIME_DIRECTORY:-${runtime:-/tmp/coachd-$(id -u)}}"
mkdir -p "$runtime"
log="$runtime/coachd.log"

if [ -f "$runtime/coachd.pid" ] && kill -0 "$(cat "$runtime/coachd.pid")" 2>/dev/null; then
  echo "== stopping the coachd started earlier (pid $(cat "$runtime/coachd.pid"))"
  kill -TERM "$(cat "$runtime/coachd.pid")"
  sleep 1
fi

echo "== starting coachd on the embedded default config (log: $log)"
if [ "$detach" = 1 ]; then
  setsid "$bin/coachd" >"$log" 2>&1 < /dev/null &
  pid=$!
else
  "$bin/coachd" 2>"$log" &
  pid=$!
  tail -n +1 -f "$log" --pid="$pid" >&2 &
fi
echo "$pid" > "$runtime/coachd.pid"

for _ in $(seq 100); do
  if "$bin/coachctl" --timeout 200 health >/dev/null 2>&1; then break; fi
  if ! kill -0 "$pid" 2>/dev/null; then echo "quickstart: coachd exited; see $log" >&2; exit 1; fi
  sleep 0.1
done

run() { echo; echo "\$ coachctl $*"; "$bin/coachctl" "$@"; }
run health
run plugins
run call echo Echo '{"text":"hello coachd"}'

echo; echo "== the people directory: who is who, who coaches whom (deploy/examples/people.csv)"
run people import deploy/examples/people.csv
run --as ana call coachd WhoAmI
echo "# a salesperson does not read a colleague's pulse answers (README, Who may see what):"
run --as ben call motivation_keys GetPulseHistory '{"person_id":"ana"}' || true

echo; echo "== behavior_styles worked example (plugins/behavior_styles/README.md)"
run --as ana call behavior_styles SubmitAssessment '{"person_id":"ana","role":"RATER_ROLE_SELF","answers":[4,1,3,2,1,4,3,2,3,2,4,1,2,3,4,1,3,3,2,2,4,1,3,3,1,1,3,2,2,3]}'
run --as ana call behavior_styles RecordObservations '{"salesperson_id":"ana","account_id":"acme","observations":[{"cue":"CUE_PACE","value":1},{"cue":"CUE_TELLS_VS_ASKS","value":1},{"cue":"CUE_DECISIONS","value":2},{"cue":"CUE_SHOWS_FEELINGS","value":4},{"cue":"CUE_BIG_PICTURE","value":3},{"cue":"CUE_RELATIONSHIP","value":4}]}'
run --as ana call behavior_styles GetGuidance '{"salesperson_id":"ana","account_id":"acme"}'

echo; echo "== motivation_keys worked example (plugins/motivation_keys/README.md)"
run --as ana call motivation_keys RecordPulse '{"person_id":"ana","answers":[4,4,3,2,2,4,3,4,4,2,3,2,4,4,3,3]}'
run --as carl call motivation_keys GetCoachingPrompts '{"person_id":"ana"}'
run call motivation_keys RateTrust '{"salesperson_id":"ana","account_id":"acme","role":"RATER_ROLE_CUSTOMER","credibility":4,"reliability":4,"intimacy":4,"self_orientation":2}'

echo; echo "== service_followup worked example (plugins/service_followup/README.md)"
demo="demo-$(date +%s)"
run --as zoe call service_followup OpenCase '{"case_id":"'"$demo"'","account_id":"acme","salesperson_id":"ana","agent_id":"zoe","subject":"invoice shows the old price"}'
run --as zoe call service_followup SolveCase '{"case_id":"'"$demo"'","agent_id":"zoe","root_cause":{"category":"billing","cause":"price list not updated after renewal","fix":"price list corrected, credit note sent","customer_confirmed":true}}'
run call service_followup GetMeasures '{"account_id":"acme"}'
run schedule list --plugin service_followup --state pending --limit 4

echo; echo "== coaching_sessions worked example (plugins/coaching_sessions/README.md)"
# A salesperson of her own per run: a relationship is started once.
sp="ana-$(date +%s)"
rel="carl~$sp"
due=$(( $(date +%s) * 1000 + 6 * 86400000 ))
answers="[2,2,3,4,3,4,4,3,3,4,4,3,4,3,4,4,5]"
run call coaching_sessions StartRelationship '{"coach_id":"carl","salesperson_id":"'"$sp"'","salesperson_name":"Ana","coach_role":"COACH_ROLE_MANAGER","team_id":"east","cadence":"weekly"}'
printf '{"id":"%s","name":"Ana","team":"east","roles":["salesperson"],"coach":"carl","manager":"carl"}\n' \
  "$sp" > "$runtime/quickstart-people.jsonl"
run people import "$runtime/quickstart-people.jsonl"
run call motivation_keys RateTrust '{"salesperson_id":"'"$sp"'","account_id":"acme","role":"RATER_ROLE_CUSTOMER","credibility":4,"reliability":4,"intimacy":4,"self_orientation":2}'
run call motivation_keys RateTrust '{"salesperson_id":"'"$sp"'","account_id":"acme","role":"RATER_ROLE_CUSTOMER","credibility":4,"reliability":4,"intimacy":4,"self_orientation":4}'
run --as "$sp" call coaching_sessions SubmitPrep '{"relationship_id":"'"$rel"'","submitted_by":"'"$sp"'","prep":{"figures":[{"name":"new revenue","this_period":95000,"previous_period":100000},{"name":"first meetings","this_period":2,"previous_period":5}],"audit_answers":'"$answers"',"gaps":["too few first meetings"],"internal_factors":["two weeks on a tender"],"external_factors":["a competitor cut prices in the north"],"within_influence":["how many first meetings I book"],"outside_influence":["the competitor'"'"'s prices"],"focus":"four first meetings in the north","upskilling":["read about discovery questions","tried a referral ask at Initech"],"keep":["weekly account reviews"],"drop":["cold email blasts"],"create":["a referral ask after each delivery"]}}'
run call coaching_sessions GetAgenda '{"relationship_id":"'"$rel"'"}'
run --as carl call coaching_sessions RecordSession '{"relationship_id":"'"$rel"'","steps":{"acknowledge":"New revenue is 5 % below last month, and you have named why.","explore":"What was different this month? What changed at acme?","plan":"Four first meetings in the north; a referral ask after each delivery.","offer_help":"I will introduce you to the partner in the north."},"coach_questions":["What was different this month compared with last month?","Which of these factors can you influence?","What would make the biggest difference with acme?","How can I help?"],"talk":{"coach_seconds":600,"salesperson_seconds":1500},"duration_minutes":40,"action_items":[{"text":"book four first meetings in the north","owner":"ITEM_OWNER_SALESPERSON","due_ms":"'"$due"'"},{"text":"introduce Ana to the north partner","owner":"ITEM_OWNER_COACH","due_ms":"'"$due"'"}]}'
run call coaching_sessions UpdateActionItem '{"relationship_id":"'"$rel"'","item_id":"s1-2","state":"ITEM_STATE_DONE"}'
run call coaching_sessions GetAgenda '{"relationship_id":"'"$rel"'"}'
# ana's own weekly coaching with carl, for the web app (started once; a second run says so).
run call coaching_sessions StartRelationship '{"coach_id":"carl","salesperson_id":"ana","coach_role":"COACH_ROLE_MANAGER","team_id":"east","cadence":"weekly"}' || true

echo; echo "== coach-gateway: the same methods over HTTP/JSON (README, coach-gateway)"
gateway_port="${COACH_GATEWAY_PORT:-8080}"
"$bin/coach-gateway" --listen "127.0.0.1:$gateway_port" --web-root services/web/dist \
  2>"$runtime/gateway.log" &
gateway_pid=$!
echo "$gateway_pid" > "$runtime/gateway.pid"
for _ in $(seq 50); do
  if curl -sf "http://127.0.0.1:$gateway_port/healthz" >/dev/null 2>&1; then break; fi
  if ! kill -0 "$gateway_pid" 2>/dev/null; then
    echo "quickstart: coach-gateway exited; see $runtime/gateway.log" >&2; break
  fi
  sleep 0.1
done
token=$("$bin/coachctl" token create --person ana --role salesperson --description quickstart)
echo "\$ coachctl token create --person ana --role salesperson    # -> a bearer token for ana"
echo "\$ curl -s -X POST http://127.0.0.1:$gateway_port/v1/motivation_keys/GetPulseHistory \\"
echo "    -H 'Authorization: Bearer ct.default.…' -d '{\"person_id\":\"ana\",\"limit\":1}'"
curl -s -X POST "http://127.0.0.1:$gateway_port/v1/motivation_keys/GetPulseHistory" \
  -H "Authorization: Bearer $token" -d '{"person_id":"ana","limit":1}' || true
echo

echo; echo "== the web app: open a sign-in link in a browser (each works once, for 15 minutes;"
echo "   make more with: $bin/coachctl login-link --person ID --base-url http://127.0.0.1:$gateway_port)"
for who in "carl coach and manager" "ana salesperson" "zoe service agent" "ada tenant admin"; do
  id=${who%% *}
  printf '  %-34s %s\n' "$id (${who#* }):" \
    "$("$bin/coachctl" login-link --person "$id" --base-url "http://127.0.0.1:$gateway_port" 2>/dev/null)"
done

if [ "$detach" = 1 ]; then
  echo
  echo "coachd is running in the background (pid $pid, log $log),"
  echo "coach-gateway on http://127.0.0.1:$gateway_port (pid $gateway_pid)."
  echo "Stop them with:  kill -TERM $gateway_pid $pid"
  exit 0
fi

echo
echo "coachd is serving in the foreground (pid $pid). Press Ctrl-C to stop it."
trap 'echo; echo "== stopping coach-gateway and coachd"; kill -TERM "$gateway_pid" "$pid" 2>/dev/null || true' INT TERM
set +e
wait "$pid"
wait "$pid" 2>/dev/null
code=$?
rm -f "$runtime/coachd.pid"
echo "== coachd exited with code $code"
