//! An actix-web app with Pusher Channels: pusher-js authorization routes, verified webhooks, and
//! a handler that triggers events through the shared client.
//!
//! ```text
//! PUSHER_URL=https://key:secret@api-eu.pusher.com/apps/123 \
//! RUST_LOG=info,pusher_actix=debug \
//! cargo run -p pusher-examples --bin actix_app
//! ```
//!
//! (or `PUSHER_APP_ID`, `PUSHER_KEY`, `PUSHER_SECRET`, `PUSHER_CLUSTER`; `PORT` defaults to
//! 3001, bound on 127.0.0.1). Then:
//!
//! - `POST /pusher/auth` and `POST /pusher/user-auth`: point pusher-js's
//!   `channelAuthorization` / `userAuthentication` endpoints here. The user is the `x-user-id`
//!   header or the `user` cookie; without one every request is denied (403).
//! - `POST /webhooks`: set this URL as the app's webhook URL; events are logged.
//! - `POST /messages` with `{"channel":"chat","event":"message","data":{..}}`: triggers it.

use actix_web::{App, HttpRequest, HttpResponse, HttpServer, web};
use pusher_actix::pusher_client::Error as PusherError;
use pusher_actix::{
    ChannelAuthRequest, ChannelGrant, PresenceMember, Pusher, PusherAuth, UserAuthRequest,
    UserData, UserGrant, VerifiedWebhook, WebhookEvent,
};
use serde_json::{Value, json};

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

/// May this user join this channel? Everyone signed in may; presence members show their name.
async fn authorize(req: HttpRequest, auth: ChannelAuthRequest) -> actix_web::Result<ChannelGrant> {
    let Some(user) = current_user(&req) else {
        return Ok(ChannelGrant::Deny);
    };
    if auth.channel_name.starts_with("presence-") {
        let member = PresenceMember::new(user.as_str())
            .user_info(json!({ "name": user }))
            .map_err(actix_web::error::ErrorInternalServerError)?;
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
    let data = UserData::new(user.as_str())
        .user_info(json!({ "name": user }))
        .map_err(actix_web::error::ErrorInternalServerError)?;
    Ok(UserGrant::Allow(data))
}

/// Webhooks, verified before this runs.
async fn webhooks(VerifiedWebhook(webhook): VerifiedWebhook) -> HttpResponse {
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
    HttpResponse::Ok().finish()
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
    pusher: web::Data<Pusher>,
    message: web::Json<Message>,
) -> actix_web::Result<HttpResponse> {
    let Message {
        channel,
        event,
        data,
        socket_id,
    } = message.into_inner();
    let mut trigger = pusher.trigger(channel.as_str(), event.as_str(), data);
    if let Some(socket_id) = socket_id {
        trigger = trigger.exclude(socket_id);
    }
    match trigger.await {
        Ok(_) => Ok(HttpResponse::Accepted().json(json!({ "sent": true }))),
        Err(PusherError::Validation(e)) => Err(actix_web::error::ErrorBadRequest(e.to_string())),
        Err(e) => {
            tracing::warn!(error = %e, "trigger failed");
            Err(actix_web::error::ErrorBadGateway(
                "the event could not be sent",
            ))
        }
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

    let pusher = match Pusher::from_env() {
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
    HttpServer::new(move || {
        App::new()
            .app_data(pusher.clone())
            // Webhook and message bodies are small.
            .app_data(web::PayloadConfig::new(64 * 1024))
            .service(PusherAuth::new().channel(authorize).user(authenticate))
            .route("/webhooks", web::post().to(webhooks))
            .route("/messages", web::post().to(send_message))
    })
    .bind(("127.0.0.1", port))?
    .run()
    .await?;
    Ok(())
}
