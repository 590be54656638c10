//! The request handler: records, verifies, applies scripted replies, then answers like Pusher.

use std::collections::BTreeMap;
use std::sync::Arc;

use axum::body::{Body, to_bytes};
use axum::extract::{Request, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::{Map, Value, json};

use crate::record::{RecordedRequest, TriggeredEvent};
use crate::state::{Reply, Shared};
use crate::verify::{Expected, Refusal, decode_path, decode_query, verify_request};

/// Bodies larger than this are refused with 413 before anything else.
const MAX_BODY_BYTES: usize = 4 * 1024 * 1024;
const USER_CHANNEL_PREFIX: &str = "#server-to-user-";
const PRESENCE_PREFIX: &str = "presence-";

/// The single axum handler: every route goes through here, so the raw URI is at hand.
pub(crate) async fn handle(State(shared): State<Arc<Shared>>, request: Request) -> Response {
    let (parts, body) = request.into_parts();
    let Ok(body) = to_bytes(body, MAX_BODY_BYTES).await else {
        return text(413, "Request body too large");
    };
    let method = parts.method.as_str().to_owned();
    let raw_path = parts.uri.path().to_owned();
    let raw_query = parts.uri.query().unwrap_or("").to_owned();
    let headers = parts
        .headers
        .iter()
        .map(|(n, v)| {
            (
                n.as_str().to_ascii_lowercase(),
                String::from_utf8_lossy(v.as_bytes()).into_owned(),
            )
        })
        .collect();
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
            headers,
            refusal: None,
            status: None,
        });
        state.requests.len() - 1
    };

    let response = match check(&shared, &method, &raw_path, segments, query, &body) {
        Err(refusal) => {
            shared.lock().requests[index].refusal = Some(refusal.clone());
            text(refusal.status, &refusal.message)
        }
        Ok((segments, query)) => {
            let reply = shared.lock().replies.pop_front();
            match reply {
                None | Some(Reply::Normal) => route(&shared, &method, &segments, &query, &body),
                Some(Reply::Status(status, body)) => text(status, &body),
                Some(Reply::Malformed(body)) => (
                    StatusCode::OK,
                    [(header::CONTENT_TYPE, "application/json")],
                    body,
                )
                    .into_response(),
                Some(Reply::Bytes(status, body)) => (
                    StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR),
                    [(header::CONTENT_TYPE, "text/plain")],
                    body,
                )
                    .into_response(),
                Some(Reply::Delay(delay)) => {
                    tokio::time::sleep(delay).await;
                    route(&shared, &method, &segments, &query, &body)
                }
                Some(Reply::Hang) => {
                    let mut shutdown = shared.shutdown.clone();
                    // Ends when the FakePusher is dropped (value flips or the sender closes).
                    let _ = shutdown.wait_for(|down| *down).await;
                    text(503, "server shutting down")
                }
            }
        }
    };
    shared.lock().requests[index].status = Some(response.status().as_u16());
    response
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
) -> Result<Checked, Refusal> {
    let segments = segments.map_err(Refusal::bad_request)?;
    let state = shared.lock();
    let config = &state.config;
    match segments.as_slice() {
        [apps, id, ..] if apps == "apps" && *id == config.app_id => {}
        [apps, id, ..] if apps == "apps" => {
            return Err(Refusal {
                status: 404,
                message: format!("Unknown app {id:?}"),
            });
        }
        _ => {
            return Err(Refusal {
                status: 404,
                message: "Not found".into(),
            });
        }
    }
    let query = query.map_err(Refusal::bad_request)?;
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
) -> Response {
    let segments: Vec<&str> = segments.iter().map(String::as_str).collect();
    let result = match (method, segments.as_slice()) {
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
        ) => Err(Refusal {
            status: 405,
            message: format!("Method {method} not allowed here"),
        }),
        _ => Err(Refusal {
            status: 404,
            message: "Not found".into(),
        }),
    };
    match result {
        Ok(value) => (StatusCode::OK, axum::Json(value)).into_response(),
        Err(refusal) => text(refusal.status, &refusal.message),
    }
}

fn text(status: u16, body: &str) -> Response {
    let status = StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    (
        status,
        [(header::CONTENT_TYPE, "text/plain; charset=utf-8")],
        Body::from(body.to_owned()),
    )
        .into_response()
}

fn parse_body(body: &[u8]) -> Result<Map<String, Value>, Refusal> {
    match serde_json::from_slice(body) {
        Ok(Value::Object(map)) => Ok(map),
        Ok(_) => Err(Refusal::bad_request("Body must be a JSON object")),
        Err(e) => Err(Refusal::bad_request(format!("Invalid JSON body: {e}"))),
    }
}

fn string_field<'a>(
    map: &'a Map<String, Value>,
    field: &str,
    required: bool,
) -> Result<Option<&'a str>, Refusal> {
    match map.get(field) {
        None | Some(Value::Null) if !required => Ok(None),
        None | Some(Value::Null) => Err(Refusal::bad_request(format!("Missing {field}"))),
        Some(Value::String(s)) => Ok(Some(s)),
        Some(_) => Err(Refusal::bad_request(format!("{field} must be a string"))),
    }
}

fn check_channel_name(name: &str, max_len: usize) -> Result<(), Refusal> {
    let len = name.chars().count();
    if len == 0 || len > max_len {
        return Err(Refusal::bad_request(format!(
            "Channel name {name:?} must be 1 to {max_len} characters"
        )));
    }
    if name.starts_with(USER_CHANNEL_PREFIX) {
        return Ok(());
    }
    let ok = |c: char| c.is_ascii_alphanumeric() || "_-=@,.;".contains(c);
    if !name.chars().all(ok) {
        return Err(Refusal::bad_request(format!(
            "Invalid channel name {name:?}"
        )));
    }
    Ok(())
}

/// The attributes of an `info` parameter, each checked against what the call allows.
fn info_attributes(info: Option<&str>, allowed: &[&str]) -> Result<Vec<String>, Refusal> {
    let Some(info) = info.filter(|i| !i.is_empty()) else {
        return Ok(Vec::new());
    };
    info.split(',')
        .map(|a| {
            if allowed.contains(&a) {
                Ok(a.to_owned())
            } else {
                Err(Refusal::bad_request(format!(
                    "info attribute {a:?} is not available here"
                )))
            }
        })
        .collect()
}

fn require_presence_for_user_count(attributes: &[String], channel: &str) -> Result<(), Refusal> {
    if attributes.iter().any(|a| a == "user_count") && !channel.starts_with(PRESENCE_PREFIX) {
        return Err(Refusal::bad_request(format!(
            "user_count may only be requested for presence channels, not {channel:?}"
        )));
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
) -> Result<(TriggeredEvent, Vec<String>), Refusal> {
    let limits = shared.lock().limits();
    let name = string_field(map, "name", true)?.unwrap_or_default();
    let name_len = name.chars().count();
    if name_len == 0 || name_len > limits.max_event_name_len {
        return Err(Refusal::bad_request(format!(
            "Event name must be 1 to {} characters",
            limits.max_event_name_len
        )));
    }
    let data = string_field(map, "data", true)?.unwrap_or_default();
    if data.len() > limits.max_payload_bytes {
        return Err(Refusal {
            status: 413,
            message: format!(
                "Payload too large: {} bytes, the limit is {}",
                data.len(),
                limits.max_payload_bytes
            ),
        });
    }
    if channels.is_empty() || channels.len() > limits.max_channels_per_trigger {
        return Err(Refusal::bad_request(format!(
            "An event must name 1 to {} channels",
            limits.max_channels_per_trigger
        )));
    }
    for channel in &channels {
        check_channel_name(channel, limits.max_channel_name_len)?;
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
            return Err(Refusal::bad_request(format!(
                "Invalid socket id {socket_id:?}"
            )));
        }
    }
    let info = string_field(map, "info", false)?;
    let attributes = info_attributes(info, &["subscription_count", "user_count"])?;
    for channel in &channels {
        require_presence_for_user_count(&attributes, channel)?;
    }
    let event = TriggeredEvent {
        channels,
        name: name.to_owned(),
        data: data.to_owned(),
        socket_id: socket_id.map(str::to_owned),
        info: info.map(str::to_owned),
    };
    Ok((event, attributes))
}

fn trigger(shared: &Shared, body: &[u8]) -> Result<Value, Refusal> {
    let map = parse_body(body)?;
    let channels = match (map.get("channels"), map.get("channel")) {
        (Some(Value::Array(list)), None) => list
            .iter()
            .map(|c| c.as_str().map(str::to_owned))
            .collect::<Option<Vec<_>>>()
            .ok_or_else(|| Refusal::bad_request("channels must be strings"))?,
        (None, Some(Value::String(c))) => vec![c.clone()],
        _ => {
            return Err(Refusal::bad_request(
                "Give either channels (an array) or channel (a string)",
            ));
        }
    };
    let (event, attributes) = check_event(shared, &map, channels)?;
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
    shared.lock().events.push(event);
    Ok(answer)
}

fn batch(shared: &Shared, body: &[u8]) -> Result<Value, Refusal> {
    let map = parse_body(body)?;
    let Some(Value::Array(list)) = map.get("batch") else {
        return Err(Refusal::bad_request("batch must be an array"));
    };
    let max = shared.lock().limits().max_batch_size;
    if list.is_empty() || list.len() > max {
        return Err(Refusal::bad_request(format!(
            "Batch too large: {} events, the limit is {max}",
            list.len()
        )));
    }
    let mut checked = Vec::with_capacity(list.len());
    for (index, item) in list.iter().enumerate() {
        let in_batch = |e: Refusal| Refusal {
            status: e.status,
            message: format!("batch event {index}: {}", e.message),
        };
        let Value::Object(event) = item else {
            return Err(in_batch(Refusal::bad_request("must be an object")));
        };
        let channel = string_field(event, "channel", true)
            .map_err(in_batch)?
            .unwrap_or_default()
            .to_owned();
        checked.push(check_event(shared, event, vec![channel]).map_err(in_batch)?);
    }
    let any_info = checked.iter().any(|(_, attributes)| !attributes.is_empty());
    let answers: Vec<Value> = checked
        .iter()
        .map(|(event, attributes)| counts(shared, &event.channels[0], attributes))
        .collect();
    shared
        .lock()
        .events
        .extend(checked.into_iter().map(|(event, _)| event));
    Ok(if any_info {
        json!({ "batch": answers })
    } else {
        json!({})
    })
}

fn channels(shared: &Shared, query: &BTreeMap<String, String>) -> Result<Value, Refusal> {
    let prefix = query
        .get("filter_by_prefix")
        .map(String::as_str)
        .unwrap_or("");
    let attributes = info_attributes(query.get("info").map(String::as_str), &["user_count"])?;
    require_presence_for_user_count(&attributes, prefix)?;
    let names: Vec<String> = shared
        .lock()
        .channels
        .iter()
        .filter(|(name, state)| name.starts_with(prefix) && state.occupied())
        .map(|(name, _)| name.clone())
        .collect();
    let list: Map<String, Value> = names
        .into_iter()
        .map(|name| {
            let counts = counts(shared, &name, &attributes);
            (name, counts)
        })
        .collect();
    Ok(json!({ "channels": list }))
}

fn channel(
    shared: &Shared,
    name: &str,
    query: &BTreeMap<String, String>,
) -> Result<Value, Refusal> {
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
    Ok(answer)
}

fn users(shared: &Shared, name: &str) -> Result<Value, Refusal> {
    if !name.starts_with(PRESENCE_PREFIX) {
        return Err(Refusal::bad_request(format!(
            "Users can only be listed for presence channels, not {name:?}"
        )));
    }
    let state = shared.lock().channel(name);
    let users: Vec<Value> = state
        .distinct_users()
        .into_iter()
        .map(|id| json!({ "id": id }))
        .collect();
    Ok(json!({ "users": users }))
}

fn terminate(shared: &Shared, user_id: &str, body: &[u8]) -> Result<Value, Refusal> {
    parse_body(body)?;
    if user_id.is_empty() {
        return Err(Refusal::bad_request("Empty user id"));
    }
    shared.lock().terminated.push(user_id.to_owned());
    Ok(json!({}))
}
