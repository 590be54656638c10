//! What the fake server records: every request as received, and the events it accepted.

use std::collections::BTreeMap;

use crate::verify::Refusal;

/// One request as the server received it, recorded before it is answered.
#[derive(Debug, Clone)]
pub struct RecordedRequest {
    /// `GET`, `POST`, …
    pub method: String,
    /// The path exactly as received on the wire (still percent-encoded).
    pub raw_path: String,
    /// The query exactly as received (without `?`; empty when there is none).
    pub raw_query: String,
    /// The path split on `/` and percent-decoded (without the leading empty segment); empty if
    /// the path could not be decoded.
    pub path_segments: Vec<String>,
    /// The query parameters, percent-decoded (see [`decode_query`](crate::decode_query)); empty
    /// if the query could not be decoded.
    pub query: BTreeMap<String, String>,
    /// The exact body bytes.
    pub body: Vec<u8>,
    /// Every header, names lower-case, values lossily decoded, in the order received.
    pub headers: Vec<(String, String)>,
    /// Why the request was refused before reaching an endpoint (bad path, query or
    /// authentication), if it was.
    pub refusal: Option<Refusal>,
    /// The status the server answered with; `None` while it is still being answered (or never
    /// will be, for [`Reply::Hang`](crate::Reply::Hang)).
    pub status: Option<u16>,
}

impl RecordedRequest {
    /// The first value of header `name` (case-insensitive).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    /// The `X-Pusher-Library` header.
    pub fn pusher_library(&self) -> Option<&str> {
        self.header("x-pusher-library")
    }

    /// The `Content-Type` header.
    pub fn content_type(&self) -> Option<&str> {
        self.header("content-type")
    }

    /// The decoded query parameter `name`.
    pub fn param(&self, name: &str) -> Option<&str> {
        self.query.get(name).map(String::as_str)
    }

    /// The body as UTF-8 text (lossy).
    pub fn body_text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }

    /// The body parsed as JSON; `Value::Null` if it is not JSON (tests then fail on what they
    /// expected to find in it).
    pub fn body_json(&self) -> serde_json::Value {
        serde_json::from_slice(&self.body).unwrap_or(serde_json::Value::Null)
    }

    /// `true` if the request passed path, query and signature checks.
    pub fn authenticated(&self) -> bool {
        self.refusal.is_none()
    }
}

/// One event the server accepted, from `/events` (one entry per request, all its channels) or
/// `/batch_events` (one entry per batch event).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TriggeredEvent {
    /// The channels it was published to.
    pub channels: Vec<String>,
    /// The event name.
    pub name: String,
    /// The `data` string exactly as received.
    pub data: String,
    /// The excluded socket id, if any.
    pub socket_id: Option<String>,
    /// The `info` attributes asked for, if any.
    pub info: Option<String>,
}
