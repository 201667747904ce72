#!/usr/bin/env bash
# tests/bench/run.sh BUILD_DIR — side-by-side benchmark of the router.
# SPDX-License-Identifier: GPL-3.0-or-later
#
# One load generator (wrk), one mock upstream, the targets measured in the
# same run, interleaved:
#   direct      wrk -> mock upstream
#   nginx       wrk -> nginx (plain reverse proxy, keepalive upstream) -> mock
#   switchyard  wrk -> switchyard serve (history on) -> mock, Chat Completions in
#               and out (passthrough)
#   translated  the same switchyard, called on /v1/messages (Anthropic format in
#               and out) for an OpenAI-format upstream: translated both ways
#   baseline    only with BASELINE_BUILD_DIR: another build's switchyard (e.g. the
#               commit before a change), passthrough, for before/after ratios
# Prints latency and throughput per target, then the ratios against targets.
# Everything listens on 127.0.0.1; every process started here is stopped on exit.
#
# Environment: BENCH_DURATION (seconds per wrk run, default 5),
# BASELINE_BUILD_DIR (optional).

set -euo pipefail

if [ $# -ne 1 ]; then
  echo "usage: $0 BUILD_DIR" >&2
  exit 2
fi

BUILD_DIR=$(cd "$1" && pwd)
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
SWITCHYARD="$BUILD_DIR/src/switchyard"
MOCK="$BUILD_DIR/tests/mock-upstream"
DURATION=${BENCH_DURATION:-5}
TOKEN=sy-bench-token
RSS_REQUESTS=10000

for tool in wrk nginx sqlite3 curl; do
  command -v "$tool" >/dev/null 2>&1 || PATH="$PATH:/usr/sbin:/sbin"
  if ! command -v "$tool" >/dev/null 2>&1; then
    echo "run.sh: $tool is missing (make deps-bench installs wrk, nginx-light; sqlite3 and curl are needed too)" >&2
    exit 2
  fi
done
for bin in "$SWITCHYARD" "$MOCK"; do
  [ -x "$bin" ] || { echo "run.sh: $bin is missing: build $BUILD_DIR first" >&2; exit 2; }
done

TMP=$(mktemp -d "${TMPDIR:-/tmp}/switchyard-bench.XXXXXX")
PIDS=()

cleanup () {
  local pid
  for pid in "${PIDS[@]}"; do
    kill -TERM "$pid" 2>/dev/null || true
  done
  for pid in "${PIDS[@]}"; do
    wait "$pid" 2>/dev/null || true
  done
  rm -rf "$TMP"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# Keys never come from a keyring here.
export DBUS_SESSION_BUS_ADDRESS=

log () { printf '%s\n' "$*" >&2; }

# wait_line FILE REGEX PID: waits (10 s max) for REGEX in FILE, prints the match.
wait_line () {
  local file=$1 regex=$2 pid=$3 i
  for ((i = 0; i < 200; i++)); do
    if grep -oE "$regex" "$file" 2>/dev/null | head -n1 | grep .; then
      return 0
    fi
    if ! kill -0 "$pid" 2>/dev/null; then
      log "run.sh: process $pid exited early:"; cat "$file" >&2; return 1
    fi
    sleep 0.05
  done
  log "run.sh: timed out waiting for /$regex/ in $file:"; cat "$file" >&2
  return 1
}

# A port nothing listens on (nginx cannot pick its own).
free_port () {
  local port
  while :; do
    port=$((20000 + RANDOM % 40000))
    if ! (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
      echo "$port"; return
    fi
  done
}

start_mock () { # NAME ARGS… ; sets MOCK_STARTED_PORT
  local name=$1 pid line; shift
  "$MOCK" --port 0 "$@" >"$TMP/$name.out" 2>&1 &
  pid=$!
  PIDS+=("$pid")
  line=$(wait_line "$TMP/$name.out" 'listening on http://127\.0\.0\.1:[0-9]+' "$pid")
  MOCK_STARTED_PORT=${line##*:}
}

# Says which of our processes are gone, with the output of a dead switchyard.
exit_status () {
  local pid
  for pid in "${PIDS[@]}"; do
    kill -0 "$pid" 2>/dev/null || log "run.sh: process $pid is not running"
  done
  if [ -n "${SY_PID:-}" ] && ! kill -0 "$SY_PID" 2>/dev/null; then
    local status=0
    wait "$SY_PID" 2>/dev/null || status=$?
    log "run.sh: switchyard serve (pid $SY_PID) exited with status $status; its output:"
    tail -n 20 "$TMP/switchyard.out" >&2
  fi
}

rss_kb () { awk '/^VmRSS:/ { print $2 }' "/proc/$1/status"; }
hwm_kb () { awk '/^VmHWM:/ { print $2 }' "/proc/$1/status"; }

# --- upstreams -----------------------------------------------------------

# Each target gets its own pair of identical mocks (5-chunk answers; 100-chunk
# streams), so whatever one target leaves behind in a mock (open or half-closed
# connections, logged requests) cannot slow the next target down.
BASELINE=""
if [ -n "${BASELINE_BUILD_DIR:-}" ]; then
  BASELINE=$(cd "$BASELINE_BUILD_DIR" && pwd)/src/switchyard
  [ -x "$BASELINE" ] || { echo "run.sh: no $BASELINE" >&2; exit 2; }
fi
MOCKED=(direct nginx switchyard translated)
[ -z "$BASELINE" ] || MOCKED+=(baseline)

declare -A MOCK_PORT MOCK_STREAM_PORT
for t in "${MOCKED[@]}"; do
  start_mock "mock-$t"
  MOCK_PORT[$t]=$MOCK_STARTED_PORT
  start_mock "mock-$t-stream" --chunks 100
  MOCK_STREAM_PORT[$t]=$MOCK_STARTED_PORT
done

# --- nginx ---------------------------------------------------------------

start_nginx () {
  local attempt user=""
  # Run as whoever runs the bench; as root nginx would switch workers to nobody,
  # who cannot read the private temp dir.
  [ "$(id -u)" != 0 ] || user="user root;"
  for attempt in 1 2 3 4 5; do
    NGINX_PORT=$(free_port)
    NGINX_STREAM_PORT=$(free_port)
    sed -e "s|@DIR@|$TMP|g" -e "s|@USER@|$user|" \
        -e "s|@PORT@|$NGINX_PORT|" -e "s|@PORT_STREAM@|$NGINX_STREAM_PORT|" \
        -e "s|@UPSTREAM@|127.0.0.1:${MOCK_PORT[nginx]}|" \
        -e "s|@UPSTREAM_STREAM@|127.0.0.1:${MOCK_STREAM_PORT[nginx]}|" \
        "$HERE/nginx.conf.in" >"$TMP/nginx.conf"
    nginx -e "$TMP/nginx-error.log" -p "$TMP" -c "$TMP/nginx.conf" >"$TMP/nginx.out" 2>&1 &
    NGINX_PID=$!
    local i
    for ((i = 0; i < 100; i++)); do
      if curl -s -o /dev/null "http://127.0.0.1:$NGINX_PORT/v1/models" -H 'Authorization: Bearer x' &&
         curl -s -o /dev/null "http://127.0.0.1:$NGINX_STREAM_PORT/v1/models" -H 'Authorization: Bearer x'; then
        PIDS+=("$NGINX_PID")
        return 0
      fi
      kill -0 "$NGINX_PID" 2>/dev/null || break
      sleep 0.05
    done
    kill "$NGINX_PID" 2>/dev/null || true
    wait "$NGINX_PID" 2>/dev/null || true
  done
  log "run.sh: nginx did not start:"; cat "$TMP/nginx.out" "$TMP/nginx-error.log" >&2 2>/dev/null || true
  return 1
}
start_nginx

# --- switchyard ----------------------------------------------------------

# Each router target is its own `switchyard serve` with its own history and its
# own mocks, so none pays for another's rows or connections.
declare -A ROUTER_PID ROUTER_PORT
start_router () { # NAME BINARY
  local name=$1 bin=$2
  cat >"$TMP/$name.json" <<EOF
{
  "server": { "port": 0, "token": "$TOKEN" },
  "providers": [
    { "id": "openai", "kind": "openai", "base_url": "http://127.0.0.1:${MOCK_PORT[$name]}/v1" },
    { "id": "stream", "kind": "openai", "base_url": "http://127.0.0.1:${MOCK_STREAM_PORT[$name]}/v1",
      "key_env": "OPENAI_API_KEY" }
  ]
}
EOF
  OPENAI_API_KEY=sk-bench "$bin" serve --config "$TMP/$name.json" --db "$TMP/$name.db" --port 0 \
    >"$TMP/$name.out" 2>&1 &
  ROUTER_PID[$name]=$!
  PIDS+=("${ROUTER_PID[$name]}")
  ROUTER_PORT[$name]=$(wait_line "$TMP/$name.out" 'listening on http://127\.0\.0\.1:[0-9]+/v1' \
                       "${ROUTER_PID[$name]}" | grep -oE ':[0-9]+/' | tr -d ':/')
}

start_router switchyard "$SWITCHYARD"
SY_PID=${ROUTER_PID[switchyard]}
SY_PORT=${ROUTER_PORT[switchyard]}
DB="$TMP/switchyard.db"
start_router translated "$SWITCHYARD"
[ -z "$BASELINE" ] || start_router baseline "$BASELINE"
sleep 0.5
SY_RSS_IDLE=$(rss_kb "$SY_PID")

# --- targets -------------------------------------------------------------

TARGETS=("${MOCKED[@]}")
declare -A URL URL_STREAM MODEL MODEL_STREAM FORMAT
URL[direct]="http://127.0.0.1:${MOCK_PORT[direct]}/v1/chat/completions"
URL_STREAM[direct]="http://127.0.0.1:${MOCK_STREAM_PORT[direct]}/v1/chat/completions"
MODEL[direct]=gpt-4.1-mini;              MODEL_STREAM[direct]=gpt-4.1-mini
URL[nginx]="http://127.0.0.1:$NGINX_PORT/v1/chat/completions"
URL_STREAM[nginx]="http://127.0.0.1:$NGINX_STREAM_PORT/v1/chat/completions"
MODEL[nginx]=gpt-4.1-mini;               MODEL_STREAM[nginx]=gpt-4.1-mini
URL[switchyard]="http://127.0.0.1:$SY_PORT/v1/chat/completions"
URL_STREAM[switchyard]="http://127.0.0.1:$SY_PORT/v1/chat/completions"
MODEL[switchyard]=openai/gpt-4.1-mini;   MODEL_STREAM[switchyard]=stream/gpt-4.1-mini
URL[translated]="http://127.0.0.1:${ROUTER_PORT[translated]}/v1/messages"
URL_STREAM[translated]="http://127.0.0.1:${ROUTER_PORT[translated]}/v1/messages"
MODEL[translated]=openai/gpt-4.1-mini;   MODEL_STREAM[translated]=stream/gpt-4.1-mini
FORMAT[translated]=anthropic
if [ -n "$BASELINE" ]; then
  URL[baseline]="http://127.0.0.1:${ROUTER_PORT[baseline]}/v1/chat/completions"
  URL_STREAM[baseline]="http://127.0.0.1:${ROUTER_PORT[baseline]}/v1/chat/completions"
  MODEL[baseline]=openai/gpt-4.1-mini;   MODEL_STREAM[baseline]=stream/gpt-4.1-mini
fi

body () { # MODEL STREAM(true|false) [FORMAT]
  if [ "${3:-}" = anthropic ]; then
    printf '{"model":"%s","stream":%s,"max_tokens":256,"system":"You are terse.","messages":[{"role":"user","content":"Say hello to the benchmark."}]}' "$1" "$2"
    return
  fi
  printf '{"model":"%s","stream":%s,"messages":[{"role":"system","content":"You are terse."},{"role":"user","content":"Say hello to the benchmark."}]}' "$1" "$2"
}

# Sanity: every target answers 200 before anything is measured.
for t in "${TARGETS[@]}"; do
  for kind in plain stream; do
    if [ $kind = plain ]; then u=${URL[$t]}; b=$(body "${MODEL[$t]}" false)
    else u=${URL_STREAM[$t]}; b=$(body "${MODEL_STREAM[$t]}" true); fi
    code=$(curl -s -o "$TMP/sanity.out" -w '%{http_code}' --max-time 10 "$u" \
             -H "Authorization: Bearer $TOKEN" -H 'Content-Type: application/json' -d "$b")
    if [ "$code" != 200 ]; then
      log "run.sh: $t ($kind) answered HTTP $code:"; cat "$TMP/sanity.out" >&2; exit 1
    fi
  done
done

# to_ms VALUE_WITH_UNIT → milliseconds
to_ms () {
  awk -v v="$1" 'BEGIN {
    n = v + 0; u = v; sub(/^[0-9.]+/, "", u);
    if (u == "us") n /= 1000; else if (u == "s") n *= 1000; else if (u == "m") n *= 60000;
    printf "%.3f", n }'
}

# run_wrk NAME URL BODY THREADS CONNS DURATION: runs wrk, stores p50/p99 (ms),
# rps and errors under R[NAME.p50] …
declare -A R
run_wrk () {
  local name=$1 url=$2 body=$3 threads=$4 conns=$5 dur=$6 out="$TMP/wrk-$1.txt"
  BENCH_BODY=$body BENCH_TOKEN=$TOKEN \
    timeout $((dur + 15)) wrk -t"$threads" -c"$conns" -d"${dur}s" --timeout 10s --latency \
      -s "$HERE/post.lua" "$url" >"$out" 2>&1 || { log "run.sh: wrk failed ($name):"; cat "$out" >&2; exit_status; exit 1; }
  R[$name.p50]=$(to_ms "$(awk '$1 == "50%" { print $2 }' "$out")")
  R[$name.p99]=$(to_ms "$(awk '$1 == "99%" { print $2 }' "$out")")
  R[$name.rps]=$(awk '/^Requests\/sec:/ { printf "%.0f", $2 }' "$out")
  R[$name.req]=$(awk '/requests in/ { print $1 }' "$out")
  local non2xx sock
  non2xx=$(awk '/Non-2xx or 3xx responses:/ { print $NF }' "$out")
  sock=$(awk '/Socket errors:/ { gsub(/,/, ""); print $4 + $6 + $8 + $10 }' "$out")
  R[$name.err]=$(( ${non2xx:-0} + ${sock:-0} ))
  if [ "${R[$name.err]}" != 0 ]; then
    log "run.sh: warning: $name had ${R[$name.err]} errors (non-2xx or socket)"
  fi
}

log "Benchmarking (${DURATION}s per run, targets interleaved) …"
for t in "${TARGETS[@]}"; do   # warm-up: connections, caches, SQLite pages
  run_wrk "$t.warm" "${URL[$t]}" "$(body "${MODEL[$t]}" false "${FORMAT[$t]:-}")" 1 4 1
done
for t in "${TARGETS[@]}"; do
  log "  c=1   $t"; run_wrk "$t.c1" "${URL[$t]}" "$(body "${MODEL[$t]}" false "${FORMAT[$t]:-}")" 1 1 "$DURATION"
done
for t in "${TARGETS[@]}"; do
  log "  c=32  $t"; run_wrk "$t.c32" "${URL[$t]}" "$(body "${MODEL[$t]}" false "${FORMAT[$t]:-}")" 2 32 "$DURATION"
done
for t in "${TARGETS[@]}"; do
  log "  stream c=8  $t"; run_wrk "$t.s8" "${URL_STREAM[$t]}" "$(body "${MODEL_STREAM[$t]}" true "${FORMAT[$t]:-}")" 2 8 "$DURATION"
done

# --- RSS after RSS_REQUESTS requests through switchyard ------------------

rows () { sqlite3 -readonly "$DB" 'PRAGMA busy_timeout=5000; select count(*) from requests' 2>/dev/null | tail -n1; }
# Counted from wrk's completed requests (+2 sanity checks); requests wrk cut
# off at the end of a run may be recorded too, as client disconnects.
SENT=$(( 2 + ${R[switchyard.warm.req]} + ${R[switchyard.c1.req]} + ${R[switchyard.c32.req]} + ${R[switchyard.s8.req]} ))
deadline=$((SECONDS + 60))
while [ "$SENT" -lt "$RSS_REQUESTS" ] && [ $SECONDS -lt $deadline ]; do
  run_wrk "switchyard.more" "${URL[switchyard]}" "$(body "${MODEL[switchyard]}" false)" 2 32 2
  SENT=$((SENT + ${R[switchyard.more.req]}))
done
sleep 1   # let the history thread write its last batch
SY_ROWS_LIVE=$(rows || echo "?")
SY_RSS_LOADED=$(rss_kb "$SY_PID")
SY_HWM=$(hwm_kb "$SY_PID")

# Sockets still open at each target's mocks (ESTAB + CLOSE-WAIT …): a proxy
# that reuses upstream connections leaves a few; one that does not, thousands.
mock_sockets () {
  if command -v ss >/dev/null 2>&1; then
    ss -Htan "( sport = :${MOCK_PORT[$1]} or sport = :${MOCK_STREAM_PORT[$1]} )" | grep -vc LISTEN || true
  else
    echo "?"
  fi
}
declare -A SOCKETS
for t in "${TARGETS[@]}"; do SOCKETS[$t]=$(mock_sockets "$t"); done

# Stop switchyard so pending history is flushed, then count what it recorded.
kill -TERM "$SY_PID"
wait "$SY_PID" 2>/dev/null && SY_EXIT=0 || SY_EXIT=$?
SY_ROWS=$(rows || echo "?")

# --- report --------------------------------------------------------------

added () { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.3f", a - b }'; }
ratio () { awk -v a="$1" -v b="$2" 'BEGIN { if (b <= 0) print "inf"; else printf "%.2f", a / b }'; }
verdict () { # VALUE OP LIMIT
  awk -v v="$1" -v op="$2" -v l="$3" 'BEGIN {
    if (v == "inf" || v == "?") { print "MISS"; exit }
    ok = (op == "<=") ? (v + 0 <= l + 0) : (op == ">=") ? (v + 0 >= l + 0) : (v + 0 < l + 0);
    print ok ? "PASS" : "MISS" }'
}
mb () { awk -v k="$1" 'BEGIN { printf "%.1f", k / 1024 }'; }

row () { printf '%-34s' "$1"; shift; printf ' %12s' "$@"; printf '\n'; }

echo
echo "Switchyard benchmark — $(nproc) CPUs, $(uname -m), wrk $(wrk -v 2>&1 | head -n1 | awk '{print $2}'), ${DURATION}s per run"
echo "upstream: tests/mock-upstream, a fresh pair per target (non-stream: 5-chunk answer; stream: --chunks 100)"
echo
row "metric" "${TARGETS[@]}"
row "----------------------------------" $(for t in "${TARGETS[@]}"; do printf -- '------------ '; done)
for spec in "c1.p50:c=1 p50 latency (ms)" "c1.p99:c=1 p99 latency (ms)" "c1.rps:c=1 requests/s" \
            "c32.p50:c=32 p50 latency (ms)" "c32.p99:c=32 p99 latency (ms)" "c32.rps:c=32 requests/s" \
            "s8.p50:stream 100 chunks c=8 p50 (ms)" "s8.rps:stream 100 chunks c=8 req/s" ; do
  key=${spec%%:*}; label=${spec#*:}
  row "$label" $(for t in "${TARGETS[@]}"; do printf '%s ' "${R[$t.$key]}"; done)
done
row "errors (c1/c32/stream)" $(for t in "${TARGETS[@]}"; do printf '%s ' "${R[$t.c1.err]}/${R[$t.c32.err]}/${R[$t.s8.err]}"; done)
row "sockets left open at its mocks" $(for t in "${TARGETS[@]}"; do printf '%s ' "${SOCKETS[$t]}"; done)
echo

NGINX_ADDED=$(added "${R[nginx.c1.p50]}" "${R[direct.c1.p50]}")
SY_ADDED=$(added "${R[switchyard.c1.p50]}" "${R[direct.c1.p50]}")
LAT_RATIO=$(ratio "$SY_ADDED" "$NGINX_ADDED")
RPS_RATIO=$(ratio "${R[switchyard.c32.rps]}" "${R[nginx.c32.rps]}")
STREAM_RATIO=$(ratio "${R[switchyard.s8.rps]}" "${R[nginx.s8.rps]}")

printf '%-52s %10s %10s %6s\n' "derived" "value" "target" ""
printf '%-52s %10s %10s %6s\n' "----------------------------------------------------" "----------" "----------" "------"
printf '%-52s %10s %10s %6s\n' "added p50 at c=1, nginx (ms)" "$NGINX_ADDED" "" ""
printf '%-52s %10s %10s %6s\n' "added p50 at c=1, switchyard (ms)" "$SY_ADDED" "" ""
printf '%-52s %10s %10s %6s\n' "added latency switchyard / nginx" "$LAT_RATIO" "<= 2" "$(verdict "$LAT_RATIO" '<=' 2)"
printf '%-52s %10s %10s %6s\n' "requests/s at c=32 switchyard / nginx" "$RPS_RATIO" ">= 0.5" "$(verdict "$RPS_RATIO" '>=' 0.5)"
printf '%-52s %10s %10s %6s\n' "stream req/s at c=8 switchyard / nginx (info)" "$STREAM_RATIO" "" ""
# Translation's own cost: the same router, the same upstream format, called in
# another format.
TR_ADDED=$(added "${R[translated.c1.p50]}" "${R[switchyard.c1.p50]}")
printf '%-52s %10s %10s %6s\n' "translated - passthrough p50 at c=1 (ms, info)" "$TR_ADDED" "" ""
printf '%-52s %10s %10s %6s\n' "requests/s at c=32 translated / passthrough (info)" \
       "$(ratio "${R[translated.c32.rps]}" "${R[switchyard.c32.rps]}")" "" ""
printf '%-52s %10s %10s %6s\n' "stream req/s at c=8 translated / passthrough (info)" \
       "$(ratio "${R[translated.s8.rps]}" "${R[switchyard.s8.rps]}")" "" ""
if [ -n "$BASELINE" ]; then
  printf '%-52s %10s %10s %6s\n' "passthrough p50 at c=1 switchyard - baseline (ms)" \
         "$(added "${R[switchyard.c1.p50]}" "${R[baseline.c1.p50]}")" "" ""
  printf '%-52s %10s %10s %6s\n' "passthrough req/s at c=32 switchyard / baseline" \
         "$(ratio "${R[switchyard.c32.rps]}" "${R[baseline.c32.rps]}")" "" ""
  printf '%-52s %10s %10s %6s\n' "passthrough streams/s at c=8 switchyard / baseline" \
         "$(ratio "${R[switchyard.s8.rps]}" "${R[baseline.s8.rps]}")" "" ""
fi
printf '%-52s %10s %10s %6s\n' "switchyard RSS idle (MB)" "$(mb "$SY_RSS_IDLE")" "< 20" "$(verdict "$(mb "$SY_RSS_IDLE")" '<' 20)"
printf '%-52s %10s %10s %6s\n' "switchyard RSS after $SENT requests (MB)" "$(mb "$SY_RSS_LOADED")" "< 40" \
       "$(if [ "$SENT" -ge "$RSS_REQUESTS" ]; then verdict "$(mb "$SY_RSS_LOADED")" '<' 40; else echo MISS; fi)"
printf '%-52s %10s %10s %6s\n' "switchyard peak RSS, VmHWM (MB, info)" "$(mb "$SY_HWM")" "" ""
printf '%-52s %10s %10s %6s\n' "history rows: live / after SIGTERM (sent $SENT)" "$SY_ROWS_LIVE/$SY_ROWS" "" \
       "$( [ "$SY_ROWS" != "?" ] && [ "$SY_ROWS" -ge "$SENT" ] && echo PASS || echo MISS)"
[ "$SY_EXIT" = 0 ] || echo "note: switchyard serve exited with status $SY_EXIT on SIGTERM"

# --- planning ------------------------------------------------------------
# 200 candidates, statistics and spend seeded from a history of 1,000,000
# requests (generated once per build tree, then reused).
if [ -x "$BUILD_DIR/tests/bench-plan" ]; then
  log "Planning: 200 candidates over a 1,000,000-row history …"
  "$BUILD_DIR/tests/bench-plan" "$BUILD_DIR/bench-history-1m.db" >"$TMP/plan.out"
  PLAN_P50=$(awk '/^plan_p50_us/ { print $2 }' "$TMP/plan.out")
  printf '%-52s %10s %10s %6s\n' "plan a request, 200 candidates, 1 M rows: p50 (µs)" "$PLAN_P50" "< 50" \
         "$(verdict "$PLAN_P50" '<' 50)"
  printf '%-52s %10s %10s %6s\n' "  p90 (µs, info)" "$(awk '/^plan_p90_us/ { print $2 }' "$TMP/plan.out")" "" ""
  printf '%-52s %10s %10s %6s\n' "  statistics seeded from history (ms, info)" \
         "$(awk '/^stats_seed_ms/ { print $2 }' "$TMP/plan.out")" "" ""
  printf '%-52s %10s %10s %6s\n' "  spend seeded from history (ms, info)" \
         "$(awk '/^budget_seed_ms/ { print $2 }' "$TMP/plan.out")" "" ""
fi

# --- the Dashboard ---------------------------------------------------------
# Every aggregate the Dashboard draws for 30 days, over a year of 1,000,000
# requests without bodies (generated once per build tree, then reused).
if [ -x "$BUILD_DIR/tests/bench-insights" ]; then
  log "Dashboard: 30 days of aggregates over a 1,000,000-row history …"
  "$BUILD_DIR/tests/bench-insights" "$BUILD_DIR/bench-insights-1m.db" >"$TMP/insights.out"
  ins () { awk -v k="$1" '$1 == k { print $2 }' "$TMP/insights.out"; }
  INS_MS=$(ins dashboard_30d_ms)
  INS_BYTES=$(ins db_bytes_per_request)
  printf '%-52s %10s %10s %6s\n' "Dashboard, all aggregates for 30 days, 1 M rows (ms)" "$INS_MS" "< 150" \
         "$(verdict "$INS_MS" '<' 150)"
  for part in spend totals latency errors hours; do
    printf '%-52s %10s %10s %6s\n' "  $part (ms, info)" "$(ins "${part}_30d_ms")" "" ""
  done
  printf '%-52s %10s %10s %6s\n' "  first run in the process (ms, info)" "$(ins dashboard_30d_first_ms)" "" ""
  printf '%-52s %10s %10s %6s\n' "  spend by client, 30 days (ms, info)" "$(ins spend_by_client_30d_ms)" "" ""
  printf '%-52s %10s %10s %6s\n' "  all aggregates for the whole year (ms, info)" "$(ins dashboard_all_ms)" "" ""
  printf '%-52s %10s %10s %6s\n' "  CSV export of 30 days, $(ins export_csv_30d_rows) rows (ms, info)" \
         "$(ins export_csv_30d_ms)" "" ""
  printf '%-52s %10s %10s %6s\n' "history on disk per request, no bodies (bytes)" "$INS_BYTES" "< 1024" \
         "$(verdict "$INS_BYTES" '<' 1024)"
  # The Dashboard's What If over the same 30 days (tests/bench-what-if).
  if [ -x "$BUILD_DIR/tests/bench-what-if" ]; then
    "$BUILD_DIR/tests/bench-what-if" "$BUILD_DIR/bench-insights-1m.db" >"$TMP/what-if.out" ||
      log "run.sh: bench-what-if failed (exit status $?)"
    wif () { awk -v k="$1" '$1 == k { print $2 }' "$TMP/what-if.out"; }
    for kind in today table fallback cheapest cheapest-all crossing; do
      printf '%-52s %10s %10s %6s\n' "  what-if, $kind, 30 days (ms, info)" "$(wif "what_if_${kind}_30d_ms")" "" ""
    done
    printf '%-52s %10s %10s %6s\n' "  what-if, today's prices, whole year (ms, info)" "$(wif what_if_today_all_ms)" "" ""
  fi
fi

# --- History search --------------------------------------------------------
# Search over prompt text (FTS5) as the History page runs it
# (sy_history_query_ids: its own connection, every matching id, newest first),
# over a year of 1,000,000 requests, each with a 20 to 60-word prompt in the
# index (generated once per build tree, then reused): median of 7 warm runs.
# The filtered searches add provider = google and the last 30 days. With
# BASELINE_BUILD_DIR, the baseline's bench-history runs on the same database.
if [ -x "$BUILD_DIR/tests/bench-history" ]; then
  log "History: search over 1,000,000 prompts …"
  HIST_DB="$BUILD_DIR/bench-history-fts-1m.db"
  "$BUILD_DIR/tests/bench-history" --search "$HIST_DB" >"$TMP/history.out" ||
    log "run.sh: bench-history --search failed (exit status $?); its results are incomplete"
  HIST_BASE=""
  if [ -n "${BASELINE_BUILD_DIR:-}" ] && [ -x "$BASELINE_BUILD_DIR/tests/bench-history" ]; then
    "$BASELINE_BUILD_DIR/tests/bench-history" --search "$HIST_DB" >"$TMP/history-base.out" 2>&1 || true
    HIST_BASE="$TMP/history-base.out"
  fi
  hist () { awk -v k="$1" '$1 == k { print $2 }' "${2:-$TMP/history.out}"; }
  hrow () { # KEY TARGET_OP TARGET NOTE: one line, the key as its label
    local v note=$4
    v=$(hist "$1")
    [ -z "$HIST_BASE" ] || note="$note (baseline $(hist "$1" "$HIST_BASE"))"
    printf '%-52s %10s %10s %6s  %s\n' "$1" "$v" "${2:+$2 $3}" \
           "$( [ -z "$2" ] || verdict "${v:-?}" "$2" "$3")" "$note"
  }
  echo "History search over $(hist history_rows) requests (ms):"
  echo "  typing a search (the other filters' ids known, as the page keeps them):"
  for q in rare medium common two_words prefix one_letter; do
    hrow "history_fts_typed_ms_$q" '<' 50 \
         "\"$(hist "history_fts_query_$q" | tr + ' ')\": $(hist "history_fts_typed_matches_$q") hits"
  done
  for q in rare medium common two_words prefix one_letter; do
    hrow "history_fts_typed_filtered_ms_$q" '<' 50 \
         "google, 30 days: $(hist "history_fts_typed_filtered_matches_$q") hits"
  done
  echo "  a search and new filters at once (one query from scratch):"
  for q in rare medium common two_words prefix one_letter; do
    hrow "history_fts_ms_$q" "" "" \
         "info: \"$(hist "history_fts_query_$q" | tr + ' ')\": $(hist "history_fts_matches_$q") hits"
  done
  for q in rare medium common two_words prefix one_letter; do
    hrow "history_fts_filtered_ms_$q" "" "" "info: google, 30 days: $(hist "history_fts_filtered_matches_$q") hits"
  done
  for q in rare medium common two_words prefix one_letter; do
    hrow "history_fts_match_only_ms_$q" "" "" "info: the FTS5 MATCH alone, count(*)"
  done
  hrow history_ids_ms_all "" "" "info: no search, all $(hist history_ids_matches_all) ids (opening the page)"
  hrow history_ids_ms_filtered "" "" "info: no search, google, 30 days"
  hrow history_read_page_ms "" "" "info: 100 requests read by id (a page of the list)"
  hrow fts_index_bytes_per_request "" "" \
       "info: index $(awk -v b="$(hist fts_index_bytes)" 'BEGIN { printf "%.0f", b / 1048576 }') MB, text kept $(awk -v b="$(hist fts_text_bytes)" 'BEGIN { printf "%.0f", b / 1048576 }') MB"
  hrow gen_prompts_s "" "" "info: generated once: 1 M prompts indexed (requests: $(hist gen_requests_s) s)"
fi

# --- the window ------------------------------------------------------------
# Time to appear, memory at idle, Activity's frames at 100 requests/s.
bash "$HERE/window.sh" "$BUILD_DIR" || echo "window benchmark failed (see above)"
