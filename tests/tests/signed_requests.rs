//! Sign-only requests (`Pusher::sign_get` / `Pusher::sign_post`, the counterpart of the Node
//! SDK's `createSignedQueryString`): every form is checked as Pusher checks it, by the
//! independent verifier and by the fake server over the wire.

#![allow(clippy::unwrap_used)]
use std::time::{SystemTime, UNIX_EPOCH};

use pusher_client::{Error, Pusher, SignedRequest, ValidationError};
use pusher_tests::verify::{Expected, decode_query, md5_hex, verify_request};
use pusher_tests::{FakePusher, KEY, SECRET, raw_request};

fn now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .expect("clock after 1970")
        .as_secs()
}

fn pusher() -> Pusher {
    Pusher::builder("1", KEY, SECRET)
        .build()
        .expect("valid config")
}

/// Checks `request` as Pusher would, and returns its decoded query.
fn verify(request: &SignedRequest) -> std::collections::BTreeMap<String, String> {
    let (path, query) = request
        .path_and_query()
        .split_once('?')
        .expect("a signed query");
    let params = decode_query(query).expect("a well-formed query");
    let expected = Expected {
        key: KEY,
        secret: SECRET,
        now_unix: now(),
    };
    verify_request(expected, request.method(), path, &params, request.body())
        .unwrap_or_else(|refusal| panic!("{request:?} refused: {refusal:?}"));
    params
}

#[test]
fn get_with_params_is_signed_as_pusher_checks_it() {
    let pusher = pusher();
    let request = pusher
        .sign_get(
            "/channels",
            &[
                ("filter_by_prefix", "presence-"),
                ("info", "user_count"),
                ("Odd", "a b&c=d+e/é"),
            ],
        )
        .expect("signed");
    assert_eq!(request.method(), "GET");
    assert!(request.body().is_empty());
    assert!(request.headers().all(|(name, _)| name != "Content-Type"));
    let params = verify(&request);
    // Signed raw, sent escaped; keys lower-cased; no body_md5 without a body.
    assert_eq!(params["odd"], "a b&c=d+e/é");
    assert_eq!(params["filter_by_prefix"], "presence-");
    assert!(!params.contains_key("body_md5"));
    assert!(request.path_and_query().starts_with("/apps/1/channels?"));

    let bare = pusher
        .sign_get("/channels/presence-a%40b/users", &[])
        .expect("signed");
    verify(&bare);
}

#[test]
fn post_with_any_body_is_signed_as_pusher_checks_it() {
    let pusher = pusher();
    let bodies: [&[u8]; 4] = [
        br#"{"name":"e","channels":["c"],"data":"{}"}"#,
        b"{}",
        b"",
        "not json, but signed as given: é\n".as_bytes(),
    ];
    for body in bodies {
        let request = pusher
            .sign_post("/users/a%2Fb/terminate_connections", body.to_vec())
            .expect("signed");
        assert_eq!(request.method(), "POST");
        assert_eq!(request.body(), body);
        let params = verify(&request);
        assert_eq!(params["body_md5"], md5_hex(body), "{body:?}");
        let content_type = request.headers().any(|(name, _)| name == "Content-Type");
        assert_eq!(content_type, !body.is_empty(), "{body:?}");
    }
}

#[test]
fn a_tampered_request_is_refused() {
    let pusher = pusher();
    let request = pusher.sign_post("/events", b"{}".to_vec()).expect("signed");
    let (path, query) = request.path_and_query().split_once('?').expect("query");
    let params = decode_query(query).expect("query");
    let expected = Expected {
        key: KEY,
        secret: SECRET,
        now_unix: now(),
    };
    assert!(verify_request(expected, "POST", path, &params, b"{ }").is_err());
    assert!(verify_request(expected, "POST", "/apps/2/events", &params, b"{}").is_err());
    assert!(verify_request(expected, "GET", path, &params, b"{}").is_err());
}

#[test]
fn bad_paths_and_reserved_params_are_refused() {
    let pusher = pusher();
    for path in ["channels", "/channels?x=1", "/a b", "/../x", "/x#y"] {
        let err = pusher.sign_get(path, &[]).unwrap_err();
        assert!(
            matches!(err, Error::Validation(ValidationError::InvalidPath { .. })),
            "{path}: {err}"
        );
        assert!(pusher.sign_post(path, Vec::new()).is_err(), "{path}");
    }
    for name in ["auth_signature", "AUTH_KEY", "body_md5"] {
        let err = pusher.sign_get("/channels", &[(name, "x")]).unwrap_err();
        assert!(
            matches!(
                err,
                Error::Validation(ValidationError::ReservedParameter { .. })
            ),
            "{name}: {err}"
        );
    }
}

#[tokio::test]
async fn signed_requests_are_accepted_over_the_wire() {
    let server = FakePusher::start().await;
    let pusher = server.client();
    let get = pusher
        .sign_get("/channels", &[("filter_by_prefix", "presence-")])
        .expect("signed");
    let post = pusher
        .sign_post(
            "/events",
            br#"{"name":"e","channels":["c"],"data":"{}"}"#.to_vec(),
        )
        .expect("signed");
    let terminate = pusher
        .sign_post("/users/ada/terminate_connections", b"{}".to_vec())
        .expect("signed");
    for request in [get, post, terminate] {
        let answer = raw_request(
            server.addr(),
            request.method(),
            request.path_and_query(),
            request.body(),
        )
        .await
        .expect("answered");
        assert_eq!(answer.status, 200, "{request:?}: {}", answer.body);
    }
}
