//! Parsing what pusher-js posts: [`ChannelAuthBody`] and [`UserAuthRequest::parse`], which
//! pick the format from the `Content-Type` and hand the body to `form` or `json`, plus the
//! 400 answers both formats share.

use super::{AuthReply, MAX_BATCH_AUTH_CHANNELS, form, json};
use crate::auth::{ChannelAuthRequest, UserAuthRequest};

/// What pusher-js posted to the channel authorization endpoint: one channel, or several when
/// the pusher-js-auth batching plugin is used (`channel_name[0]`, `channel_name[1]`, …).
///
/// ```
/// use pusher_client::ChannelAuthBody;
///
/// let one = ChannelAuthBody::parse(
///     Some("application/x-www-form-urlencoded"),
///     b"socket_id=1.2&channel_name=private-a&extra=ignored",
/// ).map_err(|r| r.into_body())?;
/// assert!(!one.batch);
/// assert_eq!(one.channel_names, ["private-a"]);
///
/// let many = ChannelAuthBody::parse(
///     None,
///     b"socket_id=1.2&channel_name%5B0%5D=private-a&channel_name%5B1%5D=presence-b",
/// ).map_err(|r| r.into_body())?;
/// assert!(many.batch);
/// assert_eq!(many.channel_names, ["private-a", "presence-b"]);
///
/// let json = ChannelAuthBody::parse(
///     Some("application/json"),
///     br#"{"socket_id":"1.2","channel_name":"private-a"}"#,
/// ).map_err(|r| r.into_body())?;
/// assert_eq!(json.requests()[0].channel_name, "private-a");
/// # Ok::<(), String>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChannelAuthBody {
    /// The connection's socket id (not yet validated).
    pub socket_id: String,
    /// The channels asked for, in order (not yet validated).
    pub channel_names: Vec<String>,
    /// `true` when the batch format was used: answer with
    /// [`AuthEndpoint::batch_reply`](super::AuthEndpoint::batch_reply).
    pub batch: bool,
}

impl ChannelAuthBody {
    /// Parses a form-urlencoded (pusher-js's default; also assumed when there is no content
    /// type) or JSON body. Unknown fields are ignored. Errors are ready 400 replies, also for
    /// a batch that names the same channel twice (its answer has one entry per channel, so
    /// one of the two would be dropped) and for a batch of more than
    /// [`MAX_BATCH_AUTH_CHANNELS`] (refused at the first name too many, the rest unread).
    pub fn parse(content_type: Option<&str>, body: &[u8]) -> Result<Self, AuthReply> {
        let parsed = match body_kind(content_type)? {
            BodyKind::Json => json::parse_channel_json(body),
            BodyKind::Form => form::parse_channel_form(body),
        }?;
        check_no_repeated_channel(&parsed.channel_names)?;
        Ok(parsed)
    }

    /// One [`ChannelAuthRequest`] per channel, in order.
    pub fn requests(&self) -> Vec<ChannelAuthRequest> {
        self.channel_names
            .iter()
            .map(|channel| ChannelAuthRequest::new(self.socket_id.clone(), channel.clone()))
            .collect()
    }

    /// The requests, moving the strings (the socket id is copied for all but the last).
    pub(super) fn into_requests(self) -> impl Iterator<Item = ChannelAuthRequest> {
        let ChannelAuthBody {
            mut socket_id,
            channel_names,
            ..
        } = self;
        let last = channel_names.len().saturating_sub(1);
        channel_names
            .into_iter()
            .enumerate()
            .map(move |(i, channel_name)| {
                let socket_id = if i == last {
                    std::mem::take(&mut socket_id)
                } else {
                    socket_id.clone()
                };
                ChannelAuthRequest {
                    socket_id,
                    channel_name,
                }
            })
    }
}

impl UserAuthRequest {
    /// Parses pusher-js's user authentication body (form-urlencoded or JSON; unknown fields
    /// ignored). Errors are ready 400 replies.
    ///
    /// ```
    /// use pusher_client::UserAuthRequest;
    ///
    /// let request = UserAuthRequest::parse(None, b"socket_id=1234.1234&x=1")
    ///     .map_err(|r| r.into_body())?;
    /// assert_eq!(request.socket_id, "1234.1234");
    /// assert_eq!(UserAuthRequest::parse(None, b"nothing=here").unwrap_err().status(), 400);
    /// # Ok::<(), String>(())
    /// ```
    pub fn parse(content_type: Option<&str>, body: &[u8]) -> Result<Self, AuthReply> {
        let socket_id = match body_kind(content_type)? {
            BodyKind::Json => json::parse_user_json(body),
            BodyKind::Form => form::parse_user_form(body),
        }?;
        Ok(UserAuthRequest::new(socket_id))
    }
}

/// The two formats pusher-js may post.
enum BodyKind {
    Form,
    Json,
}

/// The format named by the `Content-Type`: form-urlencoded when there is none (pusher-js's
/// default), else by its essence (before any `;` parameter), case-insensitively.
fn body_kind(content_type: Option<&str>) -> Result<BodyKind, AuthReply> {
    let Some(content_type) = content_type else {
        return Ok(BodyKind::Form);
    };
    // Up to the first `;` (found as a byte: `;` is ASCII, so this is a character boundary).
    let essence = match content_type.bytes().position(|b| b == b';') {
        Some(at) => &content_type[..at],
        None => content_type,
    }
    .trim();
    // Compared without folding into a new string: no allocation per request.
    if essence.is_empty() || essence.eq_ignore_ascii_case("application/x-www-form-urlencoded") {
        Ok(BodyKind::Form)
    } else if essence.eq_ignore_ascii_case("application/json") {
        Ok(BodyKind::Json)
    } else {
        Err(AuthReply::error(
            400,
            "expected an application/x-www-form-urlencoded or application/json body",
        ))
    }
}

/// The 400 answer to a body without `field`.
pub(super) fn missing(field: &str) -> AuthReply {
    AuthReply::error(400, &format!("the body has no {field}"))
}

/// Fills `slot`, or the 400 answer to a field given twice.
pub(super) fn set_once(
    slot: &mut Option<String>,
    value: String,
    field: &str,
) -> Result<(), AuthReply> {
    if slot.replace(value).is_some() {
        return Err(AuthReply::error(400, &format!("{field} is given twice")));
    }
    Ok(())
}

/// The 400 answer to a batch of more than [`MAX_BATCH_AUTH_CHANNELS`].
pub(super) fn too_many_channels() -> AuthReply {
    AuthReply::error(
        400,
        &format!("at most {MAX_BATCH_AUTH_CHANNELS} channels may be authorized at once"),
    )
}

/// At most [`MAX_BATCH_AUTH_CHANNELS`] names, so comparing each with the ones before it
/// costs less than hashing them.
fn check_no_repeated_channel(names: &[String]) -> Result<(), AuthReply> {
    for (i, name) in names.iter().enumerate().skip(1) {
        if names[..i].contains(name) {
            return Err(AuthReply::error(
                400,
                &format!(
                    "channel {:?} is asked for twice",
                    crate::channel::truncate_for_message(name)
                ),
            ));
        }
    }
    Ok(())
}
