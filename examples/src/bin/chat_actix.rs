//! The chat demo on actix-web: the same page and routes as `chat_axum` (see there), in actix's
//! idioms.
//!
//! ```text
//! DEMO_FRAMEWORK=actix bash scripts/demo  # sockudo + this app, no Pusher account needed
//! PUSHER_URL=https://key:secret@api-eu.pusher.com/apps/123 \
//! PUSHER_ENCRYPTION_MASTER_KEY_BASE64=$(openssl rand -base64 32) \
//! cargo run -p pusher-examples --bin chat_actix
//! ```
//!
//! `PORT` (default 3000, bound on 127.0.0.1); `PUSHER_JS_PATH` to serve another pusher-js
//! build. Like `chat_axum`, it handles no signal: TERM or Ctrl-C ends it at once.

use actix_web::cookie::{Cookie, SameSite};
use actix_web::http::StatusCode;
use actix_web::web::Bytes;
use actix_web::{App, HttpRequest, HttpResponse, HttpServer, web};
use pusher_actix::{
    ChannelAuthRequest, ChannelGrant, PresenceMember, Pusher, PusherAuth, UserAuthRequest,
    UserData, UserGrant, VerifiedWebhook,
};
use pusher_examples::chat::{self, ChannelAccess, ChatConfig, ChatError, Sessions, WebhookLog};
use serde::Deserialize;

/// The chat's own state (the `Pusher` is app data of its own, for `pusher-actix`).
struct Chat {
    sessions: Sessions,
    webhooks: WebhookLog,
    pusher_js: Bytes,
}

/// The request's session token, if it has the cookie.
fn token(req: &HttpRequest) -> Option<String> {
    req.cookie(chat::SESSION_COOKIE)
        .map(|c| c.value().to_owned())
}

/// The signed-in name of this request's session cookie.
fn session_user(chat: &Chat, req: &HttpRequest) -> Option<String> {
    chat.sessions.name(token(req).as_deref())
}

fn json_response(status: StatusCode, body: String) -> HttpResponse {
    HttpResponse::build(status)
        .content_type("application/json")
        .body(body)
}

fn refuse(error: &ChatError) -> HttpResponse {
    let status = StatusCode::from_u16(error.status()).unwrap_or(StatusCode::BAD_REQUEST);
    json_response(status, error.body())
}

async fn index() -> HttpResponse {
    HttpResponse::Ok()
        .content_type("text/html; charset=utf-8")
        .body(chat::INDEX_HTML)
}

async fn script() -> HttpResponse {
    HttpResponse::Ok()
        .content_type("text/javascript; charset=utf-8")
        .body(chat::CHAT_JS)
}

async fn styles() -> HttpResponse {
    HttpResponse::Ok()
        .content_type("text/css; charset=utf-8")
        .body(chat::CHAT_CSS)
}

async fn pusher_js(chat: web::Data<Chat>) -> HttpResponse {
    HttpResponse::Ok()
        .content_type("text/javascript; charset=utf-8")
        .body(chat.pusher_js.clone())
}

async fn config(
    req: HttpRequest,
    pusher: web::Data<Pusher>,
    chat: web::Data<Chat>,
) -> HttpResponse {
    let user = session_user(&chat, &req);
    json_response(StatusCode::OK, chat::page_config(&pusher, user.as_deref()))
}

/// `POST /session`: a new session for a valid name.
async fn sign_in(req: HttpRequest, chat: web::Data<Chat>, body: Bytes) -> HttpResponse {
    let result = chat::parse_body::<chat::SignIn>(&body)
        .and_then(|form| chat::validate_name(&form.name))
        .and_then(|name| Ok((chat.sessions.create(&name)?, name)));
    match result {
        Ok((new_token, name)) => {
            chat.sessions.remove(token(&req).as_deref());
            let cookie = Cookie::build(chat::SESSION_COOKIE, new_token)
                .path("/")
                .http_only(true)
                .same_site(SameSite::Lax)
                .finish();
            let body =
                serde_json::json!({ "user": { "id": name, "info": chat::user_info(&name) } });
            HttpResponse::Ok()
                .cookie(cookie)
                .content_type("application/json")
                .body(body.to_string())
        }
        Err(e) => refuse(&e),
    }
}

/// `DELETE /session`: signs out.
async fn sign_out(req: HttpRequest, chat: web::Data<Chat>) -> HttpResponse {
    chat.sessions.remove(token(&req).as_deref());
    let mut removal = Cookie::build(chat::SESSION_COOKIE, "").path("/").finish();
    removal.make_removal();
    HttpResponse::NoContent().cookie(removal).finish()
}

/// The chat state from the request (registered as app data in `main`).
fn chat_of(req: &HttpRequest) -> actix_web::Result<web::Data<Chat>> {
    req.app_data::<web::Data<Chat>>()
        .cloned()
        .ok_or_else(|| actix_web::error::ErrorInternalServerError("chat state missing"))
}

/// pusher-js channel authorization, for the session's user.
async fn authorize(
    req: HttpRequest,
    request: ChannelAuthRequest,
) -> actix_web::Result<ChannelGrant> {
    let chat = chat_of(&req)?;
    let user = session_user(&chat, &req);
    Ok(
        match chat::channel_access(user.as_deref(), &request.channel_name) {
            ChannelAccess::Presence { user_id, info } => ChannelGrant::Presence(
                PresenceMember::new(user_id)
                    .user_info(info)
                    .map_err(actix_web::error::ErrorInternalServerError)?,
            ),
            ChannelAccess::Allow => ChannelGrant::Allow,
            ChannelAccess::Deny => ChannelGrant::Deny,
        },
    )
}

/// pusher-js `signin()`, for the session's user.
async fn authenticate(req: HttpRequest, _: UserAuthRequest) -> actix_web::Result<UserGrant> {
    let chat = chat_of(&req)?;
    let Some(name) = session_user(&chat, &req) else {
        return Ok(UserGrant::Deny);
    };
    let data = UserData::new(name.as_str())
        .user_info(chat::user_info(&name))
        .map_err(actix_web::error::ErrorInternalServerError)?;
    Ok(UserGrant::Allow(data))
}

/// `POST /messages`: the shared client triggers it to the encrypted channel.
async fn post_message(
    req: HttpRequest,
    pusher: web::Data<Pusher>,
    chat: web::Data<Chat>,
    body: Bytes,
) -> HttpResponse {
    let Some(name) = session_user(&chat, &req) else {
        return refuse(&ChatError::NotSignedIn);
    };
    let (status, answer) = chat::post_message(&pusher, &name, &body).await;
    json_response(
        StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR),
        answer,
    )
}

/// `POST /webhooks`: verified before this runs (a bad signature is answered 401).
async fn webhooks(
    chat: web::Data<Chat>,
    VerifiedWebhook(webhook): VerifiedWebhook,
) -> HttpResponse {
    for event in &webhook.events {
        tracing::info!(name = event.name(), channel = event.channel(), "webhook");
    }
    chat.webhooks.record(&webhook.events);
    HttpResponse::Ok().finish()
}

#[derive(Deserialize)]
struct After {
    #[serde(default)]
    after: u64,
}

/// `GET /webhooks/log?after=N`: the events after `N`, waiting for one if there are none.
async fn webhook_log(chat: web::Data<Chat>, after: web::Query<After>) -> HttpResponse {
    let events = chat.webhooks.wait_since(after.after, chat::LONG_POLL).await;
    json_response(StatusCode::OK, WebhookLog::answer(&events))
}

#[actix_web::main]
async fn main() {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| "info".into()),
        )
        .init();
    if let Err(e) = run().await {
        eprintln!("chat_actix: {e}");
        std::process::exit(1);
    }
}

async fn run() -> Result<(), String> {
    let settings = ChatConfig::from_env()?;
    let pusher = chat::pusher_from_env()?;
    let script_bytes = settings.load_pusher_js()?;
    tracing::info!(
        app = pusher.app_id(),
        server = pusher.base_url(),
        "chat (actix-web) on http://127.0.0.1:{}/",
        settings.port
    );
    let pusher = web::Data::new(pusher);
    let chat = web::Data::new(Chat {
        sessions: Sessions::default(),
        webhooks: WebhookLog::default(),
        pusher_js: Bytes::from(script_bytes),
    });
    let server = HttpServer::new(move || {
        App::new()
            .app_data(pusher.clone())
            .app_data(chat.clone())
            .app_data(web::PayloadConfig::new(64 * 1024))
            .route("/", web::get().to(index))
            .route("/chat.js", web::get().to(script))
            .route("/chat.css", web::get().to(styles))
            .route("/pusher.min.js", web::get().to(pusher_js))
            .route("/config.json", web::get().to(config))
            .route("/session", web::post().to(sign_in))
            .route("/session", web::delete().to(sign_out))
            .route("/messages", web::post().to(post_message))
            .route("/webhooks", web::post().to(webhooks))
            .route("/webhooks/log", web::get().to(webhook_log))
            .service(PusherAuth::new().channel(authorize).user(authenticate))
    })
    .workers(2)
    // No signal handling of its own, as `chat_axum`: TERM or Ctrl-C ends the process at once.
    // actix's would stop it on the Ctrl-C a terminal sends to a whole process group, before
    // sockudo's last webhooks (`scripts/demo` stops sockudo first, then the app), and on TERM
    // wait up to 30 s for the webhook panel's long polls.
    .disable_signals()
    .bind(("127.0.0.1", settings.port))
    .map_err(|e| format!("cannot listen on 127.0.0.1:{}: {e}", settings.port))?;
    server.run().await.map_err(|e| e.to_string())
}
