//! Batch triggers: splitting at the batch limit, order, `info` answers and partial failures.

use pusher_client::{BatchEvent, Error, Info, Limits, ValidationError};
use pusher_tests::{ChannelState, FakePusher, Reply, ServerLimits};

fn events(n: usize) -> Vec<BatchEvent> {
    (0..n)
        .map(|i| {
            BatchEvent::new(
                format!("channel-{}", i % 3),
                format!("e{i}"),
                format!("{i}"),
            )
        })
        .collect()
}

/// The events of each `/batch_events` request, by name.
fn batches(server: &FakePusher) -> Vec<Vec<String>> {
    server
        .requests()
        .iter()
        .filter(|r| r.raw_path == "/apps/4242/batch_events")
        .map(|r| {
            r.body_json()["batch"]
                .as_array()
                .map(|a| {
                    a.iter()
                        .map(|e| e["name"].as_str().unwrap_or("?").to_owned())
                        .collect()
                })
                .unwrap_or_default()
        })
        .collect()
}

fn names(range: std::ops::Range<usize>) -> Vec<String> {
    range.map(|i| format!("e{i}")).collect()
}

#[tokio::test]
async fn twenty_three_events_make_three_requests_in_order() {
    let server = FakePusher::start().await;
    let pusher = server.client();
    let answer = pusher.trigger_batch(events(23)).await.expect("batch");
    assert!(answer.batch.is_empty());
    assert_eq!(server.request_count(), 3);
    assert_eq!(
        batches(&server),
        [names(0..10), names(10..20), names(20..23)]
    );
    let delivered: Vec<String> = server.events().into_iter().map(|e| e.name).collect();
    assert_eq!(delivered, names(0..23));
    for (i, event) in server.events().iter().enumerate() {
        assert_eq!(event.data, i.to_string());
        assert_eq!(event.channels, [format!("channel-{}", i % 3)]);
    }
    assert!(server.requests().iter().all(|r| r.authenticated()));
}

#[tokio::test]
async fn twenty_three_events_with_info_answer_twenty_three_entries() {
    let server = FakePusher::start().await;
    for c in 0..3u64 {
        server.set_channel(
            format!("channel-{c}"),
            ChannelState::new().subscribers(c * 10 + 1),
        );
    }
    let pusher = server.client();
    let batch: Vec<BatchEvent> = events(23)
        .into_iter()
        .map(|e| e.info(Info::SUBSCRIPTION_COUNT))
        .collect();
    let answer = pusher.trigger_batch(batch).await.expect("batch");
    assert_eq!(answer.batch.len(), 23);
    for (i, counts) in answer.batch.iter().enumerate() {
        assert_eq!(
            counts.subscription_count,
            Some((i % 3) as u64 * 10 + 1),
            "entry {i}"
        );
    }
    assert_eq!(server.request_count(), 3);
}

#[tokio::test]
async fn info_on_some_events_only_keeps_positions() {
    let server = FakePusher::start().await;
    server.set_channel("channel-0", ChannelState::new().subscribers(5));
    let pusher = server.client();
    // Only event 21 (in the third request) asks for info: the first two answers are `{}`.
    let batch: Vec<BatchEvent> = events(23)
        .into_iter()
        .enumerate()
        .map(|(i, e)| {
            if i == 21 {
                e.info(Info::SUBSCRIPTION_COUNT)
            } else {
                e
            }
        })
        .collect();
    let answer = pusher.trigger_batch(batch).await.expect("batch");
    assert_eq!(answer.batch.len(), 23);
    assert_eq!(answer.batch[21].subscription_count, Some(5));
    assert!(
        answer
            .batch
            .iter()
            .enumerate()
            .all(|(i, c)| i == 21 || c.subscription_count.is_none())
    );
}

#[tokio::test]
async fn failure_on_second_chunk_is_partial_batch() {
    let server = FakePusher::start().await;
    server.reply_next(Reply::Normal);
    server.reply_next(Reply::status(500, "boom"));
    let pusher = server.client();
    let error = pusher
        .trigger_batch(events(23))
        .await
        .expect_err("2nd chunk fails");
    assert_eq!(error.status(), Some(500));
    match &error {
        Error::PartialBatch { delivered, source } => {
            assert_eq!(*delivered, 10);
            match source.as_ref() {
                Error::Api(api) => {
                    assert_eq!(api.status(), 500);
                    assert_eq!(api.body(), "boom");
                }
                other => panic!("expected an API error inside, got {other:?}"),
            }
        }
        other => panic!("expected PartialBatch, got {other:?}"),
    }
    // the third chunk was not sent
    assert_eq!(server.request_count(), 2);
    assert_eq!(server.events().len(), 10);
    assert!(server.leaks_in(&format!("{error} {error:?}")).is_empty());
}

#[tokio::test]
async fn failure_on_first_chunk_is_plain_error() {
    let server = FakePusher::start().await;
    server.reply_next(Reply::status(503, "unavailable"));
    let pusher = server.client();
    let error = pusher.trigger_batch(events(23)).await.expect_err("fails");
    match &error {
        Error::Api(api) => assert_eq!((api.status(), api.body()), (503, "unavailable")),
        other => panic!("expected Api, got {other:?}"),
    }
    assert_eq!(server.request_count(), 1);
}

#[tokio::test]
async fn timeout_on_third_chunk_is_partial_timeout() {
    let server = FakePusher::start().await;
    server.reply_next_n(2, Reply::Normal);
    server.reply_next(Reply::Hang);
    let pusher = server
        .client_builder()
        .timeout(std::time::Duration::from_millis(300))
        .build()
        .expect("client");
    let error = pusher.trigger_batch(events(23)).await.expect_err("hangs");
    assert!(error.is_timeout(), "{error:?}");
    assert!(
        matches!(error, Error::PartialBatch { delivered: 20, .. }),
        "{error:?}"
    );
}

#[tokio::test]
async fn raised_batch_limit_sends_one_request() {
    let server = FakePusher::start().await;
    server.set_limits(ServerLimits {
        max_batch_size: 25,
        ..ServerLimits::default()
    });
    let pusher = server
        .client_builder()
        .limits(Limits::default().max_batch_size(25))
        .build()
        .expect("client");
    pusher.trigger_batch(events(23)).await.expect("batch");
    assert_eq!(batches(&server), [names(0..23)]);
}

#[tokio::test]
async fn server_refuses_batches_above_its_limit() {
    // A client limit raised above what the server accepts: the server's 400 comes back.
    let server = FakePusher::start().await;
    let pusher = server
        .client_builder()
        .limits(Limits::default().max_batch_size(11))
        .build()
        .expect("client");
    let error = pusher.trigger_batch(events(11)).await.expect_err("too big");
    assert_eq!(error.status(), Some(400), "{error:?}");
    match error {
        Error::Api(api) => assert!(api.body().contains("Batch too large"), "{}", api.body()),
        other => panic!("{other:?}"),
    }
}

#[tokio::test]
async fn invalid_event_refuses_whole_batch_before_sending() {
    let server = FakePusher::start().await;
    let pusher = server.client();
    let mut batch = events(23);
    batch[12] = BatchEvent::new("bad channel", "e", "d");
    let error = pusher.trigger_batch(batch).await.expect_err("refused");
    match error {
        Error::Validation(ValidationError::BatchEvent { index, source }) => {
            assert_eq!(index, 12);
            assert!(matches!(
                *source,
                ValidationError::ChannelNameInvalidChar { ch: ' ', .. }
            ));
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(server.request_count(), 0);
    // An empty batch (issue 17: a list built at run time may be empty) is a no-op: an empty
    // answer, and nothing on the wire.
    let empty = pusher
        .trigger_batch(Vec::new())
        .await
        .expect("an empty batch is not an error");
    assert!(empty.batch.is_empty(), "{empty:?}");
    assert_eq!(server.request_count(), 0);
}

#[tokio::test]
async fn wrong_length_info_answer_is_malformed() {
    let server = FakePusher::start().await;
    server.reply_next(Reply::malformed(r#"{"batch":[{"subscription_count":1}]}"#));
    let pusher = server.client();
    let batch = vec![
        BatchEvent::new("a", "e", "1").info(Info::SUBSCRIPTION_COUNT),
        BatchEvent::new("b", "e", "2").info(Info::SUBSCRIPTION_COUNT),
    ];
    let error = pusher
        .trigger_batch(batch)
        .await
        .expect_err("1 entry for 2");
    assert!(
        matches!(error, Error::MalformedResponse { status: 200, .. }),
        "{error:?}"
    );
}
