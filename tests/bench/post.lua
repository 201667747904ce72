-- wrk script: POST the JSON body from $BENCH_BODY with a bearer token.
-- Used by tests/bench/run.sh for every target (direct, nginx, switchyard).
-- SPDX-License-Identifier: GPL-3.0-or-later

wrk.method = "POST"
wrk.body = os.getenv("BENCH_BODY")
wrk.headers["Content-Type"] = "application/json"
wrk.headers["Authorization"] = "Bearer " .. (os.getenv("BENCH_TOKEN") or "x")
