//! An actix-web app's own tests, written with `pusher-testing` as a user of the crates would
//! write them: a handler that triggers, asserted through the fake Pusher; the webhook route
//! exercised with a signed request; the auth routes exercised with what pusher-js posts.
//!
//! actix-web has its own `http` types, so the kit's `http::Request` values are copied into a
//! `TestRequest` (method, URI, headers, body): see [`to_actix`].

use std::sync::Mutex;

use actix_web::http::StatusCode;
use actix_web::{App, HttpRequest, HttpResponse, test, web};
use bytes::Bytes;
use pusher_actix::{
    ChannelAuthRequest, ChannelGrant, PresenceMember, Pusher, PusherAuth, PusherError,
    UserAuthRequest, UserData, UserGrant, VerifiedWebhook, WebhookEvent,
};
use pusher_testing::{AuthRequest, Failure, FakePusher};
use serde_json::{Value, json};

// ---- the app under test (in a real project: your crate's `configure`) ----

#[derive(Default)]
struct Occupied(Mutex<Vec<String>>);

async fn place_order(
    pusher: web::Data<Pusher>,
    order: web::Json<Value>,
) -> Result<HttpResponse, PusherError> {
    let mut trigger = pusher.trigger(
        "orders",
        "created",
        json!({"id": order["id"], "total": order["total"]}),
    );
    if let Some(socket_id) = order["socket_id"].as_str() {
        trigger = trigger.exclude(socket_id);
    }
    trigger.await?;
    Ok(HttpResponse::Accepted().finish())
}

async fn webhooks(
    occupied: web::Data<Occupied>,
    VerifiedWebhook(webhook): VerifiedWebhook,
) -> HttpResponse {
    for event in webhook.events {
        if let WebhookEvent::ChannelOccupied { channel } = event {
            occupied.0.lock().expect("lock").push(channel);
        }
    }
    HttpResponse::Ok().finish()
}

fn signed_in(req: &HttpRequest) -> Option<String> {
    let user = req.headers().get("x-user")?.to_str().ok()?;
    Some(user.to_owned())
}

async fn authorize(
    req: HttpRequest,
    request: ChannelAuthRequest,
) -> actix_web::Result<ChannelGrant> {
    let Some(user) = signed_in(&req) else {
        return Ok(ChannelGrant::Deny);
    };
    Ok(if request.channel_name.starts_with("presence-") {
        ChannelGrant::Presence(PresenceMember::new(user.as_str()))
    } else if request.channel_name == format!("private-user-{user}") {
        ChannelGrant::Allow
    } else {
        ChannelGrant::Deny
    })
}

async fn authenticate(req: HttpRequest, _: UserAuthRequest) -> actix_web::Result<UserGrant> {
    Ok(match signed_in(&req) {
        Some(user) => UserGrant::Allow(UserData::new(user)),
        None => UserGrant::Deny,
    })
}

fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/orders", web::post().to(place_order))
        .route("/webhooks", web::post().to(webhooks))
        .service(PusherAuth::new().channel(authorize).user(authenticate));
}

// ---- the tests ----

/// A request from the test kit as actix-web's `TestRequest`.
fn to_actix(request: http::Request<Bytes>) -> test::TestRequest {
    let (parts, body) = request.into_parts();
    let method = actix_web::http::Method::from_bytes(parts.method.as_str().as_bytes())
        .expect("a valid method");
    let mut test = test::TestRequest::default()
        .method(method)
        .uri(&parts.uri.to_string());
    for (name, value) in &parts.headers {
        test = test.insert_header((name.as_str(), value.as_bytes()));
    }
    test.set_payload(body)
}

macro_rules! app {
    ($fake:expr, $occupied:expr) => {
        test::init_service(
            App::new()
                .app_data(web::Data::new($fake.client()))
                .app_data($occupied.clone())
                .configure(configure),
        )
        .await
    };
}

/// Sends a request to the app: its status and JSON body (`Null` if none).
macro_rules! send {
    ($app:expr, $request:expr) => {{
        let response = test::call_service(&$app, to_actix($request).to_request()).await;
        let status = response.status();
        let body = test::read_body(response).await;
        (
            status,
            serde_json::from_slice::<Value>(&body).unwrap_or(Value::Null),
        )
    }};
}

fn post_json(path: &str, body: Value) -> http::Request<Bytes> {
    http::Request::post(path)
        .header("content-type", "application/json")
        .body(Bytes::from(body.to_string()))
        .expect("request")
}

#[actix_web::test]
async fn placing_an_order_triggers_orders_created() {
    let fake = FakePusher::start().await;
    let occupied = web::Data::new(Occupied::default());
    let app = app!(fake, occupied);

    let order = json!({"id": 7, "total": 12, "socket_id": "123.456"});
    let (status, _) = send!(app, post_json("/orders", order));

    assert_eq!(status, StatusCode::ACCEPTED);
    fake.expect_trigger()
        .channel("orders")
        .event("created")
        .data_json(json!({"id": 7, "total": 12}))
        .excluding("123.456")
        .assert();
    fake.assert_no_rejections();
}

#[actix_web::test]
async fn when_the_app_is_over_quota_the_handler_answers_502() {
    let fake = FakePusher::in_memory();
    fake.fail_next(Failure::status(403).body("App is over quota"));
    let occupied = web::Data::new(Occupied::default());
    let app = app!(fake, occupied);

    let (status, _) = send!(app, post_json("/orders", json!({"id": 8})));

    assert_eq!(status, StatusCode::BAD_GATEWAY);
    assert!(fake.triggers().is_empty());
}

#[actix_web::test]
async fn the_webhook_route_takes_signed_webhooks_and_refuses_forged_ones() {
    let fake = FakePusher::in_memory();
    let occupied = web::Data::new(Occupied::default());
    let app = app!(fake, occupied);

    let (status, _) = send!(app, fake.webhook().channel_occupied("orders").build());
    assert_eq!(status, StatusCode::OK);
    let forged = fake
        .webhook()
        .channel_occupied("admin")
        .bad_signature()
        .build();
    let (status, _) = send!(app, forged);
    assert_eq!(status, StatusCode::UNAUTHORIZED);

    assert_eq!(*occupied.0.lock().expect("lock"), ["orders"]);
}

#[actix_web::test]
async fn the_auth_routes_answer_pusher_js() {
    let fake = FakePusher::in_memory();
    let occupied = web::Data::new(Occupied::default());
    let app = app!(fake, occupied);

    for request in [
        AuthRequest::channel("1234.5678", "private-user-ada").header("x-user", "ada"),
        AuthRequest::channel("1234.5678", "private-user-ada")
            .header("x-user", "ada")
            .json(),
    ] {
        let (status, body) = send!(app, request.build());
        assert_eq!(status, StatusCode::OK);
        let auth = body["auth"].as_str().unwrap_or_default();
        assert!(auth.starts_with(&format!("{}:", fake.key())), "{body}");
    }

    let denied = AuthRequest::channel("1.2", "private-user-bob").header("x-user", "ada");
    assert_eq!(send!(app, denied.build()).0, StatusCode::FORBIDDEN);

    let batch =
        AuthRequest::batch("1.2", ["private-user-ada", "presence-lobby"]).header("x-user", "ada");
    let (status, body) = send!(app, batch.build());
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body["private-user-ada"]["status"], 200, "{body}");

    let user = AuthRequest::user("1.2").header("x-user", "ada");
    let (status, body) = send!(app, user.build());
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body["user_data"], r#"{"id":"ada"}"#);
}
