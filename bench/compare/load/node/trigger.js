// The Node SDK (npm `pusher`) comparator of scripts/bench-load: the same load as the Rust
// `trigger-load` (one shared client, N loops triggering back to back on loopback) and the same
// one-line JSON summary.
//
//   node trigger.js --port 8080 [--host 127.0.0.1] [--concurrency 64] [--duration 10] [--warmup 1]
//
// The client gets a keep-alive http.Agent: without one, the SDK's fetch asks for a new
// connection per request, and this compares the SDK at its best.
"use strict"

const fs = require("fs")
const http = require("http")
const Pusher = require("pusher")

function options(argv) {
  const out = { host: "127.0.0.1", port: 0, concurrency: 1, duration: 10, warmup: 1 }
  for (let i = 0; i < argv.length; i += 2) {
    const name = argv[i].replace(/^--/, "")
    if (!(name in out) || argv[i + 1] === undefined) {
      throw new Error(`unknown option or missing value: ${argv[i]}`)
    }
    out[name] = name === "host" ? argv[i + 1] : Number(argv[i + 1])
  }
  if (!out.port) throw new Error("--port is required")
  return out
}

function peakRssKib() {
  const match = /VmHWM:\s+(\d+)/.exec(fs.readFileSync("/proc/self/status", "utf8"))
  return match ? Number(match[1]) : 0
}

function percentile(sorted, p) {
  if (sorted.length === 0) return 0
  const rank = Math.ceil((p / 100) * sorted.length)
  return sorted[Math.min(Math.max(rank, 1), sorted.length) - 1]
}

async function main() {
  const o = options(process.argv.slice(2))
  const pusher = new Pusher({
    appId: "123456",
    key: "bench-key",
    secret: "bench-secret",
    host: o.host,
    port: String(o.port),
    useTLS: false,
    agent: new http.Agent({ keepAlive: true }),
  })
  const data = { message: "hello world" }
  let phase = "warmup"
  const latencies = []
  let errors = 0
  let firstError = null

  async function loop() {
    while (phase !== "stop") {
      const measuring = phase === "measure"
      const started = process.hrtime.bigint()
      try {
        const res = await pusher.trigger("my-channel", "my-event", data)
        await res.text()
        if (measuring) latencies.push(Number((process.hrtime.bigint() - started) / 1000n))
      } catch (e) {
        if (measuring) {
          errors += 1
          if (!firstError) firstError = String(e && e.message) + " " + String(e && e.body)
        }
      }
    }
  }

  const loops = []
  for (let i = 0; i < o.concurrency; i++) loops.push(loop())
  await new Promise((r) => setTimeout(r, o.warmup * 1000))
  const cpuBefore = process.cpuUsage()
  const started = process.hrtime.bigint()
  phase = "measure"
  await new Promise((r) => setTimeout(r, o.duration * 1000))
  const seconds = Number(process.hrtime.bigint() - started) / 1e9
  const cpu = process.cpuUsage(cpuBefore)
  phase = "stop"
  await Promise.all(loops)

  if (firstError) console.error("node trigger: a trigger failed: " + firstError)
  latencies.sort((a, b) => a - b)
  const cpuS = (cpu.user + cpu.system) / 1e6
  const triggers = latencies.length
  console.log(
    JSON.stringify({
      client: "node pusher " + require("pusher/package.json").version,
      runtime: "node " + process.version,
      concurrency: o.concurrency,
      triggers,
      errors,
      seconds,
      triggers_per_s: triggers / seconds,
      p50_us: percentile(latencies, 50),
      p99_us: percentile(latencies, 99),
      cpu_s: cpuS,
      cpu_us_per_trigger: (cpuS * 1e6) / Math.max(triggers, 1),
      peak_rss_kib: peakRssKib(),
    })
  )
  process.exit(errors > 0 || triggers === 0 ? 1 : 0)
}

main().catch((e) => {
  console.error("node trigger: " + e.message)
  process.exit(2)
})
