//! The shared adapter case table (`pusher_tests::adapter_cases`), run against the reference app
//! built with this crate, so the actix and axum adapters answer every case the same way.
#![allow(clippy::unwrap_used)]

use std::cell::Cell;
use std::rc::Rc;

use actix_web::http::StatusCode;
use actix_web::test::{TestRequest, call_service, init_service, read_body};
use actix_web::{App, HttpRequest, HttpResponse, ResponseError, web};
use pusher_actix::{PusherAuth, VerifiedWebhook};
use pusher_client::{
    ChannelAuthRequest, ChannelGrant, PresenceMember, UserAuthRequest, UserData, UserGrant,
};
use pusher_tests::adapter_cases::{
    AUTH_BODY_LIMIT, RESOLVER_ERROR, WEBHOOK_BODY_LIMIT, cases, reference_pusher,
};
use serde_json::json;

/// The reference resolver's own error: 418 `teapot`.
#[derive(Debug)]
struct Teapot;

impl std::fmt::Display for Teapot {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(RESOLVER_ERROR.1)
    }
}

impl ResponseError for Teapot {
    fn error_response(&self) -> HttpResponse {
        HttpResponse::build(StatusCode::from_u16(RESOLVER_ERROR.0).unwrap()).body(RESOLVER_ERROR.1)
    }
}

fn user_id(req: &HttpRequest) -> Option<String> {
    req.headers()
        .get("x-user-id")
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned)
}

fn reference_routes(calls: Rc<Cell<usize>>) -> PusherAuth {
    PusherAuth::new()
        .channel(move |req: HttpRequest, auth: ChannelAuthRequest| {
            calls.set(calls.get() + 1);
            async move {
                if req.headers().contains_key("x-fail") {
                    return Err(Teapot);
                }
                Ok(match user_id(&req) {
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
        .user(|req: HttpRequest, _: UserAuthRequest| async move {
            Ok::<_, Teapot>(match user_id(&req) {
                None => UserGrant::Deny,
                Some(id) => {
                    UserGrant::Allow(UserData::new(id.as_str()).with_user_info(json!({"name": id})))
                }
            })
        })
}

async fn webhooks(VerifiedWebhook(webhook): VerifiedWebhook) -> HttpResponse {
    HttpResponse::Ok().json(json!({"events": webhook.events.len()}))
}

#[actix_web::test]
async fn actix_answers_every_shared_case() {
    let calls = Rc::new(Cell::new(0));
    let app = init_service(
        App::new()
            .app_data(web::Data::new(reference_pusher()))
            .app_data(web::PayloadConfig::new(AUTH_BODY_LIMIT))
            .service(reference_routes(Rc::clone(&calls)))
            .service(
                web::resource("/webhooks")
                    .app_data(web::PayloadConfig::new(WEBHOOK_BODY_LIMIT))
                    .route(web::post().to(webhooks)),
            ),
    )
    .await;
    let mut failures = Vec::new();
    let all = cases();
    assert!(all.len() > 30, "the shared table shrank");
    for case in all {
        calls.set(0);
        let mut req = TestRequest::post()
            .uri(case.path)
            .set_payload(case.body.clone());
        for (name, value) in &case.headers {
            req = req.insert_header((*name, value.as_slice()));
        }
        let response = call_service(&app, req.to_request()).await;
        let status = response.status().as_u16();
        let body = read_body(response).await;
        if let Err(e) = case.check(status, &body) {
            failures.push(e);
        }
        if !case.reaches_resolver && calls.get() > 0 {
            failures.push(format!("{}: the resolver was called", case.name));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}
