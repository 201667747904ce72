#!/bin/sh
# check-potfiles.sh — every source file that marks strings for translation is in POTFILES.in.
# SPDX-License-Identifier: GPL-3.0-or-later
set -eu
top=$1
cd "$top"
listed=$(grep -v '^#' po/POTFILES.in | sed '/^$/d' | sort)
marked=$(grep -rlE '(^|[^A-Za-z0-9_])(N_|_) ?\(' src --include='*.c' | sort)
echo "1..2"
missing=$(printf '%s\n' "$marked" | grep -vxF "$listed" || true)
if [ -z "$missing" ]; then echo "ok 1 every file with _() is listed"; else
  echo "not ok 1 missing from po/POTFILES.in:"; printf '#   %s\n' $missing; fi
stale=$(for f in $listed; do [ -f "$f" ] || echo "$f"; done)
if [ -z "$stale" ]; then echo "ok 2 every listed file exists"; else
  echo "not ok 2 listed but absent:"; printf '#   %s\n' $stale; fi
[ -z "$missing" ] && [ -z "$stale" ]
