#!/usr/bin/env python3
# summary.py — reads meson's testlog.json and ends `make check` with `N passed, N failed`.
# SPDX-License-Identifier: GPL-3.0-or-later
"""Usage: summary.py TESTLOG.json [--failed-step NAME]...

Counts one result per meson test (a TAP program is one test; its cases are
reported on an informational line). Problems are printed first so that the
last line is always exactly `N passed, N failed`. Exits 1 when anything
failed or nothing passed.
"""

import argparse
import json
import re
import sys

PASSED = {"OK", "EXPECTEDFAIL"}
# SKIP counts as a failure on purpose: a check that skipped itself (missing
# tool, no keyring, no display) did not check anything, and CI must not go
# green on it. Any result meson adds later is also treated as a failure.
FAILED = {"FAIL", "TIMEOUT", "ERROR", "UNEXPECTEDPASS", "INTERRUPT", "SKIP"}

# Top-level TAP lines only: node's reporter indents nested subtests.
TAP_LINE = re.compile(r"^(not ok|ok)\b(.*)$")
TAP_DIRECTIVE = re.compile(r"#\s*(SKIP|TODO)\b", re.IGNORECASE)

MAX_NOT_OK_SHOWN = 20


def read_log(path):
    """Returns (results, problems); results are the testlog.json objects."""
    results, problems = [], []
    try:
        with open(path, encoding="utf-8", errors="replace") as f:
            text = f.read()
    except OSError as e:
        return None, [f"no test log at {path} ({e.strerror}): the tests did not run"]
    # meson writes JSON Lines; accept a single JSON array as well.
    stripped = text.lstrip()
    if stripped.startswith("["):
        try:
            return [r for r in json.loads(stripped) if isinstance(r, dict)], []
        except json.JSONDecodeError as e:
            return [], [f"{path} is not valid JSON: {e}"]
    for n, line in enumerate(text.splitlines(), 1):
        if not line.strip():
            continue
        try:
            obj = json.loads(line)
        except json.JSONDecodeError as e:
            problems.append(f"{path}:{n}: unreadable entry ({e})")
            continue
        if isinstance(obj, dict):
            results.append(obj)
    return results, problems


def tap_cases(stdout):
    """Returns (ok, not_ok, skip_lines, not_ok_lines) for the top level of a TAP stream."""
    ok = not_ok = 0
    skip_lines, not_ok_lines = [], []
    for line in (stdout or "").splitlines():
        m = TAP_LINE.match(line)
        if not m:
            continue
        d = TAP_DIRECTIVE.search(m.group(2))
        if d and d.group(1).upper() == "SKIP":
            skip_lines.append(line.strip())
        elif m.group(1) == "ok" or (d and d.group(1).upper() == "TODO"):
            ok += 1
        else:
            not_ok += 1
            not_ok_lines.append(line.strip())
    return ok, not_ok, skip_lines, not_ok_lines


def main(argv):
    ap = argparse.ArgumentParser(description="Summarise meson's testlog.json.")
    ap.add_argument("testlog")
    ap.add_argument("--failed-step", action="append", default=[], metavar="NAME",
                    help="a step of `make check` that failed; counts as one failure")
    args = ap.parse_args(argv)

    results, problems = read_log(args.testlog)
    log_missing = results is None
    results = results or []
    passed = failed = 0
    cases_ok = cases_not_ok = cases_skipped = 0
    lines = []
    notes = []

    for step in args.failed_step:
        failed += 1
        lines.append(f"FAILED STEP     {step}")

    for r in results:
        name = r.get("name", "?")
        res = str(r.get("result", "?")).upper()
        ok, not_ok, skip_lines, not_ok_lines = tap_cases(r.get("stdout"))
        cases_ok += ok
        cases_not_ok += not_ok
        cases_skipped += len(skip_lines)
        # Counted per meson test as asked, but a skipped case inside a passing
        # program is still shown, since it hides a check.
        notes.extend(f"{name}: {l}" for l in skip_lines[:MAX_NOT_OK_SHOWN])
        if res in PASSED:
            passed += 1
            continue
        failed += 1
        detail = f"exit {r.get('returncode')}"
        if isinstance(r.get("duration"), (int, float)):
            detail += f", {r['duration']:.1f} s"
        if res == "SKIP":
            detail += "; a skipped check counts as failed"
        lines.append(f"{res:<15} {name} ({detail})")
        for l in not_ok_lines[:MAX_NOT_OK_SHOWN]:
            lines.append(f"                  {l}")
        if len(not_ok_lines) > MAX_NOT_OK_SHOWN:
            lines.append(f"                  … {len(not_ok_lines) - MAX_NOT_OK_SHOWN} more")

    # An unreadable entry is a test whose result is unknown, and a missing log
    # means nothing ran: failures, never an empty success. A missing log after
    # a failed step (say, the build) is that step's consequence: not counted twice.
    if problems:
        if not (log_missing and args.failed_step):
            failed += len(problems)
        lines.extend(f"ERROR           {p}" for p in problems)
    if passed == 0 and failed == 0:
        lines.append("ERROR           no tests ran")

    out = sys.stdout
    if notes:
        out.write("\nSkipped test cases:\n")
        for l in notes:
            out.write(f"  {l}\n")
    if lines:
        out.write("\nProblems:\n")
        for l in lines:
            out.write(l + "\n")
    out.write(f"\ntest cases (TAP): {cases_ok} ok, {cases_not_ok} not ok, "
              f"{cases_skipped} skipped\n")
    out.write(f"{passed} passed, {failed} failed\n")
    out.flush()
    return 1 if failed > 0 or passed == 0 else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
