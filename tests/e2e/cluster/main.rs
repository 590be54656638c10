//! The cluster suite: the example apps against two sockudo nodes sharing a Redis adapter,
//! with pusher-js clients spread across the nodes.
//!
//! ```text
//! bash scripts/install-peers --no-browser     # sockudo with `local,redis`, redis-server, pusher-js
//! PUSHER_E2E=1 cargo test -p pusher-e2e --test cluster
//! ```
//!
//! What runs, all on 127.0.0.1 with random ports, under a temp directory (configs, logs):
//!
//! - `redis-server` (no persistence) and two sockudo nodes with the Redis adapter and cache,
//!   the same app (id, key, secret); node 1 sends its webhooks to the axum app, node 2 to the
//!   actix app (a webhook may reach any instance of an app).
//! - `axum_app` configured with node 1 and node 2 as its fallback host
//!   (`PUSHER_FALLBACK_HOSTS`), `actix_app` with node 2 and node 1 as fallback.
//! - pusher-js clients: `alice` on node 1 (authorized by the axum app), `bob` through a loopback
//!   TCP forwarder (the load balancer) to node 2 (authorized by the actix app), `carol` and
//!   `dave` directly on node 2.
//!
//! Checks: triggers through either node reach subscribers on both (single, batch, encrypted);
//! presence members on different nodes see each other join and leave, and the `users` /
//! `channel` / `channels` queries agree through either node; `send_to_user` and
//! `terminate_user_connections` reach users on the other node; the webhooks of both nodes
//! reach the apps verified, and whether each lifecycle event came once or once per node is
//! printed; then node 2 is killed: the forwarder moves to node 1 (bob reconnects and
//! re-subscribes there by himself) and the actix app, whose primary host was node 2, keeps
//! triggering through its fallback host without a failed request or a lost event.
//!
//! Prints `PASS`/`FAIL` per check, then `N passed, N failed`; fails if any check did. Every
//! process is killed when the run ends (on failure and on a panic too). Without `PUSHER_E2E=1`
//! it prints a note and passes. `PUSHER_E2E_SOCKUDO`, `SOCKUDO_ROOT` and
//! `PUSHER_E2E_KEEP_LOGS=1` work as for the e2e suite.

#[allow(dead_code)]
#[path = "../driver/apps.rs"]
mod apps;
mod forward;
#[allow(dead_code)]
#[path = "../driver/harness.rs"]
mod harness;
#[allow(dead_code)]
#[path = "../driver/procs.rs"]
mod procs;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Duration;

use serde_json::{Value, json};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

use forward::Forwarder;
use harness::{
    LIFECYCLE_WEBHOOKS, Report, WEBHOOKS_WITHIN, check, ensure, ensure_eq, expect_all,
    expect_error, expect_event, expect_member, expect_user_event, free_port, ids, member_leaves,
    signed_in, subscribed,
};
use procs::{APP_ID, Client, ClientConfig, KEY, MASTER_KEY, Proc, SECRET, WAIT};

/// The label of every check of this suite (`PASS [cluster] …`).
const CLUSTER: &str = "cluster";

/// Starts redis-server on `port` (loopback, no persistence) and waits for its `PONG`.
async fn start_redis(binary: &Path, dir: &Path, port: u16) -> Result<Proc, String> {
    let args: Vec<std::ffi::OsString> = [
        "--port",
        &port.to_string(),
        "--bind",
        "127.0.0.1",
        "--save",
        "",
        "--appendonly",
        "no",
        "--dir",
        &dir.display().to_string(),
    ]
    .iter()
    .map(Into::into)
    .collect();
    let mut redis = procs::spawn("redis", binary, &args, dir)?;
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    loop {
        redis.check_running()?;
        if let Ok(mut stream) = tokio::net::TcpStream::connect(("127.0.0.1", port)).await {
            let mut answer = [0u8; 7];
            if stream.write_all(b"PING\r\n").await.is_ok()
                && stream.read_exact(&mut answer).await.is_ok()
                && &answer == b"+PONG\r\n"
            {
                return Ok(redis);
            }
        }
        if tokio::time::Instant::now() > deadline {
            return Err(format!("redis did not answer PING{}", redis.log_tail()));
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// A node's configuration: the e2e suite's app and settings, with the Redis adapter and cache,
/// `fallback_to_local` off (a node that cannot reach Redis must not silently run alone) and a
/// fast cluster-health timeout (a dead node's members are dropped within ~3 s).
fn node_config(port: u16, webhook_url: &str, redis_port: u16) -> Value {
    let url = format!("redis://127.0.0.1:{redis_port}/");
    let mut config = procs::sockudo_config(port, webhook_url);
    config["adapter"] = json!({
        "driver": "redis",
        "fallback_to_local": false,
        "redis": {
            "prefix": "pusher-e2e-cluster",
            "redis_pub_options": { "url": url },
            "redis_sub_options": { "url": url }
        },
        "cluster_health": {
            "enabled": true,
            "heartbeat_interval_ms": 1000,
            "node_timeout_ms": 3000,
            "cleanup_interval_ms": 1000
        }
    });
    config["cache"] = json!({ "driver": "redis", "redis": { "prefix": "pusher-e2e-cluster-cache", "url_override": url } });
    config["database"] = json!({ "redis": { "host": "127.0.0.1", "port": redis_port } });
    config
}

/// Talks to one app instance over HTTP.
struct App {
    name: &'static str,
    http: reqwest::Client,
    base: String,
}

impl App {
    async fn send(
        &self,
        request: reqwest::RequestBuilder,
        what: &str,
    ) -> Result<(u16, Value), String> {
        let answer = request
            .send()
            .await
            .map_err(|e| format!("{}: {what}: {e}", self.name))?;
        let status = answer.status().as_u16();
        let text = answer.text().await.map_err(|e| format!("{what}: {e}"))?;
        Ok((
            status,
            serde_json::from_str(&text).unwrap_or(Value::String(text)),
        ))
    }

    async fn post(&self, path: &str, body: &Value) -> Result<Value, String> {
        let request = self.http.post(format!("{}{path}", self.base)).json(body);
        let (status, answer) = self.send(request, &format!("POST {path}")).await?;
        ensure(status == 202 || status == 200, || {
            format!("{}: POST {path} answered {status}: {answer}", self.name)
        })?;
        Ok(answer)
    }

    async fn get(&self, path: &str) -> Result<Value, String> {
        let request = self.http.get(format!("{}{path}", self.base));
        let (status, answer) = self.send(request, &format!("GET {path}")).await?;
        ensure(status == 200, || {
            format!("{}: GET {path} answered {status}: {answer}", self.name)
        })?;
        Ok(answer)
    }

    async fn trigger(&self, channel: &str, event: &str, data: Value) -> Result<Value, String> {
        self.post(
            "/messages",
            &json!({ "channels": [channel], "event": event, "data": data }),
        )
        .await
    }
}

/// Everything the run started; dropped (killed) together at the end.
struct Cluster {
    /// Dropped first: clients, then apps, then nodes, then Redis (a node whose Redis is gone
    /// may not exit on SIGTERM; these are killed anyway).
    apps: Vec<Proc>,
    node1: Proc,
    node2: Option<Proc>,
    _redis: Proc,
    node1_port: u16,
    node2_port: u16,
}

async fn start(
    http: &reqwest::Client,
    sockudo: &Path,
    redis: &Path,
    binaries: &[(&'static str, PathBuf)],
    dir: &Path,
) -> Result<(Cluster, App, App), String> {
    let (redis_port, node1_port, node2_port) = (free_port()?, free_port()?, free_port()?);
    let (axum_port, actix_port) = (free_port()?, free_port()?);
    let axum_url = format!("http://127.0.0.1:{axum_port}");
    let actix_url = format!("http://127.0.0.1:{actix_port}");
    let redis = start_redis(redis, dir, redis_port).await?;
    let node1_config = node_config(node1_port, &format!("{axum_url}/webhooks"), redis_port);
    let node2_config = node_config(node2_port, &format!("{actix_url}/webhooks"), redis_port);
    let node1 =
        procs::start_sockudo_with(http, sockudo, dir, "node1", node1_port, &node1_config).await?;
    let node2 =
        procs::start_sockudo_with(http, sockudo, dir, "node2", node2_port, &node2_config).await?;
    let binary = |name: &str| {
        binaries
            .iter()
            .find(|(n, _)| *n == name)
            .map(|(_, b)| b.clone())
            .ok_or_else(|| format!("{name} was not built"))
    };
    // The axum app through PUSHER_URL, the actix app through the separate variables; each
    // with the other node as its fallback host.
    let axum_env = [
        (
            "PUSHER_URL",
            format!("http://{KEY}:{SECRET}@127.0.0.1:{node1_port}/apps/{APP_ID}"),
        ),
        ("PUSHER_FALLBACK_HOSTS", format!("127.0.0.1:{node2_port}")),
        ("PUSHER_ENCRYPTION_MASTER_KEY_BASE64", MASTER_KEY.to_owned()),
    ];
    let actix_env = [
        ("PUSHER_APP_ID", APP_ID.to_owned()),
        ("PUSHER_KEY", KEY.to_owned()),
        ("PUSHER_SECRET", SECRET.to_owned()),
        ("PUSHER_HOST", "127.0.0.1".to_owned()),
        ("PUSHER_PORT", node2_port.to_string()),
        ("PUSHER_USE_TLS", "false".to_owned()),
        ("PUSHER_FALLBACK_HOSTS", format!("127.0.0.1:{node1_port}")),
        ("PUSHER_ENCRYPTION_MASTER_KEY_BASE64", MASTER_KEY.to_owned()),
    ];
    let axum = procs::start_app(
        http,
        "axum_app",
        &binary("axum_app")?,
        dir,
        axum_port,
        &axum_env,
    )
    .await?;
    let actix = procs::start_app(
        http,
        "actix_app",
        &binary("actix_app")?,
        dir,
        actix_port,
        &actix_env,
    )
    .await?;
    let cluster = Cluster {
        apps: vec![axum, actix],
        node1,
        node2: Some(node2),
        _redis: redis,
        node1_port,
        node2_port,
    };
    let app = |name, base| App {
        name,
        http: http.clone(),
        base,
    };
    Ok((
        cluster,
        app("axum_app", axum_url),
        app("actix_app", actix_url),
    ))
}

async fn scenario(
    report: &mut Report,
    cluster: &mut Cluster,
    axum: &App,
    actix: &App,
    e2e_dir: &Path,
    dir: &Path,
) {
    let config = |port: u16, app: &App| ClientConfig {
        e2e_dir: e2e_dir.to_owned(),
        log_dir: dir.to_owned(),
        sockudo_port: port,
        app_url: app.base.clone(),
    };
    let balancer = match Forwarder::start(cluster.node2_port).await {
        Ok(f) => f,
        Err(e) => {
            return report.record(CLUSTER, "the load balancer (TCP forwarder) starts", Err(e));
        }
    };
    let on_node1 = config(cluster.node1_port, axum);
    let via_balancer = config(balancer.port, actix);
    let on_node2 = config(cluster.node2_port, actix);
    let connected = tokio::try_join!(
        Client::connect(&on_node1, "alice"),
        Client::connect(&via_balancer, "bob")
    );
    let (mut alice, mut bob) = match connected {
        Ok(pair) => {
            report.record(
                CLUSTER,
                "pusher-js connects: alice to node 1, bob through the balancer to node 2",
                Ok(()),
            );
            pair
        }
        Err(e) => return report.record(CLUSTER, "pusher-js connects to both nodes", Err(e)),
    };

    check!(
        report,
        CLUSTER,
        "a trigger through node 1 reaches node 2's subscribers, and vice versa",
        {
            subscribed(&mut alice, "news").await?;
            subscribed(&mut bob, "news").await?;
            let data = json!({ "from": "axum via node 1" });
            axum.trigger("news", "from-node-1", data.clone()).await?;
            expect_event(&mut bob, "news", "from-node-1", &data).await?;
            expect_event(&mut alice, "news", "from-node-1", &data).await?;
            let data = json!({ "from": "actix via node 2" });
            actix.trigger("news", "from-node-2", data.clone()).await?;
            expect_event(&mut alice, "news", "from-node-2", &data).await?;
            expect_event(&mut bob, "news", "from-node-2", &data).await
        }
    );

    check!(
        report,
        CLUSTER,
        "presence: members who joined on different nodes see each other (member_added)",
        {
            let answer = subscribed(&mut alice, "presence-room").await?;
            ensure_eq(
                &json!(ids(&answer["members"])),
                &json!(["alice"]),
                "alice's members",
            )?;
            let answer = subscribed(&mut bob, "presence-room").await?;
            ensure_eq(
                &json!(ids(&answer["members"])),
                &json!(["alice", "bob"]),
                "bob's members (bob on node 2)",
            )?;
            let added = expect_member(&mut alice, "member_added", "bob").await?;
            ensure_eq(&added["info"], &json!({ "name": "bob" }), "bob's info")
        }
    );

    check!(
        report,
        CLUSTER,
        "queries agree whichever node answers (users, channel, channels)",
        {
            for app in [axum, actix] {
                let users = app.get("/channels/presence-room/users").await?;
                ensure_eq(
                    &json!(ids(&users["users"])),
                    &json!(["alice", "bob"]),
                    &format!("users through {}", app.name),
                )?;
                let room = app
                    .get("/channels/presence-room?info=user_count,subscription_count")
                    .await?;
                ensure_eq(
                    &room["user_count"],
                    &json!(2),
                    &format!("user_count through {}", app.name),
                )?;
                ensure_eq(
                    &room["subscription_count"],
                    &json!(2),
                    &format!("subscription_count through {}", app.name),
                )?;
                let news = app.get("/channels/news?info=subscription_count").await?;
                ensure_eq(
                    &news["subscription_count"],
                    &json!(2),
                    &format!("news through {}", app.name),
                )?;
                let channels = app
                    .get("/channels?prefix=presence-&info=user_count")
                    .await?;
                ensure_eq(
                    &channels["channels"],
                    &json!({ "presence-room": { "user_count": 2 } }),
                    &format!("channels through {}", app.name),
                )?;
            }
            Ok(())
        }
    );

    check!(
        report,
        CLUSTER,
        "batch through either node: every event reaches both nodes (any order across nodes)",
        {
            let names: Vec<String> = (0..6).map(|i| format!("batch-{i}")).collect();
            for (app, tag) in [(axum, "a"), (actix, "b")] {
                let events: Vec<Value> = names
                .iter()
                .map(|n| json!({ "channel": "news", "event": format!("{n}{tag}"), "data": { "n": n } }))
                .collect();
                app.post("/batch", &json!({ "events": events })).await?;
                let tagged: Vec<String> = names.iter().map(|n| format!("{n}{tag}")).collect();
                expect_all(&mut alice, "news", &tagged).await?;
                expect_all(&mut bob, "news", &tagged).await?;
            }
            Ok(())
        }
    );

    check!(
        report,
        CLUSTER,
        "encrypted trigger through node 2 decrypted by a subscriber on node 1, and back",
        {
            subscribed(&mut alice, "private-encrypted-inbox").await?;
            subscribed(&mut bob, "private-encrypted-inbox").await?;
            let data = json!({ "secret": "across the cluster ✓" });
            actix
                .trigger("private-encrypted-inbox", "secret", data.clone())
                .await?;
            expect_event(&mut alice, "private-encrypted-inbox", "secret", &data).await?;
            expect_event(&mut bob, "private-encrypted-inbox", "secret", &data).await?;
            let data = json!("the other way");
            axum.trigger("private-encrypted-inbox", "secret-back", data.clone())
                .await?;
            expect_event(&mut bob, "private-encrypted-inbox", "secret-back", &data).await
        }
    );

    check!(
        report,
        CLUSTER,
        "send_to_user through node 1 reaches a user signed in on node 2",
        {
            signed_in(&mut bob).await?;
            let data = json!({ "unread": 7 });
            axum.post(
                "/users/bob/events",
                &json!({ "event": "notice", "data": data }),
            )
            .await?;
            expect_user_event(&mut bob, "notice", &data).await
        }
    );

    check!(
        report,
        CLUSTER,
        "presence: a member on node 2 leaves, the member on node 1 sees member_removed",
        { member_leaves(&mut alice, &on_node2, "carol").await }
    );

    check!(
        report,
        CLUSTER,
        "terminate_user_connections through node 1 closes a user's connection on node 2 (4009)",
        {
            let mut dave = Client::connect(&on_node2, "dave").await?;
            signed_in(&mut dave).await?;
            axum.post("/users/dave/terminate", &json!({})).await?;
            expect_error(&mut dave, 4009).await
        }
    );

    check!(
        report,
        CLUSTER,
        "webhooks from both nodes reach the apps, verified; each lifecycle event counted",
        {
            let mut wanted = LIFECYCLE_WEBHOOKS.to_vec();
            wanted.insert(1, ("channel_occupied", "presence-room", None));
            let deadline = tokio::time::Instant::now() + WEBHOOKS_WITHIN;
            loop {
                let mut counts: BTreeMap<String, Vec<&str>> = BTreeMap::new();
                for app in [axum, actix] {
                    let received = app.get("/webhooks/received").await?;
                    for e in received["events"].as_array().cloned().unwrap_or_default() {
                        let key = format!(
                            "{} {} {}",
                            e["name"].as_str().unwrap_or("?"),
                            e["channel"].as_str().unwrap_or("-"),
                            e["user_id"].as_str().unwrap_or("")
                        );
                        counts
                            .entry(key.trim_end().to_owned())
                            .or_default()
                            .push(app.name);
                    }
                }
                let key = |(event, channel, user): &(&str, &str, Option<&str>)| {
                    format!("{event} {channel} {}", user.unwrap_or(""))
                        .trim_end()
                        .to_owned()
                };
                let missing: Vec<String> = wanted
                    .iter()
                    .map(key)
                    .filter(|k| !counts.contains_key(k))
                    .collect();
                if missing.is_empty() {
                    // Give late duplicates (a second node's copy) a moment, then report.
                    tokio::time::sleep(Duration::from_secs(1)).await;
                    let mut lines = Vec::new();
                    let mut per_node = Vec::new();
                    for k in wanted.iter().map(key) {
                        let by = counts.get(&k).cloned().unwrap_or_default();
                        if by.len() > 1 {
                            per_node.push(k.clone());
                        }
                        lines.push(format!("{k}: {} ({})", by.len(), by.join(", ")));
                    }
                    println!(
                        "NOTE [cluster] webhooks received (count, by app instance):\n    {}",
                        lines.join("\n    ")
                    );
                    println!(
                        "NOTE [cluster] lifecycle webhooks: {}",
                        if per_node.is_empty() {
                            "each sent once by the cluster (from the node that decided it)"
                                .to_owned()
                        } else {
                            format!("sent more than once: {per_node:?}")
                        }
                    );
                    return Ok(());
                }
                if tokio::time::Instant::now() > deadline {
                    return Err(format!("not received: {missing:?}; received: {counts:?}"));
                }
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
        }
    );

    // ---- node 2 goes away ----
    cluster.node2 = None; // killed (SIGKILL), as a crash
    balancer.switch_to(cluster.node1_port);
    check!(
        report,
        CLUSTER,
        "node 2 killed: the actix app (primary node 2) keeps triggering through node 1, nothing lost",
        {
            // Right away, while bob is still reconnecting: every trigger must be accepted, and alice
            // (on node 1) must receive every one.
            let names: Vec<String> = (0..5).map(|i| format!("during-outage-{i}")).collect();
            for name in &names {
                actix.trigger("news", name, json!({ "n": name })).await?;
            }
            expect_all(&mut alice, "news", &names).await
        }
    );
    check!(
        report,
        CLUSTER,
        "node 2 killed: bob reconnects through the balancer to node 1 and re-subscribes",
        {
            let old = bob.socket_id.clone();
            let line = bob
                .expect(
                    "a reconnection",
                    |v| v["ev"] == "connected",
                    Duration::from_secs(20),
                )
                .await?;
            ensure(line["socket_id"] != old.as_str(), || {
                format!("same socket id {old}")
            })?;
            bob.expect(
                "news re-subscribed",
                |v| v["ev"] == "subscribed" && v["channel"] == "news",
                WAIT,
            )
            .await?;
            Ok(())
        }
    );
    check!(
        report,
        CLUSTER,
        "after the failover: triggers through both apps reach everyone, none lost",
        {
            let names: Vec<String> = (0..5).map(|i| format!("after-failover-{i}")).collect();
            for (i, name) in names.iter().enumerate() {
                let app = if i % 2 == 0 { actix } else { axum };
                app.trigger("news", name, json!({ "n": name })).await?;
            }
            expect_all(&mut alice, "news", &names).await?;
            expect_all(&mut bob, "news", &names).await?;
            let users = actix.get("/channels/news?info=subscription_count").await?;
            ensure_eq(
                &users["subscription_count"],
                &json!(2),
                "news subscribers through the actix app (node 1)",
            )
        }
    );
    check!(
        report,
        CLUSTER,
        "node 1, Redis and both apps ran to the end",
        {
            cluster.node1.check_running()?;
            for app in &mut cluster.apps {
                app.check_running()?;
            }
            Ok(())
        }
    );
}

async fn run() -> ExitCode {
    let mut report = Report::default();
    let e2e_dir = harness::e2e_dir();
    let peers = (|| {
        let sockudo = harness::find_sockudo(Some("redis"))?;
        let redis = harness::find_on_path("redis-server")?;
        harness::check_node(&e2e_dir)?;
        let apps = apps::binaries(&harness::workspace_dir())?;
        Ok::<_, String>((sockudo, redis, apps))
    })();
    let log_dir = std::env::temp_dir().join(format!("pusher-cluster-{}", std::process::id()));
    let peers_check = "peers: sockudo (with redis), redis-server, node, pusher-js, the apps";
    match peers {
        Err(e) => report.record(CLUSTER, peers_check, Err(e)),
        Ok((sockudo, redis, apps)) => {
            report.record(CLUSTER, peers_check, Ok(()));
            let started = "Redis, two sockudo nodes and the two apps start";
            match (std::fs::create_dir_all(&log_dir), harness::http_client()) {
                (Err(e), _) => report.record(CLUSTER, "log directory", Err(e.to_string())),
                (_, Err(e)) => report.record(CLUSTER, "HTTP client", Err(e.to_string())),
                (Ok(()), Ok(http)) => match start(&http, &sockudo, &redis, &apps, &log_dir).await {
                    Err(e) => report.record(CLUSTER, started, Err(e)),
                    Ok((mut cluster, axum, actix)) => {
                        report.record(CLUSTER, started, Ok(()));
                        scenario(&mut report, &mut cluster, &axum, &actix, &e2e_dir, &log_dir)
                            .await;
                    }
                },
            }
        }
    }
    report.finish(&log_dir)
}

fn main() -> ExitCode {
    harness::main(
        CLUSTER,
        "sockudo built with redis, redis-server, node and pusher-js",
        run,
    )
}
