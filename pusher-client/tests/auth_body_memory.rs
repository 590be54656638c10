//! Peak memory of parsing hostile authorization bodies.
//!
//! A JSON body is read straight into the fields it needs: a value of the wrong type is checked
//! and skipped, never built as a `serde_json::Value` tree (a 2 MiB array of zeros costs 17
//! times its size as a tree), and a batch stops being read at its limit. So parsing a body,
//! whatever it holds, costs at most a small constant factor of its size.
//!
//! One test in this binary: the counting allocator sees the whole process, so nothing else may
//! run beside the measurement. `cargo test --test auth_body_memory -- --nocapture` prints each
//! factor.
#![allow(clippy::unwrap_used)]

use peak_alloc::PeakAlloc;
use pusher_client::{AuthReply, ChannelAuthBody, MAX_BATCH_AUTH_CHANNELS, UserAuthRequest};

#[global_allocator]
static ALLOCATOR: PeakAlloc = PeakAlloc;

const JSON: &str = "application/json";
const BODY_LEN: usize = 2 * 1024 * 1024;
/// The most a parse may allocate at its peak, as a multiple of the body's size.
const MAX_FACTOR: usize = 4;

/// `head`, then `item` repeated (joined by `,`) to make the body 2 MiB, then `tail`; sized
/// exactly, so building it leaves no spare capacity to blur the measurement.
fn body(head: &str, item: &str, tail: &str) -> Vec<u8> {
    let count = (BODY_LEN - head.len() - tail.len()) / (item.len() + 1);
    let len = head.len() + count * (item.len() + 1) - 1 + tail.len();
    let mut body = Vec::with_capacity(len);
    body.extend_from_slice(head.as_bytes());
    for i in 0..count {
        if i > 0 {
            body.push(b',');
        }
        body.extend_from_slice(item.as_bytes());
    }
    body.extend_from_slice(tail.as_bytes());
    assert_eq!(body.len(), len);
    body
}

/// Runs `parse` and gives back its result and the most it had allocated at once, in bytes.
fn peak_of<T>(parse: impl FnOnce() -> T) -> (T, usize) {
    ALLOCATOR.reset_peak_usage();
    let before = ALLOCATOR.current_usage();
    let out = parse();
    (out, ALLOCATOR.peak_usage().saturating_sub(before))
}

fn error_text(reply: &AuthReply) -> String {
    assert_eq!(reply.status(), 400, "{}", reply.body());
    let body: serde_json::Value = serde_json::from_str(reply.body()).unwrap();
    body["error"].as_str().unwrap().to_owned()
}

fn check(what: &str, body: &[u8], peak: usize) {
    let factor = peak as f64 / body.len() as f64;
    println!(
        "{what}: peak {peak} bytes for a {} byte body ({factor:.2}x)",
        body.len()
    );
    assert!(
        peak <= MAX_FACTOR * body.len(),
        "{what}: parsing a {} byte body allocated {peak} bytes at its peak ({factor:.1}x > {MAX_FACTOR}x)",
        body.len()
    );
}

#[test]
fn hostile_json_bodies_cost_a_small_constant_factor_of_their_size() {
    let too_many = format!("at most {MAX_BATCH_AUTH_CHANNELS} channels may be authorized at once");

    // The issue's body: a batch of a million numbers.
    let zeros = body(r#"{"channel_name":["#, "0", "]}");
    let (result, peak) = peak_of(|| ChannelAuthBody::parse(Some(JSON), &zeros));
    check("channel_name: [0, 0, ..]", &zeros, peak);
    assert_eq!(error_text(&result.unwrap_err()), too_many);

    // The same after a socket id, and with strings: refused at the limit, not read to the end.
    let names = body(
        r#"{"socket_id":"1.2","channel_name":["#,
        r#""private-a""#,
        "]}",
    );
    let (result, peak) = peak_of(|| ChannelAuthBody::parse(Some(JSON), &names));
    check("channel_name: [\"private-a\", ..]", &names, peak);
    assert_eq!(error_text(&result.unwrap_err()), too_many);

    // One item holding the whole array: the wrong type, found without building it.
    let nested = body(r#"{"socket_id":"1.2","channel_name":[["#, "0", "]]}");
    let (result, peak) = peak_of(|| ChannelAuthBody::parse(Some(JSON), &nested));
    check("channel_name: [[0, 0, ..]]", &nested, peak);
    assert_eq!(
        error_text(&result.unwrap_err()),
        "channel_name must be a string"
    );

    // An object where the name should be.
    let object = body(
        r#"{"socket_id":"1.2","channel_name":{"#,
        r#""k":{"a":[0,1.5,true,null]}"#,
        "}}",
    );
    let (result, peak) = peak_of(|| ChannelAuthBody::parse(Some(JSON), &object));
    check("channel_name: {..}", &object, peak);
    assert_eq!(
        error_text(&result.unwrap_err()),
        "channel_name must be a string"
    );

    // The socket id as a huge array, in both endpoints' bodies.
    let socket_zeros = body(r#"{"channel_name":"private-a","socket_id":["#, "0", "]}");
    let (result, peak) = peak_of(|| ChannelAuthBody::parse(Some(JSON), &socket_zeros));
    check("socket_id: [0, 0, ..] (channel)", &socket_zeros, peak);
    assert_eq!(
        error_text(&result.unwrap_err()),
        "socket_id must be a string"
    );
    let (result, peak) = peak_of(|| UserAuthRequest::parse(Some(JSON), &socket_zeros));
    check("socket_id: [0, 0, ..] (user)", &socket_zeros, peak);
    assert_eq!(
        error_text(&result.unwrap_err()),
        "socket_id must be a string"
    );

    // A full batch of long names is accepted: its names are the body, copied once.
    let long = format!(
        "\"private-{}",
        "x".repeat(BODY_LEN / MAX_BATCH_AUTH_CHANNELS - 32)
    );
    let mut items: Vec<String> = (0..MAX_BATCH_AUTH_CHANNELS)
        .map(|i| format!("{long}{i}\""))
        .collect();
    items[0].insert_str(0, r#"{"socket_id":"1.2","channel_name":["#);
    let batch = format!("{}]}}", items.join(",")).into_bytes();
    drop(items);
    let (result, peak) = peak_of(|| ChannelAuthBody::parse(Some(JSON), &batch));
    check("a full batch of long names", &batch, peak);
    assert_eq!(result.unwrap().channel_names.len(), MAX_BATCH_AUTH_CHANNELS);
}
