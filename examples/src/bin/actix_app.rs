//! An actix-web app with Pusher Channels: pusher-js authorization routes, verified webhooks, and
//! handlers that use the shared client (triggers, batches, users, queries).
//!
//! ```text
//! PUSHER_URL=https://key:secret@api-eu.pusher.com/apps/123 \
//! RUST_LOG=info,pusher_actix=debug \
//! cargo run -p pusher-examples --bin actix_app
//! ```
//!
//! (or `PUSHER_APP_ID`, `PUSHER_KEY`, `PUSHER_SECRET`, `PUSHER_CLUSTER`, `PUSHER_HOST`,
//! `PUSHER_PORT`, `PUSHER_USE_TLS`; `PUSHER_ENCRYPTION_MASTER_KEY_BASE64` for
//! `private-encrypted-` channels; `PORT` defaults to 3001, bound on 127.0.0.1). The axum app
//! (`axum_app`) answers exactly the same routes:
//!
//! - `POST /pusher/auth` and `POST /pusher/user-auth`: point pusher-js's
//!   `channelAuthorization` / `userAuthentication` endpoints here. The user is the `x-user-id`
//!   header or the `user` cookie; without one every request is denied (403), and
//!   `private-admin-` channels are for the user `admin` only.
//! - `POST /webhooks`: set this URL as the app's webhook URL; verified events are logged and
//!   kept, `GET /webhooks/received` lists them.
//! - `POST /messages` with `{"channels":["chat"],"event":"message","data":..}` (optional
//!   `socket_id` to exclude, `info` such as `"subscription_count"`): triggers it. A JSON string
//!   as `data` is sent exactly as given, anything else as JSON.
//! - `POST /batch` with `{"events":[{"channel":..,"event":..,"data":..},..]}`: a batch of any
//!   length.
//! - `POST /users/{id}/events` with `{"event":..,"data":..}`; `POST /users/{id}/terminate`.
//! - `GET /channels?prefix=presence-&info=user_count`, `GET /channels/{name}?info=..`,
//!   `GET /channels/{name}/users`.
//!
//! Input the client refuses (an event over 10 KB, over 100 channels, a bad name…) is answered
//! 422 with the client's message, and nothing is sent to Pusher; a failure of Pusher itself 502.

use std::sync::Mutex;

use actix_web::http::StatusCode;
use actix_web::{App, HttpRequest, HttpResponse, HttpServer, web};
use pusher_actix::pusher_client::{BatchEvent, ChannelCounts, Data, Error as PusherError, Info};
use pusher_actix::{
    ChannelAuthRequest, ChannelGrant, PresenceMember, Pusher, PusherAuth, UserAuthRequest,
    UserData, UserGrant, VerifiedWebhook, WebhookEvent,
};
use serde::Deserialize;
use serde_json::{Value, json};

/// The webhook events received, newest last (a real app would act on them instead).
#[derive(Default)]
struct Received(Mutex<Vec<Value>>);

/// The signed-in user: the `x-user-id` header, else the `user` cookie. A real app would read
/// its session or identity here.
fn current_user(req: &HttpRequest) -> Option<String> {
    let from_header = req
        .headers()
        .get("x-user-id")
        .and_then(|value| value.to_str().ok())
        .map(str::to_owned);
    from_header
        .or_else(|| req.cookie("user").map(|cookie| cookie.value().to_owned()))
        .filter(|id| !id.is_empty())
}

/// May this user join this channel? Everyone signed in may, but `private-admin-` channels are
/// for `admin` only; presence members show their name.
async fn authorize(req: HttpRequest, auth: ChannelAuthRequest) -> actix_web::Result<ChannelGrant> {
    let Some(user) = current_user(&req) else {
        return Ok(ChannelGrant::Deny);
    };
    if auth.channel_name.starts_with("private-admin-") && user != "admin" {
        return Ok(ChannelGrant::Deny);
    }
    if auth.channel_name.starts_with("presence-") {
        let member = PresenceMember::new(user.as_str()).with_user_info(json!({ "name": user }));
        Ok(ChannelGrant::Presence(member))
    } else {
        Ok(ChannelGrant::Allow)
    }
}

/// pusher-js `signin()`: sign the connection in as the current user.
async fn authenticate(req: HttpRequest, _: UserAuthRequest) -> actix_web::Result<UserGrant> {
    let Some(user) = current_user(&req) else {
        return Ok(UserGrant::Deny);
    };
    let data = UserData::new(user.as_str()).with_user_info(json!({ "name": user }));
    Ok(UserGrant::Allow(data))
}

/// Webhooks, verified before this runs (bad signatures and unknown keys are answered 401).
async fn webhooks(
    received: web::Data<Received>,
    VerifiedWebhook(webhook): VerifiedWebhook,
) -> HttpResponse {
    let mut kept = received.0.lock().unwrap_or_else(|e| e.into_inner());
    for event in &webhook.events {
        let user_id = match event {
            WebhookEvent::MemberAdded { user_id, .. }
            | WebhookEvent::MemberRemoved { user_id, .. } => Some(user_id.as_str()),
            _ => None,
        };
        let channel = event.channel().unwrap_or("-");
        tracing::info!(name = event.name(), channel, user_id, "webhook event");
        kept.push(json!({ "name": event.name(), "channel": channel, "user_id": user_id }));
    }
    let excess = kept.len().saturating_sub(1000);
    kept.drain(..excess);
    HttpResponse::Ok().finish()
}

/// `GET /webhooks/received`: the events kept so far.
async fn received_webhooks(received: web::Data<Received>) -> HttpResponse {
    let kept = received.0.lock().unwrap_or_else(|e| e.into_inner());
    HttpResponse::Ok().json(json!({ "events": *kept }))
}

/// What `POST /messages` accepts.
#[derive(Deserialize)]
struct Message {
    channels: Vec<String>,
    event: String,
    #[serde(default)]
    data: Value,
    /// The sender's socket id, to leave it out of the broadcast.
    socket_id: Option<String>,
    /// Channel attributes to ask for: `subscription_count`, `user_count`, or both.
    info: Option<String>,
}

/// One event of `POST /batch`.
#[derive(Deserialize)]
struct BatchItem {
    channel: String,
    event: String,
    #[serde(default)]
    data: Value,
    socket_id: Option<String>,
    info: Option<String>,
}

/// What `POST /batch` accepts.
#[derive(Deserialize)]
struct Batch {
    events: Vec<BatchItem>,
}

/// What `POST /users/{id}/events` accepts.
#[derive(Deserialize)]
struct UserMessage {
    event: String,
    #[serde(default)]
    data: Value,
}

/// The query parameters of `GET /channels` and `GET /channels/{name}`.
#[derive(Deserialize)]
struct Attributes {
    prefix: Option<String>,
    info: Option<String>,
}

/// A JSON string is sent exactly as given (plain text or JSON the caller already
/// serialised); any other value as its JSON.
fn data(value: Value) -> Data {
    match value {
        Value::String(text) => Data::text(text),
        other => Data::from(other),
    }
}

/// `subscription_count,user_count` → [`Info`]; other names are ignored.
fn info(names: Option<&str>) -> Info {
    names
        .unwrap_or("")
        .split(',')
        .fold(Info::NONE, |info, name| match name.trim() {
            "subscription_count" => info | Info::SUBSCRIPTION_COUNT,
            "user_count" => info | Info::USER_COUNT,
            _ => info,
        })
}

fn counts(counts: &ChannelCounts) -> Value {
    json!({
        "subscription_count": counts.subscription_count,
        "user_count": counts.user_count,
    })
}

/// A JSON answer.
fn reply(status: StatusCode, body: Value) -> HttpResponse {
    HttpResponse::build(status).json(body)
}

/// The client's errors as answers: refused input 422 (nothing was sent), the rest 502.
fn failure(error: PusherError) -> HttpResponse {
    let status = match error {
        PusherError::Validation(_) => StatusCode::UNPROCESSABLE_ENTITY,
        _ => {
            tracing::warn!(%error, "Pusher request failed");
            StatusCode::BAD_GATEWAY
        }
    };
    reply(status, json!({ "error": error.to_string() }))
}

/// `POST /messages`: triggers an event through the shared client.
async fn send_message(pusher: web::Data<Pusher>, message: web::Json<Message>) -> HttpResponse {
    let message = message.into_inner();
    let mut trigger = pusher
        .trigger(message.channels, message.event, data(message.data))
        .info(info(message.info.as_deref()));
    if let Some(socket_id) = message.socket_id {
        trigger = trigger.exclude(socket_id);
    }
    match trigger.await {
        Ok(answer) => {
            let channels: serde_json::Map<String, Value> = answer
                .channels
                .iter()
                .map(|(name, c)| (name.clone(), counts(c)))
                .collect();
            reply(StatusCode::ACCEPTED, json!({ "channels": channels }))
        }
        Err(e) => failure(e),
    }
}

/// `POST /batch`: any number of events, split into requests of 10 by the client.
async fn send_batch(pusher: web::Data<Pusher>, batch: web::Json<Batch>) -> HttpResponse {
    let events = batch.into_inner().events.into_iter().map(|item| {
        let mut event = BatchEvent::new(item.channel, item.event, data(item.data))
            .info(info(item.info.as_deref()));
        if let Some(socket_id) = item.socket_id {
            event = event.exclude(socket_id);
        }
        event
    });
    match pusher.trigger_batch(events).await {
        Ok(answer) => {
            let batch: Vec<Value> = answer.batch.iter().map(counts).collect();
            reply(StatusCode::ACCEPTED, json!({ "batch": batch }))
        }
        Err(e) => failure(e),
    }
}

/// `POST /users/{id}/events`: to every connection the user signed in on.
async fn send_to_user(
    pusher: web::Data<Pusher>,
    user: web::Path<String>,
    message: web::Json<UserMessage>,
) -> HttpResponse {
    let message = message.into_inner();
    match pusher
        .send_to_user(user.as_str(), message.event, data(message.data))
        .await
    {
        Ok(_) => reply(StatusCode::ACCEPTED, json!({})),
        Err(e) => failure(e),
    }
}

/// `POST /users/{id}/terminate`: disconnects the user everywhere.
async fn terminate_user(pusher: web::Data<Pusher>, user: web::Path<String>) -> HttpResponse {
    match pusher.terminate_user_connections(user.as_str()).await {
        Ok(()) => reply(StatusCode::ACCEPTED, json!({})),
        Err(e) => failure(e),
    }
}

/// `GET /channels`: the occupied channels.
async fn list_channels(pusher: web::Data<Pusher>, query: web::Query<Attributes>) -> HttpResponse {
    let query = query.into_inner();
    let mut request = pusher.channels().info(info(query.info.as_deref()));
    if let Some(prefix) = query.prefix {
        request = request.prefix(prefix);
    }
    match request.await {
        Ok(list) => {
            let channels: serde_json::Map<String, Value> = list
                .channels
                .iter()
                .map(|(name, c)| (name.clone(), json!({ "user_count": c.user_count })))
                .collect();
            reply(StatusCode::OK, json!({ "channels": channels }))
        }
        Err(e) => failure(e),
    }
}

/// `GET /channels/{name}`: one channel's state.
async fn show_channel(
    pusher: web::Data<Pusher>,
    name: web::Path<String>,
    query: web::Query<Attributes>,
) -> HttpResponse {
    let request = pusher.channel(name.into_inner());
    match request.info(info(query.info.as_deref())).await {
        Ok(channel) => reply(
            StatusCode::OK,
            json!({
                "occupied": channel.occupied,
                "subscription_count": channel.subscription_count,
                "user_count": channel.user_count,
            }),
        ),
        Err(e) => failure(e),
    }
}

/// `GET /channels/{name}/users`: who is on a presence channel.
async fn channel_users(pusher: web::Data<Pusher>, name: web::Path<String>) -> HttpResponse {
    match pusher.users(name.as_str()).await {
        Ok(members) => {
            let users: Vec<Value> = members
                .users
                .iter()
                .map(|u| json!({ "id": u.id }))
                .collect();
            reply(StatusCode::OK, json!({ "users": users }))
        }
        Err(e) => failure(e),
    }
}

#[actix_web::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| "info,pusher_actix=debug".into()),
        )
        .init();

    // PUSHER_FALLBACK_HOSTS (optional, comma-separated `host[:port]`) names the other nodes of
    // a self-hosted cluster, tried when the one above fails (PusherBuilder::fallback_hosts).
    let pusher = match pusher_client::Pusher::from_env() {
        Ok(pusher) => pusher,
        Err(e) => {
            eprintln!("Set PUSHER_URL (or PUSHER_APP_ID, PUSHER_KEY, PUSHER_SECRET): {e}");
            std::process::exit(2);
        }
    };
    let port: u16 = match std::env::var("PORT") {
        Ok(port) => port.parse()?,
        Err(_) => 3001,
    };
    tracing::info!(app = pusher.app_id(), port, "listening on 127.0.0.1");

    let pusher = web::Data::new(pusher);
    let received = web::Data::new(Received::default());
    HttpServer::new(move || {
        App::new()
            .app_data(pusher.clone())
            .app_data(received.clone())
            // Room for a batch of events near the size limit; webhooks are small.
            .app_data(web::PayloadConfig::new(1024 * 1024))
            .app_data(web::JsonConfig::default().limit(1024 * 1024))
            .service(PusherAuth::new().channel(authorize).user(authenticate))
            .route("/webhooks", web::post().to(webhooks))
            .route("/webhooks/received", web::get().to(received_webhooks))
            .route("/messages", web::post().to(send_message))
            .route("/batch", web::post().to(send_batch))
            .route("/users/{id}/events", web::post().to(send_to_user))
            .route("/users/{id}/terminate", web::post().to(terminate_user))
            .route("/channels", web::get().to(list_channels))
            .route("/channels/{name}", web::get().to(show_channel))
            .route("/channels/{name}/users", web::get().to(channel_users))
    })
    .bind(("127.0.0.1", port))?
    .run()
    .await?;
    Ok(())
}
