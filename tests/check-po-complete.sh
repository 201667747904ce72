#!/bin/sh
# check-po-complete.sh — a translation has no untranslated or fuzzy messages.
# SPDX-License-Identifier: GPL-3.0-or-later
set -u
po=$1
name=$(basename "$po")
echo "1..1"
# msgfmt translates its own statistics line: ask for it in English.
if ! stats=$(LC_ALL=C LANGUAGE= msgfmt --statistics -o /dev/null "$po" 2>&1); then
  echo "not ok 1 $name compiles"
  printf '%s\n' "$stats" | sed 's/^/# /'
  exit 1
fi
case "$stats" in
  *fuzzy*|*untranslated*)
    echo "not ok 1 $name is complete"
    printf '%s\n' "$stats" | sed 's/^/# /'
    echo "# list them: msgattrib --untranslated $po; msgattrib --only-fuzzy $po"
    exit 1 ;;
esac
echo "ok 1 $name is complete: $stats"
