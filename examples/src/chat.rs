//! The chat demo's logic, shared by `chat_axum` and `chat_actix` and free of any web framework:
//! names and sessions, message validation, the webhook log the page's panel shows, the page's
//! public connection parameters and the configuration read from the environment.
//!
//! The two binaries only translate HTTP to these calls, so both answer identically, and
//! everything here is unit tested without a server.

use std::collections::{HashMap, VecDeque};
use std::fmt;
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use pusher_client::{Pusher, WebhookEvent};
use serde::Deserialize;
use serde_json::{Value, json};
use tokio::sync::watch;

/// The presence room every signed-in page joins (its member list).
pub const ROOM_CHANNEL: &str = "presence-chat";
/// Where messages are triggered: end-to-end encrypted, so the Pusher server only sees ciphertext.
pub const MESSAGES_CHANNEL: &str = "private-encrypted-chat";
/// The event name of a chat message on [`MESSAGES_CHANNEL`].
pub const MESSAGE_EVENT: &str = "message";
/// The session cookie's name.
pub const SESSION_COOKIE: &str = "chat_session";
/// The longest name, in characters.
pub const MAX_NAME_CHARS: usize = 20;
/// The longest message, in characters (well inside Pusher's 10 KB event limit once encrypted).
pub const MAX_MESSAGE_CHARS: usize = 500;
/// The largest request body the chat routes read (a name or a message, as JSON): room for any
/// message within [`MAX_MESSAGE_CHARS`], even with every character `\u`-escaped, so a larger
/// message body is refused by the same rule ("the limit is 500 characters").
pub const MAX_BODY_BYTES: usize = 8 * 1024;
/// How many webhook events the panel's log keeps (older ones are dropped first).
pub const WEBHOOK_LOG_CAPACITY: usize = 200;
/// How many sessions are kept (the oldest are forgotten first): a demo keeps them in memory.
pub const MAX_SESSIONS: usize = 10_000;
/// How long `GET /webhooks/log` waits for a new event before answering an empty list.
pub const LONG_POLL: Duration = Duration::from_secs(25);

/// The static page, shared by both apps (`examples/chat/`), compiled in so the binary runs from
/// any directory.
pub const INDEX_HTML: &str = include_str!("../chat/index.html");
/// The page's script (plain JS, no build step).
pub const CHAT_JS: &str = include_str!("../chat/chat.js");
/// The page's styles.
pub const CHAT_CSS: &str = include_str!("../chat/chat.css");

/// Why a chat route refused a request: input answered 400, nobody signed in 401.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ChatError {
    /// The name is empty, too long or has characters other than letters, digits, `-` and `_`.
    InvalidName(String),
    /// The message is empty, too long or has control characters other than newlines.
    InvalidMessage(String),
    /// The body was not the JSON the route expects.
    BadBody(String),
    /// No session cookie, or one this app does not know (for example after a restart).
    NotSignedIn,
    /// The operating system had no randomness for a session token (answered 500).
    NoRandomness,
}

impl ChatError {
    /// The HTTP status to answer with.
    pub fn status(&self) -> u16 {
        match self {
            ChatError::NotSignedIn => 401,
            ChatError::NoRandomness => 500,
            _ => 400,
        }
    }

    /// The JSON body to answer with: `{"error": "..."}`.
    pub fn body(&self) -> String {
        json!({ "error": self.to_string() }).to_string()
    }
}

impl fmt::Display for ChatError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ChatError::InvalidName(why) => write!(f, "invalid name: {why}"),
            ChatError::InvalidMessage(why) => write!(f, "invalid message: {why}"),
            ChatError::BadBody(why) => write!(f, "bad request body: {why}"),
            ChatError::NotSignedIn => f.write_str("not signed in: choose a name first"),
            ChatError::NoRandomness => f.write_str("no randomness for a session token"),
        }
    }
}

impl std::error::Error for ChatError {}

/// A validated name: 1 to [`MAX_NAME_CHARS`] ASCII letters, digits, `-` or `_` (surrounding spaces
/// trimmed). It is also the user id in Pusher, so it is restricted to characters every
/// Pusher-protocol server accepts in one.
pub fn validate_name(name: &str) -> Result<String, ChatError> {
    let name = name.trim();
    if name.is_empty() {
        return Err(ChatError::InvalidName("it is empty".into()));
    }
    let chars = name.chars().count();
    if chars > MAX_NAME_CHARS {
        return Err(ChatError::InvalidName(format!(
            "the limit is {MAX_NAME_CHARS} characters; this one has {chars}"
        )));
    }
    if let Some(c) = name
        .chars()
        .find(|c| !(c.is_ascii_alphanumeric() || *c == '-' || *c == '_'))
    {
        // The name is the signed-in user's id, which becomes the channel
        // `#server-to-user-{id}`: only channel-name characters can be reached.
        return Err(ChatError::InvalidName(format!(
            "{c:?} is not allowed: use the letters A-Z and a-z, digits, '-' and '_'"
        )));
    }
    Ok(name.to_owned())
}

/// A validated message: trimmed, 1 to [`MAX_MESSAGE_CHARS`] characters, no control characters
/// but newlines and tabs.
pub fn validate_message(text: &str) -> Result<String, ChatError> {
    let text = text.trim();
    if text.is_empty() {
        return Err(ChatError::InvalidMessage("it is empty".into()));
    }
    let chars = text.chars().count();
    if chars > MAX_MESSAGE_CHARS {
        return Err(message_too_long(Some(chars)));
    }
    if let Some(c) = text
        .chars()
        .find(|c| c.is_control() && *c != '\n' && *c != '\t')
    {
        return Err(ChatError::InvalidMessage(format!(
            "it contains the control character {c:?}"
        )));
    }
    Ok(text.to_owned())
}

/// A message over [`MAX_MESSAGE_CHARS`], in the words the page uses too ("the limit is 500
/// characters; this one has 612"): the same rule whether the characters were counted or the body
/// was already too large to read (`chars` unknown).
fn message_too_long(chars: Option<usize>) -> ChatError {
    let this = chars.map_or_else(
        || "this one is longer".to_owned(),
        |n| format!("this one has {n}"),
    );
    ChatError::InvalidMessage(format!(
        "the limit is {MAX_MESSAGE_CHARS} characters; {this}"
    ))
}

/// The text of a `POST /messages` body, validated: a body over [`MAX_BODY_BYTES`] holds a message
/// over [`MAX_MESSAGE_CHARS`], and is refused as one.
pub fn parse_message(body: &[u8]) -> Result<String, ChatError> {
    if body.len() > MAX_BODY_BYTES {
        return Err(message_too_long(None));
    }
    parse_body::<NewMessage>(body).and_then(|m| validate_message(&m.text))
}

/// The body of `POST /session`.
#[derive(Debug, Deserialize)]
pub struct SignIn {
    /// The name the user picked.
    pub name: String,
}

/// The body of `POST /messages`.
#[derive(Debug, Deserialize)]
pub struct NewMessage {
    /// What the user typed.
    pub text: String,
}

/// Parses a JSON request body, refusing bodies over [`MAX_BODY_BYTES`].
pub fn parse_body<T: serde::de::DeserializeOwned>(body: &[u8]) -> Result<T, ChatError> {
    if body.len() > MAX_BODY_BYTES {
        return Err(ChatError::BadBody(format!(
            "{} bytes; the limit is {MAX_BODY_BYTES}",
            body.len()
        )));
    }
    serde_json::from_slice(body).map_err(|e| ChatError::BadBody(e.to_string()))
}

/// A colour for a name, the same on every page (a stable FNV-1a hash, not `RandomState`), shown
/// beside it in the member list: it travels as presence `user_info`.
pub fn colour_of(name: &str) -> String {
    let hash = name.bytes().fold(0x811c_9dc5_u32, |h, b| {
        (h ^ u32::from(b)).wrapping_mul(0x0100_0193)
    });
    format!("hsl({}, 65%, 45%)", hash % 360)
}

/// The presence `user_info` of a signed-in user: shown in every page's member list.
pub fn user_info(name: &str) -> Value {
    json!({ "name": name, "colour": colour_of(name) })
}

/// The event data of a chat message, as triggered on [`MESSAGES_CHANNEL`].
pub fn message_payload(name: &str, text: &str, at_ms: u64) -> Value {
    json!({ "user": name, "text": text, "at": at_ms, "colour": colour_of(name) })
}

/// `POST /messages` for a signed-in `name`: parses and validates the body, then triggers the
/// message to [`MESSAGES_CHANNEL`] through the shared client. Returns the status and JSON body to
/// answer with: 202 `{}` when Pusher accepted it, the [`ChatError`]'s status for bad input, 422
/// when the client refused the event itself (for example over the payload limit), 502 when the
/// Pusher API could not be reached or refused it.
pub async fn post_message(pusher: &Pusher, name: &str, body: &[u8]) -> (u16, String) {
    let text = match parse_message(body) {
        Ok(text) => text,
        Err(e) => return (e.status(), e.body()),
    };
    let payload = message_payload(name, &text, now_ms());
    match pusher
        .trigger(MESSAGES_CHANNEL, MESSAGE_EVENT, payload)
        .await
    {
        Ok(_) => (202, "{}".to_owned()),
        Err(e) => {
            tracing::warn!(error = %e, "trigger failed");
            let status = if matches!(e, pusher_client::Error::Validation(_)) {
                422
            } else {
                502
            };
            (status, json!({ "error": e.to_string() }).to_string())
        }
    }
}

/// Milliseconds since the Unix epoch (0 if the clock is before it).
pub fn now_ms() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX))
}

/// Signed-in users, by the random token of their session cookie. In memory and bounded: the
/// oldest sessions are forgotten past [`MAX_SESSIONS`]. The token is 128 random bits, so a page
/// cannot pose as another user by guessing one (unlike a cookie holding the name itself).
#[derive(Debug, Default)]
pub struct Sessions {
    inner: Mutex<SessionsInner>,
}

#[derive(Debug, Default)]
struct SessionsInner {
    names: HashMap<String, String>,
    order: VecDeque<String>,
}

impl Sessions {
    /// Starts a session for `name` (already validated) and returns its cookie token.
    pub fn create(&self, name: &str) -> Result<String, ChatError> {
        let mut bytes = [0u8; 16];
        getrandom::getrandom(&mut bytes).map_err(|_| ChatError::NoRandomness)?;
        let token: String = bytes.iter().map(|b| format!("{b:02x}")).collect();
        let mut inner = self.inner.lock().unwrap_or_else(|e| e.into_inner());
        while inner.order.len() >= MAX_SESSIONS {
            if let Some(old) = inner.order.pop_front() {
                inner.names.remove(&old);
            }
        }
        inner.names.insert(token.clone(), name.to_owned());
        inner.order.push_back(token.clone());
        Ok(token)
    }

    /// The name signed in with this cookie token, if any.
    pub fn name(&self, token: Option<&str>) -> Option<String> {
        let token = token?;
        let inner = self.inner.lock().unwrap_or_else(|e| e.into_inner());
        inner.names.get(token).cloned()
    }

    /// Ends the session of this token (signing out); unknown tokens are ignored.
    pub fn remove(&self, token: Option<&str>) {
        let Some(token) = token else { return };
        let mut inner = self.inner.lock().unwrap_or_else(|e| e.into_inner());
        if inner.names.remove(token).is_some() {
            inner.order.retain(|t| t != token);
        }
    }
}

/// One webhook event as the panel shows it.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct LoggedWebhook {
    /// Position in the log, from 1: the page asks for everything after the last it has.
    pub seq: u64,
    /// `channel_occupied`, `channel_vacated`, `member_added`, `member_removed`, …
    pub name: String,
    /// The channel, when the event has one.
    pub channel: Option<String>,
    /// The member, for `member_added` / `member_removed`.
    pub user_id: Option<String>,
    /// When this app received it (ms since the epoch).
    pub received_ms: u64,
}

/// The verified webhook events received, newest last, bounded to
/// [`WEBHOOK_LOG_CAPACITY`]; waiters are woken when one arrives, so the panel updates as
/// webhooks come in (a long poll: no Pusher event, so showing a webhook never causes another).
#[derive(Debug)]
pub struct WebhookLog {
    inner: Mutex<LogInner>,
    changed: watch::Sender<u64>,
}

#[derive(Debug)]
struct LogInner {
    events: VecDeque<LoggedWebhook>,
    last_seq: u64,
    capacity: usize,
}

impl Default for WebhookLog {
    fn default() -> Self {
        WebhookLog::with_capacity(WEBHOOK_LOG_CAPACITY)
    }
}

impl WebhookLog {
    /// A log keeping at most `capacity` events (at least one).
    pub fn with_capacity(capacity: usize) -> Self {
        WebhookLog {
            inner: Mutex::new(LogInner {
                events: VecDeque::new(),
                last_seq: 0,
                capacity: capacity.max(1),
            }),
            changed: watch::Sender::new(0),
        }
    }

    /// Appends the events of one verified webhook and wakes the waiting pages.
    pub fn record(&self, events: &[WebhookEvent]) {
        if events.is_empty() {
            return;
        }
        let received_ms = now_ms();
        let last = {
            let mut inner = self.inner.lock().unwrap_or_else(|e| e.into_inner());
            for event in events {
                let user_id = match event {
                    WebhookEvent::MemberAdded { user_id, .. }
                    | WebhookEvent::MemberRemoved { user_id, .. } => Some(user_id.clone()),
                    _ => None,
                };
                inner.last_seq += 1;
                let entry = LoggedWebhook {
                    seq: inner.last_seq,
                    name: event.name().to_owned(),
                    channel: event.channel().map(str::to_owned),
                    user_id,
                    received_ms,
                };
                if inner.events.len() >= inner.capacity {
                    inner.events.pop_front();
                }
                inner.events.push_back(entry);
            }
            inner.last_seq
        };
        self.changed.send_replace(last);
    }

    /// The events after `seq` still in the log, oldest first.
    pub fn since(&self, seq: u64) -> Vec<LoggedWebhook> {
        let inner = self.inner.lock().unwrap_or_else(|e| e.into_inner());
        inner
            .events
            .iter()
            .filter(|e| e.seq > seq)
            .cloned()
            .collect()
    }

    /// The events after `seq`, waiting up to `within` for one to arrive when there are none
    /// yet (an empty list then).
    pub async fn wait_since(&self, seq: u64, within: Duration) -> Vec<LoggedWebhook> {
        // Subscribe before looking, so an event recorded in between still wakes us.
        let mut changes = self.changed.subscribe();
        let found = self.since(seq);
        if !found.is_empty() {
            return found;
        }
        let _ = tokio::time::timeout(within, changes.wait_for(|last| *last > seq)).await;
        self.since(seq)
    }

    /// The `GET /webhooks/log` answer: `{"events": [...]}`.
    pub fn answer(events: &[LoggedWebhook]) -> String {
        json!({ "events": events }).to_string()
    }
}

/// Where the page's pusher-js connects, derived from the server the client is configured for:
/// Pusher's `api-{cluster}.pusher.com` → `{cluster}`; any other host (sockudo, soketi) →
/// `wsHost`/`wsPort` with TLS as the API uses. Only public values: never the secret.
pub fn pusher_js_options(base_url: &str) -> Value {
    let (scheme, rest) = base_url.split_once("://").unwrap_or(("https", base_url));
    let tls = scheme.eq_ignore_ascii_case("https");
    let authority = rest.split('/').next().unwrap_or(rest);
    let (host, port) = match authority.find(']') {
        // An IPv6 literal: `[::1]:6001`.
        Some(end) => (
            &authority[..=end],
            authority[end + 1..]
                .strip_prefix(':')
                .and_then(|p| p.parse::<u16>().ok()),
        ),
        None => match authority.rsplit_once(':') {
            Some((host, port)) => (host, port.parse::<u16>().ok()),
            None => (authority, None),
        },
    };
    let host_lower = host.to_ascii_lowercase();
    if host_lower == "api.pusherapp.com" || host_lower == "api.pusher.com" {
        return json!({ "cluster": "mt1", "forceTLS": true });
    }
    if let Some(cluster) = host_lower
        .strip_prefix("api-")
        .and_then(|h| h.strip_suffix(".pusher.com"))
    {
        return json!({ "cluster": cluster, "forceTLS": true });
    }
    let port = port.unwrap_or(if tls { 443 } else { 80 });
    json!({
        // pusher-js 8 requires a cluster; wsHost decides where it connects.
        "cluster": "local",
        "wsHost": host,
        "wsPort": port,
        "wssPort": port,
        "forceTLS": tls,
        "enabledTransports": ["ws", "wss"],
        "disableStats": true,
    })
}

/// The `GET /config.json` answer: what the page needs to connect (the key and where), which
/// channels to use and who is signed in (`null` when nobody).
pub fn page_config(pusher: &Pusher, user: Option<&str>) -> String {
    json!({
        "key": pusher.key(),
        "options": pusher_js_options(pusher.base_url()),
        "room": ROOM_CHANNEL,
        "messages": MESSAGES_CHANNEL,
        "event": MESSAGE_EVENT,
        "user": user.map(|name| json!({ "id": name, "info": user_info(name) })),
        "limits": { "name": MAX_NAME_CHARS, "message": MAX_MESSAGE_CHARS },
    })
    .to_string()
}

/// The chat app's settings from the environment, besides the Pusher client's own variables
/// (`PUSHER_URL` or `PUSHER_APP_ID`/`KEY`/`SECRET`/…, `PUSHER_ENCRYPTION_MASTER_KEY_BASE64`).
#[derive(Debug, Clone)]
pub struct ChatConfig {
    /// `PORT` (default 3000), bound on 127.0.0.1.
    pub port: u16,
    /// `PUSHER_JS_PATH`: pusher-js's browser build with encryption support, served at
    /// `/pusher.min.js` so the page works offline. Defaults to the copy `npm ci` put in
    /// `tests/e2e/node_modules` (see `scripts/install-peers`).
    pub pusher_js_path: PathBuf,
}

/// Where `scripts/install-peers` puts pusher-js's browser build (with `tweetnacl`, needed for
/// `private-encrypted-` channels).
pub fn default_pusher_js_path() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../tests/e2e/node_modules/pusher-js/dist/web/pusher-with-encryption.min.js")
}

impl ChatConfig {
    /// Reads `PORT` and `PUSHER_JS_PATH`; a bad port is an error naming the variable.
    pub fn from_env() -> Result<Self, String> {
        Self::from_lookup(|name| std::env::var(name).ok())
    }

    /// [`ChatConfig::from_env`] with another source of variables (for tests).
    pub fn from_lookup(lookup: impl Fn(&str) -> Option<String>) -> Result<Self, String> {
        let port = match lookup("PORT").filter(|p| !p.trim().is_empty()) {
            Some(port) => port
                .trim()
                .parse::<u16>()
                .map_err(|_| format!("PORT={port:?} is not a port number (1-65535)"))?,
            None => 3000,
        };
        let pusher_js_path = lookup("PUSHER_JS_PATH")
            .filter(|p| !p.trim().is_empty())
            .map_or_else(default_pusher_js_path, PathBuf::from);
        Ok(ChatConfig {
            port,
            pusher_js_path,
        })
    }

    /// Reads the pusher-js file, or says how to get it.
    pub fn load_pusher_js(&self) -> Result<Vec<u8>, String> {
        std::fs::read(&self.pusher_js_path).map_err(|e| {
            format!(
                "cannot read pusher-js at {} ({e}): run `bash scripts/install-peers` \
                 (it runs `npm ci` in tests/e2e), or set PUSHER_JS_PATH to \
                 pusher-js's dist/web/pusher-with-encryption.min.js",
                self.pusher_js_path.display()
            )
        })
    }
}

/// The Pusher client from the environment, checked for what the chat needs (the encryption
/// master key, for the `private-encrypted-` channel). The message never includes a secret.
pub fn pusher_from_env() -> Result<Pusher, String> {
    let pusher = Pusher::from_env().map_err(|e| {
        format!("set PUSHER_URL (or PUSHER_APP_ID, PUSHER_KEY, PUSHER_SECRET, …): {e}")
    })?;
    if !pusher.has_encryption() {
        return Err(
            "set PUSHER_ENCRYPTION_MASTER_KEY_BASE64 (32 random bytes, base64: \
                    `openssl rand -base64 32`): messages go to a private-encrypted- channel"
                .into(),
        );
    }
    Ok(pusher)
}

/// The channels a signed-in user may join: the room (as a presence member with their
/// [`user_info`]) and the encrypted message channel. Everything else is denied.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ChannelAccess {
    /// Join the presence room as this member.
    Presence {
        /// The member's id (the name).
        user_id: String,
        /// Shown in the member lists.
        info: Value,
    },
    /// Subscribe (the encrypted message channel).
    Allow,
    /// Refused (403).
    Deny,
}

/// May `user` (None: nobody signed in) subscribe to `channel`?
pub fn channel_access(user: Option<&str>, channel: &str) -> ChannelAccess {
    match user {
        None => ChannelAccess::Deny,
        Some(name) if channel == ROOM_CHANNEL => ChannelAccess::Presence {
            user_id: name.to_owned(),
            info: user_info(name),
        },
        Some(_) if channel == MESSAGES_CHANNEL => ChannelAccess::Allow,
        Some(_) => ChannelAccess::Deny,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names() {
        assert_eq!(validate_name("  Ada_1-x ").unwrap(), "Ada_1-x");
        assert_eq!(validate_name("Zoe").unwrap(), "Zoe");
        // A signed-in user's id must fit the channel #server-to-user-{id}: ASCII only.
        assert!(validate_name("Zoë").is_err());
        assert_eq!(
            validate_name("   ").unwrap_err(),
            ChatError::InvalidName("it is empty".into())
        );
        let long = "a".repeat(MAX_NAME_CHARS + 1);
        assert!(matches!(validate_name(&long), Err(ChatError::InvalidName(m)) if m.contains("21")));
        assert!(validate_name(&"a".repeat(MAX_NAME_CHARS)).is_ok());
        for bad in ["a b", "a:b", "a/b", "..", "a\nb", "<script>", "a,b"] {
            assert!(validate_name(bad).is_err(), "{bad:?} accepted");
        }
    }

    #[test]
    fn messages() {
        assert_eq!(validate_message(" hi\nthere ").unwrap(), "hi\nthere");
        assert!(validate_message("").is_err());
        assert!(validate_message(" \n ").is_err());
        assert!(validate_message("a\u{7}b").is_err());
        assert!(validate_message(&"é".repeat(MAX_MESSAGE_CHARS)).is_ok());
        let err = validate_message(&"é".repeat(MAX_MESSAGE_CHARS + 1)).unwrap_err();
        assert_eq!(err.status(), 400);
        assert!(err.body().contains("limit is 500"), "{}", err.body());
    }

    #[test]
    fn one_rule_for_long_messages() {
        // Counted or too large to read, a long message is refused in the same words.
        let counted = parse_message(json!({ "text": "a".repeat(612) }).to_string().as_bytes());
        assert_eq!(
            counted.unwrap_err().to_string(),
            "invalid message: the limit is 500 characters; this one has 612"
        );
        let large = json!({ "text": "é".repeat(MAX_BODY_BYTES) }).to_string();
        assert_eq!(
            parse_message(large.as_bytes()).unwrap_err().to_string(),
            "invalid message: the limit is 500 characters; this one is longer"
        );
        // The largest valid message fits in a body even with every character \u-escaped.
        let escaped = format!(
            r#"{{"text":"{}"}}"#,
            r"\ud83d\ude00".repeat(MAX_MESSAGE_CHARS)
        );
        assert_eq!(
            parse_message(escaped.as_bytes()).unwrap().chars().count(),
            MAX_MESSAGE_CHARS
        );
        assert_eq!(
            validate_name(&"a".repeat(25)).unwrap_err().to_string(),
            "invalid name: the limit is 20 characters; this one has 25"
        );
    }

    #[test]
    fn bodies() {
        let ok: SignIn = parse_body(br#"{"name":"ada"}"#).unwrap();
        assert_eq!(ok.name, "ada");
        assert!(matches!(
            parse_body::<SignIn>(b"name=ada"),
            Err(ChatError::BadBody(_))
        ));
        assert!(matches!(
            parse_body::<NewMessage>(br#"{"txt":"x"}"#),
            Err(ChatError::BadBody(_))
        ));
        let big = format!(r#"{{"text":"{}"}}"#, "a".repeat(MAX_BODY_BYTES));
        assert!(
            matches!(parse_body::<NewMessage>(big.as_bytes()), Err(ChatError::BadBody(m)) if m.contains("limit"))
        );
        assert_eq!(ChatError::NotSignedIn.status(), 401);
        assert_eq!(ChatError::NoRandomness.status(), 500);
    }

    #[test]
    fn sessions() {
        let sessions = Sessions::default();
        let a = sessions.create("ada").unwrap();
        let b = sessions.create("bob").unwrap();
        assert_eq!(a.len(), 32);
        assert_ne!(a, b);
        assert_eq!(sessions.name(Some(&a)).as_deref(), Some("ada"));
        assert_eq!(sessions.name(Some(&b)).as_deref(), Some("bob"));
        assert_eq!(sessions.name(Some("ada")), None);
        assert_eq!(sessions.name(None), None);
        sessions.remove(Some(&a));
        assert_eq!(sessions.name(Some(&a)), None);
        assert_eq!(sessions.name(Some(&b)).as_deref(), Some("bob"));
    }

    #[test]
    fn sessions_are_bounded() {
        let sessions = Sessions::default();
        let first = sessions.create("first").unwrap();
        let mut last = String::new();
        for _ in 0..MAX_SESSIONS {
            last = sessions.create("x").unwrap();
        }
        assert_eq!(sessions.name(Some(&first)), None);
        assert_eq!(sessions.name(Some(&last)).as_deref(), Some("x"));
        let inner = sessions.inner.lock().unwrap();
        assert_eq!(inner.names.len(), MAX_SESSIONS);
        assert_eq!(inner.order.len(), MAX_SESSIONS);
    }

    fn added(user: &str) -> WebhookEvent {
        WebhookEvent::MemberAdded {
            channel: ROOM_CHANNEL.into(),
            user_id: user.into(),
        }
    }

    #[test]
    fn webhook_log_is_a_bounded_ring() {
        let log = WebhookLog::with_capacity(3);
        log.record(&[
            WebhookEvent::ChannelOccupied {
                channel: ROOM_CHANNEL.into(),
            },
            added("ada"),
        ]);
        let all = log.since(0);
        assert_eq!(all.len(), 2);
        assert_eq!(all[0].name, "channel_occupied");
        assert_eq!(all[0].user_id, None);
        assert_eq!(all[1].seq, 2);
        assert_eq!(all[1].user_id.as_deref(), Some("ada"));
        assert_eq!(all[1].channel.as_deref(), Some(ROOM_CHANNEL));
        log.record(&[added("bob"), added("cy")]);
        let kept = log.since(0);
        let seqs: Vec<u64> = kept.iter().map(|e| e.seq).collect();
        assert_eq!(seqs, [2, 3, 4]);
        assert_eq!(log.since(3).len(), 1);
        assert!(log.since(4).is_empty());
        let answer: Value = serde_json::from_str(&WebhookLog::answer(&kept)).unwrap();
        assert_eq!(answer["events"][2]["user_id"], "cy");
    }

    #[tokio::test]
    async fn webhook_log_wakes_waiters() {
        let log = std::sync::Arc::new(WebhookLog::default());
        // Nothing yet: an empty answer after the wait.
        assert!(
            log.wait_since(0, Duration::from_millis(10))
                .await
                .is_empty()
        );
        let waiter = {
            let log = log.clone();
            tokio::spawn(async move { log.wait_since(0, Duration::from_secs(60)).await })
        };
        tokio::task::yield_now().await;
        log.record(&[added("ada")]);
        let got = waiter.await.unwrap();
        assert_eq!(got.len(), 1);
        assert_eq!(got[0].user_id.as_deref(), Some("ada"));
        // Already there: answered at once.
        assert_eq!(log.wait_since(0, Duration::from_secs(60)).await.len(), 1);
    }

    #[test]
    fn options_for_each_server() {
        assert_eq!(
            pusher_js_options("https://api-eu.pusher.com"),
            json!({ "cluster": "eu", "forceTLS": true })
        );
        assert_eq!(
            pusher_js_options("https://api.pusherapp.com"),
            json!({ "cluster": "mt1", "forceTLS": true })
        );
        let local = pusher_js_options("http://127.0.0.1:6001");
        assert_eq!(local["wsHost"], "127.0.0.1");
        assert_eq!(local["wsPort"], 6001);
        assert_eq!(local["forceTLS"], false);
        let tls = pusher_js_options("https://ws.example.com");
        assert_eq!(tls["wsHost"], "ws.example.com");
        assert_eq!(tls["wssPort"], 443);
        assert_eq!(tls["forceTLS"], true);
    }

    #[test]
    fn page_config_has_no_secret() {
        let pusher = Pusher::builder("1", "the-key", "the-secret")
            .host("127.0.0.1")
            .port(6001)
            .tls(false)
            .encryption_master_key_base64("AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=")
            .build()
            .unwrap();
        let text = page_config(&pusher, Some("ada"));
        assert!(!text.contains("the-secret"));
        assert!(!text.contains("AAECAwQF"));
        let config: Value = serde_json::from_str(&text).unwrap();
        assert_eq!(config["key"], "the-key");
        assert_eq!(config["options"]["wsPort"], 6001);
        assert_eq!(config["user"]["id"], "ada");
        assert_eq!(config["user"]["info"]["name"], "ada");
        assert_eq!(config["room"], ROOM_CHANNEL);
        let anonymous: Value = serde_json::from_str(&page_config(&pusher, None)).unwrap();
        assert_eq!(anonymous["user"], Value::Null);
    }

    #[test]
    fn access() {
        assert_eq!(channel_access(None, ROOM_CHANNEL), ChannelAccess::Deny);
        assert_eq!(channel_access(None, MESSAGES_CHANNEL), ChannelAccess::Deny);
        assert_eq!(
            channel_access(Some("ada"), ROOM_CHANNEL),
            ChannelAccess::Presence {
                user_id: "ada".into(),
                info: user_info("ada")
            }
        );
        assert_eq!(
            channel_access(Some("ada"), MESSAGES_CHANNEL),
            ChannelAccess::Allow
        );
        assert_eq!(
            channel_access(Some("ada"), "private-other"),
            ChannelAccess::Deny
        );
    }

    #[test]
    fn config_from_lookup() {
        let none = ChatConfig::from_lookup(|_| None).unwrap();
        assert_eq!(none.port, 3000);
        assert!(
            none.pusher_js_path
                .ends_with("pusher-js/dist/web/pusher-with-encryption.min.js")
        );
        let set = ChatConfig::from_lookup(|name| match name {
            "PORT" => Some("4100".into()),
            "PUSHER_JS_PATH" => Some("/nowhere/pusher.js".into()),
            _ => None,
        })
        .unwrap();
        assert_eq!(set.port, 4100);
        let err = set.load_pusher_js().unwrap_err();
        assert!(err.contains("bash scripts/install-peers"), "{err}");
        let bad = ChatConfig::from_lookup(|name| (name == "PORT").then(|| "70000".into()));
        assert!(bad.unwrap_err().contains("PORT"));
    }

    #[test]
    fn colours_are_stable() {
        assert_eq!(colour_of("ada"), colour_of("ada"));
        assert!(colour_of("ada").starts_with("hsl("));
        assert_eq!(user_info("ada")["colour"], colour_of("ada"));
        let payload = message_payload("ada", "hi", 5);
        assert_eq!(payload["text"], "hi");
        assert_eq!(payload["at"], 5);
    }
}
