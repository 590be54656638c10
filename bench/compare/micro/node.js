// The Node SDK (npm `pusher` 5.x) on the operations of pusher-client's micro benchmarks
// (bench/benches/micro.rs). Run by scripts/bench-micro with NODE_PATH pointing at its
// scratch install; prints one JSON object: {operation: ops_per_second}.
"use strict"

const Pusher = require("pusher")
const requests = require("pusher/lib/requests")
const crypto = require("crypto")

const APP_ID = "1234567"
const KEY = "278d425bdf160c739803"
const SECRET = "7ad3773142a6692b25b8"
const MASTER_KEY = "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8="
const SOCKET_ID = "1234.1234"
const TRIGGER_DATA = '{"message":"hello world","user":"ada","id":42}'
const REPEATS = Number(process.env.BENCH_REPEATS || 5)
const SECONDS = Number(process.env.BENCH_SECONDS || 0.5)

// Byte-identical to webhook_body() in micro.rs.
function webhookBody(target) {
  const head = '{"time_ms":1700000000000,"events":['
  const events = []
  let len = head.length + 2
  for (let i = 0; len < target; i++) {
    let e
    switch (i % 5) {
      case 0: e = `{"name":"channel_occupied","channel":"private-room-${i}"}`; break
      case 1: e = `{"name":"member_added","channel":"presence-room-${i}","user_id":"user-${i}"}`; break
      case 2: e = `{"name":"client_event","channel":"private-chat-${i}","event":"client-typing","data":"{\\"text\\":\\"hello there\\",\\"at\\":1700000000}","socket_id":"1234.5678","user_id":"user-${i}"}`; break
      case 3: e = `{"name":"channel_vacated","channel":"private-room-${i}"}`; break
      default: e = `{"name":"subscription_count","channel":"room-${i}","subscription_count":${i}}`
    }
    len += e.length + (events.length > 0 ? 1 : 0)
    events.push(e)
  }
  return `${head}${events.join(",")}]}`
}

// Seconds of CPU time used by this process (BENCH_CLOCK=wall: wall-clock seconds), as the Rust
// benches measure: on a shared machine, time other processes hold the core is left out.
// Node 20 has no per-thread CPU clock; the process's includes V8's GC and compiler threads,
// work done for these operations.
const wall = process.env.BENCH_CLOCK === "wall"
function now() {
  if (wall) return Number(process.hrtime.bigint()) / 1e9
  const { user, system } = process.cpuUsage()
  return (user + system) / 1e6
}

// Median ops/s over REPEATS runs of at least SECONDS each.
function measure(fn) {
  let sink = 0
  for (let i = 0; i < 2000; i++) sink ^= fn() ? 1 : 0 // warm up the JIT
  const rates = []
  for (let r = 0; r < REPEATS; r++) {
    let n = 0
    const batch = 256
    const start = now()
    let elapsed = 0
    while (elapsed < SECONDS) {
      for (let i = 0; i < batch; i++) sink ^= fn() ? 1 : 0
      n += batch
      elapsed = now() - start
    }
    rates.push(n / elapsed)
  }
  rates.sort((a, b) => a - b)
  globalThis.__sink = sink
  return rates[Math.floor(rates.length / 2)]
}

const pusher = new Pusher({
  appId: APP_ID, key: KEY, secret: SECRET, cluster: "mt1", useTLS: true,
  encryptionMasterKeyBase64: MASTER_KEY,
})

// Building and signing a trigger without sending it: the SDK's own trigger() (validation and
// event building), with post() replaced by the steps requests.send takes before fetch():
// prefixPath, JSON.stringify, the exported createSignedQueryString, and the URL.
const config = pusher.config
pusher.post = function (options) {
  const path = config.prefixPath(options.path)
  const body = JSON.stringify(options.body)
  const query = requests.createSignedQueryString(config.token, { method: "POST", path, body })
  return { url: `${config.getBaseURL()}${path}?${query}`, body }
}

const member = { user_id: "user-42", user_info: { name: "Ada Lovelace" } }
const user = { id: "user-42", user_info: { name: "Ada Lovelace" } }

function webhookCase(size) {
  const body = webhookBody(size)
  const signature = crypto.createHmac("sha256", SECRET).update(body).digest("hex")
  const headers = { "x-pusher-key": KEY, "x-pusher-signature": signature, "content-type": "application/json" }
  return () => {
    const webhook = pusher.webhook({ headers, rawBody: body })
    if (!webhook.isValid()) throw new Error("webhook refused")
    return webhook.getEvents().length
  }
}

const results = {
  private_auth: measure(() => pusher.authorizeChannel(SOCKET_ID, "private-foobar")),
  presence_auth: measure(() => pusher.authorizeChannel(SOCKET_ID, "presence-foobar", member)),
  encrypted_auth: measure(() => pusher.authorizeChannel(SOCKET_ID, "private-encrypted-foobar")),
  user_auth: measure(() => pusher.authenticateUser(SOCKET_ID, user)),
  trigger_sign: measure(() => pusher.trigger("my-channel", "my-event", TRIGGER_DATA)),
  webhook_1k: measure(webhookCase(1024)),
  webhook_64k: measure(webhookCase(64 * 1024)),
}
process.stdout.write(JSON.stringify(results) + "\n")
