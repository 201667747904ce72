#!/bin/sh
# check-potfiles.sh — every file with strings for translation is in po/POTFILES.in.
# SPDX-License-Identifier: GPL-3.0-or-later
set -eu
top=$1
cd "$top"
listed=$(grep -v '^#' po/POTFILES.in | sed '/^$/d' | sort)

# Sources that mark strings: _(), N_(), C_(), NC_(), Q_(), ngettext () and friends.
marked_c=$(grep -rlE '(^|[^A-Za-z0-9_])(N_|_|C_|NC_|Q_|ngettext|g_dngettext|g_dpgettext2?) ?\(' src \
             --include='*.c' --include='*.h' | sort)
# GtkBuilder files with translatable properties.
marked_ui=$(grep -rlE 'translatable="(yes|true)"' src data --include='*.ui' 2>/dev/null | sort || true)
# Desktop entries, AppStream metainfo and GSettings schemas always hold
# translatable text (Name, summary, description), whatever their .in suffixes.
marked_data=$(find data -type f \( -name '*.desktop.in*' -o -name '*.metainfo.xml.in*' \
                -o -name '*.appdata.xml.in*' -o -name '*.gschema.xml*' \) | sort)

n=0
failed=0
check_listed () {
  n=$((n + 1))
  missing=$(printf '%s\n' "$2" | sed '/^$/d' | grep -vxF "$listed" || true)
  if [ -z "$missing" ]; then
    echo "ok $n $1"
  else
    echo "not ok $n $1; missing from po/POTFILES.in:"
    printf '#   %s\n' $missing
    failed=1
  fi
}

echo "1..4"
check_listed "every source file with _() is listed" "$marked_c"
check_listed "every .ui file with translatable=\"yes\" is listed" "$marked_ui"
check_listed "every desktop, metainfo and schema file is listed" "$marked_data"
n=$((n + 1))
stale=$(for f in $listed; do [ -f "$f" ] || echo "$f"; done)
if [ -z "$stale" ]; then echo "ok $n every listed file exists"; else
  echo "not ok $n listed but absent:"; printf '#   %s\n' $stale; failed=1; fi
[ "$failed" = 0 ]
