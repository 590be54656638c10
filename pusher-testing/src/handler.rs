//! The request handler, shared by the loopback server and the in-memory transport: records,
//! verifies, applies scripted failures, then answers like Pusher.

use std::collections::BTreeMap;

use bytes::Bytes;
use http::{HeaderMap, HeaderValue, Method, Response, StatusCode, Uri, header};
use serde_json::{Map, Value, json};

use crate::crypto::{ENCRYPTED_PREFIX, decrypt};
use crate::record::{
    Query, RecordedRequest, Rejection, RejectionReason as R, Termination, Trigger, UserEvent,
};
use crate::state::{FailureKind, Shared};
use crate::verify::{Expected, decode_path, decode_query, verify_request};

/// Bodies larger than this are refused with 413 before anything else.
pub(crate) const MAX_BODY_BYTES: usize = 4 * 1024 * 1024;
const USER_CHANNEL_PREFIX: &str = "#server-to-user-";
const PRESENCE_PREFIX: &str = "presence-";

/// What to do with a request: answer it, or close the connection without answering.
pub(crate) enum Outcome {
    Answer(Response<Bytes>),
    Cut,
}

/// Handles one request. `body` is the whole body.
pub(crate) async fn handle(
    shared: &Shared,
    method: &Method,
    uri: &Uri,
    headers: &HeaderMap,
    body: Bytes,
) -> Outcome {
    let method = method.as_str().to_owned();
    let raw_path = uri.path().to_owned();
    let raw_query = uri.query().unwrap_or("").to_owned();
    let segments = decode_path(&raw_path);
    let query = decode_query(&raw_query);
    let index = {
        let mut state = shared.lock();
        state.requests.push(RecordedRequest {
            method: method.clone(),
            raw_path: raw_path.clone(),
            raw_query,
            path_segments: segments.clone().unwrap_or_default(),
            query: query.clone().unwrap_or_default(),
            body: body.to_vec(),
            headers: headers
                .iter()
                .map(|(n, v)| {
                    (
                        n.as_str().to_ascii_lowercase(),
                        String::from_utf8_lossy(v.as_bytes()).into_owned(),
                    )
                })
                .collect(),
            rejection: None,
            status: None,
            authenticated: false,
        });
        state.requests.len() - 1
    };

    let outcome = match check(shared, &method, &raw_path, segments, query, &body) {
        Err(rejection) => reject(shared, index, rejection),
        Ok((segments, query)) => {
            shared.lock().requests[index].authenticated = true;
            let failure = shared.lock().failures.pop_front();
            match failure {
                None => respond(shared, index, &method, &segments, &query, &body),
                Some(failure) => {
                    if let Some(delay) = failure.delay {
                        tokio::time::sleep(delay).await;
                    }
                    let mut outcome = match failure.kind {
                        FailureKind::Normal => {
                            respond(shared, index, &method, &segments, &query, &body)
                        }
                        FailureKind::Status(status, body, content_type) => {
                            Outcome::Answer(answer(status, content_type, body))
                        }
                        FailureKind::Cut => Outcome::Cut,
                        FailureKind::Hang => {
                            let mut shutdown = shared.shutdown.clone();
                            // Ends when the FakePusher is dropped (value flips or sender closes).
                            let _ = shutdown.wait_for(|down| *down).await;
                            Outcome::Cut
                        }
                    };
                    if let (Outcome::Answer(response), Some(value)) =
                        (&mut outcome, failure.retry_after)
                        && let Ok(value) = HeaderValue::from_str(&value)
                    {
                        response.headers_mut().insert(header::RETRY_AFTER, value);
                    }
                    outcome
                }
            }
        }
    };
    if let Outcome::Answer(response) = &outcome {
        shared.lock().requests[index].status = Some(response.status().as_u16());
    }
    shared.notify();
    outcome
}

fn reject(shared: &Shared, index: usize, rejection: Rejection) -> Outcome {
    let response = text(rejection.status(), rejection.message());
    let mut state = shared.lock();
    state.requests[index].rejection = Some(rejection.clone());
    state.rejections.push(rejection);
    Outcome::Answer(response)
}

fn respond(
    shared: &Shared,
    index: usize,
    method: &str,
    segments: &[String],
    query: &BTreeMap<String, String>,
    body: &[u8],
) -> Outcome {
    match route(shared, method, segments, query, body) {
        Ok(value) => Outcome::Answer(answer(
            200,
            "application/json",
            Bytes::from(value.to_string()),
        )),
        Err(rejection) => reject(shared, index, rejection),
    }
}

type Checked = (Vec<String>, BTreeMap<String, String>);

/// Path, app id, query decoding and signature, in the order Pusher refuses them.
fn check(
    shared: &Shared,
    method: &str,
    raw_path: &str,
    segments: Result<Vec<String>, String>,
    query: Result<BTreeMap<String, String>, String>,
    body: &[u8],
) -> Result<Checked, Rejection> {
    if body.len() > MAX_BODY_BYTES {
        return Err(Rejection::new(
            R::BodyTooLarge,
            format!("the request body is {} bytes, over 4 MiB", body.len()),
        ));
    }
    let segments = segments.map_err(|e| Rejection::new(R::Malformed, e))?;
    let state = shared.lock();
    let config = &state.config;
    match segments.as_slice() {
        [apps, id, ..] if apps == "apps" && *id == config.app_id => {}
        [apps, id, ..] if apps == "apps" => {
            return Err(Rejection::new(
                R::UnknownApp,
                format!(
                    "Unknown app {id:?} (this fake serves app {:?})",
                    config.app_id
                ),
            ));
        }
        _ => return Err(Rejection::new(R::NotFound, "Not found")),
    }
    let query = query.map_err(|e| Rejection::new(R::Malformed, e))?;
    let expected = Expected {
        key: &config.key,
        secret: &config.secret,
        now_unix: config.clock.now_unix(),
    };
    verify_request(expected, method, raw_path, &query, body)?;
    Ok((segments[2..].to_vec(), query))
}

fn route(
    shared: &Shared,
    method: &str,
    segments: &[String],
    query: &BTreeMap<String, String>,
    body: &[u8],
) -> Result<Value, Rejection> {
    let segments: Vec<&str> = segments.iter().map(String::as_str).collect();
    match (method, segments.as_slice()) {
        ("POST", ["events"]) => trigger(shared, body),
        ("POST", ["batch_events"]) => batch(shared, body),
        ("GET", ["channels"]) => channels(shared, query),
        ("GET", ["channels", name]) => channel(shared, name, query),
        ("GET", ["channels", name, "users"]) => users(shared, name),
        ("POST", ["users", id, "terminate_connections"]) => terminate(shared, id, body),
        (
            _,
            ["events"]
            | ["batch_events"]
            | ["channels"]
            | ["channels", _]
            | ["channels", _, "users"]
            | ["users", _, "terminate_connections"],
        ) => Err(Rejection::new(
            R::MethodNotAllowed,
            format!("Method {method} not allowed here"),
        )),
        _ => Err(Rejection::new(R::NotFound, "Not found")),
    }
}

fn answer(status: u16, content_type: &'static str, body: Bytes) -> Response<Bytes> {
    let mut response = Response::new(body);
    *response.status_mut() =
        StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    response
        .headers_mut()
        .insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    response
}

fn text(status: u16, body: &str) -> Response<Bytes> {
    answer(
        status,
        "text/plain; charset=utf-8",
        Bytes::from(body.to_owned()),
    )
}

fn malformed(message: impl Into<String>) -> Rejection {
    Rejection::new(R::Malformed, message)
}

fn parse_body(body: &[u8]) -> Result<Map<String, Value>, Rejection> {
    match serde_json::from_slice(body) {
        Ok(Value::Object(map)) => Ok(map),
        Ok(_) => Err(malformed("Body must be a JSON object")),
        Err(e) => Err(malformed(format!("Invalid JSON body: {e}"))),
    }
}

fn string_field<'a>(
    map: &'a Map<String, Value>,
    field: &str,
    required: bool,
) -> Result<Option<&'a str>, Rejection> {
    match map.get(field) {
        None | Some(Value::Null) if !required => Ok(None),
        None | Some(Value::Null) => Err(malformed(format!("Missing {field}"))),
        Some(Value::String(s)) => Ok(Some(s)),
        Some(_) => Err(malformed(format!("{field} must be a string"))),
    }
}

const CHANNEL_CHARS: &str = "A-Z a-z 0-9 _ - = @ , . ;";

/// A channel name as Pusher accepts it; `#server-to-user-` names only when `user_channel_ok`.
fn check_channel_name(name: &str, max_len: usize) -> Result<(), Rejection> {
    let len = name.chars().count();
    if len == 0 {
        return Err(Rejection::new(R::ChannelName, "a channel name is empty"));
    }
    if len > max_len {
        return Err(Rejection::new(
            R::ChannelName,
            format!(
                "channel name {name:?} is {len} characters, over the {max_len}-character limit"
            ),
        ));
    }
    if let Some(user) = name.strip_prefix(USER_CHANNEL_PREFIX) {
        if user.is_empty() {
            return Err(Rejection::new(R::UserId, "send to user: empty user id"));
        }
        return Ok(());
    }
    let ok = |c: char| c.is_ascii_alphanumeric() || "_-=@,.;".contains(c);
    if let Some(bad) = name.chars().find(|c| !ok(*c)) {
        return Err(Rejection::new(
            R::ChannelName,
            format!(
                "channel name {name:?} has a character Pusher does not accept: {bad:?} \
                 (allowed: {CHANNEL_CHARS})"
            ),
        ));
    }
    Ok(())
}

/// The attributes of an `info` parameter, each checked against what the call allows.
fn info_attributes(info: Option<&str>, allowed: &[&str]) -> Result<Vec<String>, Rejection> {
    let Some(info) = info.filter(|i| !i.is_empty()) else {
        return Ok(Vec::new());
    };
    info.split(',')
        .map(|a| {
            if allowed.contains(&a) {
                Ok(a.to_owned())
            } else {
                Err(Rejection::new(
                    R::Info,
                    format!("info attribute {a:?} is not available here (allowed: {allowed:?})"),
                ))
            }
        })
        .collect()
}

fn require_presence_for_user_count(attributes: &[String], channel: &str) -> Result<(), Rejection> {
    if attributes.iter().any(|a| a == "user_count") && !channel.starts_with(PRESENCE_PREFIX) {
        return Err(Rejection::new(
            R::Info,
            format!("user_count may only be requested for presence channels, not {channel:?}"),
        ));
    }
    Ok(())
}

fn counts(shared: &Shared, channel: &str, attributes: &[String]) -> Value {
    let state = shared.lock().channel(channel);
    let mut map = Map::new();
    for attribute in attributes {
        let value = match attribute.as_str() {
            "subscription_count" => state.subscription_count,
            _ => state.user_count(),
        };
        map.insert(attribute.clone(), json!(value));
    }
    Value::Object(map)
}

/// Checks one event (of `/events` or `/batch_events`) and returns it with its attributes.
fn check_event(
    shared: &Shared,
    map: &Map<String, Value>,
    channels: Vec<String>,
    batch_index: Option<usize>,
) -> Result<(Trigger, Vec<String>), Rejection> {
    let (limits, master_key) = {
        let state = shared.lock();
        (state.config.limits, state.config.master_key)
    };
    let name = string_field(map, "name", true)?.unwrap_or_default();
    let name_len = name.chars().count();
    if name_len == 0 {
        return Err(Rejection::new(R::EventName, "the event name is empty"));
    }
    if name_len > limits.max_event_name_len {
        return Err(Rejection::new(
            R::EventName,
            format!(
                "event name is {name_len} characters, over the {}-character limit",
                limits.max_event_name_len
            ),
        ));
    }
    let data = string_field(map, "data", true)?.unwrap_or_default();
    if data.len() > limits.max_payload_bytes {
        return Err(Rejection::new(
            R::PayloadTooLarge,
            format!(
                "data of event {name:?} is {} bytes, over the {}-byte limit",
                data.len(),
                limits.max_payload_bytes
            ),
        ));
    }
    if channels.is_empty() {
        return Err(Rejection::new(
            R::TooManyChannels,
            "the event names no channels",
        ));
    }
    if channels.len() > limits.max_channels_per_trigger {
        return Err(Rejection::new(
            R::TooManyChannels,
            format!(
                "the event names {} channels, over the limit of {}",
                channels.len(),
                limits.max_channels_per_trigger
            ),
        ));
    }
    for channel in &channels {
        check_channel_name(channel, limits.max_channel_name_len)?;
    }
    let encrypted = channels.iter().any(|c| c.starts_with(ENCRYPTED_PREFIX));
    if encrypted && channels.len() > 1 {
        return Err(Rejection::new(
            R::Encryption,
            format!("an encrypted channel cannot be triggered together with others: {channels:?}"),
        ));
    }
    let mut decrypted = None;
    if let (true, Some(key)) = (encrypted, master_key) {
        let plain =
            decrypt(&key, &channels[0], data).map_err(|e| Rejection::new(R::Encryption, e))?;
        decrypted = Some(plain);
    }
    let socket_id = string_field(map, "socket_id", false)?;
    if let Some(socket_id) = socket_id {
        let valid = socket_id.split_once('.').is_some_and(|(a, b)| {
            !a.is_empty()
                && !b.is_empty()
                && a.bytes().all(|c| c.is_ascii_digit())
                && b.bytes().all(|c| c.is_ascii_digit())
        });
        if !valid {
            return Err(Rejection::new(
                R::SocketId,
                format!("socket id {socket_id:?} is not digits.digits"),
            ));
        }
    }
    let info = string_field(map, "info", false)?;
    let attributes = info_attributes(info, &["subscription_count", "user_count"])?;
    for channel in &channels {
        require_presence_for_user_count(&attributes, channel)?;
    }
    let event = Trigger {
        channels,
        event: name.to_owned(),
        decrypted: decrypted.is_some(),
        data: decrypted.unwrap_or_else(|| data.to_owned()),
        raw_data: data.to_owned(),
        socket_id: socket_id.map(str::to_owned),
        info: info.map(str::to_owned),
        batch_index,
    };
    Ok((event, attributes))
}

/// Records accepted events (and the user events among them).
fn record(shared: &Shared, events: &[Trigger]) {
    let mut state = shared.lock();
    for event in events {
        for channel in &event.channels {
            if let Some(user_id) = channel.strip_prefix(USER_CHANNEL_PREFIX) {
                state.user_events.push(UserEvent {
                    user_id: user_id.to_owned(),
                    event: event.event.clone(),
                    data: event.data.clone(),
                });
            }
        }
    }
    state.triggers.extend(events.iter().cloned());
}

fn trigger(shared: &Shared, body: &[u8]) -> Result<Value, Rejection> {
    let map = parse_body(body)?;
    let channels = match (map.get("channels"), map.get("channel")) {
        (Some(Value::Array(list)), None) => list
            .iter()
            .map(|c| c.as_str().map(str::to_owned))
            .collect::<Option<Vec<_>>>()
            .ok_or_else(|| malformed("channels must be strings"))?,
        (None, Some(Value::String(c))) => vec![c.clone()],
        _ => {
            return Err(malformed(
                "Give either channels (an array) or channel (a string)",
            ));
        }
    };
    let (event, attributes) = check_event(shared, &map, channels, None)?;
    let answer = if attributes.is_empty() {
        json!({})
    } else {
        let per_channel: Map<String, Value> = event
            .channels
            .iter()
            .map(|c| (c.clone(), counts(shared, c, &attributes)))
            .collect();
        json!({ "channels": per_channel })
    };
    record(shared, std::slice::from_ref(&event));
    Ok(answer)
}

fn batch(shared: &Shared, body: &[u8]) -> Result<Value, Rejection> {
    let map = parse_body(body)?;
    let Some(Value::Array(list)) = map.get("batch") else {
        return Err(malformed("batch must be an array"));
    };
    let max = shared.lock().config.limits.max_batch_size;
    if list.is_empty() {
        return Err(Rejection::new(R::BatchTooLarge, "the batch is empty"));
    }
    if list.len() > max {
        return Err(Rejection::new(
            R::BatchTooLarge,
            format!(
                "Batch too large: {} events, over the {max}-event limit",
                list.len()
            ),
        ));
    }
    let mut checked = Vec::with_capacity(list.len());
    for (index, item) in list.iter().enumerate() {
        let context = format!("batch event {index}");
        let Value::Object(event) = item else {
            return Err(malformed("must be an object").context(&context));
        };
        let channel = string_field(event, "channel", true)
            .map_err(|e| e.context(&context))?
            .unwrap_or_default()
            .to_owned();
        checked.push(
            check_event(shared, event, vec![channel], Some(index))
                .map_err(|e| e.context(&context))?,
        );
    }
    let any_info = checked.iter().any(|(_, attributes)| !attributes.is_empty());
    let answers: Vec<Value> = checked
        .iter()
        .map(|(event, attributes)| counts(shared, &event.channels[0], attributes))
        .collect();
    let events: Vec<Trigger> = checked.into_iter().map(|(event, _)| event).collect();
    record(shared, &events);
    shared.lock().batches.push(events);
    Ok(if any_info {
        json!({ "batch": answers })
    } else {
        json!({})
    })
}

fn channels(shared: &Shared, query: &BTreeMap<String, String>) -> Result<Value, Rejection> {
    let prefix = query.get("filter_by_prefix").cloned();
    let prefix_str = prefix.as_deref().unwrap_or("");
    let attributes = info_attributes(query.get("info").map(String::as_str), &["user_count"])?;
    require_presence_for_user_count(&attributes, prefix_str)?;
    let names: Vec<String> = shared
        .lock()
        .channels
        .iter()
        .filter(|(name, state)| name.starts_with(prefix_str) && state.occupied())
        .map(|(name, _)| name.clone())
        .collect();
    let list: Map<String, Value> = names
        .into_iter()
        .map(|name| {
            let counts = counts(shared, &name, &attributes);
            (name, counts)
        })
        .collect();
    shared.lock().queries.push(Query::Channels {
        prefix,
        info: attributes,
    });
    Ok(json!({ "channels": list }))
}

fn channel(
    shared: &Shared,
    name: &str,
    query: &BTreeMap<String, String>,
) -> Result<Value, Rejection> {
    let attributes = info_attributes(
        query.get("info").map(String::as_str),
        &["subscription_count", "user_count"],
    )?;
    require_presence_for_user_count(&attributes, name)?;
    let occupied = shared.lock().channel(name).occupied();
    let mut answer = counts(shared, name, &attributes);
    if let Value::Object(map) = &mut answer {
        map.insert("occupied".into(), json!(occupied));
    }
    shared.lock().queries.push(Query::Channel {
        channel: name.to_owned(),
        info: attributes,
    });
    Ok(answer)
}

fn users(shared: &Shared, name: &str) -> Result<Value, Rejection> {
    if !name.starts_with(PRESENCE_PREFIX) {
        return Err(Rejection::new(
            R::ChannelName,
            format!("users can only be listed for presence channels, not {name:?}"),
        ));
    }
    let state = shared.lock().channel(name);
    let users: Vec<Value> = state
        .distinct_users()
        .into_iter()
        .map(|id| json!({ "id": id }))
        .collect();
    shared.lock().queries.push(Query::Users {
        channel: name.to_owned(),
    });
    Ok(json!({ "users": users }))
}

fn terminate(shared: &Shared, user_id: &str, body: &[u8]) -> Result<Value, Rejection> {
    parse_body(body)?;
    if user_id.is_empty() {
        return Err(Rejection::new(
            R::UserId,
            "terminate connections: empty user id",
        ));
    }
    shared.lock().terminations.push(Termination {
        user_id: user_id.to_owned(),
    });
    Ok(json!({}))
}
