# Makefile — one-command entry points for developers and CI (Debian 12).
# SPDX-License-Identifier: GPL-3.0-or-later
#
#   make run     install what is missing, build, start the app (or `serve` headless)
#   make check   sanitizer build + every test; the last line is `N passed, N failed`
#   make bench   release build + tests/bench/run.sh (BENCH_BASELINE=REF: and REF's, side by side)
#   make fuzz    clang + libFuzzer build; runs each tests/fuzz target for 60 s
#
# meson/ninja do the real work; this file only installs packages and picks build dirs.

SHELL := /bin/bash

BUILD_DIR := _build
CHECK_DIR := _build-check
BENCH_DIR := _build-bench
FUZZ_DIR := _build-fuzz

# ca-certificates: glib-networking verifies the providers' TLS certificates against
# the system store, which a minimal install does not have.
BUILD_DEPS := meson ninja-build pkg-config gcc libglib2.0-dev libglib2.0-bin \
              libsoup-3.0-dev libjson-glib-dev libsecret-1-dev libsqlite3-dev gettext \
              libgtk-4-dev libadwaita-1-dev libgtksourceview-5-dev libmd4c-dev \
              glib-networking ca-certificates desktop-file-utils appstream
# dbus-run-session is in dbus-daemon on bookworm; ca-certificates is only a
# Recommends of nodejs/npm but `npm ci` needs it to reach the registry.
# node and npm are checked by command, not package (see deps-check below).
TEST_DEPS := gnome-keyring dbus dbus-daemon dbus-x11 sqlite3 xvfb xauth openssl \
             ca-certificates python3
BENCH_DEPS := wrk nginx-light procps curl sqlite3 xvfb xauth xdotool dbus dbus-daemon gnome-keyring python3
# libFuzzer and the sanitizer runtimes for clang 14 are in libclang-rt-14-dev, only
# a Recommends of clang-14; llvm provides the llvm-symbolizer that ASan's reports use.
FUZZ_DEPS := clang libclang-rt-14-dev llvm

FUZZ_TARGETS := sse json anthropic-request anthropic-stream gemini-stream responses-request
FUZZ_SECONDS := 60
# `make fuzz FUZZ_LEAKS=0` turns leak detection off, to look past a known leak;
# FUZZ_FLAGS adds libFuzzer flags (-dict=…, -jobs=…).
FUZZ_LEAKS := 1
FUZZ_FLAGS :=

SUDO := $(if $(filter 0,$(shell id -u)),,sudo)

# $(call apt_install,PACKAGES,EXTRA_SHELL): installs the PACKAGES that dpkg does
# not report as installed; EXTRA_SHELL may append more names to $missing.
# `apt-get update` runs once, and only when something is missing.
define apt_install
	@missing=""; \
	for p in $(1); do \
	  dpkg-query -W -f='$${Status}' "$$p" 2>/dev/null | grep -q 'ok installed' \
	    || missing="$$missing $$p"; \
	done; \
	$(2) \
	if [ -n "$$missing" ]; then \
	  echo "Installing missing packages:$$missing"; \
	  $(SUDO) apt-get update -qq && \
	  $(SUDO) env DEBIAN_FRONTEND=noninteractive apt-get install -y -q \
	    --no-install-recommends $$missing; \
	fi
endef

# The nodesource `nodejs` bundles npm; Debian's splits them. Ask for each
# only when its command is absent, so neither setup gets a conflicting package.
NODE_CHECK := command -v node >/dev/null 2>&1 || missing="$$missing nodejs"; \
              command -v npm >/dev/null 2>&1 || missing="$$missing npm";

.PHONY: all deps deps-check deps-bench deps-fuzz build run check bench fuzz clean

all: build

deps:
	$(call apt_install,$(BUILD_DEPS),)

deps-check:
	$(call apt_install,$(BUILD_DEPS) $(TEST_DEPS),$(NODE_CHECK))

deps-bench:
	$(call apt_install,$(BUILD_DEPS) $(BENCH_DEPS),)

deps-fuzz:
	$(call apt_install,$(BUILD_DEPS) $(FUZZ_DEPS),)

build: deps
	@test -f $(BUILD_DIR)/build.ninja || meson setup $(BUILD_DIR)
	ninja -C $(BUILD_DIR)

run: build
	@if [ -n "$$DISPLAY" ] || [ -n "$$WAYLAND_DISPLAY" ]; then \
	  exec ./$(BUILD_DIR)/src/switchyard; \
	else \
	  echo "No display found: starting the headless router (switchyard serve)."; \
	  exec ./$(BUILD_DIR)/src/switchyard serve; \
	fi

# Every step runs even when an earlier one fails, so the report is complete;
# failed steps are handed to summary.py, whose last line and exit status
# are those of `make check`. npm ci runs only when the lock file is newer than
# what is installed; meson then reconfigures, since tests/meson.build registers
# the client tests only when node_modules exists at configure time.
check: deps-check
	@failed=(); \
	lock=tests/clients/package-lock.json; installed=tests/clients/node_modules/.package-lock.json; \
	if [ -f $$lock ] && { [ ! -f $$installed ] || [ $$lock -nt $$installed ]; }; then \
	  if (cd tests/clients && npm ci --no-audit --no-fund); then \
	    [ ! -f $(CHECK_DIR)/build.ninja ] || meson setup --reconfigure $(CHECK_DIR) >/dev/null \
	      || failed+=(--failed-step "meson setup --reconfigure $(CHECK_DIR)"); \
	  else failed+=(--failed-step "npm ci in tests/clients"); fi; \
	fi; \
	if [ ! -f $(CHECK_DIR)/build.ninja ]; then \
	  meson setup $(CHECK_DIR) -Db_sanitize=address,undefined -Db_lundef=false \
	    || failed+=(--failed-step "meson setup $(CHECK_DIR)"); \
	fi; \
	rm -f $(CHECK_DIR)/meson-logs/testlog.json; \
	if [ -f $(CHECK_DIR)/build.ninja ]; then \
	  ninja -C $(CHECK_DIR) || failed+=(--failed-step "ninja -C $(CHECK_DIR)"); \
	  meson test -C $(CHECK_DIR) --print-errorlogs --num-processes 2 || true; \
	fi; \
	python3 tests/summary.py $(CHECK_DIR)/meson-logs/testlog.json "$${failed[@]}"

# `make bench BENCH_BASELINE=REF` also builds the commit REF (from git) and measures
# its router side by side with this one: before/after ratios in the same run.
bench: deps-bench
	@test -f $(BENCH_DIR)/build.ninja || meson setup $(BENCH_DIR) --buildtype=release
	ninja -C $(BENCH_DIR)
	@if [ -n "$(BENCH_BASELINE)" ]; then \
	  rm -rf $(BENCH_DIR)-baseline && mkdir -p $(BENCH_DIR)-baseline/src && \
	  git archive "$(BENCH_BASELINE)" | tar -x -C $(BENCH_DIR)-baseline/src && \
	  meson setup $(BENCH_DIR)-baseline/build $(BENCH_DIR)-baseline/src --buildtype=release >/dev/null && \
	  ninja -C $(BENCH_DIR)-baseline/build >/dev/null || exit 1; \
	fi
	@if [ -f tests/bench/run.sh ]; then \
	  $(if $(BENCH_BASELINE),BASELINE_BUILD_DIR=$(BENCH_DIR)-baseline/build) bash tests/bench/run.sh $(BENCH_DIR); \
	else \
	  echo "tests/bench/run.sh does not exist yet: no benchmarks to run."; \
	fi

# Each target fuzzes from a scratch copy of its corpus (libFuzzer adds the inputs
# it finds to the first directory), with tests/fuzz/corpus/<t> read-only after
# it. Crash reproducers go to $(FUZZ_DIR)/artifacts/; every target runs even
# after one fails, then one line per target sums up.
fuzz: deps-fuzz
	@if [ ! -f $(FUZZ_DIR)/build.ninja ]; then \
	  CC=clang meson setup $(FUZZ_DIR) -Dfuzzing=true -Db_sanitize=address,undefined -Db_lundef=false; \
	else \
	  meson configure $(FUZZ_DIR) -Dfuzzing=true; \
	fi
	ninja -C $(FUZZ_DIR)
	@mkdir -p $(FUZZ_DIR)/artifacts; \
	summary=(); crashed=0; \
	for t in $(FUZZ_TARGETS); do \
	  mkdir -p $(FUZZ_DIR)/corpus/$$t; \
	  log=$(FUZZ_DIR)/fuzz-$$t.log; \
	  echo "fuzz-$$t: $(FUZZ_SECONDS) s, log in $$log"; \
	  if G_SLICE=always-malloc G_DEBUG=gc-friendly \
	     ASAN_OPTIONS=detect_leaks=$(FUZZ_LEAKS):detect_odr_violation=0 \
	     UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1 \
	     ./$(FUZZ_DIR)/tests/fuzz/fuzz-$$t -max_total_time=$(FUZZ_SECONDS) -timeout=10 \
	       -rss_limit_mb=2048 -artifact_prefix=$(FUZZ_DIR)/artifacts/$$t- \
	       -detect_leaks=$(FUZZ_LEAKS) $(FUZZ_FLAGS) \
	       $(FUZZ_DIR)/corpus/$$t tests/fuzz/corpus/$$t >$$log 2>&1; then \
	    summary+=("fuzz-$$t: ok, $$(grep -o 'Done [0-9]* runs in [0-9]* second' $$log | tail -1 \
	      | sed 's/Done //; s/ second/ s/'), $$(grep -oE 'cov: [0-9]+' $$log | tail -1 | sed 's/: / /') edges, \
	$$(ls $(FUZZ_DIR)/corpus/$$t | wc -l) inputs in $(FUZZ_DIR)/corpus/$$t"); \
	  else \
	    crashed=$$((crashed + 1)); \
	    what=$$(grep -m1 -E 'runtime error:|^Bail out! |-CRITICAL \*\*|-WARNING \*\*' $$log | sed 's/^Bail out! //'); \
	    [ -n "$$what" ] || what=$$(grep -m1 -oE 'ERROR: (libFuzzer|AddressSanitizer|LeakSanitizer): [a-z -]+' $$log); \
	    what=$$(printf '%s' "$$what" | cut -c1-160); \
	    summary+=("fuzz-$$t: FAILED ($${what:-see $$log}), reproducer: $$(sed -n 's/.*Test unit written to //p' $$log | tail -1)"); \
	  fi; \
	done; \
	printf '%s\n' "$${summary[@]}"; \
	[ $$crashed -eq 0 ] || { echo "$$crashed fuzz target(s) failed; for full stacks: ASAN_OPTIONS=fast_unwind_on_malloc=0 ./$(FUZZ_DIR)/tests/fuzz/fuzz-<t> <reproducer>"; exit 1; }

clean:
	rm -rf $(BUILD_DIR) $(CHECK_DIR) $(BENCH_DIR) $(BENCH_DIR)-baseline $(FUZZ_DIR)
