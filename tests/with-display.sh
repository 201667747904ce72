#!/bin/sh
# with-display.sh — runs a GUI test on its own X server (Xvfb), session bus and keyring.
# SPDX-License-Identifier: GPL-3.0-or-later
set -eu
here=$(dirname "$0")
# The cairo renderer: no GL under Xvfb, and the same pixels on every machine.
# No accessibility bus: its registry daemon would write to the TAP stream.
export GSK_RENDERER=cairo GDK_BACKEND=x11 GTK_A11Y=none
exec xvfb-run -a -s "-screen 0 1280x800x24 -nolisten tcp -noreset" sh "$here/with-keyring.sh" "$@"
