//! Channel authorization and user authentication for pusher-js.
//!
//! pusher-js asks your server before it subscribes to a `private-`, `private-encrypted-` or
//! `presence-` channel (`POST /pusher/auth`) and when it signs a user in
//! (`POST /pusher/user-auth`). Your route decides *whether* the user may; the calls here build
//! the signed answer pusher-js expects. The socket id and channel name come from the browser, so
//! both are validated before anything is signed: a socket id must be `digits.digits`, which stops
//! a `:` from smuggling another channel into the signed string.

use std::fmt;

use serde::de::{self, Deserializer, Visitor};
use serde::{Deserialize, Serialize, Serializer};
use serde_json::{Map, Value};

use crate::channel::{self, ChannelKind};
use crate::client::Pusher;
use crate::error::{Error, ValidationError};

/// What pusher-js sends to your channel authorization endpoint (`/pusher/auth` by default).
///
/// Deserialises straight from pusher-js's form body (`socket_id=..&channel_name=..`) or from
/// JSON; extra parameters your app configured in pusher-js are ignored. The fields are plain
/// strings: [`Pusher::authorize_channel`] validates them, so a bad value is a typed error there
/// rather than an opaque deserialisation failure.
///
/// ```
/// use pusher_client::ChannelAuthRequest;
///
/// let form = "socket_id=1234.1234&channel_name=private-foobar&team=blue";
/// let request: ChannelAuthRequest = serde_urlencoded::from_str(form)?;
/// assert_eq!(request, ChannelAuthRequest::new("1234.1234", "private-foobar"));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct ChannelAuthRequest {
    /// The connection's socket id, e.g. `1234.1234`.
    pub socket_id: String,
    /// The channel the connection wants to subscribe to.
    pub channel_name: String,
}

impl ChannelAuthRequest {
    /// A request for `socket_id` to subscribe to `channel_name`.
    ///
    /// ```
    /// let request = pusher_client::ChannelAuthRequest::new("1234.1234", "private-foobar");
    /// assert_eq!(request.channel_name, "private-foobar");
    /// ```
    pub fn new(socket_id: impl Into<String>, channel_name: impl Into<String>) -> Self {
        ChannelAuthRequest {
            socket_id: socket_id.into(),
            channel_name: channel_name.into(),
        }
    }
}

/// What pusher-js sends to your user authentication endpoint (`/pusher/user-auth` by default)
/// when it calls `signin()`.
///
/// Deserialises from the form body or JSON; extra parameters are ignored. The socket id is
/// validated by [`Pusher::authenticate_user`].
///
/// ```
/// use pusher_client::UserAuthRequest;
///
/// let request: UserAuthRequest = serde_urlencoded::from_str("socket_id=1234.1234&x=1")?;
/// assert_eq!(request, UserAuthRequest::new("1234.1234"));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct UserAuthRequest {
    /// The connection's socket id, e.g. `1234.1234`.
    pub socket_id: String,
}

impl UserAuthRequest {
    /// A sign-in request from `socket_id`.
    ///
    /// ```
    /// let request = pusher_client::UserAuthRequest::new("1234.1234");
    /// assert_eq!(request.socket_id, "1234.1234");
    /// ```
    pub fn new(socket_id: impl Into<String>) -> Self {
        UserAuthRequest {
            socket_id: socket_id.into(),
        }
    }
}

/// A presence member's user id, given as text or as an integer.
///
/// Pusher identifies members by string, so an integer id is written in decimal and always
/// emitted as a JSON string: `42` and `"42"` are the same member. Deserialises from either.
///
/// ```
/// use pusher_client::MemberId;
///
/// assert_eq!(MemberId::from(42u64), MemberId::from("42"));
/// assert_eq!(MemberId::from(-7i32).as_str(), "-7");
/// ```
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct MemberId(String);

impl MemberId {
    /// The id as it is sent.
    ///
    /// ```
    /// assert_eq!(pusher_client::MemberId::from(7u8).as_str(), "7");
    /// ```
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for MemberId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&self.0, f)
    }
}

impl fmt::Display for MemberId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl AsRef<str> for MemberId {
    fn as_ref(&self) -> &str {
        &self.0
    }
}

impl From<&str> for MemberId {
    fn from(id: &str) -> Self {
        MemberId(id.to_owned())
    }
}

impl From<String> for MemberId {
    fn from(id: String) -> Self {
        MemberId(id)
    }
}

impl From<&String> for MemberId {
    fn from(id: &String) -> Self {
        MemberId(id.clone())
    }
}

macro_rules! member_id_from_int {
    ($($t:ty),*) => {$(
        impl From<$t> for MemberId {
            fn from(id: $t) -> Self {
                MemberId(id.to_string())
            }
        }
    )*};
}
member_id_from_int!(
    u8, u16, u32, u64, u128, usize, i8, i16, i32, i64, i128, isize
);

impl Serialize for MemberId {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.0)
    }
}

impl<'de> Deserialize<'de> for MemberId {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_any(StringOrInt).map(MemberId)
    }
}

/// Accepts a JSON string or integer and yields its text.
struct StringOrInt;

impl Visitor<'_> for StringOrInt {
    type Value = String;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a string or an integer")
    }

    fn visit_str<E: de::Error>(self, v: &str) -> Result<String, E> {
        Ok(v.to_owned())
    }

    fn visit_string<E: de::Error>(self, v: String) -> Result<String, E> {
        Ok(v)
    }

    fn visit_u64<E: de::Error>(self, v: u64) -> Result<String, E> {
        Ok(v.to_string())
    }

    fn visit_i64<E: de::Error>(self, v: i64) -> Result<String, E> {
        Ok(v.to_string())
    }

    fn visit_u128<E: de::Error>(self, v: u128) -> Result<String, E> {
        Ok(v.to_string())
    }

    fn visit_i128<E: de::Error>(self, v: i128) -> Result<String, E> {
        Ok(v.to_string())
    }
}

/// Converts `info` to the JSON object `user_info` must be.
fn info_object(info: impl Serialize) -> Result<Map<String, Value>, ValidationError> {
    let invalid = |reason: String| ValidationError::InvalidUserData {
        field: "user_info".into(),
        reason,
    };
    match serde_json::to_value(info) {
        Ok(Value::Object(map)) => Ok(map),
        Ok(other) => Err(invalid(format!(
            "it must be a JSON object; got {}",
            json_kind(&other)
        ))),
        Err(e) => Err(invalid(format!("it could not be serialised to JSON: {e}"))),
    }
}

/// Refuses a `user_info` given through an infallible `with_user_info` that is not an object:
/// the check those methods defer to signing time.
fn check_info_object(info: Option<&Value>) -> Result<(), ValidationError> {
    match info {
        None | Some(Value::Object(_)) => Ok(()),
        Some(other) => Err(ValidationError::InvalidUserData {
            field: "user_info".into(),
            reason: format!("it must be a JSON object; got {}", json_kind(other)),
        }),
    }
}

/// Reads an optional `user_info`, which must be an object (or `null`, read as absent).
fn object_only<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Value>, D::Error> {
    Ok(Option::<Map<String, Value>>::deserialize(d)?.map(Value::Object))
}

/// The object in a stored `user_info`.
fn as_object(info: Option<&Value>) -> Option<&Map<String, Value>> {
    info.and_then(Value::as_object)
}

fn json_kind(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

/// The member joining a presence channel: who they are, and what the other members may see.
///
/// Serialises to exactly the `channel_data` pusher-js receives:
/// `{"user_id":"42","user_info":{..}}`, with `user_info` left out when not set. The user id is
/// always a JSON string, even when given as a number (see [`MemberId`]). It must be non-empty,
/// at most [`MAX_USER_ID_LEN`](crate::MAX_USER_ID_LEN) characters and free of control characters;
/// [`Pusher::authorize_channel`] checks this.
///
/// ```
/// use pusher_client::PresenceMember;
/// use serde_json::json;
///
/// let member = PresenceMember::new(42u64).with_user_info(json!({"name": "Ada"}));
/// assert_eq!(member.user_id(), "42");
/// assert_eq!(
///     serde_json::to_string(&member).unwrap(),
///     r#"{"user_id":"42","user_info":{"name":"Ada"}}"#
/// );
/// assert!(PresenceMember::new("42").user_info(json!(["not", "an", "object"])).is_err());
/// ```
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PresenceMember {
    user_id: MemberId,
    /// An object, unless [`with_user_info`](Self::with_user_info) was given something else
    /// (refused when signing).
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "object_only"
    )]
    user_info: Option<Value>,
}

impl PresenceMember {
    /// A member with this user id and no `user_info`.
    ///
    /// ```
    /// let member = pusher_client::PresenceMember::new("ada");
    /// assert_eq!(member.user_id(), "ada");
    /// assert!(member.info().is_none());
    /// ```
    pub fn new(user_id: impl Into<MemberId>) -> Self {
        PresenceMember {
            user_id: user_id.into(),
            user_info: None,
        }
    }

    /// Sets what other members see about this one, from any `Serialize` type. It must
    /// serialise to a JSON object; anything else (or a serialisation failure, e.g. a map with
    /// non-string keys) is refused here with [`ValidationError::InvalidUserData`].
    ///
    /// For a `json!({..})` literal or a `serde_json::Map`, [`with_user_info`](Self::with_user_info)
    /// needs no error handling.
    ///
    /// ```
    /// #[derive(serde::Serialize)]
    /// struct Info { name: &'static str }
    ///
    /// let member = pusher_client::PresenceMember::new(1u32).user_info(Info { name: "Ada" })?;
    /// assert_eq!(member.info().unwrap()["name"], "Ada");
    /// # Ok::<(), pusher_client::ValidationError>(())
    /// ```
    pub fn user_info(mut self, info: impl Serialize) -> Result<Self, ValidationError> {
        self.user_info = Some(Value::Object(info_object(info)?));
        Ok(self)
    }

    /// Sets what other members see about this one from a JSON value, without a `Result`: the
    /// common case of a `json!({..})` object literal or a `serde_json::Map`.
    ///
    /// A `serde_json::Value` cannot fail to serialise, so the only thing to check is that it
    /// is an object; that check is made by [`Pusher::authorize_channel`] (and the auth
    /// endpoint, which answers 500 for it), which refuses a non-object with
    /// [`ValidationError::InvalidUserData`] and signs nothing. A `Map` is always an object.
    ///
    /// ```
    /// use pusher_client::{ChannelAuthRequest, PresenceMember, Pusher};
    /// use serde_json::json;
    ///
    /// let member = PresenceMember::new("ada").with_user_info(json!({"name": "Ada"}));
    /// assert_eq!(member.info().unwrap()["name"], "Ada");
    ///
    /// let mut map = serde_json::Map::new();
    /// map.insert("name".into(), "Ada".into());
    /// assert_eq!(PresenceMember::new("ada").with_user_info(map), member);
    ///
    /// // Not an object: refused when signing.
    /// let pusher = Pusher::builder("1", "key", "secret").build()?;
    /// let request = ChannelAuthRequest::new("1.2", "presence-room");
    /// let bad = PresenceMember::new("ada").with_user_info(json!("Ada"));
    /// assert!(bad.info().is_none());
    /// assert!(pusher.authorize_channel(&request, Some(&bad)).is_err());
    /// # Ok::<(), pusher_client::Error>(())
    /// ```
    pub fn with_user_info(mut self, info: impl Into<Value>) -> Self {
        self.user_info = Some(info.into());
        self
    }

    /// The user id, as it is sent.
    ///
    /// ```
    /// assert_eq!(pusher_client::PresenceMember::new(5i64).user_id(), "5");
    /// ```
    pub fn user_id(&self) -> &str {
        self.user_id.as_str()
    }

    /// The `user_info` object, if set (`None` also for a non-object given to
    /// [`with_user_info`](Self::with_user_info), which signing refuses).
    ///
    /// ```
    /// let member = pusher_client::PresenceMember::new("a").with_user_info(serde_json::json!({}));
    /// assert!(member.info().is_some_and(|info| info.is_empty()));
    /// ```
    pub fn info(&self) -> Option<&Map<String, Value>> {
        as_object(self.user_info.as_ref())
    }
}

/// The user a connection signs in as (pusher-js `signin()`), sent back as `user_data`.
///
/// `id` is required, and [`Pusher::authenticate_user`] checks that the user can be reached:
/// only channel-name characters (`A-Z a-z 0-9 _ - = @ , . ;`), since it becomes the channel
/// `#server-to-user-{id}`, and short enough for that channel (148 characters with the default
/// limits). `user_info` (a JSON object) and `watchlist` (user ids
/// whose online status this user may watch) are optional; any other field is passed through.
/// Serialises with `id` first: `{"id":"..","user_info":{..},"watchlist":[..],..}`.
///
/// ```
/// use pusher_client::UserData;
/// use serde_json::json;
///
/// let user = UserData::new("ada")
///     .with_user_info(json!({"name": "Ada Lovelace"}))
///     .watchlist(["charles"])
///     .field("team", "engines");
/// assert_eq!(
///     serde_json::to_string(&user).unwrap(),
///     r#"{"id":"ada","user_info":{"name":"Ada Lovelace"},"watchlist":["charles"],"team":"engines"}"#
/// );
/// ```
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct UserData {
    id: String,
    /// An object, unless [`with_user_info`](Self::with_user_info) was given something else
    /// (refused when signing).
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "object_only"
    )]
    user_info: Option<Value>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    watchlist: Option<Vec<String>>,
    #[serde(flatten)]
    fields: Map<String, Value>,
}

/// Fields [`UserData`] sets through its own methods, which an extra field must not shadow.
const USER_DATA_RESERVED: [&str; 3] = ["id", "user_info", "watchlist"];

impl UserData {
    /// A user with this id and nothing else.
    ///
    /// ```
    /// let user = pusher_client::UserData::new("12345");
    /// assert_eq!(serde_json::to_string(&user).unwrap(), r#"{"id":"12345"}"#);
    /// ```
    pub fn new(id: impl Into<String>) -> Self {
        UserData {
            id: id.into(),
            user_info: None,
            watchlist: None,
            fields: Map::new(),
        }
    }

    /// Sets `user_info` from any `Serialize` type. It must serialise to a JSON object;
    /// anything else (or a serialisation failure) is refused here with
    /// [`ValidationError::InvalidUserData`].
    ///
    /// For a `json!({..})` literal or a `serde_json::Map`, [`with_user_info`](Self::with_user_info)
    /// needs no error handling.
    ///
    /// ```
    /// #[derive(serde::Serialize)]
    /// struct Profile { a: u32 }
    ///
    /// let user = pusher_client::UserData::new("ada").user_info(Profile { a: 1 })?;
    /// assert_eq!(user.info().unwrap()["a"], 1);
    /// assert!(pusher_client::UserData::new("ada").user_info("text").is_err());
    /// # Ok::<(), pusher_client::ValidationError>(())
    /// ```
    pub fn user_info(mut self, info: impl Serialize) -> Result<Self, ValidationError> {
        self.user_info = Some(Value::Object(info_object(info)?));
        Ok(self)
    }

    /// Sets `user_info` from a JSON value, without a `Result`: the common case of a
    /// `json!({..})` object literal or a `serde_json::Map`.
    ///
    /// The value must be an object; [`Pusher::authenticate_user`] (and the auth endpoint, which
    /// answers 500 for it) refuses anything else with [`ValidationError::InvalidUserData`] and
    /// signs nothing.
    ///
    /// ```
    /// use pusher_client::{Pusher, UserAuthRequest, UserData};
    /// use serde_json::json;
    ///
    /// let user = UserData::new("ada").with_user_info(json!({"a": 1}));
    /// assert_eq!(user.info().unwrap()["a"], 1);
    ///
    /// let pusher = Pusher::builder("1", "key", "secret").build()?;
    /// let bad = UserData::new("ada").with_user_info(json!([1]));
    /// assert!(pusher.authenticate_user(&UserAuthRequest::new("1.2"), &bad).is_err());
    /// # Ok::<(), pusher_client::Error>(())
    /// ```
    pub fn with_user_info(mut self, info: impl Into<Value>) -> Self {
        self.user_info = Some(info.into());
        self
    }

    /// Sets the `watchlist`: the user ids whose online status this user may watch.
    ///
    /// ```
    /// let user = pusher_client::UserData::new("ada").watchlist(["charles", "mary"]);
    /// assert_eq!(user.watchlist_ids(), Some(&["charles".to_owned(), "mary".to_owned()][..]));
    /// ```
    pub fn watchlist<I, S>(mut self, ids: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.watchlist = Some(ids.into_iter().map(Into::into).collect());
        self
    }

    /// Adds another top-level field. `id`, `user_info` and `watchlist` have their own methods:
    /// setting them here is refused by [`Pusher::authenticate_user`].
    ///
    /// ```
    /// let user = pusher_client::UserData::new("ada").field("plan", "pro");
    /// assert_eq!(user.fields()["plan"], "pro");
    /// ```
    pub fn field(mut self, name: impl Into<String>, value: impl Into<Value>) -> Self {
        self.fields.insert(name.into(), value.into());
        self
    }

    /// The user id.
    ///
    /// ```
    /// assert_eq!(pusher_client::UserData::new("ada").id(), "ada");
    /// ```
    pub fn id(&self) -> &str {
        &self.id
    }

    /// The `user_info` object, if set (`None` also for a non-object given to
    /// [`with_user_info`](Self::with_user_info), which signing refuses).
    ///
    /// ```
    /// assert!(pusher_client::UserData::new("ada").info().is_none());
    /// ```
    pub fn info(&self) -> Option<&Map<String, Value>> {
        as_object(self.user_info.as_ref())
    }

    /// The `watchlist`, if set.
    ///
    /// ```
    /// assert!(pusher_client::UserData::new("ada").watchlist_ids().is_none());
    /// ```
    pub fn watchlist_ids(&self) -> Option<&[String]> {
        self.watchlist.as_deref()
    }

    /// The other top-level fields.
    ///
    /// ```
    /// assert!(pusher_client::UserData::new("ada").fields().is_empty());
    /// ```
    pub fn fields(&self) -> &Map<String, Value> {
        &self.fields
    }
}

/// The answer to a channel authorization request, as pusher-js expects it.
///
/// Serialises to `{"auth":".."}` for private channels, `{"auth":"..","channel_data":".."}` for
/// presence channels and `{"auth":"..","shared_secret":".."}` for encrypted channels: send it as
/// the JSON body of a 200 response. `Debug` hides the `shared_secret` (it decrypts the channel)
/// and the signature (it admits this connection), showing only the key.
///
/// ```
/// use pusher_client::{ChannelAuthRequest, Pusher};
///
/// let pusher = Pusher::builder("3", "278d425bdf160c739803", "7ad3773142a6692b25b8").build()?;
/// let answer = pusher.authorize_channel(&ChannelAuthRequest::new("1234.1234", "private-foobar"), None)?;
/// assert_eq!(
///     answer.to_json(),
///     r#"{"auth":"278d425bdf160c739803:58df8b0c36d6982b82c3ecf6b4662e34fe8c25bba48f5369f135bf843651c3a4"}"#
/// );
/// # Ok::<(), pusher_client::Error>(())
/// ```
#[derive(Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct ChannelAuth {
    auth: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    channel_data: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    shared_secret: Option<String>,
}

impl ChannelAuth {
    /// `KEY:SIGNATURE`, the `auth` field.
    ///
    /// ```
    /// # let pusher = pusher_client::Pusher::builder("1", "key", "secret").build()?;
    /// let answer = pusher.authorize_channel(&pusher_client::ChannelAuthRequest::new("1.2", "private-a"), None)?;
    /// assert!(answer.auth().starts_with("key:"));
    /// # Ok::<(), pusher_client::Error>(())
    /// ```
    pub fn auth(&self) -> &str {
        &self.auth
    }

    /// The presence member's JSON, exactly as signed (presence channels only).
    ///
    /// ```
    /// use pusher_client::{ChannelAuthRequest, PresenceMember};
    /// # let pusher = pusher_client::Pusher::builder("1", "key", "secret").build()?;
    /// let request = ChannelAuthRequest::new("1.2", "presence-room");
    /// let answer = pusher.authorize_channel(&request, Some(&PresenceMember::new(7u32)))?;
    /// assert_eq!(answer.channel_data(), Some(r#"{"user_id":"7"}"#));
    /// # Ok::<(), pusher_client::Error>(())
    /// ```
    pub fn channel_data(&self) -> Option<&str> {
        self.channel_data.as_deref()
    }

    /// The channel's decryption key, base64 (`private-encrypted-` channels only).
    ///
    /// ```
    /// # let pusher = pusher_client::Pusher::builder("1", "key", "secret")
    /// #     .encryption_master_key_base64("AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=")
    /// #     .build()?;
    /// let request = pusher_client::ChannelAuthRequest::new("1.2", "private-encrypted-a");
    /// assert!(pusher.authorize_channel(&request, None)?.shared_secret().is_some());
    /// # Ok::<(), pusher_client::Error>(())
    /// ```
    pub fn shared_secret(&self) -> Option<&str> {
        self.shared_secret.as_deref()
    }

    /// The JSON body pusher-js expects.
    ///
    /// ```
    /// # let pusher = pusher_client::Pusher::builder("1", "key", "secret").build()?;
    /// let answer = pusher.authorize_channel(&pusher_client::ChannelAuthRequest::new("1.2", "private-a"), None)?;
    /// assert!(answer.to_json().starts_with(r#"{"auth":"key:"#));
    /// # Ok::<(), pusher_client::Error>(())
    /// ```
    pub fn to_json(&self) -> String {
        // Fields in declaration order, which is also the alphabetical order pusher-js has
        // always been sent.
        to_json(self)
    }
}

impl fmt::Debug for ChannelAuth {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ChannelAuth")
            .field("auth", &RedactedAuth(&self.auth))
            .field("channel_data", &self.channel_data)
            .field(
                "shared_secret",
                &self.shared_secret.as_ref().map(|_| "<redacted>"),
            )
            .finish()
    }
}

/// The answer to a user authentication request: `{"auth":"..","user_data":".."}`. `Debug`
/// hides the signature, showing only the key.
///
/// ```
/// use pusher_client::{Pusher, UserAuthRequest, UserData};
///
/// let pusher = Pusher::builder("3", "278d425bdf160c739803", "7ad3773142a6692b25b8").build()?;
/// let answer = pusher.authenticate_user(&UserAuthRequest::new("1234.1234"), &UserData::new("12345"))?;
/// assert_eq!(answer.user_data(), r#"{"id":"12345"}"#);
/// assert_eq!(
///     answer.auth(),
///     "278d425bdf160c739803:4708d583dada6a56435fb8bc611c77c359a31eebde13337c16ab43aa6de336ba"
/// );
/// # Ok::<(), pusher_client::Error>(())
/// ```
#[derive(Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct UserAuth {
    auth: String,
    user_data: String,
}

impl fmt::Debug for UserAuth {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("UserAuth")
            .field("auth", &RedactedAuth(&self.auth))
            .field("user_data", &self.user_data)
            .finish()
    }
}

/// An `auth` value (`KEY:SIGNATURE`) for `Debug`: the key, not the signature.
struct RedactedAuth<'a>(&'a str);

impl fmt::Debug for RedactedAuth<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.0.split_once(':') {
            Some((key, _)) => write!(f, "\"{}:<redacted>\"", key.escape_debug()),
            None => f.write_str("\"<redacted>\""),
        }
    }
}

impl UserAuth {
    /// `KEY:SIGNATURE`, the `auth` field.
    ///
    /// ```
    /// # let pusher = pusher_client::Pusher::builder("1", "key", "secret").build()?;
    /// # let answer = pusher.authenticate_user(&pusher_client::UserAuthRequest::new("1.2"), &pusher_client::UserData::new("u"))?;
    /// assert!(answer.auth().starts_with("key:"));
    /// # Ok::<(), pusher_client::Error>(())
    /// ```
    pub fn auth(&self) -> &str {
        &self.auth
    }

    /// The user's JSON, exactly as signed.
    ///
    /// ```
    /// # let pusher = pusher_client::Pusher::builder("1", "key", "secret").build()?;
    /// # let answer = pusher.authenticate_user(&pusher_client::UserAuthRequest::new("1.2"), &pusher_client::UserData::new("u"))?;
    /// assert_eq!(answer.user_data(), r#"{"id":"u"}"#);
    /// # Ok::<(), pusher_client::Error>(())
    /// ```
    pub fn user_data(&self) -> &str {
        &self.user_data
    }

    /// The JSON body pusher-js expects.
    ///
    /// ```
    /// # let pusher = pusher_client::Pusher::builder("1", "key", "secret").build()?;
    /// # let answer = pusher.authenticate_user(&pusher_client::UserAuthRequest::new("1.2"), &pusher_client::UserData::new("u"))?;
    /// assert!(answer.to_json().contains(r#""user_data":"{\"id\":\"u\"}""#));
    /// # Ok::<(), pusher_client::Error>(())
    /// ```
    pub fn to_json(&self) -> String {
        // Fields in declaration order (also alphabetical, as before).
        to_json(self)
    }
}

/// An auth answer as JSON: what its `Serialize` derive writes (string fields, `None` ones left
/// out).
fn to_json(answer: &impl Serialize) -> String {
    serde_json::to_string(answer)
        .unwrap_or_else(|_| unreachable!("an object of string fields always serialises"))
}

impl Pusher {
    /// Signs a connection's subscription to a `private-`, `private-encrypted-` or `presence-`
    /// channel. Call it once your own checks say this user may subscribe.
    ///
    /// - `private-`: `auth` signs `socket_id:channel`.
    /// - `presence-`: `member` is required; `auth` signs `socket_id:channel:channel_data`.
    /// - `private-encrypted-`: needs a configured master key; the answer adds the channel's
    ///   `shared_secret` (not signed).
    ///
    /// Refused, with a [`ValidationError`] and no signature: a malformed socket id or channel
    /// name, a public channel, a presence channel without a member, a member for any other kind
    /// of channel, an invalid member user id, and an encrypted channel without a master key.
    ///
    /// ```
    /// use pusher_client::{ChannelAuthRequest, PresenceMember, Pusher};
    /// use serde_json::json;
    ///
    /// # fn run(pusher: Pusher, form_body: &str) -> Result<(), Box<dyn std::error::Error>> {
    /// let request: ChannelAuthRequest = serde_urlencoded::from_str(form_body)?;
    /// let member = PresenceMember::new(42u64).with_user_info(json!({"name": "Ada"}));
    /// let member = request.channel_name.starts_with("presence-").then_some(&member);
    /// let answer = pusher.authorize_channel(&request, member)?;
    /// let body = answer.to_json(); // answer 200 with this JSON body
    /// # Ok(()) }
    /// # let pusher = Pusher::builder("1", "key", "secret").build().unwrap();
    /// # run(pusher.clone(), "socket_id=1.2&channel_name=presence-room").unwrap();
    /// # run(pusher, "socket_id=1.2&channel_name=private-room").unwrap();
    /// ```
    #[doc(alias = "authorizeChannel")]
    #[doc(alias = "authenticate")]
    #[doc(alias = "authorize")]
    pub fn authorize_channel(
        &self,
        request: &ChannelAuthRequest,
        member: Option<&PresenceMember>,
    ) -> Result<ChannelAuth, Error> {
        channel::check_socket_id(&request.socket_id)?;
        channel::check_channel(
            &request.channel_name,
            self.inner.limits.max_channel_name_len,
        )?;
        self.authorize_checked_channel(request, member)
    }

    /// [`authorize_channel`](Self::authorize_channel) for a request whose socket id and channel
    /// name are already checked (the auth endpoint checks them before asking the app): each
    /// request is validated once, not again here.
    pub(crate) fn authorize_checked_channel(
        &self,
        request: &ChannelAuthRequest,
        member: Option<&PresenceMember>,
    ) -> Result<ChannelAuth, Error> {
        let socket_id = request.socket_id.as_str();
        let channel = request.channel_name.as_str();
        let credentials = &self.inner.credentials;
        let owned = || channel.to_owned();
        match (ChannelKind::of(channel), member) {
            (ChannelKind::Public, _) => {
                Err(ValidationError::PublicChannel { channel: owned() }.into())
            }
            (ChannelKind::Presence, None) => {
                Err(ValidationError::PresenceMemberRequired { channel: owned() }.into())
            }
            (ChannelKind::Presence, Some(member)) => {
                channel::check_user_id(member.user_id())?;
                check_info_object(member.user_info.as_ref())?;
                let channel_data =
                    serde_json::to_string(member).map_err(Error::serialize("presence member"))?;
                let auth = credentials.auth_token(&[
                    socket_id.as_bytes(),
                    b":",
                    channel.as_bytes(),
                    b":",
                    channel_data.as_bytes(),
                ]);
                Ok(ChannelAuth {
                    auth,
                    channel_data: Some(channel_data),
                    shared_secret: None,
                })
            }
            (_, Some(_)) => {
                Err(ValidationError::MemberForNonPresenceChannel { channel: owned() }.into())
            }
            (kind, None) => {
                let shared_secret = if kind == ChannelKind::PrivateEncrypted {
                    let master = self.inner.master_key.as_ref().ok_or_else(|| {
                        ValidationError::EncryptionNotConfigured { channel: owned() }
                    })?;
                    Some(master.shared_secret(channel))
                } else {
                    None
                };
                let auth =
                    credentials.auth_token(&[socket_id.as_bytes(), b":", channel.as_bytes()]);
                Ok(ChannelAuth {
                    auth,
                    channel_data: None,
                    shared_secret,
                })
            }
        }
    }

    /// Signs a connection's sign-in as `user` (pusher-js `signin()`). Call it once your own
    /// session says who this is.
    ///
    /// `user_data` is `user` as JSON with `id` first; `auth` signs
    /// `socket_id::user::user_data`. Refused with a [`ValidationError`]: a malformed socket id,
    /// an empty or invalid user id, a user id that cannot be reached (a character outside
    /// `A-Z a-z 0-9 _ - = @ , . ;`, or too long for its `#server-to-user-{id}` channel: see
    /// [`ValidationError::UserIdInvalidChar`]), and an extra field named `id`, `user_info` or `watchlist`.
    ///
    /// ```
    /// use pusher_client::{Pusher, UserAuthRequest, UserData};
    /// use serde_json::json;
    ///
    /// # fn run(pusher: Pusher) -> Result<(), Box<dyn std::error::Error>> {
    /// let request: UserAuthRequest = serde_urlencoded::from_str("socket_id=1234.1234")?;
    /// let user = UserData::new("ada").with_user_info(json!({"name": "Ada"}));
    /// let answer = pusher.authenticate_user(&request, &user)?;
    /// assert_eq!(answer.user_data(), r#"{"id":"ada","user_info":{"name":"Ada"}}"#);
    /// # Ok(()) }
    /// # run(Pusher::builder("1", "key", "secret").build().unwrap()).unwrap();
    /// ```
    #[doc(alias = "authenticateUser")]
    pub fn authenticate_user(
        &self,
        request: &UserAuthRequest,
        user: &UserData,
    ) -> Result<UserAuth, Error> {
        let socket_id = request.socket_id.as_str();
        channel::check_socket_id(socket_id)?;
        // The user's #server-to-user-{id} channel must be valid, or pusher-js signs in a user
        // that send_to_user can never reach.
        channel::check_addressable_user_id(&user.id, self.inner.limits.max_channel_name_len)?;
        if let Some(name) = USER_DATA_RESERVED
            .iter()
            .find(|name| user.fields.contains_key(**name))
        {
            return Err(ValidationError::InvalidUserData {
                field: (*name).to_owned(),
                reason: format!("set it with UserData's own method, not with field({name:?}, ..)"),
            }
            .into());
        }
        check_info_object(user.user_info.as_ref())?;
        let user_data = serde_json::to_string(user).map_err(Error::serialize("user data"))?;
        let credentials = &self.inner.credentials;
        let auth =
            credentials.auth_token(&[socket_id.as_bytes(), b"::user::", user_data.as_bytes()]);
        Ok(UserAuth { auth, user_data })
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use serde_json::json;

    fn docs_pusher() -> Pusher {
        Pusher::builder("3", "278d425bdf160c739803", "7ad3773142a6692b25b8")
            .offline()
            .build()
            .unwrap()
    }

    fn encrypting_pusher() -> Pusher {
        Pusher::builder("1", "k", "s")
            .encryption_master_key_base64("AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=")
            .offline()
            .build()
            .unwrap()
    }

    #[test]
    fn member_id_forms() {
        assert_eq!(PresenceMember::new(42u64).user_id(), "42");
        assert_eq!(PresenceMember::new(-1i64).user_id(), "-1");
        let m: PresenceMember = serde_json::from_str(r#"{"user_id":42}"#).unwrap();
        assert_eq!(m.user_id(), "42");
        assert_eq!(serde_json::to_string(&m).unwrap(), r#"{"user_id":"42"}"#);
        let m: PresenceMember =
            serde_json::from_str(r#"{"user_id":"x","user_info":null,"other":1}"#).unwrap();
        assert!(m.info().is_none());
        assert!(serde_json::from_str::<PresenceMember>(r#"{"user_id":1.5}"#).is_err());
        assert!(
            serde_json::from_str::<PresenceMember>(r#"{"user_id":"x","user_info":[1]}"#).is_err()
        );
    }

    #[test]
    fn info_kinds_named() {
        for (value, kind) in [
            (json!(null), "null"),
            (json!(true), "a boolean"),
            (json!(1), "a number"),
            (json!("s"), "a string"),
            (json!([]), "an array"),
        ] {
            let err = PresenceMember::new("a").user_info(value).unwrap_err();
            assert!(err.to_string().contains(kind), "{err}");
            assert!(err.to_string().contains("user_info"), "{err}");
        }
    }

    #[test]
    fn with_user_info_is_infallible_and_checked_when_signing() {
        let pusher = docs_pusher();
        let presence = ChannelAuthRequest::new("1.1", "presence-x");
        let user_req = UserAuthRequest::new("1.1");
        // An object (literal or Map) signs exactly as the fallible path does.
        let literal = PresenceMember::new("u").with_user_info(json!({"n": 1}));
        let typed = PresenceMember::new("u").user_info(json!({"n": 1})).unwrap();
        let mut map = Map::new();
        map.insert("n".into(), 1.into());
        assert_eq!(literal, typed);
        assert_eq!(PresenceMember::new("u").with_user_info(map.clone()), typed);
        assert_eq!(
            pusher.authorize_channel(&presence, Some(&literal)).unwrap(),
            pusher.authorize_channel(&presence, Some(&typed)).unwrap()
        );
        let user = UserData::new("u").with_user_info(map);
        assert_eq!(user, UserData::new("u").user_info(json!({"n": 1})).unwrap());
        assert_eq!(
            pusher
                .authenticate_user(&user_req, &user)
                .unwrap()
                .user_data(),
            r#"{"id":"u","user_info":{"n":1}}"#
        );
        // Anything else is refused at signing time, with the same error the eager path gives.
        for (value, kind) in [
            (json!(null), "null"),
            (json!(true), "a boolean"),
            (json!(1), "a number"),
            (json!("s"), "a string"),
            (json!([]), "an array"),
        ] {
            let member = PresenceMember::new("u").with_user_info(value.clone());
            assert!(member.info().is_none());
            let err = pusher
                .authorize_channel(&presence, Some(&member))
                .unwrap_err();
            assert!(
                matches!(&err, Error::Validation(ValidationError::InvalidUserData { field, reason }) if field == "user_info" && reason.contains(kind)),
                "{err}"
            );
            let user = UserData::new("u").with_user_info(value);
            let err = pusher.authenticate_user(&user_req, &user).unwrap_err();
            assert!(
                matches!(&err, Error::Validation(ValidationError::InvalidUserData { field, reason }) if field == "user_info" && reason.contains(kind)),
                "{err}"
            );
        }
        // Deserialising still insists on an object.
        assert!(serde_json::from_str::<UserData>(r#"{"id":"u","user_info":"x"}"#).is_err());
        let user: UserData =
            serde_json::from_str(r#"{"id":"u","user_info":{"a":1},"team":"t"}"#).unwrap();
        assert_eq!(user.info().unwrap()["a"], 1);
        assert_eq!(user.fields()["team"], "t");
    }

    #[test]
    fn user_data_reserved_extra_fields_refused() {
        let pusher = docs_pusher();
        let req = UserAuthRequest::new("1.1");
        for name in USER_DATA_RESERVED {
            let user = UserData::new("u").field(name, "x");
            let err = pusher.authenticate_user(&req, &user).unwrap_err();
            assert!(
                matches!(&err, Error::Validation(ValidationError::InvalidUserData { field, .. }) if field == name),
                "{err}"
            );
        }
    }

    #[test]
    fn to_json_writes_what_a_json_value_writes() {
        let every_byte: String = (0u8..=0x7f).map(char::from).collect();
        let values = [
            "",
            "key:abc",
            "{\"id\":\"u\\\"1\"}",
            "é ü \u{2028} \u{7f}",
            every_byte.as_str(),
        ];
        for value in values {
            for other in [None, Some(value), Some("plain")] {
                let channel = ChannelAuth {
                    auth: value.to_owned(),
                    channel_data: other.map(str::to_owned),
                    shared_secret: None,
                };
                let mut expected = serde_json::Map::new();
                expected.insert("auth".into(), json!(value));
                if let Some(other) = other {
                    expected.insert("channel_data".into(), json!(other));
                }
                assert_eq!(channel.to_json(), Value::Object(expected).to_string());
                let user = UserAuth {
                    auth: value.to_owned(),
                    user_data: other.unwrap_or_default().to_owned(),
                };
                let expected = json!({"auth": value, "user_data": other.unwrap_or_default()});
                assert_eq!(user.to_json(), expected.to_string());
            }
        }
    }

    #[test]
    fn to_json_has_every_field_in_order() {
        let pusher = encrypting_pusher();
        let encrypted = pusher
            .authorize_channel(&ChannelAuthRequest::new("1.1", "private-encrypted-x"), None)
            .unwrap();
        let expected =
            json!({"auth": encrypted.auth(), "shared_secret": encrypted.shared_secret()});
        assert_eq!(encrypted.to_json(), expected.to_string());
        let member = PresenceMember::new("u\"1")
            .user_info(json!({"n": "é"}))
            .unwrap();
        let presence = pusher
            .authorize_channel(&ChannelAuthRequest::new("1.1", "presence-x"), Some(&member))
            .unwrap();
        let expected = json!({"auth": presence.auth(), "channel_data": presence.channel_data()});
        assert_eq!(presence.to_json(), expected.to_string());
        let user = pusher
            .authenticate_user(
                &UserAuthRequest::new("1.1"),
                // A signed-in user's id is channel-safe; the escaping is exercised by user_info.
                &UserData::new("u1")
                    .user_info(json!({"n": "\"é\\"}))
                    .unwrap(),
            )
            .unwrap();
        let expected = json!({"auth": user.auth(), "user_data": user.user_data()});
        assert_eq!(user.to_json(), expected.to_string());
    }

    #[test]
    fn debug_hides_shared_secret() {
        let pusher = encrypting_pusher();
        let answer = pusher
            .authorize_channel(&ChannelAuthRequest::new("1.1", "private-encrypted-x"), None)
            .unwrap();
        let secret = answer.shared_secret().unwrap().to_owned();
        assert!(!format!("{answer:?}").contains(&secret));
        assert!(answer.to_json().contains(&secret));
    }
}
