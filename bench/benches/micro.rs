//! Micro benchmarks of the client's CPU-bound paths, each beside the raw primitive it is built
//! on, so the overhead ratio is visible (issue 9; results in docs/perf-micro.md).
//!
//! `cargo bench -p pusher-bench --bench micro` (add a filter such as `auth/` to run one group).
//! `scripts/bench-micro` runs these and the Node and Python SDKs on the same operations.

use std::hint::black_box;
use std::time::{Duration, Instant};

use cpu_time::ThreadTime;
use criterion::measurement::{Measurement, ValueFormatter};
use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use crypto_secretbox::aead::{Aead, KeyInit};
use crypto_secretbox::{Key, Nonce, XSalsa20Poly1305};
use hmac::{Hmac, Mac};
use pusher_client::{
    ChannelAuthRequest, MasterKey, PresenceMember, Pusher, UserAuthRequest, UserData, Webhook,
};
use sha2::Sha256;

type HmacSha256 = Hmac<Sha256>;

const APP_ID: &str = "1234567";
const KEY: &str = "278d425bdf160c739803";
const SECRET: &str = "7ad3773142a6692b25b8";
const MASTER_KEY: &str = "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=";
const SOCKET_ID: &str = "1234.1234";
/// The trigger payload: a small, typical event.
const TRIGGER_DATA: &str = r#"{"message":"hello world","user":"ada","id":42}"#;

fn pusher() -> Pusher {
    Pusher::builder(APP_ID, KEY, SECRET)
        .encryption_master_key_base64(MASTER_KEY)
        .build()
        .expect("valid configuration")
}

/// A realistic webhook body of at least `target` bytes: several kinds of events, batched as
/// Pusher batches them. `bench/compare/micro/*` build byte-identical bodies.
fn webhook_body(target: usize) -> Vec<u8> {
    const HEAD: &str = r#"{"time_ms":1700000000000,"events":["#;
    let mut events: Vec<String> = Vec::new();
    let mut len = HEAD.len() + 2;
    let mut i = 0;
    while len < target {
        let event = match i % 5 {
            0 => format!(r#"{{"name":"channel_occupied","channel":"private-room-{i}"}}"#),
            1 => format!(
                r#"{{"name":"member_added","channel":"presence-room-{i}","user_id":"user-{i}"}}"#
            ),
            2 => format!(
                r#"{{"name":"client_event","channel":"private-chat-{i}","event":"client-typing","data":"{{\"text\":\"hello there\",\"at\":1700000000}}","socket_id":"1234.5678","user_id":"user-{i}"}}"#
            ),
            3 => format!(r#"{{"name":"channel_vacated","channel":"private-room-{i}"}}"#),
            _ => format!(
                r#"{{"name":"subscription_count","channel":"room-{i}","subscription_count":{i}}}"#
            ),
        };
        len += event.len() + usize::from(!events.is_empty());
        events.push(event);
        i += 1;
    }
    format!("{HEAD}{}]}}", events.join(",")).into_bytes()
}

/// One raw HMAC-SHA256 with the key scheduled anew (what an SDK calling HMAC(secret, msg) pays).
fn hmac_fresh(message: &[u8]) -> [u8; 64] {
    let mut mac = <HmacSha256 as hmac::Mac>::new_from_slice(SECRET.as_bytes()).expect("any length");
    mac.update(message);
    let mut hex = [0u8; 64];
    hex::encode_to_slice(mac.finalize().into_bytes(), &mut hex).expect("64 hex digits");
    hex
}

/// One raw HMAC-SHA256 from a pre-keyed state (the floor for any signer).
fn hmac_keyed(keyed: &HmacSha256, message: &[u8]) -> [u8; 64] {
    let mut mac = keyed.clone();
    mac.update(message);
    let mut hex = [0u8; 64];
    hex::encode_to_slice(mac.finalize().into_bytes(), &mut hex).expect("64 hex digits");
    hex
}

fn keyed_state() -> HmacSha256 {
    <HmacSha256 as hmac::Mac>::new_from_slice(SECRET.as_bytes()).expect("any length")
}

fn auth(c: &mut Criterion<Clock>) {
    let pusher = pusher();
    let keyed = keyed_state();
    let private = ChannelAuthRequest::new(SOCKET_ID, "private-foobar");
    let presence = ChannelAuthRequest::new(SOCKET_ID, "presence-foobar");
    let encrypted = ChannelAuthRequest::new(SOCKET_ID, "private-encrypted-foobar");
    let member = PresenceMember::new("user-42")
        .user_info(serde_json::json!({"name": "Ada Lovelace"}))
        .expect("an object");
    let user = UserData::new("user-42")
        .user_info(serde_json::json!({"name": "Ada Lovelace"}))
        .expect("an object");
    let sign_in = UserAuthRequest::new(SOCKET_ID);
    let private_string = format!("{SOCKET_ID}:private-foobar");

    let mut g = c.benchmark_group("auth");
    g.bench_function("private", |b| {
        b.iter(|| pusher.authorize_channel(black_box(&private), None))
    });
    g.bench_function("private+to_json", |b| {
        b.iter(|| {
            pusher
                .authorize_channel(black_box(&private), None)
                .map(|a| a.to_json())
        })
    });
    g.bench_function("presence", |b| {
        b.iter(|| pusher.authorize_channel(black_box(&presence), Some(&member)))
    });
    g.bench_function("encrypted", |b| {
        b.iter(|| pusher.authorize_channel(black_box(&encrypted), None))
    });
    g.bench_function("user", |b| {
        b.iter(|| pusher.authenticate_user(black_box(&sign_in), &user))
    });
    g.bench_function("raw_hmac_fresh_key", |b| {
        b.iter(|| hmac_fresh(black_box(private_string.as_bytes())))
    });
    g.bench_function("raw_hmac_keyed_state", |b| {
        b.iter(|| hmac_keyed(&keyed, black_box(private_string.as_bytes())))
    });
    g.finish();
}

fn trigger(c: &mut Criterion<Clock>) {
    let pusher = pusher();
    let keyed = keyed_state();
    // The same string-to-sign shape the trigger signs (body_md5 of a body like the real one).
    let example = pusher
        .trigger("my-channel", "my-event", TRIGGER_DATA)
        .sign()
        .expect("valid trigger");
    let query = example
        .path_and_query()
        .split_once('?')
        .map(|(_, q)| q)
        .expect("a query");
    let query = query
        .split_once("&auth_signature=")
        .map(|(q, _)| q)
        .expect("a signature");
    let to_sign = format!("POST\n/apps/{APP_ID}/events\n{query}");

    let mut g = c.benchmark_group("trigger");
    g.bench_function("sign", |b| {
        b.iter(|| {
            pusher
                .trigger(black_box("my-channel"), "my-event", black_box(TRIGGER_DATA))
                .sign()
        })
    });
    g.bench_function("raw_hmac_fresh_key", |b| {
        b.iter(|| hmac_fresh(black_box(to_sign.as_bytes())))
    });
    g.bench_function("raw_hmac_keyed_state", |b| {
        b.iter(|| hmac_keyed(&keyed, black_box(to_sign.as_bytes())))
    });
    g.finish();
}

fn webhook(c: &mut Criterion<Clock>) {
    let pusher = pusher();
    let keyed = keyed_state();
    let mut g = c.benchmark_group("webhook");
    for (label, size) in [("1k", 1024), ("64k", 64 * 1024)] {
        let body = webhook_body(size);
        let signed = pusher.sign_webhook(&body);
        g.throughput(Throughput::Bytes(body.len() as u64));
        g.bench_with_input(BenchmarkId::new("verify_parse", label), &body, |b, body| {
            b.iter(|| {
                let webhook = pusher
                    .verify_webhook(Some(&signed.key), Some(&signed.signature), black_box(body))
                    .expect("valid webhook");
                black_box(webhook.events.len())
            })
        });
        g.bench_with_input(BenchmarkId::new("parse_only", label), &body, |b, body| {
            b.iter(|| serde_json::from_slice::<Webhook>(black_box(body)).expect("valid body"))
        });
        g.bench_with_input(
            BenchmarkId::new("raw_hmac_fresh_key", label),
            &body,
            |b, body| b.iter(|| hmac_fresh(black_box(body))),
        );
        g.bench_with_input(
            BenchmarkId::new("raw_hmac_keyed_state", label),
            &body,
            |b, body| b.iter(|| hmac_keyed(&keyed, black_box(body))),
        );
    }
    g.finish();
}

fn encryption(c: &mut Criterion<Clock>) {
    let pusher = pusher();
    let master = MasterKey::from_base64(MASTER_KEY).expect("valid key");
    let plaintext = vec![b'a'; 1024];
    let text = String::from_utf8(plaintext.clone()).expect("ASCII");
    let channel = "private-encrypted-foobar";
    let cipher = XSalsa20Poly1305::new(Key::from_slice(&[7u8; 32]));
    let nonce = [9u8; 24];

    let mut g = c.benchmark_group("encryption");
    g.throughput(Throughput::Bytes(plaintext.len() as u64));
    g.bench_function("encrypt_1k", |b| {
        b.iter(|| master.encrypt(black_box(channel), black_box(&plaintext)))
    });
    g.bench_function("trigger_sign_1k", |b| {
        b.iter(|| pusher.trigger(channel, "my-event", black_box(&text)).sign())
    });
    g.bench_function("os_random_nonce", |b| {
        b.iter(|| {
            let mut nonce = [0u8; 24];
            getrandom::getrandom(&mut nonce).expect("the OS gives random bytes");
            nonce
        })
    });
    g.bench_function("raw_seal_1k", |b| {
        b.iter(|| {
            cipher
                .encrypt(Nonce::from_slice(&nonce), black_box(plaintext.as_slice()))
                .expect("1 KB seals")
        })
    });
    g.finish();
}

/// What the benches time: this thread's CPU time by default, so that other processes on a
/// shared machine (other builds, the peers' runs) do not inflate the figures; wall-clock time
/// with `BENCH_CLOCK=wall`. The operations are single-threaded and do no I/O, so on an idle
/// machine the two agree. `bench/compare/micro/*` time the peers the same way.
struct Clock {
    cpu: bool,
}

enum Start {
    Cpu(ThreadTime),
    Wall(Instant),
}

impl Measurement for Clock {
    type Intermediate = Start;
    type Value = Duration;

    fn start(&self) -> Start {
        if self.cpu {
            Start::Cpu(ThreadTime::now())
        } else {
            Start::Wall(Instant::now())
        }
    }

    fn end(&self, start: Start) -> Duration {
        match start {
            Start::Cpu(t) => t.elapsed(),
            Start::Wall(t) => t.elapsed(),
        }
    }

    fn add(&self, a: &Duration, b: &Duration) -> Duration {
        *a + *b
    }

    fn zero(&self) -> Duration {
        Duration::ZERO
    }

    fn to_f64(&self, value: &Duration) -> f64 {
        value.as_nanos() as f64
    }

    fn formatter(&self) -> &dyn ValueFormatter {
        &Nanos
    }
}

/// Formats nanoseconds as criterion's wall-time formatter does.
struct Nanos;

impl ValueFormatter for Nanos {
    fn scale_values(&self, typical: f64, values: &mut [f64]) -> &'static str {
        let (factor, unit) = if typical < 1e3 {
            (1.0, "ns")
        } else if typical < 1e6 {
            (1e-3, "µs")
        } else if typical < 1e9 {
            (1e-6, "ms")
        } else {
            (1e-9, "s")
        };
        values.iter_mut().for_each(|v| *v *= factor);
        unit
    }

    fn scale_throughputs(
        &self,
        _typical: f64,
        throughput: &Throughput,
        values: &mut [f64],
    ) -> &'static str {
        let per_iteration = match throughput {
            Throughput::Bytes(n) | Throughput::BytesDecimal(n) => *n as f64 / 1e6,
            Throughput::Elements(n) | Throughput::ElementsAndBytes { elements: n, .. } => {
                *n as f64 / 1e6
            }
            Throughput::Bits(n) => *n as f64 / 8e6,
        };
        values
            .iter_mut()
            .for_each(|v| *v = per_iteration * 1e9 / *v);
        match throughput {
            Throughput::Elements(_) | Throughput::ElementsAndBytes { .. } => "Melem/s",
            _ => "MB/s",
        }
    }

    fn scale_for_machines(&self, _values: &mut [f64]) -> &'static str {
        "ns"
    }
}

fn config() -> Criterion<Clock> {
    let cpu = std::env::var("BENCH_CLOCK").map_or(true, |clock| clock != "wall");
    // Short runs: the machine is shared; criterion reports the median of the samples.
    Criterion::default()
        .with_measurement(Clock { cpu })
        .warm_up_time(Duration::from_millis(500))
        .measurement_time(Duration::from_secs(2))
        .sample_size(50)
}

criterion_group! {
    name = benches;
    config = config();
    targets = auth, trigger, webhook, encryption
}
criterion_main!(benches);
