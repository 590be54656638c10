-- wrk script of scripts/bench-load: sends the request described by the environment
-- (BENCH_METHOD, BENCH_BODY, BENCH_HEADERS as "Name: value" lines), the path and query coming
-- from the URL on the command line, and prints one JSON line of figures when done.
wrk.method = os.getenv("BENCH_METHOD") or "GET"
wrk.body = os.getenv("BENCH_BODY")
for line in string.gmatch(os.getenv("BENCH_HEADERS") or "", "[^\n]+") do
  local name, value = string.match(line, "^([^:]+):%s*(.*)$")
  if name then wrk.headers[name] = value end
end

function done(summary, latency, requests)
  local seconds = summary.duration / 1e6
  local e = summary.errors
  io.write(string.format(
    '{"requests":%d,"seconds":%.3f,"req_per_s":%.1f,"p50_us":%d,"p99_us":%d,' ..
    '"errors":%d,"non_2xx":%d}\n',
    summary.requests, seconds, summary.requests / seconds,
    latency:percentile(50), latency:percentile(99),
    e.connect + e.read + e.write + e.timeout, e.status))
end
