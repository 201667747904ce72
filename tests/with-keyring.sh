#!/bin/sh
# with-keyring.sh — runs a test on its own session bus with a fresh, unlocked gnome-keyring.
# SPDX-License-Identifier: GPL-3.0-or-later
set -eu
home=$(mktemp -d "${TMPDIR:-/tmp}/sy-keyring.XXXXXX")
# No exec below: the shell must stay to run this trap and remove the keyring's home.
trap 'rm -rf "$home"' EXIT
export HOME="$home" XDG_DATA_HOME="$home/.local/share" XDG_CONFIG_HOME="$home/.config" \
       XDG_RUNTIME_DIR="$home/run"
mkdir -p "$XDG_RUNTIME_DIR" && chmod 700 "$XDG_RUNTIME_DIR"
# --unlock reads the login password on stdin and creates the "login" collection, which
# becomes the default one: no prompt is needed to store. The daemon ends with the bus.
status=0
dbus-run-session -- sh -c '
  eval "$(printf x | gnome-keyring-daemon --unlock --components=secrets)" >/dev/null
  export GNOME_KEYRING_CONTROL
  exec "$@"' sh "$@" || status=$?
exit "$status"
