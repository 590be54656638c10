//! End-to-end encryption on the wire: exact bytes with an injected nonce (checked against a
//! libsodium known answer), a fresh nonce per event, and batches encrypting per event.

use pusher_client::{BatchEvent, Pusher};
use pusher_tests::FakePusher;
use serde_json::Value;

const MASTER_KEY: &str = "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=";

fn client(server: &FakePusher) -> Pusher {
    server
        .client_builder()
        .encryption_master_key_base64(MASTER_KEY)
        .build()
        .expect("client")
}

/// With the nonce fixed, the data sent is exactly what libsodium's `crypto_secretbox` produces
/// for the same channel key, nonce and plaintext (vector computed once with PyNaCl).
#[tokio::test]
async fn injected_nonce_gives_the_libsodium_known_answer_on_the_wire() {
    let server = FakePusher::start().await;
    let pusher = server
        .client_builder()
        .encryption_master_key_base64(MASTER_KEY)
        .nonce_source_for_tests(|nonce| {
            for (i, byte) in nonce.iter_mut().enumerate() {
                *byte = i as u8 + 1;
            }
        })
        .build()
        .expect("client");
    pusher
        .trigger(
            "private-encrypted-kat",
            "message",
            r#"{"message":"hello world"}"#,
        )
        .await
        .expect("trigger");
    let body: Value =
        serde_json::from_slice(&server.last_request().expect("sent").body).expect("json");
    assert_eq!(
        body["data"],
        r#"{"nonce":"AQIDBAUGBwgJCgsMDQ4PEBESExQVFhcY","ciphertext":"tRVxg62RWkfMKhh7eLY+oguoXfMzTA4+AZxyvThOWDFYXFpXwXHW1xs="}"#
    );
    assert_eq!(
        body["channels"],
        serde_json::json!(["private-encrypted-kat"])
    );
}

fn sent_nonces(server: &FakePusher) -> Vec<String> {
    let mut nonces = Vec::new();
    for request in server.requests() {
        let body: Value = serde_json::from_slice(&request.body).expect("json");
        let datas: Vec<&Value> = match body.get("batch") {
            Some(Value::Array(events)) => events.iter().map(|e| &e["data"]).collect(),
            _ => vec![&body["data"]],
        };
        for data in datas {
            let payload: Value =
                serde_json::from_str(data.as_str().expect("string data")).expect("payload");
            nonces.push(payload["nonce"].as_str().expect("nonce").to_owned());
        }
    }
    nonces
}

#[tokio::test]
async fn every_event_gets_a_fresh_random_nonce() {
    let server = FakePusher::start().await;
    let pusher = client(&server);
    for _ in 0..3 {
        pusher
            .trigger("private-encrypted-a", "e", "same plaintext")
            .await
            .expect("trigger");
    }
    pusher
        .trigger_batch(
            (0..12).map(|_| BatchEvent::new("private-encrypted-a", "e", "same plaintext")),
        )
        .await
        .expect("batch");
    let mut nonces = sent_nonces(&server);
    assert_eq!(nonces.len(), 15);
    nonces.sort();
    nonces.dedup();
    assert_eq!(nonces.len(), 15, "a nonce was reused");
}

/// In a batch, only the events on encrypted channels are encrypted, each for its own channel.
#[tokio::test]
async fn batches_encrypt_per_event_and_channel() {
    let server = FakePusher::start().await;
    let pusher = client(&server);
    pusher
        .trigger_batch(vec![
            BatchEvent::new("private-encrypted-a", "e", "for a"),
            BatchEvent::new("public", "e", "in the clear"),
            BatchEvent::new("private-encrypted-b", "e", "for b"),
        ])
        .await
        .expect("batch");
    let body: Value =
        serde_json::from_slice(&server.last_request().expect("sent").body).expect("json");
    let events = body["batch"].as_array().expect("batch");
    assert_eq!(events[1]["data"], "in the clear");
    assert_eq!(
        pusher
            .decrypt("private-encrypted-a", events[0]["data"].as_str().unwrap())
            .unwrap(),
        "for a"
    );
    assert_eq!(
        pusher
            .decrypt("private-encrypted-b", events[2]["data"].as_str().unwrap())
            .unwrap(),
        "for b"
    );
    // Each is sealed under its own channel's key.
    assert!(
        pusher
            .decrypt("private-encrypted-b", events[0]["data"].as_str().unwrap())
            .is_err()
    );
}
