#!/usr/bin/env bash
# tests/bench/window.sh BUILD_DIR — the window: time to appear, memory at idle,
# Activity's frames while 100 requests a second arrive, and Compare's with four
# columns streaming.
# SPDX-License-Identifier: GPL-3.0-or-later
#
# Runs the real app on its own X server (Xvfb), session bus and unlocked
# keyring, with a fresh home. Measured:
#   - launch → window mapped (xdotool), 10 launches, median;
#   - resident memory 3 s after the window appeared, idle, endpoint on;
#   - with the Activity page shown and tests/bench/load.py sending 100 requests/s
#     through the endpoint to the mock upstream for BENCH_LOAD_SECONDS (default 10):
#     the frame clock probe (SWITCHYARD_FRAME_PROBE), every frame's work time and
#     how late a 10 ms main-loop timer ran;
#   - the Compare page with four columns streaming about 200 tokens/s each
#     (tests/bench/bench-compare): the same probe's frame times.
# Under Xvfb GTK renders with Mesa's software GL (llvmpipe): memory is reported
# for that and for the cairo renderer.

set -euo pipefail

if [ "${1:-}" = "--inner" ]; then
  shift
  BUILD_DIR=$1 OUT=$2
  SWITCHYARD="$BUILD_DIR/src/switchyard"
  MOCK="$BUILD_DIR/tests/mock-upstream"
  HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
  LOAD_SECONDS=${BENCH_LOAD_SECONDS:-10}
  # The keyring keeps its files in the bench's own home, not the user's.
  mkdir -p "$OUT/keyring-home"
  eval "$(printf x | HOME="$OUT/keyring-home" XDG_DATA_HOME="$OUT/keyring-home" \
               gnome-keyring-daemon --unlock --components=secrets)" >/dev/null
  export GNOME_KEYRING_CONTROL

  now_ms () { echo $(( $(date +%s%N) / 1000000 )); }
  wait_window () {
    local i
    for i in $(seq 3000); do
      xdotool search --onlyvisible --name '^Switchyard$' >/dev/null 2>&1 && return 0
      sleep 0.005
    done
    return 1
  }
  rss_kb () { awk '/^VmRSS:/ { print $2 }' "/proc/$1/status"; }
  fresh_home () {
    rm -rf "$OUT/home" && mkdir -p "$OUT/home/.config/glib-2.0/settings"
    export HOME="$OUT/home" XDG_CONFIG_HOME="$OUT/home/.config" XDG_DATA_HOME="$OUT/home/.local/share"
    export GSETTINGS_BACKEND=keyfile GSETTINGS_SCHEMA_DIR="$BUILD_DIR/data"
    printf '[io/github/switchyard/Switchyard]\nlast-page=%s\n' "'$1'" \
      >"$XDG_CONFIG_HOME/glib-2.0/settings/keyfile"
  }
  # SIGTERM quits like Ctrl+Q (the window is destroyed, the probe written).
  quit_app () {
    kill -TERM "$1" 2>/dev/null || true
    wait "$1" 2>/dev/null || true
  }

  # Launches: a fresh config each time (the first one writes its token), the
  # caches of fonts and icons warm after the first, as on a desktop.
  : >"$OUT/launch_ms"
  for i in $(seq 10); do
    fresh_home providers
    t0=$(now_ms)
    "$SWITCHYARD" >"$OUT/app.log" 2>&1 &
    pid=$!
    wait_window || { echo "window did not appear" >&2; kill "$pid"; exit 1; }
    echo $(( $(now_ms) - t0 )) >>"$OUT/launch_ms"
    if [ "$i" = 10 ]; then
      sleep 3
      echo "$(rss_kb "$pid")" >"$OUT/rss_gl_kb"
    fi
    quit_app "$pid"
  done
  fresh_home providers
  GSK_RENDERER=cairo "$SWITCHYARD" >"$OUT/app.log" 2>&1 &
  pid=$!
  wait_window && sleep 3 && echo "$(rss_kb "$pid")" >"$OUT/rss_cairo_kb"
  quit_app "$pid"

  # Activity under load.
  "$MOCK" --port 0 >"$OUT/mock.out" 2>"$OUT/mock.log" &
  mock=$!
  for _ in $(seq 500); do grep -q listening "$OUT/mock.out" && break; sleep 0.01; done
  mock_port=$(sed -n 's|.*127.0.0.1:\([0-9]*\).*|\1|p' "$OUT/mock.out" | head -n1)
  port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
  fresh_home activity
  mkdir -p "$XDG_CONFIG_HOME/switchyard"
  cat >"$XDG_CONFIG_HOME/switchyard/config.json" <<JSON
{"server": {"port": $port, "token": "sy-bench-window"},
 "providers": [{"id": "openai", "base_url": "http://127.0.0.1:$mock_port/v1", "key_env": "BENCH_KEY"}],
 "profiles": [{"name": "auto", "models": ["openai/gpt-4.1-mini"]}], "default_profile": "auto"}
JSON
  rm -f "$OUT/probe.json"
  BENCH_KEY=sk-bench SWITCHYARD_FRAME_PROBE="$OUT/probe.json" "$SWITCHYARD" >"$OUT/app.log" 2>&1 &
  pid=$!
  wait_window
  for _ in $(seq 500); do curl -s -o /dev/null "http://127.0.0.1:$port/health" && break; sleep 0.01; done
  python3 "$HERE/load.py" "$port" sy-bench-window 100 "$LOAD_SECONDS" >"$OUT/load.out"
  sleep 1
  echo "$(rss_kb "$pid")" >"$OUT/rss_loaded_kb"
  quit_app "$pid"
  kill "$mock" 2>/dev/null || true

  # Compare: four columns streaming at about 200 tokens/s each.
  if [ -x "$BUILD_DIR/tests/bench-compare" ]; then
    MOCK_UPSTREAM_BIN="$MOCK" "$BUILD_DIR/tests/bench-compare" >"$OUT/compare_gl.out" 2>"$OUT/compare_gl.log" || true
    GSK_RENDERER=cairo MOCK_UPSTREAM_BIN="$MOCK" "$BUILD_DIR/tests/bench-compare" \
      >"$OUT/compare_cairo.out" 2>"$OUT/compare_cairo.log" || true
  fi

  # History over 1,000,000 requests (tests/bench/bench-history): open, scroll,
  # drag the scrollbar. The database is the one run.sh's search part uses
  # (generated here when it is not there yet).
  if [ -x "$BUILD_DIR/tests/bench-history" ]; then
    GSK_RENDERER=cairo "$BUILD_DIR/tests/bench-history" --scroll "$BUILD_DIR/bench-history-fts-1m.db" \
      >"$OUT/history_cairo.out" 2>"$OUT/history_cairo.log" || true
    "$BUILD_DIR/tests/bench-history" --scroll "$BUILD_DIR/bench-history-fts-1m.db" \
      >"$OUT/history_gl.out" 2>"$OUT/history_gl.log" || true
  fi
  exit 0
fi

BUILD_DIR=$(cd "$1" && pwd)
for tool in xvfb-run xdotool dbus-run-session gnome-keyring-daemon python3 curl; do
  command -v "$tool" >/dev/null 2>&1 || { echo "window.sh: $tool is missing (make deps-bench)" >&2; exit 2; }
done
OUT=$(mktemp -d "${TMPDIR:-/tmp}/switchyard-bench-window.XXXXXX")
[ -n "${BENCH_KEEP:-}" ] || trap 'rm -rf "$OUT"' EXIT
xvfb-run -a -s "-screen 0 1400x900x24 -noreset" dbus-run-session -- bash "$0" --inner "$BUILD_DIR" "$OUT"

median=$(sort -n "$OUT/launch_ms" | awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }')
mb () { awk -v k="$1" 'BEGIN { printf "%.0f", k / 1024 }'; }
verdict () { awk -v a="$1" -v op="$2" -v b="$3" 'BEGIN { ok = (op == "<") ? a < b : a <= b; print ok ? "PASS" : "MISS" }'; }
probe () { python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))[sys.argv[2]])' "$OUT/probe.json" "$1"; }
line () { printf '%-52s %10s %10s %6s\n' "$@"; }

echo
echo "Window (Xvfb, $(nproc) CPUs): launches $(paste -sd' ' "$OUT/launch_ms") ms"
line "launch → window shown, median of 10 (ms)" "$median" "< 400" "$(verdict "$median" '<' 400)"
line "RSS idle, software GL renderer (MB)" "$(mb "$(cat "$OUT/rss_gl_kb")")" "< 150" "$(verdict "$(mb "$(cat "$OUT/rss_gl_kb")")" '<' 150)"
line "RSS idle, cairo renderer (MB)" "$(mb "$(cat "$OUT/rss_cairo_kb")")" "< 150" "$(verdict "$(mb "$(cat "$OUT/rss_cairo_kb")")" '<' 150)"
line "Activity at 100 req/s: $(cat "$OUT/load.out")" "" "" ""
line "  frames drawn" "$(probe frames)" "" ""
line "  frame work p50 / p99 (ms)" "$(probe frame_p50_ms) / $(probe frame_p99_ms)" "" ""
line "  longest frame (ms)" "$(probe frame_max_ms)" "<= 50" "$(verdict "$(probe frame_max_ms)" '<=' 50)"
line "  frames over 50 ms" "$(probe frames_over_50ms)" "0" "$(verdict "$(probe frames_over_50ms)" '<=' 0)"
line "  main loop late, max (ms)" "$(probe loop_late_max_ms)" "" ""
line "  RSS after the load (MB)" "$(mb "$(cat "$OUT/rss_loaded_kb")")" "" ""
for renderer in gl cairo; do
  out="$OUT/compare_$renderer.out"
  if grep -q '^probe ' "$out" 2>/dev/null; then
    cprobe () { sed -n 's/^probe //p' "$out" | python3 -c 'import json,sys; print(json.load(sys.stdin)[sys.argv[1]])' "$1"; }
    line "Compare, 4 columns streaming ($renderer): $(awk '/^column_/ { printf "%s ", $2 }' "$out")tok/s" "" "" ""
    line "  frame work median (ms)" "$(cprobe frame_p50_ms)" "< 16" "$(verdict "$(cprobe frame_p50_ms)" '<' 16)"
    line "  frame work p99 / longest (ms)" "$(cprobe frame_p99_ms) / $(cprobe frame_max_ms)" "" ""
    line "  frames drawn / over 16 ms" "$(cprobe frames) / $(cprobe frames_over_16ms)" "" ""
    line "  main loop late, median / longest (ms)" "$(cprobe loop_late_p50_ms) / $(cprobe loop_late_max_ms)" "" ""
  elif [ -x "$BUILD_DIR/tests/bench-compare" ]; then
    line "Compare ($renderer): no result, see below" "" "" ""
    tail -n 5 "$OUT/compare_$renderer.log"
  fi
done
for renderer in cairo gl; do
  out="$OUT/history_$renderer.out"
  if grep -q '^history_frames_over_16ms ' "$out" 2>/dev/null; then
    h () { awk -v k="$1" '$1 == k { print $2 }' "$out"; }
    three () { printf '%s / %s / %s' "$(h "${1}_p50_ms")" "$(h "${1}_p99_ms")" "$(h "${1}_max_ms")"; }
    parts () { printf '%s / %s / %s' "$(h "${1}_list_p50_ms")" "$(h "${1}_layout_p50_ms")" "$(h "${1}_paint_p50_ms")"; }
    over=$(h history_frames_over_16ms)
    line "History, $(h history_open_items) requests ($renderer): $(h history_rows_in_view) rows in view" "" "" ""
    line "  history_open_ms: shown → first rows painted" "$(h history_open_ms)" "" ""
    line "    the 1 M ids read (ms, info)" "$(h history_open_ids_ms)" "" ""
    line "  history_scroll_frame p50 / p99 / max (ms)" "$(three history_scroll_frame)" "< 16" \
         "$(verdict "$(h history_scroll_frame_max_ms)" '<' 16)"
    line "    $(h history_scroll_rows) rows in 4 s, 3 rows to a page a frame; over 16 ms" \
         "$(h history_scroll_frames_over_16ms)" "" ""
    line "    p50 parts: list moved / layout / paint (ms)" "$(parts history_scroll)" "" ""
    line "    cells bound a frame (info)" "$(h history_scroll_cells_bound_per_frame)" "" ""
    line "  history_jumps_frame p50 / p99 / max (ms)" "$(three history_jumps_frame)" "< 16" \
         "$(verdict "$(h history_jumps_frame_max_ms)" '<' 16)"
    line "    scrollbar dragged to 25/50/90/100 %; over 16 ms" "$(h history_jumps_frames_over_16ms)" "" ""
    line "    p50 parts: list moved / layout / paint (ms)" "$(parts history_jumps)" "" ""
    line "    cells bound a frame (info)" "$(h history_jumps_cells_bound_per_frame)" "" ""
    line "    rows filled after letting go, max (ms)" "$(for p in 25 50 90 100; do h "history_jump_fill_ms_$p"; done |
                                                     sort -n | tail -n1)" "" ""
    line "  history_frames_over_16ms (scroll + drags)" "$over" "0" "$(verdict "${over%%/*}" '<=' 0)"
    line "  history_rows_read, of $(h history_open_items) (info)" "$(h history_rows_read)" "" ""
    line "  RSS before / after History (MB)" "$(h history_rss_before_mb) / $(h history_rss_mb)" "" ""
    line "  app's frame probe, same run: p50 / max (ms, info)" \
         "$(sed -n 's/^probe //p' "$out" | python3 -c 'import json,sys; d=json.load(sys.stdin); print(d["frame_p50_ms"], "/", d["frame_max_ms"])')" "" ""
  elif [ -x "$BUILD_DIR/tests/bench-history" ]; then
    line "History ($renderer): no result, see below" "" "" ""
    tail -n 5 "$OUT/history_$renderer.log"
  fi
done
