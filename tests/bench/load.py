#!/usr/bin/env python3
# load.py PORT TOKEN RATE SECONDS — requests at a steady rate to a Switchyard endpoint.
# SPDX-License-Identifier: GPL-3.0-or-later
#
# Every request is sent on time from one of several threads (one keep-alive
# connection each), so a slow answer never lowers the rate; every fourth is a
# stream. Prints "sent N ok N" at the end.
import http.client
import json
import sys
import threading
import time

port, token, rate, seconds = int(sys.argv[1]), sys.argv[2], float(sys.argv[3]), float(sys.argv[4])
THREADS = 8
counts = {"sent": 0, "ok": 0}
lock = threading.Lock()


def worker(index):
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    start = time.monotonic()
    n = index
    while True:
        due = start + n / rate
        if due - start >= seconds:
            break
        delay = due - time.monotonic()
        if delay > 0:
            time.sleep(delay)
        body = json.dumps({"model": "auto", "stream": n % 4 == 0,
                           "messages": [{"role": "user", "content": "Request %d of the load" % n}]})
        try:
            conn.request("POST", "/v1/chat/completions", body,
                         {"Authorization": "Bearer " + token, "Content-Type": "application/json"})
            response = conn.getresponse()
            response.read()
            with lock:
                counts["sent"] += 1
                counts["ok"] += response.status == 200
        except (OSError, http.client.HTTPException):
            conn.close()
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
            with lock:
                counts["sent"] += 1
        n += THREADS


threads = [threading.Thread(target=worker, args=(i,)) for i in range(THREADS)]
for t in threads:
    t.start()
for t in threads:
    t.join()
print("sent %d ok %d" % (counts["sent"], counts["ok"]))
