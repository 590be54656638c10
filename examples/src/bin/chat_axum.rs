//! The chat demo on axum: pick a name, sign in, join a presence room, post messages that the
//! server triggers to an end-to-end encrypted channel, and watch the app's webhooks arrive.
//!
//! ```text
//! bash scripts/demo                       # sockudo + this app, no Pusher account needed
//! PUSHER_URL=https://key:secret@api-eu.pusher.com/apps/123 \
//! PUSHER_ENCRYPTION_MASTER_KEY_BASE64=$(openssl rand -base64 32) \
//! cargo run -p pusher-examples --bin chat_axum
//! ```
//!
//! `PORT` (default 3000, bound on 127.0.0.1); `PUSHER_JS_PATH` to serve another pusher-js
//! build. It handles no signal: TERM or Ctrl-C ends it at once (it keeps nothing worth saving;
//! `scripts/demo` stops sockudo first, so sockudo's last webhooks still arrive). The actix-web
//! version (`chat_actix`) serves the same page and routes:
//!
//! - `GET /`, `/chat.js`, `/chat.css`: the page (`examples/chat/`); `GET /pusher.min.js`:
//!   pusher-js from its npm package, so the demo works offline.
//! - `GET /config.json`: the key and where pusher-js connects, the channels, who is signed in.
//! - `POST /session` `{"name":..}`: signs in (a random session cookie); `DELETE /session`.
//! - `POST /pusher/auth`, `POST /pusher/user-auth`: pusher-js authorization, for the session's
//!   user (`pusher-axum`'s routes with a closure reading the cookie).
//! - `POST /messages` `{"text":..}`: triggered by the shared client to `private-encrypted-chat`.
//! - `POST /webhooks`: the app's webhook URL (`VerifiedWebhook`); `GET /webhooks/log?after=N`
//!   answers the events after `N`, waiting up to 25 s for one (the page's live panel).

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::{FromRef, Query, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Router, extract::DefaultBodyLimit};
use axum_extra::extract::CookieJar;
use axum_extra::extract::cookie::{Cookie, SameSite};
use pusher_axum::{
    ChannelAuthRequest, ChannelGrant, PresenceMember, Pusher, PusherAuth, UserAuthRequest,
    UserData, UserGrant, VerifiedWebhook,
};
use pusher_examples::chat::{self, ChannelAccess, ChatConfig, ChatError, Sessions, WebhookLog};
use serde::Deserialize;

/// Everything the handlers share; `Pusher` is taken out of it by `pusher-axum`.
#[derive(Clone, FromRef)]
struct AppState {
    pusher: Pusher,
    chat: Arc<Chat>,
}

/// The chat's own state.
struct Chat {
    sessions: Sessions,
    webhooks: WebhookLog,
    pusher_js: Bytes,
}

/// The signed-in name of this request's session cookie.
fn session_user(chat: &Chat, jar: &CookieJar) -> Option<String> {
    chat.sessions
        .name(jar.get(chat::SESSION_COOKIE).map(|c| c.value()))
}

fn json_response(status: StatusCode, body: String) -> Response {
    (status, [(header::CONTENT_TYPE, "application/json")], body).into_response()
}

fn refuse(error: &ChatError) -> Response {
    let status = StatusCode::from_u16(error.status()).unwrap_or(StatusCode::BAD_REQUEST);
    json_response(status, error.body())
}

fn asset(content_type: &'static str, body: impl IntoResponse) -> Response {
    let mut response = body.into_response();
    response
        .headers_mut()
        .insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    response
}

async fn index() -> Response {
    asset("text/html; charset=utf-8", chat::INDEX_HTML)
}

async fn script() -> Response {
    asset("text/javascript; charset=utf-8", chat::CHAT_JS)
}

async fn styles() -> Response {
    asset("text/css; charset=utf-8", chat::CHAT_CSS)
}

async fn pusher_js(State(chat): State<Arc<Chat>>) -> Response {
    asset("text/javascript; charset=utf-8", chat.pusher_js.clone())
}

async fn config(State(state): State<AppState>, jar: CookieJar) -> Response {
    let user = session_user(&state.chat, &jar);
    json_response(
        StatusCode::OK,
        chat::page_config(&state.pusher, user.as_deref()),
    )
}

/// `POST /session`: a new session for a valid name.
async fn sign_in(State(chat): State<Arc<Chat>>, jar: CookieJar, body: Bytes) -> Response {
    let result = chat::parse_body::<chat::SignIn>(&body)
        .and_then(|form| chat::validate_name(&form.name))
        .and_then(|name| Ok((chat.sessions.create(&name)?, name)));
    match result {
        Ok((token, name)) => {
            chat.sessions
                .remove(jar.get(chat::SESSION_COOKIE).map(|c| c.value()));
            let cookie = Cookie::build((chat::SESSION_COOKIE, token))
                .path("/")
                .http_only(true)
                .same_site(SameSite::Lax)
                .build();
            let body =
                serde_json::json!({ "user": { "id": name, "info": chat::user_info(&name) } });
            (
                jar.add(cookie),
                json_response(StatusCode::OK, body.to_string()),
            )
                .into_response()
        }
        Err(e) => refuse(&e),
    }
}

/// `DELETE /session`: signs out.
async fn sign_out(State(chat): State<Arc<Chat>>, jar: CookieJar) -> Response {
    chat.sessions
        .remove(jar.get(chat::SESSION_COOKIE).map(|c| c.value()));
    let removal = Cookie::build(chat::SESSION_COOKIE).path("/").build();
    (jar.remove(removal), StatusCode::NO_CONTENT).into_response()
}

/// pusher-js channel authorization, for the session's user.
async fn authorize(
    (State(chat), jar): (State<Arc<Chat>>, CookieJar),
    request: ChannelAuthRequest,
) -> Result<ChannelGrant, StatusCode> {
    let user = session_user(&chat, &jar);
    Ok(
        match chat::channel_access(user.as_deref(), &request.channel_name) {
            ChannelAccess::Presence { user_id, info } => ChannelGrant::Presence(
                PresenceMember::new(user_id)
                    .user_info(info)
                    .map_err(|_| StatusCode::INTERNAL_SERVER_ERROR)?,
            ),
            ChannelAccess::Allow => ChannelGrant::Allow,
            ChannelAccess::Deny => ChannelGrant::Deny,
        },
    )
}

/// pusher-js `signin()`, for the session's user.
async fn authenticate(
    (State(chat), jar): (State<Arc<Chat>>, CookieJar),
    _: UserAuthRequest,
) -> Result<UserGrant, StatusCode> {
    let Some(name) = session_user(&chat, &jar) else {
        return Ok(UserGrant::Deny);
    };
    let data = UserData::new(name.as_str())
        .user_info(chat::user_info(&name))
        .map_err(|_| StatusCode::INTERNAL_SERVER_ERROR)?;
    Ok(UserGrant::Allow(data))
}

/// `POST /messages`: the shared client triggers it to the encrypted channel.
async fn post_message(State(state): State<AppState>, jar: CookieJar, body: Bytes) -> Response {
    let Some(name) = session_user(&state.chat, &jar) else {
        return refuse(&ChatError::NotSignedIn);
    };
    let (status, answer) = chat::post_message(&state.pusher, &name, &body).await;
    json_response(
        StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR),
        answer,
    )
}

/// `POST /webhooks`: verified before this runs (a bad signature is answered 401).
async fn webhooks(
    State(chat): State<Arc<Chat>>,
    VerifiedWebhook(webhook): VerifiedWebhook,
) -> StatusCode {
    for event in &webhook.events {
        tracing::info!(name = event.name(), channel = event.channel(), "webhook");
    }
    chat.webhooks.record(&webhook.events);
    StatusCode::OK
}

#[derive(Deserialize)]
struct After {
    #[serde(default)]
    after: u64,
}

/// `GET /webhooks/log?after=N`: the events after `N`, waiting for one if there are none.
async fn webhook_log(State(chat): State<Arc<Chat>>, Query(after): Query<After>) -> Response {
    let events = chat.webhooks.wait_since(after.after, chat::LONG_POLL).await;
    json_response(StatusCode::OK, WebhookLog::answer(&events))
}

fn app(state: AppState) -> Router {
    Router::new()
        .route("/", get(index))
        .route("/chat.js", get(script))
        .route("/chat.css", get(styles))
        .route("/pusher.min.js", get(pusher_js))
        .route("/config.json", get(config))
        .route("/session", post(sign_in).delete(sign_out))
        .route("/messages", post(post_message))
        .route("/webhooks", post(webhooks))
        .route("/webhooks/log", get(webhook_log))
        .merge(PusherAuth::new().channel(authorize).user(authenticate))
        .layer(DefaultBodyLimit::max(64 * 1024))
        .with_state(state)
}

#[tokio::main]
async fn main() {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| "info".into()),
        )
        .init();
    if let Err(e) = run().await {
        eprintln!("chat_axum: {e}");
        std::process::exit(1);
    }
}

async fn run() -> Result<(), String> {
    let config = ChatConfig::from_env()?;
    let pusher = chat::pusher_from_env()?;
    let pusher_js = config.load_pusher_js()?;
    let listener = tokio::net::TcpListener::bind(("127.0.0.1", config.port))
        .await
        .map_err(|e| format!("cannot listen on 127.0.0.1:{}: {e}", config.port))?;
    tracing::info!(
        app = pusher.app_id(),
        server = pusher.base_url(),
        "chat (axum) on http://127.0.0.1:{}/",
        config.port
    );
    let state = AppState {
        pusher,
        chat: Arc::new(Chat {
            sessions: Sessions::default(),
            webhooks: WebhookLog::default(),
            pusher_js: Bytes::from(pusher_js),
        }),
    };
    axum::serve(listener, app(state))
        .await
        .map_err(|e| e.to_string())
}
