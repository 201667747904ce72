# Makefile — one-command entry points for developers and CI (Debian 12).
# SPDX-License-Identifier: GPL-3.0-or-later
#
#   make run     install what is missing, build, start the app (or `serve` headless)
#   make check   sanitizer build + every test; the last line is `N passed, N failed`
#   make bench   release build + tests/bench/run.sh
#
# meson/ninja do the real work; this file only installs packages and picks build dirs.

SHELL := /bin/bash

BUILD_DIR := _build
CHECK_DIR := _build-check
BENCH_DIR := _build-bench

# ca-certificates: glib-networking verifies the providers' TLS certificates against
# the system store, which a minimal install does not have.
BUILD_DEPS := meson ninja-build pkg-config gcc libglib2.0-dev libglib2.0-bin \
              libsoup-3.0-dev libjson-glib-dev libsecret-1-dev libsqlite3-dev gettext \
              glib-networking ca-certificates
# dbus-run-session is in dbus-daemon on bookworm; ca-certificates is only a
# Recommends of nodejs/npm but `npm ci` needs it to reach the registry.
# node and npm are checked by command, not package (see deps-check below).
TEST_DEPS := gnome-keyring dbus dbus-daemon dbus-x11 sqlite3 xvfb xauth openssl \
             ca-certificates python3
BENCH_DEPS := wrk nginx-light procps

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

.PHONY: all deps deps-check deps-bench build run check bench fuzz clean

all: build

deps:
	$(call apt_install,$(BUILD_DEPS),)

deps-check:
	$(call apt_install,$(BUILD_DEPS) $(TEST_DEPS),$(NODE_CHECK))

deps-bench:
	$(call apt_install,$(BUILD_DEPS) $(BENCH_DEPS),)

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

bench: deps-bench
	@test -f $(BENCH_DIR)/build.ninja || meson setup $(BENCH_DIR) --buildtype=release
	ninja -C $(BENCH_DIR)
	@if [ -f tests/bench/run.sh ]; then \
	  if [ -x tests/bench/run.sh ]; then ./tests/bench/run.sh $(BENCH_DIR); \
	  else bash tests/bench/run.sh $(BENCH_DIR); fi; \
	else \
	  echo "tests/bench/run.sh does not exist yet: no benchmarks to run."; \
	fi

fuzz:
	@echo "no fuzz targets yet"

clean:
	rm -rf $(BUILD_DIR) $(CHECK_DIR) $(BENCH_DIR)
