//! Every validation rule at and just past its limit, through the public API. What is refused
//! must never reach the server; what is allowed must be accepted by it.

use std::fmt::Debug;

use pusher_client::{BatchEvent, Data, Error, Info, Limits, ValidationError};
use pusher_tests::{FakePusher, ServerLimits};

/// The validation error of a refused call.
fn refused<T: Debug>(result: Result<T, Error>) -> ValidationError {
    match result {
        Err(Error::Validation(v)) => v,
        other => panic!("expected a validation error, got {other:?}"),
    }
}

fn batch_refused<T: Debug>(result: Result<T, Error>) -> (usize, ValidationError) {
    match refused(result) {
        ValidationError::BatchEvent { index, source } => (index, *source),
        other => panic!("expected BatchEvent, got {other:?}"),
    }
}

#[tokio::test]
async fn channel_name_length_164_ok_165_refused() {
    let server = FakePusher::start().await;
    let pusher = server.client();
    let at = "a".repeat(164);
    let past = "a".repeat(165);
    // The name in the error may be shortened for the message; length and limit are exact.
    let too_long = |v: ValidationError| {
        assert!(
            matches!(
                v,
                ValidationError::ChannelNameTooLong {
                    len: 165,
                    max: 164,
                    ..
                }
            ),
            "{v:?}"
        );
    };
    too_long(refused(pusher.trigger(&past, "e", "d").await));
    too_long(refused(
        pusher.trigger(["ok", past.as_str()], "e", "d").await,
    ));
    too_long(refused(pusher.channel(&past).await));
    too_long(refused(pusher.channels().prefix(&past).await));
    too_long(refused(
        pusher.users(format!("presence-{}", "a".repeat(156))).await,
    ));
    let (index, source) = batch_refused(
        pusher
            .trigger_batch(vec![BatchEvent::new(&past, "e", "d")])
            .await,
    );
    assert_eq!(index, 0);
    too_long(source);
    assert_eq!(server.request_count(), 0);

    pusher.trigger(&at, "e", "d").await.expect("164 is allowed");
    pusher.channel(&at).await.expect("164 is allowed");
    pusher
        .users(format!("presence-{}", "a".repeat(155)))
        .await
        .expect("164 is allowed");
    assert_eq!(server.request_count(), 3);
    assert_eq!(server.events()[0].channels, [at]);
}

#[tokio::test]
async fn channel_name_charset() {
    let server = FakePusher::start().await;
    let pusher = server.client();
    for (name, ch) in [
        ("a b", ' '),
        ("café", 'é'),
        ("日本", '日'),
        ("a/b", '/'),
        ("a:b", ':'),
        ("a*b", '*'),
        ("a?b", '?'),
        ("a&b", '&'),
        ("a+b", '+'),
        ("a%b", '%'),
        ("a#b", '#'),
        ("a\nb", '\n'),
        ("tab\t", '\t'),
    ] {
        let expected = ValidationError::ChannelNameInvalidChar {
            name: name.to_owned(),
            ch,
        };
        assert_eq!(
            refused(pusher.trigger(name, "e", "d").await),
            expected,
            "{name:?}"
        );
        assert_eq!(refused(pusher.channel(name).await), expected, "{name:?}");
    }
    assert_eq!(
        refused(pusher.trigger("", "e", "d").await),
        ValidationError::EmptyChannelName
    );
    assert_eq!(server.request_count(), 0);
    let every_allowed = "AZaz09_-=@,.;";
    pusher
        .trigger(every_allowed, "e", "d")
        .await
        .expect("all allowed characters");
    assert_eq!(server.events()[0].channels, [every_allowed]);
}

#[tokio::test]
async fn hash_prefix_is_reserved() {
    let server = FakePusher::start().await;
    let pusher = server.client();
    for name in ["#foo", "#server-to-user-42"] {
        let reserved = ValidationError::ReservedChannelName {
            name: name.to_owned(),
        };
        assert_eq!(refused(pusher.trigger(name, "e", "d").await), reserved);
        assert_eq!(
            refused(pusher.trigger(["a", name], "e", "d").await),
            reserved
        );
        assert_eq!(refused(pusher.channel(name).await), reserved);
        assert_eq!(refused(pusher.users(name).await), reserved);
        let (index, source) = batch_refused(
            pusher
                .trigger_batch(vec![
                    BatchEvent::new("a", "e", "d"),
                    BatchEvent::new(name, "e", "d"),
                ])
                .await,
        );
        assert_eq!((index, source), (1, reserved));
    }
    assert_eq!(server.request_count(), 0);
}

#[tokio::test]
async fn channel_count_zero_and_101_refused_100_ok() {
    let server = FakePusher::start().await;
    let pusher = server.client();
    let names = |n: usize| (0..n).map(|i| format!("c{i}")).collect::<Vec<_>>();
    assert_eq!(
        refused(pusher.trigger(Vec::<String>::new(), "e", "d").await),
        ValidationError::NoChannels
    );
    assert_eq!(
        refused(pusher.trigger(names(101), "e", "d").await),
        ValidationError::TooManyChannels {
            count: 101,
            max: 100
        }
    );
    assert_eq!(server.request_count(), 0);
    pusher
        .trigger(names(100), "e", "d")
        .await
        .expect("100 channels");
    assert_eq!(server.events()[0].channels.len(), 100);
}

#[tokio::test]
async fn event_name_200_ok_201_and_empty_refused() {
    let server = FakePusher::start().await;
    let pusher = server.client();
    // characters, not bytes: 201 two-byte characters are 402 bytes
    for unit in ["e", "é"] {
        let past = unit.repeat(201);
        let too_long = ValidationError::EventNameTooLong { len: 201, max: 200 };
        assert_eq!(refused(pusher.trigger("c", &past, "d").await), too_long);
        assert_eq!(
            refused(pusher.send_to_user("u", &past, "d").await),
            too_long
        );
        let (index, source) = batch_refused(
            pusher
                .trigger_batch(vec![BatchEvent::new("c", &past, "d")])
                .await,
        );
        assert_eq!((index, source), (0, too_long));
    }
    assert_eq!(
        refused(pusher.trigger("c", "", "d").await),
        ValidationError::EmptyEventName
    );
    assert_eq!(
        refused(pusher.send_to_user("u", "", "d").await),
        ValidationError::EmptyEventName
    );
    assert_eq!(server.request_count(), 0);
    pusher
        .trigger("c", "e".repeat(200), "d")
        .await
        .expect("200");
    pusher
        .trigger("c", "é".repeat(200), "d")
        .await
        .expect("200 chars, 400 bytes");
    assert_eq!(server.events()[1].name, "é".repeat(200));
}

#[tokio::test]
async fn payload_10240_bytes_ok_10241_refused() {
    let server = FakePusher::start().await;
    let pusher = server.client();
    // 5120 two-byte characters: 10240 bytes. One more byte is refused although the text has
    // far fewer than 10240 characters.
    let at = "é".repeat(5120);
    let past = format!("{at}a");
    assert_eq!(past.chars().count(), 5121);
    let too_large = ValidationError::PayloadTooLarge {
        size: 10241,
        max: 10240,
    };
    assert_eq!(
        refused(pusher.trigger("c", "e", past.as_str()).await),
        too_large
    );
    assert_eq!(
        refused(pusher.send_to_user("u", "e", past.as_str()).await),
        too_large
    );
    let (index, source) = batch_refused(
        pusher
            .trigger_batch(vec![
                BatchEvent::new("c", "e", "ok"),
                BatchEvent::new("c", "e", "ok"),
                BatchEvent::new("c", "e", past.as_str()),
            ])
            .await,
    );
    assert_eq!((index, source), (2, too_large.clone()));
    // JSON quoting counts: "x"*10239 serialises to 10241 bytes
    let quoted = Data::json(&"x".repeat(10239)).expect("json");
    assert_eq!(refused(pusher.trigger("c", "e", quoted).await), too_large);
    assert_eq!(server.request_count(), 0);

    pusher
        .trigger("c", "e", at.as_str())
        .await
        .expect("10240 bytes");
    pusher
        .send_to_user("u", "e", at.as_str())
        .await
        .expect("10240 bytes");
    pusher
        .trigger_batch(vec![BatchEvent::new("c", "e", at.as_str())])
        .await
        .expect("10240 bytes");
    let quoted = Data::json(&"x".repeat(10238)).expect("json");
    pusher.trigger("c", "e", quoted).await.expect("10240 bytes");
    let events = server.events();
    assert_eq!(events.len(), 4);
    assert!(events.iter().all(|e| e.data.len() == 10240));
}

#[tokio::test]
async fn raised_limits_allow_more() {
    let server = FakePusher::start().await;
    server.set_limits(ServerLimits {
        max_payload_bytes: 32 * 1024,
        max_channel_name_len: 200,
        max_channels_per_trigger: 150,
        max_event_name_len: 300,
        ..ServerLimits::default()
    });
    let pusher = server
        .client_builder()
        .limits(
            Limits::default()
                .max_payload_bytes(32 * 1024)
                .max_channel_name_len(200)
                .max_channels_per_trigger(150)
                .max_event_name_len(300),
        )
        .build()
        .expect("client");
    let twenty_kb = "x".repeat(20 * 1024);
    pusher
        .trigger("c", "e", twenty_kb.as_str())
        .await
        .expect("20 KB");
    pusher
        .trigger("a".repeat(200), "e", "d")
        .await
        .expect("200-char channel");
    let channels: Vec<String> = (0..150).map(|i| format!("c{i}")).collect();
    pusher
        .trigger(channels, "e", "d")
        .await
        .expect("150 channels");
    pusher
        .trigger("c", "e".repeat(300), "d")
        .await
        .expect("300-char event");
    assert_eq!(server.events()[0].data.len(), 20 * 1024);
    // and still refused just past the raised limits
    let past = "x".repeat(32 * 1024 + 1);
    assert!(matches!(
        refused(pusher.trigger("c", "e", past.as_str()).await),
        ValidationError::PayloadTooLarge { max: 32768, .. }
    ));
    assert_eq!(server.request_count(), 4);
}

#[tokio::test]
async fn a_server_with_default_limits_refuses_a_raised_client_payload() {
    let server = FakePusher::start().await;
    let pusher = server
        .client_builder()
        .limits(Limits::default().max_payload_bytes(32 * 1024))
        .build()
        .expect("client");
    let error = pusher
        .trigger("c", "e", "x".repeat(20 * 1024))
        .await
        .expect_err("server refuses");
    assert_eq!(error.status(), Some(413));
}

#[tokio::test]
async fn socket_id_formats() {
    let server = FakePusher::start().await;
    let pusher = server.client();
    for bad in [
        "", "1234", "1234.", ".5678", "12a.34", "1.2:x", "1.2.3", " 1.2", "1.2 ", "-1.2", "+1.2",
        "1,2", "١٢.٣", "１.２", "1.2\n",
    ] {
        let expected = ValidationError::InvalidSocketId {
            value: bad.to_owned(),
        };
        assert_eq!(
            refused(pusher.trigger("c", "e", "d").exclude(bad).await),
            expected,
            "{bad:?}"
        );
        let (index, source) = batch_refused(
            pusher
                .trigger_batch(vec![
                    BatchEvent::new("c", "e", "d"),
                    BatchEvent::new("c", "e", "d").exclude(bad),
                ])
                .await,
        );
        assert_eq!((index, source), (1, expected), "{bad:?}");
    }
    assert_eq!(server.request_count(), 0);
    for good in ["1234.5678", "0.0", "1.2", "123456789012345678.1"] {
        pusher
            .trigger("c", "e", "d")
            .exclude(good)
            .await
            .unwrap_or_else(|e| panic!("{good}: {e}"));
        assert_eq!(
            server
                .events()
                .last()
                .and_then(|e| e.socket_id.clone())
                .as_deref(),
            Some(good)
        );
    }
}

#[tokio::test]
async fn user_ids_empty_control_or_too_long_refused() {
    let server = FakePusher::start().await;
    let pusher = server.client();
    for bad in [
        String::new(),
        "a\nb".to_owned(),
        "a\0".to_owned(),
        "\u{7f}".to_owned(),
        "a\u{85}b".to_owned(),
        "\t".to_owned(),
        "x".repeat(201),
        "é".repeat(201),
    ] {
        assert!(
            matches!(
                refused(pusher.terminate_user_connections(&bad).await),
                ValidationError::InvalidUserId { .. }
            ),
            "{bad:?}"
        );
        assert!(
            matches!(
                refused(pusher.send_to_user(&bad, "e", "d").await),
                ValidationError::InvalidUserId { .. }
            ),
            "{bad:?}"
        );
    }
    assert_eq!(server.request_count(), 0);
    // The longest id a signed-in user can have with the default limits (its channel
    // "#server-to-user-{id}" is then 164 characters).
    pusher
        .terminate_user_connections("x".repeat(148))
        .await
        .expect("148 characters");
    assert_eq!(server.terminated_users(), ["x".repeat(148)]);
}

#[tokio::test]
async fn send_to_user_channel_length_counts_the_prefix() {
    // "#server-to-user-" is 16 characters: a 148-character id makes a 164-character channel.
    let server = FakePusher::start().await;
    let pusher = server.client();
    assert!(matches!(
        refused(pusher.send_to_user("u".repeat(149), "e", "d").await),
        ValidationError::UserIdTooLong {
            len: 149,
            max: 148,
            ..
        }
    ));
    assert_eq!(server.request_count(), 0);
    pusher
        .send_to_user("u".repeat(148), "e", "d")
        .await
        .expect("164-character channel");
    assert_eq!(server.events()[0].channels[0].len(), 164);
}

#[tokio::test]
async fn user_count_needs_presence() {
    let server = FakePusher::start().await;
    let pusher = server.client();
    let needs = |channel: &str| ValidationError::UserCountNeedsPresence {
        channel: channel.to_owned(),
    };
    assert_eq!(
        refused(
            pusher
                .trigger("public", "e", "d")
                .info(Info::USER_COUNT)
                .await
        ),
        needs("public")
    );
    assert_eq!(
        refused(
            pusher
                .trigger(["presence-a", "b"], "e", "d")
                .info(Info::USER_COUNT | Info::SUBSCRIPTION_COUNT)
                .await
        ),
        needs("b")
    );
    assert_eq!(
        refused(pusher.channel("private-x").info(Info::USER_COUNT).await),
        needs("private-x")
    );
    assert_eq!(
        refused(pusher.channels().info(Info::USER_COUNT).await),
        needs("")
    );
    assert_eq!(
        refused(
            pusher
                .channels()
                .prefix("private-")
                .info(Info::USER_COUNT)
                .await
        ),
        needs("private-")
    );
    assert!(matches!(
        refused(pusher.channels().info(Info::SUBSCRIPTION_COUNT).await),
        ValidationError::UnsupportedAttribute {
            attribute: "subscription_count",
            ..
        }
    ));
    let (index, source) = batch_refused(
        pusher
            .trigger_batch(vec![
                BatchEvent::new("presence-a", "e", "d").info(Info::USER_COUNT),
                BatchEvent::new("c", "e", "d").info(Info::USER_COUNT),
            ])
            .await,
    );
    assert_eq!((index, source), (1, needs("c")));
    assert!(matches!(
        refused(pusher.users("private-room").await),
        ValidationError::NotPresenceChannel { call: "users", .. }
    ));
    assert_eq!(server.request_count(), 0);
}

#[tokio::test]
async fn encrypted_channels_alone_and_with_a_key() {
    let server = FakePusher::start().await;
    let pusher = server.client();
    assert!(matches!(
        refused(pusher.trigger(["private-encrypted-a", "b"], "e", "d").await),
        ValidationError::EncryptedChannelWithOthers { .. }
    ));
    assert!(matches!(
        refused(pusher.trigger(["b", "private-encrypted-a"], "e", "d").await),
        ValidationError::EncryptedChannelWithOthers { .. }
    ));
    assert!(matches!(
        refused(pusher.trigger("private-encrypted-a", "e", "d").await),
        ValidationError::EncryptionNotConfigured { .. }
    ));
    let (index, source) = batch_refused(
        pusher
            .trigger_batch(vec![BatchEvent::new("private-encrypted-a", "e", "d")])
            .await,
    );
    assert_eq!(index, 0);
    assert!(matches!(
        source,
        ValidationError::EncryptionNotConfigured { .. }
    ));

    // The size limit applies to the data as sent, after encryption.
    let with_key = server
        .client_builder()
        .encryption_master_key_base64("AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=")
        .build()
        .expect("client");
    match refused(
        with_key
            .trigger("private-encrypted-a", "e", "x".repeat(10240))
            .await,
    ) {
        ValidationError::PayloadTooLarge { size, max } => {
            assert_eq!(max, 10240);
            assert!(size > 10240, "{size}");
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(server.request_count(), 0);
    with_key
        .trigger("private-encrypted-a", "e", "x".repeat(5000))
        .await
        .expect("fits once encrypted");
    assert!(server.events()[0].data.len() <= 10240);
}

#[tokio::test]
async fn batch_errors_carry_the_index() {
    let server = FakePusher::start().await;
    let pusher = server.client();
    let ok = || BatchEvent::new("c", "e", "d");
    type Check = fn(&ValidationError) -> bool;
    let cases: Vec<(usize, BatchEvent, Check)> = vec![
        (0, BatchEvent::new("", "e", "d"), |v| {
            matches!(v, ValidationError::EmptyChannelName)
        }),
        (3, BatchEvent::new("c", "", "d"), |v| {
            matches!(v, ValidationError::EmptyEventName)
        }),
        (9, BatchEvent::new("c d", "e", "d"), |v| {
            matches!(v, ValidationError::ChannelNameInvalidChar { .. })
        }),
        (10, ok().exclude("x"), |v| {
            matches!(v, ValidationError::InvalidSocketId { .. })
        }),
        (22, BatchEvent::new("c", "e", "x".repeat(10241)), |v| {
            matches!(v, ValidationError::PayloadTooLarge { .. })
        }),
    ];
    for (at, bad, check) in cases {
        let mut batch: Vec<BatchEvent> = (0..23).map(|_| ok()).collect();
        batch[at] = bad;
        let (index, source) = batch_refused(pusher.trigger_batch(batch).await);
        assert_eq!(index, at);
        assert!(check(&source), "{at}: {source:?}");
        let error = ValidationError::BatchEvent {
            index,
            source: Box::new(source),
        };
        assert!(
            error.to_string().contains(&format!("batch event {at}")),
            "{error}"
        );
    }
    assert_eq!(server.request_count(), 0);
}
