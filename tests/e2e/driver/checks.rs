//! The checks, run against one example app: sockudo and the app are started, pusher-js
//! clients (`alice`, `bob`, `carol`) join channels through the app's auth routes, and the app's
//! HTTP routes make the server-side calls whose effects the clients and sockudo report.

use std::path::Path;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use serde_json::{Value, json};

use crate::harness::{
    self, LIFECYCLE_WEBHOOKS, Report, WEBHOOKS_WITHIN, check, ensure, ensure_eq, event_on,
    expect_error, expect_event, expect_member, expect_user_event, ids, member_leaves, signed_in,
    subscribed,
};
use crate::procs::{self, APP_ID, Client, ClientConfig, KEY, MASTER_KEY, SECRET, WAIT};

/// Talks to the app under test over HTTP.
struct App {
    http: reqwest::Client,
    base: String,
}

impl App {
    async fn call(
        &self,
        request: reqwest::RequestBuilder,
        what: &str,
    ) -> Result<(u16, Value), String> {
        let answer = request.send().await.map_err(|e| format!("{what}: {e}"))?;
        let status = answer.status().as_u16();
        let text = answer.text().await.map_err(|e| format!("{what}: {e}"))?;
        let body = serde_json::from_str(&text).unwrap_or(Value::String(text));
        Ok((status, body))
    }

    async fn post(&self, path: &str, body: &Value) -> Result<(u16, Value), String> {
        let request = self.http.post(format!("{}{path}", self.base)).json(body);
        self.call(request, &format!("POST {path}")).await
    }

    async fn get(&self, path: &str) -> Result<(u16, Value), String> {
        let request = self.http.get(format!("{}{path}", self.base));
        self.call(request, &format!("GET {path}")).await
    }

    /// `POST path` answered `status`; its body.
    async fn post_expect(&self, path: &str, body: &Value, status: u16) -> Result<Value, String> {
        let (got, answer) = self.post(path, body).await?;
        if got == status {
            Ok(answer)
        } else {
            Err(format!(
                "POST {path} answered {got} (expected {status}): {answer}"
            ))
        }
    }

    async fn get_ok(&self, path: &str) -> Result<Value, String> {
        let (status, answer) = self.get(path).await?;
        if status == 200 {
            Ok(answer)
        } else {
            Err(format!("GET {path} answered {status}: {answer}"))
        }
    }

    /// Posts a webhook body with the given key and signature headers; the status.
    async fn post_webhook(
        &self,
        body: &str,
        key: &str,
        signature: Option<&str>,
    ) -> Result<u16, String> {
        let mut request = self
            .http
            .post(format!("{}/webhooks", self.base))
            .header("content-type", "application/json")
            .header("x-pusher-key", key)
            .body(body.to_owned());
        if let Some(signature) = signature {
            request = request.header("x-pusher-signature", signature);
        }
        Ok(self.call(request, "POST /webhooks").await?.0)
    }
}

/// Triggers `marker` on `channel`, waits for `client` to receive it, then checks that nothing
/// named `absent` arrived on that channel before it (one connection receives in order).
async fn nothing_before_marker(
    app: &App,
    client: &mut Client,
    channel: &'static str,
    absent: &'static str,
    marker: &'static str,
) -> Result<(), String> {
    app.post_expect(
        "/messages",
        &json!({ "channels": [channel], "event": marker, "data": {} }),
        202,
    )
    .await?;
    client
        .expect(
            &format!("event {marker} on {channel}"),
            event_on(channel, marker),
            WAIT,
        )
        .await?;
    let leaked = client.take_received(event_on(channel, absent));
    ensure(leaked.is_empty(), || {
        format!("{} received {absent} on {channel}: {leaked:?}", client.user)
    })
}

fn member(id: &str) -> Value {
    json!({ "id": id, "info": { "name": id } })
}

fn now_ms() -> u128 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_millis())
        .unwrap_or_default()
}

/// Starts sockudo and the app `name`, runs every check against them, and stops them.
pub(crate) async fn run_app(
    report: &mut Report,
    name: &'static str,
    binary: &Path,
    sockudo_binary: &Path,
    e2e_dir: &Path,
    dir: &Path,
) {
    let http = match harness::http_client() {
        Ok(http) => http,
        Err(e) => return report.record(name, "HTTP client", Err(e.to_string())),
    };
    let (sockudo_port, app_port) = match procs::free_ports() {
        Ok(ports) => ports,
        Err(e) => return report.record(name, "free loopback ports", Err(e)),
    };
    let base = format!("http://127.0.0.1:{app_port}");

    // The axum app is configured with PUSHER_URL, the actix app with the separate variables:
    // both ways a user would.
    let mut env = vec![("PUSHER_ENCRYPTION_MASTER_KEY_BASE64", MASTER_KEY.to_owned())];
    let how = if name == "axum_app" {
        env.push((
            "PUSHER_URL",
            format!("http://{KEY}:{SECRET}@127.0.0.1:{sockudo_port}/apps/{APP_ID}"),
        ));
        "PUSHER_URL"
    } else {
        env.extend([
            ("PUSHER_APP_ID", APP_ID.to_owned()),
            ("PUSHER_KEY", KEY.to_owned()),
            ("PUSHER_SECRET", SECRET.to_owned()),
            ("PUSHER_HOST", "127.0.0.1".to_owned()),
            ("PUSHER_PORT", sockudo_port.to_string()),
            ("PUSHER_USE_TLS", "false".to_owned()),
        ]);
        "PUSHER_APP_ID/KEY/SECRET/HOST/PORT/USE_TLS"
    };

    let webhook_url = format!("{base}/webhooks");
    let started = async {
        let sockudo =
            procs::start_sockudo(&http, sockudo_binary, dir, sockudo_port, &webhook_url).await?;
        let app = procs::start_app(&http, name, binary, dir, app_port, &env).await?;
        Ok::<_, String>((sockudo, app))
    }
    .await;
    let start_check = format!("sockudo and the app start (the app configured through {how})");
    let (mut sockudo, mut app_proc) = match started {
        Ok(procs) => {
            report.record(name, &start_check, Ok(()));
            procs
        }
        Err(e) => return report.record(name, &start_check, Err(e)),
    };

    let app = App { http, base };
    let clients = ClientConfig {
        e2e_dir: e2e_dir.to_owned(),
        log_dir: dir.to_owned(),
        sockudo_port,
        app_url: app.base.clone(),
    };
    scenario(report, name, &app, &clients).await;

    let alive = sockudo
        .check_running()
        .and_then(|()| app_proc.check_running());
    report.record(name, "sockudo and the app ran to the end", alive);
}

async fn scenario(report: &mut Report, name: &'static str, app: &App, clients: &ClientConfig) {
    let connected = tokio::try_join!(
        Client::connect(clients, "alice"),
        Client::connect(clients, "bob")
    );
    let (mut alice, mut bob) = match connected {
        Ok(pair) => {
            report.record(name, "pusher-js connects to sockudo", Ok(()));
            pair
        }
        Err(e) => return report.record(name, "pusher-js connects to sockudo", Err(e)),
    };

    // ---- subscriptions through the app's auth route ----
    check!(report, name, "public channel: pusher-js subscribes", {
        for client in [&mut alice, &mut bob] {
            subscribed(client, "news").await?;
        }
        Ok(())
    });
    check!(
        report,
        name,
        "private- channel: authorized by POST /pusher/auth",
        {
            for client in [&mut alice, &mut bob] {
                subscribed(client, "private-orders").await?;
            }
            Ok(())
        }
    );
    check!(
        report,
        name,
        "denied channel: pusher-js gets subscription_error 403",
        {
            let answer = alice.subscribe("private-admin-ops").await?;
            ensure_eq(
                &answer["ev"],
                &json!("subscription_error"),
                "private-admin-ops",
            )?;
            ensure_eq(&answer["status"], &json!(403), "status")
        }
    );
    check!(
        report,
        name,
        "private-encrypted- channel: authorized with its shared secret",
        {
            subscribed(&mut alice, "private-encrypted-inbox").await?;
            Ok(())
        }
    );
    check!(
        report,
        name,
        "presence: members listed on join with the resolver's user_info",
        {
            let answer = subscribed(&mut alice, "presence-room").await?;
            ensure_eq(
                &answer["members"],
                &json!([member("alice")]),
                "alice's members",
            )?;
            ensure_eq(&answer["me"], &member("alice"), "alice's me")?;
            let answer = subscribed(&mut bob, "presence-room").await?;
            ensure_eq(
                &answer["members"],
                &json!([member("alice"), member("bob")]),
                "bob's members",
            )
        }
    );
    check!(report, name, "presence: member_added seen by the others", {
        let added = expect_member(&mut alice, "member_added", "bob").await?;
        ensure_eq(&added["info"], &json!({ "name": "bob" }), "bob's info")
    });
    check!(
        report,
        name,
        "signin() through POST /pusher/user-auth succeeds",
        {
            let line = signed_in(&mut alice).await?;
            ensure_eq(
                &line["user_data"],
                &json!({ "id": "alice", "user_info": { "name": "alice" } }),
                "user_data",
            )
        }
    );

    // ---- triggers from request handlers ----
    check!(
        report,
        name,
        "trigger: one channel, JSON data arrives exactly",
        {
            let data = json!({
                "text": "héllo ✓ \"quoted\" </script>",
                "n": 42, "float": 1.5, "list": [1, "two", null], "nested": { "ok": true }
            });
            let body = json!({ "channels": ["news"], "event": "json-data", "data": data });
            app.post_expect("/messages", &body, 202).await?;
            expect_event(&mut alice, "news", "json-data", &data).await?;
            expect_event(&mut bob, "news", "json-data", &data).await
        }
    );
    check!(
        report,
        name,
        "trigger: string data arrives exactly as sent",
        {
            let text = json!("plain text, not re-quoted: \"a\" \\ ✓");
            let body = json!({ "channels": ["news"], "event": "string-data", "data": text });
            app.post_expect("/messages", &body, 202).await?;
            expect_event(&mut alice, "news", "string-data", &text).await?;
            expect_event(&mut bob, "news", "string-data", &text).await?;
            // JSON the caller serialised itself: pusher-js parses it back to the object only
            // if it went out as given (quoted again, it would arrive as a string).
            let text = r#"{"pre":["serialised",1]}"#;
            let body = json!({ "channels": ["news"], "event": "pre-serialised", "data": text });
            app.post_expect("/messages", &body, 202).await?;
            let parsed = json!({ "pre": ["serialised", 1] });
            expect_event(&mut alice, "news", "pre-serialised", &parsed).await?;
            expect_event(&mut bob, "news", "pre-serialised", &parsed).await
        }
    );
    check!(report, name, "trigger: several channels in one call", {
        let data = json!({ "to": "both" });
        let body = json!({
            "channels": ["news", "private-orders"], "event": "multi", "data": data
        });
        app.post_expect("/messages", &body, 202).await?;
        for client in [&mut alice, &mut bob] {
            expect_event(client, "news", "multi", &data).await?;
            expect_event(client, "private-orders", "multi", &data).await?;
        }
        Ok(())
    });
    check!(report, name, "trigger: socket_id exclusion honoured", {
        let body = json!({
            "channels": ["news"], "event": "excluded", "data": "not for alice",
            "socket_id": alice.socket_id
        });
        app.post_expect("/messages", &body, 202).await?;
        expect_event(&mut bob, "news", "excluded", &json!("not for alice")).await?;
        nothing_before_marker(app, &mut alice, "news", "excluded", "after-exclusion").await?;
        bob.take_received(event_on("news", "after-exclusion"));
        Ok(())
    });
    check!(report, name, "trigger: info counts returned", {
        let body = json!({
            "channels": ["news", "presence-room"], "event": "counted", "data": {},
            "info": "subscription_count"
        });
        let answer = app.post_expect("/messages", &body, 202).await?;
        ensure_eq(
            &answer["channels"]["news"]["subscription_count"],
            &json!(2),
            "news",
        )?;
        ensure_eq(
            &answer["channels"]["presence-room"]["subscription_count"],
            &json!(2),
            "presence-room",
        )?;
        let body = json!({
            "channels": ["presence-room"], "event": "counted", "data": {},
            "info": "user_count,subscription_count"
        });
        let answer = app.post_expect("/messages", &body, 202).await?;
        ensure_eq(
            &answer["channels"]["presence-room"],
            &json!({ "subscription_count": 2, "user_count": 2 }),
            "presence-room counts",
        )
    });
    check!(
        report,
        name,
        "batch of 23 (> 10): split by the client, delivered in order",
        {
            let data = |i: usize| {
                if i.is_multiple_of(2) {
                    json!({ "i": i })
                } else {
                    json!(format!("tick {i}"))
                }
            };
            let events: Vec<Value> = (0..23)
                .map(|i| {
                    let mut event = json!({ "channel": "news", "event": "tick", "data": data(i) });
                    if i == 0 || i == 22 {
                        event["info"] = json!("subscription_count");
                    }
                    event
                })
                .collect();
            let answer = app
                .post_expect("/batch", &json!({ "events": events }), 202)
                .await?;
            for client in [&mut alice, &mut bob] {
                for i in 0..23 {
                    let line = client
                        .expect(&format!("tick {i}"), event_on("news", "tick"), WAIT)
                        .await?;
                    ensure_eq(
                        &line["data"],
                        &data(i),
                        &format!("{}: tick {i}", client.user),
                    )?;
                }
            }
            let batch = answer["batch"].as_array().cloned().unwrap_or_default();
            ensure(batch.len() == 23, || {
                format!("the answer lists {} events: {answer}", batch.len())
            })?;
            ensure_eq(
                &batch[0]["subscription_count"],
                &json!(2),
                "info of event 0",
            )?;
            ensure_eq(
                &batch[22]["subscription_count"],
                &json!(2),
                "info of event 22",
            )?;
            ensure_eq(
                &batch[5]["subscription_count"],
                &Value::Null,
                "info of event 5 (none asked)",
            )
        }
    );
    check!(
        report,
        name,
        "encrypted channel: pusher-js decrypts exactly the plaintext",
        {
            let data = json!({ "secret": "top secret ✓", "n": [1, 2, 3] });
            let body =
                json!({ "channels": ["private-encrypted-inbox"], "event": "secret", "data": data });
            app.post_expect("/messages", &body, 202).await?;
            expect_event(&mut alice, "private-encrypted-inbox", "secret", &data).await?;
            let text = json!("a secret string, sent as is");
            let body = json!({ "channels": ["private-encrypted-inbox"], "event": "secret-text", "data": text });
            app.post_expect("/messages", &body, 202).await?;
            expect_event(&mut alice, "private-encrypted-inbox", "secret-text", &text).await
        }
    );
    check!(report, name, "send_to_user reaches the signed-in user", {
        let data = json!({ "unread": 3 });
        let body = json!({ "event": "notice", "data": data });
        app.post_expect("/users/alice/events", &body, 202).await?;
        expect_user_event(&mut alice, "notice", &data).await
    });

    // ---- application state ----
    check!(report, name, "channels query: the occupied channels", {
        let answer = app.get_ok("/channels").await?;
        for channel in [
            "news",
            "private-orders",
            "private-encrypted-inbox",
            "presence-room",
        ] {
            ensure(answer["channels"].get(channel).is_some(), || {
                format!("{channel} is not listed: {answer}")
            })?;
        }
        ensure(
            answer["channels"].get("private-admin-ops").is_none(),
            || format!("the denied channel is listed: {answer}"),
        )?;
        let answer = app
            .get_ok("/channels?prefix=presence-&info=user_count")
            .await?;
        ensure_eq(
            &answer["channels"],
            &json!({ "presence-room": { "user_count": 2 } }),
            "presence- channels with user_count",
        )
    });
    check!(report, name, "channel query: real counts", {
        let news = app.get_ok("/channels/news?info=subscription_count").await?;
        ensure_eq(&news["occupied"], &json!(true), "news occupied")?;
        ensure_eq(
            &news["subscription_count"],
            &json!(2),
            "news subscription_count",
        )?;
        let room = app
            .get_ok("/channels/presence-room?info=user_count,subscription_count")
            .await?;
        ensure_eq(&room["user_count"], &json!(2), "presence-room user_count")?;
        ensure_eq(
            &room["subscription_count"],
            &json!(2),
            "presence-room subscription_count",
        )?;
        let empty = app.get_ok("/channels/nobody-here").await?;
        ensure_eq(&empty["occupied"], &json!(false), "nobody-here occupied")
    });
    check!(report, name, "users query: the presence members", {
        let answer = app.get_ok("/channels/presence-room/users").await?;
        let ids = ids(&answer["users"]);
        ensure(ids == ["alice", "bob"], || format!("users: {answer}"))
    });

    // ---- a member who leaves ----
    check!(
        report,
        name,
        "presence: member_removed seen by the others",
        { member_leaves(&mut alice, clients, "carol").await }
    );
    check!(
        report,
        name,
        "terminate_user_connections disconnects the user (4009, no reconnect)",
        {
            signed_in(&mut bob).await?;
            app.post_expect("/users/bob/terminate", &json!({}), 202)
                .await?;
            expect_error(&mut bob, 4009).await?;
            bob.expect(
                "the connection to leave the connected state",
                |v| v["ev"] == "state" && v["previous"] == "connected",
                WAIT,
            )
            .await?;
            // Whether pusher-js reconnects shows within its 1 s back-off: give it 2 s.
            let reconnected = bob
                .expect(
                    "a reconnection",
                    |v| v["ev"] == "connected",
                    Duration::from_secs(2),
                )
                .await;
            ensure(reconnected.is_err(), || {
                format!("bob reconnected: {reconnected:?}")
            })?;
            // Alice was not touched.
            let body = json!({ "channels": ["news"], "event": "still-here", "data": {} });
            app.post_expect("/messages", &body, 202).await?;
            expect_event(&mut alice, "news", "still-here", &json!({})).await
        }
    );

    // ---- webhooks ----
    check!(
        report,
        name,
        "webhooks from sockudo (occupied, vacated, member added/removed) accepted by VerifiedWebhook",
        {
            let wanted = LIFECYCLE_WEBHOOKS;
            let deadline = tokio::time::Instant::now() + WEBHOOKS_WITHIN;
            loop {
                let answer = app.get_ok("/webhooks/received").await?;
                let events = answer["events"].as_array().cloned().unwrap_or_default();
                let missing: Vec<_> = wanted
                    .iter()
                    .filter(|(event, channel, user)| {
                        !events.iter().any(|e| {
                            e["name"] == *event
                                && e["channel"] == *channel
                                && user.is_none_or(|u| e["user_id"] == u)
                        })
                    })
                    .collect();
                if missing.is_empty() {
                    return Ok(());
                }
                if tokio::time::Instant::now() > deadline {
                    return Err(format!("not received: {missing:?}; received: {answer}"));
                }
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
        }
    );
    check!(
        report,
        name,
        "webhooks: forged, unsigned and wrong-key webhooks rejected (401)",
        {
            let body = |channel: &str| {
                json!({ "time_ms": now_ms(), "events": [{ "name": "channel_occupied", "channel": channel }] })
                .to_string()
            };
            let forged = body("forged-check");
            let bad_signature =
                pusher_client::sign_webhook("not-the-app-secret", forged.as_bytes());
            let status = app.post_webhook(&forged, KEY, Some(&bad_signature)).await?;
            ensure(status == 401, || format!("forged signature: {status}"))?;
            let status = app.post_webhook(&forged, KEY, None).await?;
            ensure(status == 401, || format!("no signature: {status}"))?;
            let other_key_signature =
                pusher_client::sign_webhook("other-secret", forged.as_bytes());
            let status = app
                .post_webhook(&forged, "other-key", Some(&other_key_signature))
                .await?;
            ensure(status == 401, || format!("unknown key: {status}"))?;
            // The control: the same kind of body, signed with the app's secret, is accepted.
            let genuine = body("control-check");
            let signature = pusher_client::sign_webhook(SECRET, genuine.as_bytes());
            let status = app.post_webhook(&genuine, KEY, Some(&signature)).await?;
            ensure(status == 200, || format!("correctly signed: {status}"))?;
            let received = app.get_ok("/webhooks/received").await?.to_string();
            ensure(received.contains("control-check"), || {
                "the control is not recorded".into()
            })?;
            ensure(!received.contains("forged-check"), || {
                "a rejected webhook was recorded".into()
            })
        }
    );

    // ---- limits: refused by the client before anything is sent ----
    check!(
        report,
        name,
        "over-limit: an event over 10 KB fails with the client's error, nothing sent",
        {
            let body = json!({ "channels": ["news"], "event": "too-big", "data": "x".repeat(10 * 1024 + 1) });
            let answer = app.post_expect("/messages", &body, 422).await?;
            let message = answer["error"].as_str().unwrap_or_default();
            ensure(
                message.contains("10241 bytes") && message.contains("10240"),
                || format!("error: {answer}"),
            )?;
            nothing_before_marker(app, &mut alice, "news", "too-big", "after-too-big").await
        }
    );
    check!(
        report,
        name,
        "limit: an event of exactly 10 KB is sent and delivered whole",
        {
            let data = json!("y".repeat(10 * 1024));
            let body = json!({ "channels": ["news"], "event": "just-fits", "data": data });
            app.post_expect("/messages", &body, 202).await?;
            expect_event(&mut alice, "news", "just-fits", &data).await
        }
    );
    check!(
        report,
        name,
        "over-limit: 101 channels fail with the client's error, nothing sent",
        {
            let mut channels = vec!["news".to_owned()];
            channels.extend((1..=100).map(|i| format!("room-{i}")));
            let body = json!({ "channels": channels, "event": "too-many", "data": {} });
            let answer = app.post_expect("/messages", &body, 422).await?;
            let message = answer["error"].as_str().unwrap_or_default();
            ensure(
                message.contains("at most 100") && message.contains("101"),
                || format!("error: {answer}"),
            )?;
            nothing_before_marker(app, &mut alice, "news", "too-many", "after-too-many").await
        }
    );
    check!(
        report,
        name,
        "over-limit: a batch with one oversized event fails whole before its first request",
        {
            let events: Vec<Value> = (0..15)
                .map(|i| {
                    let data = if i == 12 {
                        json!("z".repeat(10 * 1024 + 1))
                    } else {
                        json!({ "i": i })
                    };
                    json!({ "channel": "news", "event": "batch-limit", "data": data })
                })
                .collect();
            let answer = app
                .post_expect("/batch", &json!({ "events": events }), 422)
                .await?;
            let message = answer["error"].as_str().unwrap_or_default();
            ensure(message.contains("batch event 12"), || {
                format!("error: {answer}")
            })?;
            nothing_before_marker(app, &mut alice, "news", "batch-limit", "after-batch-limit").await
        }
    );
    // sockudo 5.2 answers these 200 where Pusher refuses them: only the client's own checks
    // stop them.
    check!(
        report,
        name,
        "invalid for Pusher (encrypted channel with others, user_count off presence): refused by the client, nothing sent",
        {
            let body = json!({
                "channels": ["news", "private-encrypted-inbox"], "event": "mixed", "data": {}
            });
            let answer = app.post_expect("/messages", &body, 422).await?;
            let message = answer["error"].as_str().unwrap_or_default();
            ensure(message.contains("cannot share a trigger"), || {
                format!("encrypted with others: {answer}")
            })?;
            let body = json!({
                "channels": ["news"], "event": "mixed", "data": {}, "info": "user_count"
            });
            let answer = app.post_expect("/messages", &body, 422).await?;
            let message = answer["error"].as_str().unwrap_or_default();
            ensure(message.contains("only available for presence"), || {
                format!("user_count on news: {answer}")
            })?;
            nothing_before_marker(app, &mut alice, "news", "mixed", "after-mixed").await
        }
    );
}
