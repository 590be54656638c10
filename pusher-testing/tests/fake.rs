//! The fake as a user's tests drive it: through `fake.client()`, over the loopback socket and
//! in memory; what it records, refuses and fails with.

use std::time::Duration;

use pusher_client::{
    BatchEvent, ChannelAuthBody, Error, Info, Limits, Pusher, UserAuthRequest, WebhookEvent,
};
use pusher_testing::{AuthRequest, ChannelState, Failure, FakePusher, Query, RejectionReason};
use serde_json::json;

const MASTER_KEY: &str = "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=";

/// Both variants of the fake, for the tests that must hold on each.
async fn fakes() -> [FakePusher; 2] {
    [FakePusher::start().await, FakePusher::in_memory()]
}

#[tokio::test]
async fn records_triggers_batches_user_events_terminations_and_queries() {
    for fake in fakes().await {
        fake.set_channel(
            "presence-lobby",
            ChannelState::new().subscribers(3).users(["ada", "grace"]),
        );
        fake.occupied("orders", 2);
        let pusher = fake.client();
        let answer = pusher
            .trigger(["orders", "audit"], "created", json!({"id": 1}))
            .exclude("123.456")
            .info(Info::SUBSCRIPTION_COUNT)
            .await
            .expect("trigger");
        assert_eq!(answer.channels["orders"].subscription_count, Some(2));
        pusher
            .trigger_batch([
                BatchEvent::new("orders", "a", "1"),
                BatchEvent::new("jobs", "b", "2"),
            ])
            .await
            .expect("batch");
        pusher
            .send_to_user("ada", "notice", json!({"n": 1}))
            .await
            .expect("send to user");
        pusher
            .terminate_user_connections("grace")
            .await
            .expect("terminate");
        let users = pusher.users("presence-lobby").await.expect("users");
        assert_eq!(users.users.len(), 2);
        let channels = pusher.channels().await.expect("channels");
        assert_eq!(channels.channels.len(), 2);

        let triggers = fake.triggers();
        assert_eq!(triggers.len(), 4, "{triggers:#?}");
        assert_eq!(triggers[0].channels, ["orders", "audit"]);
        assert_eq!(triggers[0].socket_id.as_deref(), Some("123.456"));
        assert_eq!(triggers[0].info.as_deref(), Some("subscription_count"));
        assert_eq!(fake.triggers_on("orders").len(), 2);
        assert_eq!(fake.batches().len(), 1);
        assert_eq!(fake.batches()[0][1].batch_index, Some(1));
        let user_events = fake.user_events();
        assert_eq!(
            (
                user_events[0].user_id.as_str(),
                user_events[0].event.as_str()
            ),
            ("ada", "notice")
        );
        assert_eq!(fake.terminations()[0].user_id, "grace");
        assert!(
            matches!(&fake.queries()[0], Query::Users { channel } if channel == "presence-lobby")
        );
        assert!(matches!(
            &fake.queries()[1],
            Query::Channels { prefix: None, .. }
        ));
        fake.expect_trigger()
            .channel("jobs")
            .event("b")
            .in_batch(true)
            .assert();
        fake.expect_trigger().event("created").assert_count(1);
        fake.assert_no_rejections();
    }
}

/// The "wrong app": code that sends what Pusher refuses, with a client whose own limits are
/// larger (a dedicated cluster's, say), gets a rejection saying what was wrong.
#[tokio::test]
async fn a_wrong_app_is_refused_with_a_message_that_says_what_was_wrong() {
    for fake in fakes().await {
        let pusher = fake
            .client_builder()
            .limits(
                Limits::default()
                    .max_payload_bytes(64 * 1024)
                    .max_event_name_len(1000)
                    .max_channel_name_len(1000),
            )
            .build()
            .expect("client");
        let cases = [
            (
                "orders".to_owned(),
                "e".repeat(201),
                "{}".to_owned(),
                RejectionReason::EventName,
                400,
                "event name is 201 characters, over the 200-character limit".to_owned(),
            ),
            (
                "orders".to_owned(),
                "created".to_owned(),
                "x".repeat(12_000),
                RejectionReason::PayloadTooLarge,
                413,
                r#"data of event "created" is 12000 bytes, over the 10240-byte limit"#.to_owned(),
            ),
            (
                "c".repeat(165),
                "created".to_owned(),
                "{}".to_owned(),
                RejectionReason::ChannelName,
                400,
                format!(
                    "channel name {:?} is 165 characters, over the 164-character limit",
                    "c".repeat(165)
                ),
            ),
        ];
        for (channel, event, data, reason, status, message) in cases {
            fake.clear_recordings();
            let err = pusher
                .trigger(channel.as_str(), event.as_str(), data)
                .await
                .expect_err("refused");
            assert_eq!(err.status(), Some(status), "{err}");
            assert!(
                err.to_string().contains(&message),
                "the client's error shows the reason: {err}"
            );
            let rejections = fake.rejections();
            assert_eq!(rejections.len(), 1);
            assert_eq!(rejections[0].reason(), reason);
            assert_eq!(rejections[0].message(), message);
            assert!(fake.triggers().is_empty());
            let panic = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
                fake.assert_no_rejections()
            }))
            .expect_err("assert_no_rejections panics");
            let text = panic.downcast_ref::<String>().cloned().unwrap_or_default();
            assert!(text.contains(&message), "{text}");
        }
        // A channel name with a character Pusher refuses is caught by the client first, with
        // a message as clear; nothing is sent.
        let err = pusher
            .trigger("orders!", "created", "{}")
            .await
            .expect_err("invalid channel");
        assert!(matches!(err, Error::Validation(_)), "{err:?}");
        assert!(err.to_string().contains("'!'"), "{err}");
    }
}

#[tokio::test]
async fn expect_trigger_lists_what_did_arrive() {
    let fake = FakePusher::in_memory();
    fake.client()
        .trigger("orders", "created", json!({"id": 7}))
        .await
        .expect("trigger");
    let panic = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        let _ = fake
            .expect_trigger()
            .channel("orders")
            .event("shipped")
            .assert();
    }))
    .expect_err("no such event");
    let text = panic.downcast_ref::<String>().cloned().unwrap_or_default();
    assert!(
        text.starts_with(r#"expected at least one event on channel "orders", named "shipped"; 0 matched. The fake Pusher accepted 1 event(s):"#),
        "{text}"
    );
    assert!(
        text.contains(r#"- "created" on ["orders"] data {"id":7}"#),
        "{text}"
    );
}

#[tokio::test]
async fn encrypted_channels_are_decrypted_with_the_master_key() {
    let fake = FakePusher::builder()
        .master_key_base64(MASTER_KEY)
        .start()
        .await;
    let pusher = fake.client(); // gets the master key too
    pusher
        .trigger("private-encrypted-inbox", "message", r#"{"text":"hi"}"#)
        .await
        .expect("encrypted trigger");
    let trigger = fake
        .expect_trigger()
        .channel("private-encrypted-inbox")
        .data_json(json!({"text": "hi"}))
        .assert();
    assert!(trigger.decrypted);
    assert!(
        trigger.raw_data.starts_with(r#"{"nonce":""#),
        "{}",
        trigger.raw_data
    );

    // A client without the key (or with another) sends what subscribers cannot read.
    let plain = Pusher::builder(fake.app_id(), fake.key(), fake.secret())
        .host(fake.host())
        .port(fake.port())
        .tls(false)
        .encryption_master_key_base64("AQECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=")
        .build()
        .expect("client");
    let err = plain
        .trigger("private-encrypted-inbox", "message", "{}")
        .await
        .expect_err("refused");
    assert_eq!(err.status(), Some(400));
    assert_eq!(fake.rejections()[0].reason(), RejectionReason::Encryption);
    assert!(
        fake.rejections()[0].message().contains("does not decrypt"),
        "{:?}",
        fake.rejections()
    );
}

#[tokio::test]
async fn failures_status_retry_after_slow_and_cut() {
    for fake in fakes().await {
        let pusher = fake
            .client_builder()
            .timeout(Duration::from_millis(500))
            .build()
            .expect("client");

        fake.fail_next(Failure::status(503).body("down for maintenance"));
        let err = pusher.trigger("orders", "a", "{}").await.expect_err("503");
        assert_eq!(err.status(), Some(503));
        assert!(err.to_string().contains("down for maintenance"), "{err}");

        // 429 + Retry-After: the client waits and retries once on its own.
        fake.fail_next(Failure::status(429).retry_after(0));
        pusher
            .trigger("orders", "b", "{}")
            .await
            .expect("retried after 429");
        assert_eq!(fake.request_count(), 3);

        fake.fail_next(Failure::slow(Duration::from_secs(5)));
        let err = pusher
            .trigger("orders", "c", "{}")
            .await
            .expect_err("timeout");
        assert!(err.is_timeout(), "{err:?}");

        fake.fail_next(Failure::cut_connection());
        let err = pusher.trigger("orders", "d", "{}").await.expect_err("cut");
        assert!(matches!(err, Error::Transport(_)), "{err:?}");

        assert_eq!(
            fake.triggers().len(),
            1,
            "only the retried one went through"
        );
        fake.assert_no_rejections();
    }
}

#[tokio::test]
async fn signature_and_clock_are_checked() {
    let fake = FakePusher::start().await;
    let wrong = Pusher::builder(fake.app_id(), fake.key(), "not-the-secret")
        .host(fake.host())
        .port(fake.port())
        .tls(false)
        .build()
        .expect("client");
    let err = wrong.trigger("orders", "a", "{}").await.expect_err("401");
    assert_eq!(err.status(), Some(401));
    assert_eq!(fake.rejections()[0].reason(), RejectionReason::Signature);
    assert!(!fake.requests()[0].authenticated());

    fake.set_clock(pusher_testing::ServerClock::Offset(3600));
    let err = fake
        .client()
        .trigger("orders", "a", "{}")
        .await
        .expect_err("401");
    assert_eq!(
        fake.rejections()[1].reason(),
        RejectionReason::Timestamp,
        "{err}"
    );
}

#[tokio::test]
async fn wait_for_triggers_sees_background_work() {
    let fake = FakePusher::start().await;
    let pusher = fake.client();
    tokio::spawn(async move {
        for i in 0..3 {
            tokio::time::sleep(Duration::from_millis(10)).await;
            let _ = pusher.trigger("jobs", "tick", i.to_string()).await;
        }
    });
    let triggers = fake.wait_for_triggers(3, Duration::from_secs(10)).await;
    assert_eq!(
        triggers.iter().map(|t| t.data.as_str()).collect::<Vec<_>>(),
        ["0", "1", "2"]
    );
}

#[test]
fn auth_requests_parse_as_pusher_client_reads_them() {
    for json in [false, true] {
        let with_format = |r: AuthRequest| if json { r.json() } else { r };
        let one =
            with_format(AuthRequest::channel("1.2", "private-a b").param("extra", "x")).build();
        let parsed =
            ChannelAuthBody::parse(one.headers()["content-type"].to_str().ok(), one.body())
                .expect("parses");
        assert_eq!((parsed.socket_id.as_str(), parsed.batch), ("1.2", false));
        assert_eq!(parsed.channel_names, ["private-a b"]);

        let batch = with_format(AuthRequest::batch("1.2", ["private-a", "presence-b"])).build();
        let parsed =
            ChannelAuthBody::parse(batch.headers()["content-type"].to_str().ok(), batch.body())
                .expect("parses");
        assert!(parsed.batch);
        assert_eq!(parsed.channel_names, ["private-a", "presence-b"]);

        let user = with_format(AuthRequest::user("1.2")).build();
        let parsed =
            UserAuthRequest::parse(user.headers()["content-type"].to_str().ok(), user.body())
                .expect("parses");
        assert_eq!(parsed.socket_id, "1.2");
    }
}

#[tokio::test]
async fn webhooks_verify_and_encrypted_client_events_decrypt() {
    let fake = FakePusher::builder()
        .master_key_base64(MASTER_KEY)
        .in_memory();
    let pusher = fake.client();
    let request = fake
        .webhook()
        .event(WebhookEvent::ChannelVacated {
            channel: "orders".into(),
        })
        .subscription_count("orders", 4)
        .presence_client_event("presence-room", "client-hi", "{}", "1.2", "ada")
        .client_event(
            "private-encrypted-room",
            "client-secret",
            r#"{"s":1}"#,
            "1.2",
        )
        .time_ms(1_700_000_000_000)
        .build();
    let headers = request.headers();
    let webhook = pusher
        .verify_webhook(
            headers["x-pusher-key"].to_str().ok(),
            headers["x-pusher-signature"].to_str().ok(),
            request.body(),
        )
        .expect("verifies");
    assert_eq!(webhook.time_ms, 1_700_000_000_000);
    assert_eq!(webhook.events.len(), 4);
    assert_eq!(
        webhook.events[0],
        WebhookEvent::ChannelVacated {
            channel: "orders".into()
        }
    );
    let WebhookEvent::ClientEvent { user_id, .. } = &webhook.events[2] else {
        panic!("client event")
    };
    assert_eq!(user_id.as_deref(), Some("ada"));
    assert!(
        matches!(&webhook.events[3], WebhookEvent::ClientEvent { data, .. } if data.contains("ciphertext"))
    );
    assert_eq!(
        pusher
            .decrypt_client_event(&webhook.events[3])
            .expect("decrypts"),
        r#"{"s":1}"#
    );

    let forged = fake.webhook().channel_occupied("c").bad_signature().build();
    let headers = forged.headers();
    assert!(
        pusher
            .verify_webhook(
                headers["x-pusher-key"].to_str().ok(),
                headers["x-pusher-signature"].to_str().ok(),
                forged.body(),
            )
            .is_err()
    );
}

#[tokio::test]
async fn debug_output_never_shows_the_secret() {
    let fake = FakePusher::builder()
        .app("1", "key", "a-very-secret-secret")
        .master_key_base64(MASTER_KEY)
        .start()
        .await;
    let debug = format!("{fake:?} {:?}", fake.webhook());
    assert!(fake.leaks_in(&debug).is_empty(), "{debug}");
    assert!(!debug.contains(MASTER_KEY));
}
