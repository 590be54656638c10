"""The load benchmark of issue 9, driven by scripts/bench-load (which installs the tools and
builds the programs first). Standard library only.

1. Starts nginx as a loopback sink that answers triggers like Pusher (`{}`), measures its
   ceiling with wrk sending a request like ours (same path and query shape, headers and body),
   then runs each client against it at each concurrency: the floor (`raw-load`: the bytes
   `trigger-load` sends, replayed on raw tokio sockets), this workspace's `trigger-load`,
   `pusher` 0.4.5 from crates.io, the Node SDK and the Python SDK. While a client runs, the
   connections it opened (nginx's `accepts` counter) and the most it held at once (ESTABLISHED
   sockets to the sink's port, sampled) are recorded: the keep-alive check.
2. Starts `auth-server` for axum, then actix, and measures with wrk the pusher-js auth routes
   (a pusher-js-shaped form body) beside the plain `hello` route of the same app.
3. Repeats everything BENCH_REPEAT times (rounds interleaved, so slow moments of a shared
   machine spread over all clients), takes the median of each figure, prints two markdown
   tables and writes them, with the machine and the command, to BENCH_OUT.

Everything it starts is stopped on exit, Ctrl-C or SIGTERM, and checked to be gone.
`python3 bench/load/run.py --render target/bench-load/report.json` prints a saved run's tables.

Environment: BENCH_DURATION (s per run, default 10), BENCH_WARMUP (s, default 1),
BENCH_REPEAT (default 3), BENCH_CONCURRENCY (default "1 64"), BENCH_CLIENTS (default
"floor floor-ct pusher-rs pusher-rs-ct pusher-rs-reqwest pusher-rs-reqwest-ct pusher045 node python"), BENCH_FRAMEWORKS (default "axum actix"),
BENCH_WRK_THREADS (wrk threads at concurrency > 1, default 2), BENCH_NGINX_WORKERS (default 1),
BENCH_EXTRA_CLIENTS (A/B runs: "name=command;…", e.g. a trigger-load built from another
commit), BENCH_QUICK=1 (2 s runs, 1 round, for a smoke test), BENCH_OUT (default
target/bench-load/report.md).
"""

import datetime
import hashlib
import hmac
import json
import os
import platform
import re
import resource
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
PEERS = os.path.join(ROOT, "target", "bench-peers")
# Where cargo put the bench programs: CARGO_TARGET_DIR when set (as cargo itself reads it).
RELEASE = os.path.join(os.path.abspath(os.environ.get("CARGO_TARGET_DIR") or os.path.join(ROOT, "target")),
                       "release")

APP_ID, KEY, SECRET = "123456", "bench-key", "bench-secret"
TRIGGER_BODY = '{"name":"my-event","channels":["my-channel"],"data":"{\\"message\\":\\"hello world\\"}"}'
FORM_BODY = "socket_id=123.456&channel_name=private-foo"
USER_FORM_BODY = "socket_id=123.456"
# The routes of auth-server measured, and their bodies: hello reads nothing; hello-form reads
# the body and answers a fixed JSON (the framework's share of an auth request).
AUTH_ROUTES = (("/hello", FORM_BODY), ("/hello-form", FORM_BODY), ("/pusher/auth", FORM_BODY),
               ("/pusher/user-auth", USER_FORM_BODY))


def env_float(name, default):
    return float(os.environ.get(name, default))


QUICK = os.environ.get("BENCH_QUICK") == "1"
DURATION = env_float("BENCH_DURATION", 2 if QUICK else 10)
WARMUP = env_float("BENCH_WARMUP", 0.5 if QUICK else 1)
REPEAT = int(os.environ.get("BENCH_REPEAT", 1 if QUICK else 3))
CONCURRENCY = [int(c) for c in os.environ.get("BENCH_CONCURRENCY", "1 64").split()]
CLIENTS = os.environ.get("BENCH_CLIENTS", "floor floor-ct pusher-rs pusher-rs-ct pusher-rs-reqwest pusher-rs-reqwest-ct pusher045 node python").split()
FRAMEWORKS = os.environ.get("BENCH_FRAMEWORKS", "axum actix").split()
WRK_THREADS = int(os.environ.get("BENCH_WRK_THREADS", "2"))
NGINX_WORKERS = os.environ.get("BENCH_NGINX_WORKERS", "1")
OUT = os.environ.get("BENCH_OUT", os.path.join(ROOT, "target", "bench-load", "report.md"))

# What each client is: a label for the table and the command (the sink's port appended).
CLIENT_COMMANDS = {
    # The floor (bench/src/bin/raw-load.rs): pusher-client's own request bytes replayed on raw
    # tokio sockets, no client work at all: what any tokio program reaches on this machine.
    "floor": ("floor: raw tokio sockets replaying pusher-client's bytes, tokio multi-thread",
              [os.path.join(RELEASE, "raw-load"), "--runtime", "multi"]),
    "floor-ct": ("floor: raw tokio sockets replaying pusher-client's bytes, tokio current-thread",
                 [os.path.join(RELEASE, "raw-load"), "--runtime", "current"]),
    "pusher-rs": ("pusher-client (this workspace), default features, tokio multi-thread",
                  [os.path.join(RELEASE, "trigger-load"), "--runtime", "multi"]),
    "pusher-rs-ct": ("pusher-client (this workspace), default features, tokio current-thread",
                     [os.path.join(RELEASE, "trigger-load"), "--runtime", "current"]),
    "pusher-rs-reqwest": ("pusher-client, `reqwest` transport, tokio multi-thread",
                          [os.path.join(RELEASE, "trigger-load"), "--runtime", "multi",
                           "--transport", "reqwest"]),
    "pusher-rs-reqwest-ct": ("pusher-client, `reqwest` transport, tokio current-thread",
                             [os.path.join(RELEASE, "trigger-load"), "--runtime", "current",
                              "--transport", "reqwest"]),
    "pusher045": ("`pusher` 0.4.5 (crates.io), tokio multi-thread",
                  [os.path.join(PEERS, "rust-pusher045", "release", "pusher045-load")]),
    "node": ("Node SDK (npm `pusher` 5.3.4)",
             ["node", os.path.join(PEERS, "node", "trigger.js")]),
    "python": ("Python SDK (PyPI `pusher` 3.3.4), threads",
               [os.path.join(PEERS, "python-venv", "bin", "python"),
                os.path.join(ROOT, "bench", "compare", "load", "python", "trigger.py")]),
}

# Extra clients for A/B runs, e.g. a trigger-load built from another commit:
# BENCH_EXTRA_CLIENTS="pusher-rs-before=/path/trigger-load --runtime multi;..." (name=command).
# Names starting with pusher-rs count as ours in the tables.
for extra in filter(None, os.environ.get("BENCH_EXTRA_CLIENTS", "").split(";")):
    name, _, command = extra.partition("=")
    CLIENT_COMMANDS[name.strip()] = (name.strip(), command.split())
    CLIENTS.append(name.strip())

SHORT = {"pusher045": "pusher 0.4.5", "node": "Node SDK", "python": "Python SDK"}

STARTED = []  # every long-running process this run started, to stop on exit


def log(message):
    print("bench-load: " + message, file=sys.stderr, flush=True)


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for_port(port, proc, seconds=20):
    deadline = time.time() + seconds
    while time.time() < deadline:
        if proc.poll() is not None:
            raise RuntimeError("exited with status %s before listening" % proc.returncode)
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                return
        except OSError:
            time.sleep(0.05)
    raise RuntimeError("not listening on port %d after %d s" % (port, seconds))


def start(command, log_path, **kwargs):
    out = open(log_path, "wb")
    proc = subprocess.Popen(command, stdout=out, stderr=subprocess.STDOUT,
                            stdin=subprocess.DEVNULL, start_new_session=True, **kwargs)
    STARTED.append(proc)
    return proc


def stop(proc):
    """Stops one process this run started (its own process group), politely then not."""
    if proc.poll() is None:
        try:
            os.killpg(proc.pid, signal.SIGTERM)
        except ProcessLookupError:
            pass
        try:
            proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(timeout=5)
    # nginx workers are in the master's group: make sure none outlived it.
    try:
        os.killpg(proc.pid, 0)
        os.killpg(proc.pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass


def stop_all():
    for proc in reversed(STARTED):
        stop(proc)
    left = []
    for proc in STARTED:
        try:
            os.killpg(proc.pid, 0)
            left.append(proc.pid)
        except (ProcessLookupError, PermissionError):
            pass
    if left:
        log("WARNING: process groups still alive: %s" % left)
    STARTED.clear()


# ---------- the sink ----------

NGINX_CONF = """
worker_processes {workers};
daemon off;
pid {dir}/nginx.pid;
error_log {dir}/error.log warn;
events {{ worker_connections 4096; }}
http {{
    access_log off;
    client_body_temp_path {dir}/body;
    proxy_temp_path {dir}/proxy;
    fastcgi_temp_path {dir}/fastcgi;
    uwsgi_temp_path {dir}/uwsgi;
    scgi_temp_path {dir}/scgi;
    keepalive_requests 100000000;
    keepalive_timeout 300s;
    default_type application/json;
    server {{
        listen 127.0.0.1:{port} backlog=4096;
        location ~ ^/apps/[^/]+/(events|batch_events)$ {{ return 200 '{{}}'; }}
        location = /nginx_status {{ stub_status; }}
        location / {{ return 404; }}
    }}
}}
"""


class Sink:
    def __init__(self, workdir):
        self.dir = os.path.join(workdir, "nginx")
        os.makedirs(self.dir)
        os.chmod(workdir, 0o755)
        os.chmod(self.dir, 0o777)
        self.port = free_port()
        conf = os.path.join(self.dir, "nginx.conf")
        with open(conf, "w") as f:
            f.write(NGINX_CONF.format(workers=NGINX_WORKERS, dir=self.dir, port=self.port))
        nginx = "/usr/sbin/nginx" if os.path.exists("/usr/sbin/nginx") else "nginx"
        self.proc = start([nginx, "-c", conf, "-p", self.dir], os.path.join(self.dir, "stdout.log"))
        wait_for_port(self.port, self.proc)

    def accepts(self):
        """Connections nginx has accepted since it started (stub_status)."""
        return self.status()[0]

    def status(self):
        """(connections accepted, requests served) since nginx started (stub_status); the
        status request itself counts as one of each."""
        with socket.create_connection(("127.0.0.1", self.port), timeout=5) as s:
            s.sendall(b"GET /nginx_status HTTP/1.0\r\nHost: sink\r\n\r\n")
            data = b""
            while True:
                chunk = s.recv(4096)
                if not chunk:
                    break
                data += chunk
        numbers = re.search(rb"\n\s*(\d+)\s+(\d+)\s+(\d+)", data)
        return int(numbers.group(1)), int(numbers.group(3))

    def cpu(self):
        """CPU seconds nginx (master and workers) has used: what the sink spends on a client's
        requests, which is not the same for every client (see `sink_cpu_us`)."""
        total = process_cpu(self.proc.pid)
        for entry in os.listdir("/proc"):
            if entry.isdigit():
                try:
                    with open("/proc/%s/stat" % entry) as f:
                        ppid = int(f.read().rsplit(")", 1)[1].split()[1])
                    if ppid == self.proc.pid:
                        total += process_cpu(int(entry))
                except (OSError, ValueError, IndexError):
                    pass
        return total

    def measure(self, run):
        """Runs `run()` (which returns a dict of figures) and adds to it the sink's CPU per
        request it served meanwhile (`sink_cpu_us`), warm-up included."""
        cpu, (_, served) = self.cpu(), self.status()
        result = run()
        _, served_after = self.status()
        requests = max(served_after - served - 1, 1)  # minus the first status request
        result["sink_cpu_us"] = (self.cpu() - cpu) * 1e6 / requests
        return result


def established_to(port):
    """ESTABLISHED TCP sockets whose remote end is 127.0.0.1:port (client side), from /proc."""
    count = 0
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        try:
            with open(table) as f:
                next(f)
                for line in f:
                    fields = line.split()
                    if fields[3] == "01" and int(fields[2].rsplit(":", 1)[1], 16) == port:
                        count += 1
        except OSError:
            pass
    return count


class Sampler(threading.Thread):
    """Samples the connections to a port every 100 ms while a client runs; keeps the peak."""

    def __init__(self, port):
        super().__init__(daemon=True)
        self.port, self.peak, self.done = port, 0, threading.Event()

    def run(self):
        while not self.done.wait(0.1):
            self.peak = max(self.peak, established_to(self.port))

    def finish(self):
        self.done.set()
        self.join()
        return self.peak


def signed_trigger_path():
    """The path and signed query of a trigger, as our client builds it (a real signature)."""
    path = "/apps/%s/events" % APP_ID
    md5 = hashlib.md5(TRIGGER_BODY.encode()).hexdigest()
    query = "auth_key=%s&auth_timestamp=%d&auth_version=1.0&body_md5=%s" % (KEY, int(time.time()), md5)
    signature = hmac.new(SECRET.encode(), ("POST\n%s\n%s" % (path, query)).encode(),
                         hashlib.sha256).hexdigest()
    return "%s?%s&auth_signature=%s" % (path, query, signature)


def wrk(url, connections, method, body, headers, seconds):
    threads = 1 if connections == 1 else min(WRK_THREADS, connections)
    env = dict(os.environ, BENCH_METHOD=method, BENCH_BODY=body or "",
               BENCH_HEADERS="\n".join(headers))
    command = ["wrk", "-t%d" % threads, "-c%d" % connections, "-d%ds" % max(1, round(seconds)),
               "-s", os.path.join(ROOT, "bench", "load", "wrk-report.lua"), url]
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    out = subprocess.run(command, env=env, capture_output=True, text=True, timeout=seconds + 60)
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    line = [l for l in out.stdout.splitlines() if l.startswith("{")]
    if out.returncode != 0 or not line:
        raise RuntimeError("wrk failed: %s %s" % (out.stdout, out.stderr))
    result = json.loads(line[-1])
    # wrk's own CPU per request: the floor a load generator that only writes a fixed request
    # and reads the answer pays on this machine (the kernel's share included).
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    result["cpu_us_per_request"] = cpu * 1e6 / max(result["requests"], 1)
    if result["errors"] or result["non_2xx"]:
        log("WARNING: wrk saw %d socket errors, %d non-2xx answers on %s"
            % (result["errors"], result["non_2xx"], url))
    return result


def process_cpu(pid):
    """CPU seconds (user + system, all threads) a process has used, from /proc/PID/stat."""
    with open("/proc/%d/stat" % pid) as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def run_client(name, sink, concurrency):
    _, command = CLIENT_COMMANDS[name]
    command = command + ["--port", str(sink.port), "--concurrency", str(concurrency),
                         "--duration", str(DURATION), "--warmup", str(WARMUP)]
    before = sink.accepts()
    sampler = Sampler(sink.port)
    sampler.start()
    try:
        out = subprocess.run(command, capture_output=True, text=True,
                             timeout=DURATION + WARMUP + 120, stdin=subprocess.DEVNULL)
    finally:
        peak = sampler.finish()
    opened = sink.accepts() - before - 1  # minus the status request of `before` itself
    line = [l for l in out.stdout.splitlines() if l.startswith("{")]
    if not line:
        raise RuntimeError("%s printed no figures (status %d): %s"
                           % (name, out.returncode, out.stderr.strip()[-2000:]))
    result = json.loads(line[-1])
    if out.returncode != 0 or result["errors"]:
        log("WARNING: %s at %d: %d errors; %s" % (name, concurrency, result["errors"],
                                                 out.stderr.strip()[-500:]))
    result["opened"], result["peak_conns"] = opened, peak
    return result


# ---------- the auth routes ----------

def auth_server(framework, workdir):
    port = free_port()
    proc = start([os.path.join(RELEASE, "auth-server"), "--framework", framework,
                  "--port", str(port)], os.path.join(workdir, "auth-%s.log" % framework))
    wait_for_port(port, proc)
    # One real request each, checked, before measuring anything.
    for path, body, expect in (("/pusher/auth", FORM_BODY, b'"auth":"bench-key:'),
                               ("/pusher/user-auth", USER_FORM_BODY, b'"user_data"'),
                               ("/hello", FORM_BODY, b"hello"),
                               ("/hello-form", FORM_BODY, b'{"auth":"bench-key:')):
        with socket.create_connection(("127.0.0.1", port), timeout=5) as s:
            s.sendall(("POST %s HTTP/1.1\r\nHost: bench\r\nConnection: close\r\n"
                       "Content-Type: application/x-www-form-urlencoded\r\n"
                       "Content-Length: %d\r\n\r\n%s" % (path, len(body), body)).encode())
            data = b""
            while True:
                chunk = s.recv(4096)
                if not chunk:
                    break
                data += chunk
        if not data.startswith(b"HTTP/1.1 200") or expect not in data:
            raise RuntimeError("%s %s answered unexpectedly: %r" % (framework, path, data[:300]))
    return proc, port


# ---------- tables ----------

def median(values):
    return statistics.median(values) if values else float("nan")


def us(value):
    return "%.0f µs" % value if value < 1000 else "%.2f ms" % (value / 1000)


def machine():
    cpu = "unknown"
    try:
        with open("/proc/cpuinfo") as f:
            cpu = next(l.split(":", 1)[1].strip() for l in f if l.startswith("model name"))
    except (OSError, StopIteration):
        pass
    nginx = subprocess.run(["nginx", "-v"], capture_output=True, text=True).stderr.strip()
    wrk_v = subprocess.run(["wrk", "-v"], capture_output=True, text=True).stdout.split("\n")[0]
    node = subprocess.run(["node", "--version"], capture_output=True, text=True).stdout.strip()
    return ("%d cores (%s), kernel %s, %s; %s, %s, node %s; %s"
            % (os.cpu_count(), cpu, platform.release(),
               datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
               nginx.replace("nginx version: ", ""), wrk_v.split(" [")[0], node,
               "load average before the run: %.2f %.2f %.2f" % os.getloadavg()))


def main():
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    workdir = tempfile.mkdtemp(prefix="bench-load-")
    trigger_runs, ceiling_runs, auth_runs = {}, {}, {}
    load_before = os.getloadavg()
    host = machine()
    try:
        sink = Sink(workdir)
        log("sink: nginx (%s worker(s)) on 127.0.0.1:%d; %d round(s) of %g s runs"
            % (NGINX_WORKERS, sink.port, REPEAT, DURATION))
        url = "http://127.0.0.1:%d%s" % (sink.port, signed_trigger_path())
        trigger_headers = ["Content-Type: application/json", "X-Pusher-Library: pusher-http-rust",
                           "User-Agent: pusher-http-rust", "Accept: */*"]
        for round_ in range(REPEAT):
            for c in CONCURRENCY:
                r = sink.measure(lambda: wrk(url, c, "POST", TRIGGER_BODY, trigger_headers, DURATION))
                ceiling_runs.setdefault(c, []).append(r)
                log("round %d, c=%d: sink ceiling (wrk) %.0f req/s" % (round_ + 1, c, r["req_per_s"]))
                for name in CLIENTS:
                    r = sink.measure(lambda: run_client(name, sink, c))
                    trigger_runs.setdefault((name, c), []).append(r)
                    log("round %d, c=%d: %s %.0f triggers/s, %.1f µs CPU each (sink %.1f), %d opened, peak %d"
                        % (round_ + 1, c, name, r["triggers_per_s"], r["cpu_us_per_trigger"],
                           r["sink_cpu_us"], r["opened"], r["peak_conns"]))
        stop(sink.proc)

        form = ["Content-Type: application/x-www-form-urlencoded"]
        for framework in FRAMEWORKS:
            proc, port = auth_server(framework, workdir)
            log("%s auth-server on 127.0.0.1:%d" % (framework, port))
            base = "http://127.0.0.1:%d" % port
            for round_ in range(REPEAT):
                for route, body in AUTH_ROUTES:
                    before = process_cpu(proc.pid)
                    r = wrk(base + route, 64, "POST", body, form, DURATION)
                    r["server_cpu_us"] = (process_cpu(proc.pid) - before) * 1e6 / max(r["requests"], 1)
                    auth_runs.setdefault((framework, route), []).append(r)
                    log("round %d: %s POST %s %.0f req/s" % (round_ + 1, framework, route, r["req_per_s"]))
            stop(proc)
    finally:
        stop_all()

    table = render(trigger_runs, ceiling_runs, auth_runs)
    print(table)

    os.makedirs(os.path.dirname(OUT), exist_ok=True)
    raw = {"trigger": {"%s@%d" % k: v for k, v in trigger_runs.items()},
           "ceiling": {str(k): v for k, v in ceiling_runs.items()},
           "auth": {"%s %s" % k: v for k, v in auth_runs.items()}}
    with open(OUT, "w") as f:
        f.write("Command: `%s`%s\n\nMachine: %s (load average at the end: %.2f %.2f %.2f)\n\n%s\n"
                % ("bash scripts/bench-load", " (BENCH_QUICK=1)" if QUICK else "", host,
                   *os.getloadavg(), table))
    with open(os.path.splitext(OUT)[0] + ".json", "w") as f:
        json.dump(raw, f, indent=1)
    log("wrote %s (and the raw runs beside it); load average before: %.2f %.2f %.2f"
        % (OUT, *load_before))


def render(trigger_runs, ceiling_runs, auth_runs):
    """The two markdown tables, from the runs keyed (client, concurrency), concurrency and
    (framework, route)."""
    lines = []
    lines.append("Triggers through one shared client to a loopback nginx sink (`{}` answers); "
                 "medians of %d run(s) of %g s (after %g s warm-up); the %% of the ceiling is the "
                 "median of each round's run over that round's ceiling." % (REPEAT, DURATION, WARMUP))
    lines.append("")
    lines.append("CPU µs/trigger is the client process's (user + kernel) over the measured window; "
                 "on the ceiling's row, wrk's own per request. Sink CPU is nginx's per request it "
                 "served during the run: the two share the machine's cores, so a client that makes "
                 "the sink work harder per request lowers its own ceiling. (— : not measured, "
                 "e.g. a run saved before these columns.)")
    lines.append("")
    lines.append("| client | concurrency | triggers/s | % of sink ceiling | p50 | p99 | CPU µs/trigger | sink CPU µs/request | peak RSS | connections opened / peak open |")
    lines.append("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |")

    def cell(runs, key):
        values = [r[key] for r in runs if key in r]
        return "%.1f" % median(values) if values else "—"

    for c in CONCURRENCY:
        ceiling = ceiling_runs.get(c, [])
        top = median([r["req_per_s"] for r in ceiling])
        lines.append("| **sink ceiling: wrk, same request** | %d | %.0f | 100 %% | %s | %s | %s | %s | — | %d |"
                     % (c, top, us(median([r["p50_us"] for r in ceiling])),
                        us(median([r["p99_us"] for r in ceiling])),
                        cell(ceiling, "cpu_us_per_request"), cell(ceiling, "sink_cpu_us"), c))
        for name in CLIENTS:
            runs = trigger_runs.get((name, c), [])
            if not runs:
                continue
            tps = median([r["triggers_per_s"] for r in runs])
            # The fraction is taken round by round (each run against the ceiling of its own
            # round), then the median: a shared machine's slow minutes hit both alike.
            share = median([r["triggers_per_s"] / t["req_per_s"] for r, t in zip(runs, ceiling)])
            errors = sum(r["errors"] for r in runs)
            lines.append("| %s%s | %d | %.0f | %.1f %% | %s | %s | %.1f | %s | %.1f MiB | %d / %d |" % (
                CLIENT_COMMANDS[name][0], " (**%d errors**)" % errors if errors else "", c, tps,
                100 * share, us(median([r["p50_us"] for r in runs])),
                us(median([r["p99_us"] for r in runs])),
                median([r["cpu_us_per_trigger"] for r in runs]), cell(runs, "sink_cpu_us"),
                median([r["peak_rss_kib"] for r in runs]) / 1024,
                median([r["opened"] for r in runs]), max(r["peak_conns"] for r in runs)))
    lines.append("")
    # The floor rows are a reference, not a peer: no ratio over them.
    peers = [n for n in CLIENTS if not n.startswith(("pusher-rs", "floor"))]
    ours_all = [n for n in CLIENTS if n.startswith("pusher-rs")]
    if ours_all and peers:
        lines.append("Throughput of each pusher-client configuration over each peer's, round by "
                     "round, median:")
        lines.append("")
        lines.append("| pusher-client | concurrency | "
                     + " | ".join("over %s" % SHORT.get(n, n) for n in peers) + " |")
        lines.append("| --- | ---: | " + " | ".join("---:" for _ in peers) + " |")
        for mine in ours_all:
            for c in CONCURRENCY:
                ours = trigger_runs.get((mine, c), [])
                cells = []
                for n in peers:
                    theirs = trigger_runs.get((n, c), [])
                    cells.append("%.1f×" % median([a["triggers_per_s"] / b["triggers_per_s"]
                                                    for a, b in zip(ours, theirs)
                                                    if b["triggers_per_s"] > 0]))
                lines.append("| %s | %d | %s |" % (CLIENT_COMMANDS[mine][0], c, " | ".join(cells)))
        lines.append("")
    if auth_runs:
        lines.append("Auth routes under wrk (64 connections, %d thread(s)), pusher-js-shaped form body "
                     "(`%s`), allow-all resolver; medians of %d run(s) of %g s; the ratio is the median "
                     "of each round's route over that round's hello."
                     % (min(WRK_THREADS, 64), FORM_BODY, REPEAT, DURATION))
        lines.append("")
        lines.append("| framework | route | req/s | p50 | p99 | ratio to hello | ratio to hello-form | server CPU µs/request |")
        lines.append("| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: |")
        for framework in FRAMEWORKS:
            hello = auth_runs.get((framework, "/hello"), [])
            form_runs = auth_runs.get((framework, "/hello-form"), [])
            for route, _ in AUTH_ROUTES:
                runs = auth_runs.get((framework, route), [])
                if not runs:
                    continue
                rps = median([r["req_per_s"] for r in runs])
                # Round by round against the hello run just before it, then the median.
                ratio = median([r["req_per_s"] / h["req_per_s"] for r, h in zip(runs, hello)])
                form_ratio = median([r["req_per_s"] / h["req_per_s"] for r, h in zip(runs, form_runs)])
                bad = sum(r["errors"] + r["non_2xx"] for r in runs)
                cpu = [r["server_cpu_us"] for r in runs if "server_cpu_us" in r]
                lines.append("| %s | POST %s%s | %.0f | %s | %s | %.2f | %s | %s |" % (
                    framework, route, " (**%d errors**)" % bad if bad else "", rps,
                    us(median([r["p50_us"] for r in runs])), us(median([r["p99_us"] for r in runs])),
                    ratio, "%.2f" % form_ratio if form_runs else "—",
                    "%.1f" % median(cpu) if cpu else "—"))
        lines.append("")
    return "\n".join(lines)


def render_saved(path):
    """Prints the tables of a run saved as JSON (BENCH_OUT's .json), e.g. to redo them."""
    with open(path) as f:
        raw = json.load(f)
    trigger = {}
    for key, runs in raw["trigger"].items():
        name, c = key.rsplit("@", 1)
        trigger[(name, int(c))] = runs
    auth = {tuple(k.split(" ", 1)): v for k, v in raw["auth"].items()}
    print(render(trigger, {int(k): v for k, v in raw["ceiling"].items()}, auth))


if __name__ == "__main__":
    if len(sys.argv) == 3 and sys.argv[1] == "--render":
        render_saved(sys.argv[2])
    else:
        main()
