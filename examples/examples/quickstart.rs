//! Quick start: every call of the Pusher HTTP API client, once.
//!
//! ```text
//! cargo run -p pusher-examples --example quickstart
//! ```
//!
//! With `PUSHER_URL` (or `PUSHER_APP_ID`, `PUSHER_KEY`, `PUSHER_SECRET`, …) set, it talks to that
//! app. Otherwise it starts a local test server that checks every request as Pusher does
//! (`pusher_tests::FakePusher`, a dev-dependency: that is why this is a cargo example and not one
//! of the crate's binaries, which do not depend on the test crate).

use pusher_client::{BatchEvent, Info, Pusher};
use pusher_tests::{ChannelState, FakePusher};
use serde_json::json;

#[tokio::main]
async fn main() -> Result<(), pusher_client::Error> {
    // Keep the local server (if any) alive until the end of main.
    let (pusher, _local_server) = if std::env::var_os("PUSHER_URL").is_some()
        || std::env::var_os("PUSHER_APP_ID").is_some()
    {
        let pusher = Pusher::from_env()?;
        println!(
            "Using the app configured in the environment ({})",
            pusher.base_url()
        );
        (pusher, None)
    } else {
        let server = FakePusher::start().await;
        server.set_channel(
            "presence-room",
            ChannelState::new().subscribers(3).users(["ada", "grace"]),
        );
        println!(
            "PUSHER_URL is not set: using a local verifying test server at {}",
            server.url()
        );
        (server.client(), Some(server))
    };

    // An event on one channel; JSON data.
    pusher
        .trigger("orders", "created", json!({"id": 42}))
        .await?;
    println!("trigger: accepted");

    // Several channels, a plain string, and the channels' counts asked for.
    let answer = pusher
        .trigger(["orders", "presence-room"], "note", "hello")
        .info(Info::SUBSCRIPTION_COUNT)
        .await?;
    for (channel, counts) in &answer.channels {
        let subscribers = counts.subscription_count.unwrap_or(0);
        println!("trigger with info: {channel} has {subscribers} subscribers");
    }

    // Several events in one call (split into requests of 10 if longer).
    let answer = pusher
        .trigger_batch(vec![
            BatchEvent::new("orders", "created", r#"{"id":43}"#),
            BatchEvent::new("presence-room", "joined", "ada").info(Info::USER_COUNT),
        ])
        .await?;
    println!(
        "trigger_batch: {} answers, one per event",
        answer.batch.len()
    );

    // An event to every connection of one signed-in user.
    pusher
        .send_to_user("user-42", "notification", json!({"unread": 3}))
        .await?;
    println!("send_to_user: accepted");

    // Queries.
    let channels = pusher
        .channels()
        .prefix("presence-")
        .info(Info::USER_COUNT)
        .await?;
    for (name, summary) in &channels.channels {
        println!(
            "channels: {name} with {} users",
            summary.user_count.unwrap_or(0)
        );
    }
    let channel = pusher
        .channel("presence-room")
        .info(Info::USER_COUNT | Info::SUBSCRIPTION_COUNT)
        .await?;
    println!(
        "channel: occupied={}, users={:?}, subscriptions={:?}",
        channel.occupied, channel.user_count, channel.subscription_count
    );
    let users = pusher.users("presence-room").await?;
    let ids: Vec<&str> = users.users.iter().map(|u| u.id.as_str()).collect();
    println!("users: {ids:?}");

    // Disconnect every connection of one user.
    pusher.terminate_user_connections("user-42").await?;
    println!("terminate_user_connections: done");
    Ok(())
}
