//! The JSON auth bodies are parsed field by field, without a `serde_json::Value` tree; these
//! tests pin that the answers (statuses and error texts) are those of the tree-based parser:
//! a table of explicit cases, and a property test against a reference parser built on `Value`.
#![allow(clippy::unwrap_used)]

use proptest::prelude::*;
use pusher_client::{AuthReply, ChannelAuthBody, MAX_BATCH_AUTH_CHANNELS, UserAuthRequest};
use serde_json::{Value, json};

const JSON: &str = "application/json";
const NOT_OBJECT: &str = "the body is not a JSON object";

/// What a parse answered: the socket id, the channel names and whether batched, or the 400's
/// error text.
type Answer = Result<(String, Vec<String>, bool), String>;

fn parse(body: &[u8]) -> Answer {
    ChannelAuthBody::parse(Some(JSON), body)
        .map(|b| (b.socket_id, b.channel_names, b.batch))
        .map_err(|reply| error_text(&reply))
}

/// The names and whether batched, or the 400's error text.
type Names = Result<(Vec<String>, bool), String>;

/// [`parse`] for a body whose socket id is `1.2`.
fn channel_answer(body: &[u8]) -> Names {
    parse(body).map(|(socket_id, names, batch)| {
        assert_eq!(socket_id, "1.2");
        (names, batch)
    })
}

fn error_text(reply: &AuthReply) -> String {
    assert_eq!(reply.status(), 400, "{}", reply.body());
    let body: Value = serde_json::from_str(reply.body()).unwrap();
    body["error"].as_str().unwrap().to_owned()
}

fn too_many() -> String {
    format!("at most {MAX_BATCH_AUTH_CHANNELS} channels may be authorized at once")
}

#[test]
fn json_channel_bodies_get_the_same_answers() {
    let one = |name: &str| Ok((vec![name.to_owned()], false));
    let cases: Vec<(String, Names)> = vec![
        (r#"{"socket_id":"1.2","channel_name":"a"}"#.into(), one("a")),
        (
            r#"{"x":[1,{"y":null}],"channel_name":"a\u0062","socket_id":"1.2"}"#.into(),
            one("ab"),
        ),
        (
            r#"{"socket_id":"1.2","channel_name":["a","b"]}"#.into(),
            Ok((vec!["a".into(), "b".into()], true)),
        ),
        (
            r#"{"socket_id":1.2,"channel_name":"a"}"#.into(),
            Err("socket_id must be a string".into()),
        ),
        (
            r#"{"socket_id":["1.2"],"channel_name":[1]}"#.into(),
            Err("socket_id must be a string".into()),
        ),
        (
            r#"{"socket_id":{"a":"b"},"channel_name":"a"}"#.into(),
            Err("socket_id must be a string".into()),
        ),
        (
            r#"{"channel_name":"a"}"#.into(),
            Err("the body has no socket_id".into()),
        ),
        (
            r#"{"socket_id":null,"channel_name":"a"}"#.into(),
            Err("the body has no socket_id".into()),
        ),
        (
            r#"{"socket_id":"1.2"}"#.into(),
            Err("the body has no channel_name".into()),
        ),
        (
            r#"{"socket_id":"1.2","channel_name":null}"#.into(),
            Err("the body has no channel_name".into()),
        ),
        (
            r#"{"socket_id":"1.2","channel_name":[]}"#.into(),
            Err("the body has no channel_name".into()),
        ),
        (
            r#"{"socket_id":"1.2","channel_name":["a",null,1]}"#.into(),
            Err("the body has no channel_name".into()),
        ),
        (
            r#"{"socket_id":"1.2","channel_name":[1]}"#.into(),
            Err("channel_name must be a string".into()),
        ),
        (
            r#"{"socket_id":"1.2","channel_name":["a",["b"],null]}"#.into(),
            Err("channel_name must be a string".into()),
        ),
        (
            r#"{"socket_id":"1.2","channel_name":true}"#.into(),
            Err("channel_name must be a string".into()),
        ),
        (
            r#"{"socket_id":"1.2","channel_name":{"a":"b"}}"#.into(),
            Err("channel_name must be a string".into()),
        ),
        // Checked as strictly as a `Value` would be, also once an item is refused.
        (
            r#"{"socket_id":"1.2","channel_name":[1,1e999]}"#.into(),
            Err(NOT_OBJECT.into()),
        ),
        (
            r#"{"socket_id":"1.2","channel_name":[1,"\ud800"]}"#.into(),
            Err(NOT_OBJECT.into()),
        ),
        (
            r#"{"socket_id":"1.2","socket_id":"1.2","channel_name":"a"}"#.into(),
            Err(NOT_OBJECT.into()),
        ),
        (
            r#"{"socket_id":"1.2","channel_name":"a","channel_name":"a"}"#.into(),
            Err(NOT_OBJECT.into()),
        ),
        (
            r#"{"socket_id":"1.2","channel_name":"a"} x"#.into(),
            Err(NOT_OBJECT.into()),
        ),
        ("not json".into(), Err(NOT_OBJECT.into())),
        ("[]".into(), Err(NOT_OBJECT.into())),
        ("\"text\"".into(), Err(NOT_OBJECT.into())),
        ("".into(), Err(NOT_OBJECT.into())),
        // An array is not an object, even one with the fields in order (the derive-based
        // parser accepted this by accident).
        (r#"["1.2","a"]"#.into(), Err(NOT_OBJECT.into())),
    ];
    for (body, expected) in cases {
        assert_eq!(channel_answer(body.as_bytes()), expected, "{body}");
    }
}

#[test]
fn json_batches_over_the_limit_are_refused_whatever_they_hold() {
    let full: Vec<String> = (0..MAX_BATCH_AUTH_CHANNELS)
        .map(|i| format!("private-{i}"))
        .collect();
    let body = json!({"socket_id": "1.2", "channel_name": full}).to_string();
    assert_eq!(channel_answer(body.as_bytes()).unwrap().0, full);
    for items in [
        json!((0..=MAX_BATCH_AUTH_CHANNELS).collect::<Vec<_>>()),
        json!(
            (0..=MAX_BATCH_AUTH_CHANNELS)
                .map(|i| format!("private-{i}"))
                .collect::<Vec<_>>()
        ),
        json!(vec![Value::Null; MAX_BATCH_AUTH_CHANNELS + 1]),
    ] {
        let body = json!({"socket_id": "1.2", "channel_name": items}).to_string();
        assert_eq!(channel_answer(body.as_bytes()), Err(too_many()));
    }
    // Read no further than the limit: what follows the 101st name is never looked at.
    let body = format!(
        r#"{{"socket_id":"1.2","channel_name":{},"private-x", this is not JSON"#,
        json!(full).to_string().trim_end_matches(']')
    );
    assert_eq!(channel_answer(body.as_bytes()), Err(too_many()));
}

#[test]
fn json_user_bodies_get_the_same_answers() {
    for (body, expected) in [
        (r#"{"socket_id":"1.2","channel_name":[1]}"#, Ok("1.2")),
        (
            r#"{"socket_id":"1.2","channel_name":"a","channel_name":1}"#,
            Ok("1.2"),
        ),
        (r#"{"socket_id":1}"#, Err("socket_id must be a string")),
        (r#"{"socket_id":[[]]}"#, Err("socket_id must be a string")),
        (r#"{"socket_id":null}"#, Err("the body has no socket_id")),
        (r#"{}"#, Err("the body has no socket_id")),
        (r#"{"socket_id":"1","socket_id":"1"}"#, Err(NOT_OBJECT)),
        (r#"["1.2"]"#, Err(NOT_OBJECT)),
        ("{", Err(NOT_OBJECT)),
    ] {
        let answer = UserAuthRequest::parse(Some(JSON), body.as_bytes())
            .map(|r| r.socket_id)
            .map_err(|reply| error_text(&reply));
        assert_eq!(
            answer,
            expected.map(str::to_owned).map_err(str::to_owned),
            "{body}"
        );
    }
}

/// The tree-based parser the field-by-field one replaced, as the reference: parse a `Value`,
/// then look at the fields.
fn reference(body: &[u8]) -> Answer {
    let Ok(Value::Object(mut object)) = serde_json::from_slice::<Value>(body) else {
        return Err(NOT_OBJECT.into());
    };
    let string = |value: Option<Value>, field: &str| match value {
        Some(Value::String(s)) => Ok(s),
        None | Some(Value::Null) => Err(format!("the body has no {field}")),
        Some(_) => Err(format!("{field} must be a string")),
    };
    // A batch over the limit is refused first: it is not read to its end.
    let channel_name = object.remove("channel_name");
    if let Some(Value::Array(items)) = &channel_name
        && items.len() > MAX_BATCH_AUTH_CHANNELS
    {
        return Err(too_many());
    }
    let socket_id = string(object.remove("socket_id"), "socket_id")?;
    match channel_name {
        Some(Value::Array(items)) => {
            if items.is_empty() {
                return Err("the body has no channel_name".into());
            }
            let names = items
                .into_iter()
                .map(|item| string(Some(item), "channel_name"))
                .collect::<Result<Vec<_>, _>>()?;
            // One answer entry per channel: a channel asked for twice would lose a decision.
            for (i, name) in names.iter().enumerate().skip(1) {
                if names[..i].contains(name) {
                    return Err(format!("channel {name:?} is asked for twice"));
                }
            }
            Ok((socket_id, names, true))
        }
        other => Ok((socket_id, vec![string(other, "channel_name")?], false)),
    }
}

/// JSON values of any shape, likely to hold the parser's own fields.
fn json_value() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::from),
        any::<i64>().prop_map(Value::from),
        any::<f64>().prop_map(Value::from),
        ".{0,6}".prop_map(Value::from),
        Just(Value::from("1.2")),
    ];
    leaf.prop_recursive(4, 48, 8, |inner| {
        prop_oneof![
            proptest::collection::vec(inner.clone(), 0..8).prop_map(Value::from),
            proptest::collection::btree_map(
                prop_oneof![
                    Just("socket_id".to_owned()),
                    Just("channel_name".to_owned()),
                    ".{0,4}"
                ],
                inner,
                0..4
            )
            .prop_map(|m| Value::Object(m.into_iter().collect())),
        ]
    })
}

/// Objects with a `channel_name` of any shape, long arrays included.
fn channel_body() -> impl Strategy<Value = Value> {
    let names = prop_oneof![
        json_value(),
        proptest::collection::vec(
            prop_oneof![4 => "private-[a-z]{1,4}".prop_map(Value::from), 1 => json_value()],
            0..MAX_BATCH_AUTH_CHANNELS + 4
        )
        .prop_map(Value::from),
    ];
    (
        prop_oneof![4 => Just(Some(json!("1.2"))), 1 => json_value().prop_map(Some), 1 => Just(None)],
        proptest::option::of(names),
        proptest::collection::btree_map(".{0,4}", json_value(), 0..3),
    )
        .prop_map(|(socket_id, channel_name, extra)| {
            let mut object: serde_json::Map<String, Value> = extra.into_iter().collect();
            if let Some(socket_id) = socket_id {
                object.insert("socket_id".into(), socket_id);
            }
            if let Some(channel_name) = channel_name {
                object.insert("channel_name".into(), channel_name);
            }
            Value::Object(object)
        })
}

proptest! {
    #![proptest_config(ProptestConfig { failure_persistence: None, ..ProptestConfig::with_cases(512) })]

    /// Whatever the JSON, the answer is the reference's.
    #[test]
    fn channel_answers_match_the_tree_based_reference(value in prop_oneof![channel_body(), json_value()]) {
        let body = value.to_string();
        prop_assert_eq!(parse(body.as_bytes()), reference(body.as_bytes()), "{}", body);
    }
}
