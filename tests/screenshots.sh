#!/usr/bin/env bash
# tests/screenshots.sh BUILD_DIR OUT_DIR — screenshots of every page, light and dark.
# SPDX-License-Identifier: GPL-3.0-or-later
#
# Runs the real app on its own X server with a fresh home: three providers
# pointed at the mock upstream (OpenAI and Gemini with keys from the environment,
# Anthropic with its key in a real keyring), two profiles, and a few requests
# (one of them failing) sent through the endpoint so that Activity has rows.
# The Dashboard and History are shown over a generated year of a developer's history instead
# (tests/gen-history: 1,000,000 requests ending now, a monthly budget in the
# config), put in place of the live history for its runs only; SHOTS_ROWS
# changes the number of requests. SHOTS_PAGES="dashboard …" takes only those
# pages (and not Compare's).
# Writes OUT_DIR/<page>-<light|dark>.png at 1100×760, and the Compare page mid-run
# and finished (tests/bench-compare --screenshots). Not part of `make check`.

set -euo pipefail

if [ "${1:-}" = "--inner" ]; then
  BUILD_DIR=$2 OUT=$3 WORK=$4
  SWITCHYARD="$BUILD_DIR/src/switchyard"
  mkdir -p "$WORK/home/.local/share"
  # The keyring keeps its files in this fresh home, not the user's.
  eval "$(printf x | HOME="$WORK/home" XDG_DATA_HOME="$WORK/home/.local/share" \
               gnome-keyring-daemon --unlock --components=secrets)" >/dev/null
  export GNOME_KEYRING_CONTROL HOME="$WORK/home" XDG_CONFIG_HOME="$WORK/home/.config" \
         XDG_DATA_HOME="$WORK/home/.local/share" GSETTINGS_BACKEND=keyfile \
         GSETTINGS_SCHEMA_DIR="$BUILD_DIR/data" OPENAI_API_KEY=sk-screenshot-openai-0000 \
         GEMINI_API_KEY=screenshot-gemini-0000 GSK_RENDERER=cairo
  mkdir -p "$XDG_CONFIG_HOME/glib-2.0/settings" "$XDG_CONFIG_HOME/switchyard" \
           "$XDG_DATA_HOME/switchyard" "$WORK/year" "$WORK/live"
  # A year of history for the Dashboard, ending now (in the local time zone).
  "$BUILD_DIR/tests/gen-history" "$WORK/year/history.db" --rows "${SHOTS_ROWS:-1000000}" >/dev/null
  "$BUILD_DIR/tests/mock-upstream" --port 0 >"$WORK/mock.out" 2>/dev/null &
  for _ in $(seq 500); do grep -q listening "$WORK/mock.out" && break; sleep 0.01; done
  mock=$(sed -n 's|.*127.0.0.1:\([0-9]*\).*|\1|p' "$WORK/mock.out" | head -n1)
  port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
  token=sy-5ac0d1e2f3a4b5c6d7e8f9a0b1c2d3e4f5a6b7c8d9e0f1a2
  cat >"$XDG_CONFIG_HOME/switchyard/config.json" <<JSON
{"server": {"port": $port, "token": "$token"},
 "providers": [{"id": "openai", "base_url": "http://127.0.0.1:$mock/v1"},
               {"id": "anthropic", "base_url": "http://127.0.0.1:$mock/v1"},
               {"id": "google", "base_url": "http://127.0.0.1:$mock/v1beta"}],
 "profiles": [{"name": "auto", "strategy": "fallback",
               "models": ["openai/gpt-4.1-mini", "anthropic/claude-haiku-4-5", "google/gemini-2.5-flash"]},
              {"name": "cheap", "strategy": "cheapest",
               "models": ["openai/gpt-4.1-nano", "google/gemini-2.5-flash-lite", "openai/gpt-4.1-mini"]}],
 "default_profile": "auto",
 "budget": {"monthly": 250, "notify_at": 0.8}}
JSON
  printf 'sk-ant-screenshot-0000' | secret-tool store --label="Switchyard: anthropic" \
    xdg:schema io.github.switchyard.Switchyard.Key provider anthropic 2>/dev/null || true

  # swap_history FROM TO: moves the history (with its WAL files) from the data
  # directory to TO, and FROM's into it.
  swap_history () {
    mv "$XDG_DATA_HOME/switchyard"/history.db* "$2/" 2>/dev/null || true
    mv "$1"/history.db* "$XDG_DATA_HOME/switchyard/" 2>/dev/null || true
  }
  send () {
    curl -s -o /dev/null -H "Authorization: Bearer $token" -H 'Content-Type: application/json' \
      -d "$1" "http://127.0.0.1:$port/v1/chat/completions" || true
  }
  for style in light dark; do
    for page in ${SHOTS_PAGES:-providers activity history dashboard profiles endpoint}; do
      printf "[io/github/switchyard/Switchyard]\nlast-page='%s'\nstyle-variant='%s'\nwindow-width=1100\nwindow-height=760\n" \
        "$page" "$style" >"$XDG_CONFIG_HOME/glib-2.0/settings/keyfile"
      case $page in dashboard|history) swap_history "$WORK/year" "$WORK/live" ;; esac
      "$SWITCHYARD" >"$WORK/app.log" 2>&1 &
      pid=$!
      for _ in $(seq 1000); do curl -s -o /dev/null "http://127.0.0.1:$port/health" && break; sleep 0.01; done
      if [ "$page" = activity ]; then
        send '{"model":"auto","messages":[{"role":"user","content":"Summarise the release notes"}]}'
        send '{"model":"cheap","stream":true,"messages":[{"role":"user","content":"Name three prime numbers"}]}'
        send '{"model":"anthropic/claude-haiku-4-5","messages":[{"role":"user","content":"Hello Claude"}]}'
        send '{"model":"google/gemini-2.5-flash","stream":true,"messages":[{"role":"user","content":"Hello Gemini"}]}'
        # The upstream refuses the next request: a failure in the list.
        curl -s -o /dev/null -H 'Content-Type: application/json' \
          -d '[{"kind":"status","status":400}]' "http://127.0.0.1:$mock/_mock/faults"
        send '{"model":"openai/gpt-4.1-mini","messages":[{"role":"user","content":"Fails upstream"}]}'
        send '{"model":"auto","stream":true,"messages":[{"role":"user","content":"Write a haiku about routers"}]}'
        send '{"model":"openai/gpt-4.1","messages":[{"role":"user","content":"Review this diff"}]}'
      fi
      sleep 2
      # The year's aggregates are read on a worker thread: let them land.
      case $page in dashboard|history) sleep 2 ;; esac
      win=$(xdotool search --onlyvisible --name '^Switchyard$' | head -n1)
      if [ "$page" = activity ]; then
        # Select the second row (the streamed request) to show its detail.
        eval "$(xdotool getwindowgeometry --shell "$win")"
        xdotool mousemove $((X + 300)) $((Y + 135)) click 1
        sleep 1
      elif [ "$page" = history ]; then
        # The second row of the year: its route and attempts below.
        eval "$(xdotool getwindowgeometry --shell "$win")"
        xdotool mousemove $((X + 300)) $((Y + 200)) click 1
        sleep 1
      fi
      import -window "$win" "$OUT/$page-$style.png"
      kill -TERM "$pid"; wait "$pid" 2>/dev/null || true
      case $page in dashboard|history) swap_history "$WORK/live" "$WORK/year" ;; esac
    done
  done
  exit 0
fi

BUILD_DIR=$(cd "$1" && pwd)
mkdir -p "$2"
OUT=$(cd "$2" && pwd)
for tool in xvfb-run xdotool import secret-tool gnome-keyring-daemon curl python3; do
  command -v "$tool" >/dev/null 2>&1 || { echo "screenshots.sh: $tool is missing" >&2; exit 2; }
done
[ -x "$BUILD_DIR/tests/gen-history" ] || { echo "screenshots.sh: build $BUILD_DIR first" >&2; exit 2; }
WORK=$(mktemp -d "${TMPDIR:-/tmp}/switchyard-shots.XXXXXX")
trap 'pkill -f "$WORK" 2>/dev/null || true; rm -rf "$WORK"' EXIT
xvfb-run -a -s "-screen 0 1400x900x24 -noreset" dbus-run-session -- bash "$0" --inner "$BUILD_DIR" "$OUT" "$WORK"
[ -n "${SHOTS_PAGES:-}" ] || GSK_RENDERER=cairo MOCK_UPSTREAM_BIN="$BUILD_DIR/tests/mock-upstream" \
  xvfb-run -a -s "-screen 0 1400x900x24 -noreset" "$BUILD_DIR/tests/bench-compare" --screenshots "$OUT"
ls "$OUT"
