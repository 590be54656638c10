//! The shared adapter case table (`pusher_tests::adapter_cases`), run against the reference app
//! built with this crate, so the axum and actix adapters answer every case the same way.
#![allow(clippy::unwrap_used)]

// The adapter's own test helpers: this file lives here, not in pusher-axum/tests/, because it uses
// this crate (pusher-tests), which pusher-axum's published package cannot depend on.
#[path = "../../pusher-axum/tests/common/mod.rs"]
mod common;

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use axum::extract::DefaultBodyLimit;
use axum::http::{HeaderMap, StatusCode};
use axum::routing::post;
use axum::{Json, Router};
use pusher_axum::{
    ChannelAuthRequest, ChannelGrant, PresenceMember, PusherAuth, UserAuthRequest, UserData,
    UserGrant, VerifiedWebhook,
};
use pusher_tests::adapter_cases::{
    AUTH_BODY_LIMIT, RESOLVER_ERROR, WEBHOOK_BODY_LIMIT, cases, reference_pusher,
};
use serde_json::{Value, json};

fn user_id(headers: &HeaderMap) -> Option<String> {
    headers
        .get("x-user-id")
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned)
}

fn teapot() -> (StatusCode, &'static str) {
    (
        StatusCode::from_u16(RESOLVER_ERROR.0).unwrap(),
        RESOLVER_ERROR.1,
    )
}

fn reference_app(calls: Arc<AtomicUsize>) -> Router {
    let auth = PusherAuth::new()
        .channel(move |headers: HeaderMap, auth: ChannelAuthRequest| {
            calls.fetch_add(1, Ordering::SeqCst);
            async move {
                if headers.contains_key("x-fail") {
                    return Err(teapot());
                }
                Ok(match user_id(&headers) {
                    None => ChannelGrant::Deny,
                    Some(_) if auth.channel_name.starts_with("private-forbidden") => {
                        ChannelGrant::Deny
                    }
                    Some(id) if auth.channel_name.starts_with("presence-") => {
                        ChannelGrant::Presence(
                            PresenceMember::new(id.as_str()).with_user_info(json!({"name": id})),
                        )
                    }
                    Some(_) => ChannelGrant::Allow,
                })
            }
        })
        .user(|headers: HeaderMap, _: UserAuthRequest| async move {
            Ok::<_, (StatusCode, &'static str)>(match user_id(&headers) {
                None => UserGrant::Deny,
                Some(id) => {
                    UserGrant::Allow(UserData::new(id.as_str()).with_user_info(json!({"name": id})))
                }
            })
        });
    Router::new()
        .merge(Router::from(auth).layer(DefaultBodyLimit::max(AUTH_BODY_LIMIT)))
        .route(
            "/webhooks",
            post(webhooks).layer(DefaultBodyLimit::max(WEBHOOK_BODY_LIMIT)),
        )
        .with_state(reference_pusher())
}

async fn webhooks(VerifiedWebhook(webhook): VerifiedWebhook) -> Json<Value> {
    Json(json!({"events": webhook.events.len()}))
}

#[tokio::test]
async fn axum_answers_every_shared_case() {
    let calls = Arc::new(AtomicUsize::new(0));
    let app = reference_app(Arc::clone(&calls));
    let mut failures = Vec::new();
    let all = cases();
    assert!(all.len() > 30, "the shared table shrank");
    for case in all {
        calls.store(0, Ordering::SeqCst);
        let mut request = axum::http::Request::post(case.path);
        for (name, value) in &case.headers {
            request = request.header(*name, value.as_slice());
        }
        let request = request
            .body(axum::body::Body::from(case.body.clone()))
            .unwrap();
        let answer = common::send(&app, request).await;
        if let Err(e) = case.check(answer.status.as_u16(), &answer.body) {
            failures.push(e);
        }
        if !case.reaches_resolver && calls.load(Ordering::SeqCst) > 0 {
            failures.push(format!("{}: the resolver was called", case.name));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}
