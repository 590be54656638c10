"""The Python SDK (PyPI `pusher`) comparator of scripts/bench-load.

The same load as the Rust `trigger-load` (one shared client, N threads triggering back to back
on loopback) and the same one-line JSON summary:

    python trigger.py --port 8080 [--host 127.0.0.1] [--concurrency 64] [--duration 10] [--warmup 1]

The SDK's requests session keeps connections alive; its pool is widened to the concurrency
(requests keeps 10 by default and would otherwise open and drop connections above that).
"""

import argparse
import json
import sys
import threading
import time

import pusher
import requests
from pusher.version import VERSION


def peak_rss_kib():
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
    return 0


def percentile(values, p):
    if not values:
        return 0
    rank = -(-p * len(values) // 100)  # ceil
    return values[min(max(int(rank), 1), len(values)) - 1]


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--concurrency", type=int, default=1)
    parser.add_argument("--duration", type=float, default=10.0)
    parser.add_argument("--warmup", type=float, default=1.0)
    o = parser.parse_args()

    client = pusher.Pusher(
        app_id="123456", key="bench-key", secret="bench-secret",
        host=o.host, port=o.port, ssl=False)
    adapter = requests.adapters.HTTPAdapter(pool_connections=1, pool_maxsize=o.concurrency)
    client._pusher_client.http.session.mount("http://", adapter)

    data = {"message": "hello world"}
    phase = {"now": "warmup"}
    latencies = [[] for _ in range(o.concurrency)]
    errors = [0] * o.concurrency
    first_error = []

    def loop(index):
        mine = latencies[index]
        while phase["now"] != "stop":
            measuring = phase["now"] == "measure"
            started = time.perf_counter_ns()
            try:
                client.trigger("my-channel", "my-event", data)
                if measuring:
                    mine.append((time.perf_counter_ns() - started) // 1000)
            except Exception as e:  # counted, and the first one shown
                if measuring:
                    errors[index] += 1
                    if not first_error:
                        first_error.append(repr(e))

    threads = [threading.Thread(target=loop, args=(i,), daemon=True) for i in range(o.concurrency)]
    for t in threads:
        t.start()
    time.sleep(o.warmup)
    cpu_before = time.process_time()
    started = time.perf_counter()
    phase["now"] = "measure"
    time.sleep(o.duration)
    seconds = time.perf_counter() - started
    cpu = time.process_time() - cpu_before
    phase["now"] = "stop"
    for t in threads:
        t.join()

    if first_error:
        print("python trigger: a trigger failed: " + first_error[0], file=sys.stderr)
    merged = sorted(v for per_thread in latencies for v in per_thread)
    triggers = len(merged)
    total_errors = sum(errors)
    print(json.dumps({
        "client": "python pusher " + VERSION,
        "runtime": "CPython %d.%d, threads" % sys.version_info[:2],
        "concurrency": o.concurrency,
        "triggers": triggers,
        "errors": total_errors,
        "seconds": seconds,
        "triggers_per_s": triggers / seconds,
        "p50_us": percentile(merged, 50),
        "p99_us": percentile(merged, 99),
        "cpu_s": cpu,
        "cpu_us_per_trigger": cpu * 1e6 / max(triggers, 1),
        "peak_rss_kib": peak_rss_kib(),
    }))
    return 1 if total_errors or not triggers else 0


if __name__ == "__main__":
    sys.exit(main())
