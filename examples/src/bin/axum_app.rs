//! An axum app with Pusher Channels: pusher-js authorization routes, verified webhooks, and a
//! handler that triggers events through the shared client in the app state.
//!
//! ```text
//! PUSHER_URL=https://key:secret@api-eu.pusher.com/apps/123 \
//! RUST_LOG=info,pusher_axum=debug \
//! cargo run -p pusher-examples --bin axum_app
//! ```
//!
//! (or `PUSHER_APP_ID`, `PUSHER_KEY`, `PUSHER_SECRET`, `PUSHER_CLUSTER`; `PORT` defaults to
//! 3000, bound on 127.0.0.1). Then:
//!
//! - `POST /pusher/auth` and `POST /pusher/user-auth`: point pusher-js's
//!   `channelAuthorization` / `userAuthentication` endpoints here. The user is the `x-user-id`
//!   header or the `user` cookie; without one every request is denied (403).
//! - `POST /webhooks`: set this URL as the app's webhook URL; events are logged.
//! - `POST /messages` with `{"channel":"chat","event":"message","data":{..}}`: triggers it.

use axum::extract::{DefaultBodyLimit, FromRef, State};
use axum::http::{HeaderMap, StatusCode};
use axum::routing::post;
use axum::{Json, Router};
use axum_extra::extract::CookieJar;
use pusher_axum::pusher_client::Error as PusherError;
use pusher_axum::{
    ChannelAuthRequest, ChannelGrant, PresenceMember, Pusher, PusherAuth, UserAuthRequest,
    UserData, UserGrant, VerifiedWebhook, WebhookEvent,
};
use serde_json::{Value, json};

/// The app's state: the shared client, and whatever else the app needs (a database pool, …).
/// `#[derive(FromRef)]` lets handlers and `pusher-axum` take the `Pusher` out of it.
#[derive(Clone, FromRef)]
struct AppState {
    pusher: Pusher,
}

/// An error answered as a status and a short text.
type Failure = (StatusCode, &'static str);

/// The signed-in user: the `x-user-id` header, else the `user` cookie. A real app would read
/// its session or identity here.
fn current_user(headers: &HeaderMap, jar: &CookieJar) -> Option<String> {
    let from_header = headers
        .get("x-user-id")
        .and_then(|value| value.to_str().ok())
        .map(str::to_owned);
    from_header
        .or_else(|| jar.get("user").map(|cookie| cookie.value().to_owned()))
        .filter(|id| !id.is_empty())
}

/// May this user join this channel? Everyone signed in may; presence members show their name.
async fn authorize(
    (headers, jar): (HeaderMap, CookieJar),
    auth: ChannelAuthRequest,
) -> Result<ChannelGrant, Failure> {
    let Some(user) = current_user(&headers, &jar) else {
        return Ok(ChannelGrant::Deny);
    };
    if auth.channel_name.starts_with("presence-") {
        let member = PresenceMember::new(user.as_str())
            .user_info(json!({ "name": user }))
            .map_err(|_| (StatusCode::INTERNAL_SERVER_ERROR, "invalid member"))?;
        Ok(ChannelGrant::Presence(member))
    } else {
        Ok(ChannelGrant::Allow)
    }
}

/// pusher-js `signin()`: sign the connection in as the current user.
async fn authenticate(
    (headers, jar): (HeaderMap, CookieJar),
    _: UserAuthRequest,
) -> Result<UserGrant, Failure> {
    let Some(user) = current_user(&headers, &jar) else {
        return Ok(UserGrant::Deny);
    };
    let data = UserData::new(user.as_str())
        .user_info(json!({ "name": user }))
        .map_err(|_| (StatusCode::INTERNAL_SERVER_ERROR, "invalid user data"))?;
    Ok(UserGrant::Allow(data))
}

/// Webhooks, verified before this runs.
async fn webhooks(VerifiedWebhook(webhook): VerifiedWebhook) -> StatusCode {
    for event in &webhook.events {
        match event {
            WebhookEvent::MemberAdded { channel, user_id } => {
                tracing::info!(%channel, %user_id, "member added");
            }
            WebhookEvent::MemberRemoved { channel, user_id } => {
                tracing::info!(%channel, %user_id, "member removed");
            }
            other => {
                tracing::info!(
                    name = other.name(),
                    channel = other.channel().unwrap_or("-"),
                    time_ms = webhook.time_ms,
                    "webhook event"
                );
            }
        }
    }
    StatusCode::OK
}

/// What `POST /messages` accepts.
#[derive(serde::Deserialize)]
struct Message {
    #[serde(default = "default_channel")]
    channel: String,
    #[serde(default = "default_event")]
    event: String,
    #[serde(default)]
    data: Value,
    /// The sender's socket id, to leave it out of the broadcast.
    socket_id: Option<String>,
}

fn default_channel() -> String {
    "chat".to_owned()
}

fn default_event() -> String {
    "message".to_owned()
}

/// Triggers an event through the shared client.
async fn send_message(
    State(pusher): State<Pusher>,
    Json(message): Json<Message>,
) -> Result<(StatusCode, Json<Value>), (StatusCode, String)> {
    let Message {
        channel,
        event,
        data,
        socket_id,
    } = message;
    let mut trigger = pusher.trigger(channel.as_str(), event.as_str(), data);
    if let Some(socket_id) = socket_id {
        trigger = trigger.exclude(socket_id);
    }
    match trigger.await {
        Ok(_) => Ok((StatusCode::ACCEPTED, Json(json!({ "sent": true })))),
        Err(PusherError::Validation(e)) => Err((StatusCode::BAD_REQUEST, e.to_string())),
        Err(e) => {
            tracing::warn!(error = %e, "trigger failed");
            Err((
                StatusCode::BAD_GATEWAY,
                "the event could not be sent".to_owned(),
            ))
        }
    }
}

fn app(state: AppState) -> Router {
    Router::new()
        // POST /pusher/auth and POST /pusher/user-auth.
        .merge(PusherAuth::new().channel(authorize).user(authenticate))
        .route("/webhooks", post(webhooks))
        .route("/messages", post(send_message))
        // Webhook and message bodies are small.
        .layer(DefaultBodyLimit::max(64 * 1024))
        .with_state(state)
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| "info,pusher_axum=debug".into()),
        )
        .init();

    let pusher = match Pusher::from_env() {
        Ok(pusher) => pusher,
        Err(e) => {
            eprintln!("Set PUSHER_URL (or PUSHER_APP_ID, PUSHER_KEY, PUSHER_SECRET): {e}");
            std::process::exit(2);
        }
    };
    let port: u16 = match std::env::var("PORT") {
        Ok(port) => port.parse()?,
        Err(_) => 3000,
    };
    let listener = tokio::net::TcpListener::bind(("127.0.0.1", port)).await?;
    tracing::info!(app = pusher.app_id(), port, "listening on 127.0.0.1");
    axum::serve(listener, app(AppState { pusher })).await?;
    Ok(())
}
