//! The shared adapter case table, run against a framework-free reference app built only from
//! `pusher_client`'s endpoint helpers. The axum and actix adapters run the same table
//! (`adapters.rs`); this run shows that the table and the core agree on their own.

use std::cell::Cell;

use pusher_client::{
    AuthEndpoint, AuthReply, ChannelAuthRequest, ChannelGrant, PresenceMember, Pusher, UserData,
    UserGrant, Webhook,
};
use pusher_tests::adapter_cases::{
    AUTH_BODY_LIMIT, RESOLVER_ERROR, WEBHOOK_BODY_LIMIT, cases, reference_pusher,
};
use serde_json::json;

type Headers = [(&'static str, Vec<u8>)];

/// A header's raw bytes (the last one of that name wins, as a header map's `insert` does).
fn raw<'a>(headers: &'a Headers, name: &str) -> Option<&'a [u8]> {
    headers
        .iter()
        .rev()
        .find(|(n, _)| n.eq_ignore_ascii_case(name))
        .map(|(_, v)| v.as_slice())
}

/// A header as text, `Err` when it is present but not visible ASCII (the `http` crate's rule,
/// which both adapters apply to the headers they read as text).
fn text<'a>(headers: &'a Headers, name: &str) -> Result<Option<&'a str>, ()> {
    match raw(headers, name) {
        None => Ok(None),
        Some(value)
            if value
                .iter()
                .all(|&b| b == b'\t' || (0x20..0x7f).contains(&b)) =>
        {
            std::str::from_utf8(value).map(Some).map_err(|_| ())
        }
        Some(_) => Err(()),
    }
}

fn header<'a>(headers: &'a Headers, name: &str) -> Option<&'a str> {
    text(headers, name).ok().flatten()
}

/// Over the limit: by its announced `Content-Length` (checked first, as both adapters do) or by
/// its actual length.
fn over(headers: &Headers, body: &[u8], limit: usize) -> bool {
    let announced = header(headers, "content-length").and_then(|v| v.parse::<usize>().ok());
    announced.is_some_and(|n| n > limit) || body.len() > limit
}

/// The reference resolver, as every adapter's test app implements it.
fn channel_grant(user: Option<&str>, channel: &str) -> ChannelGrant {
    match user {
        None => ChannelGrant::Deny,
        Some(_) if channel.starts_with("private-forbidden") => ChannelGrant::Deny,
        Some(id) if channel.starts_with("presence-") => {
            ChannelGrant::Presence(PresenceMember::new(id).with_user_info(json!({"name": id})))
        }
        Some(_) => ChannelGrant::Allow,
    }
}

fn serve(
    pusher: &Pusher,
    path: &str,
    headers: &Headers,
    body: &[u8],
    calls: &Cell<usize>,
) -> (u16, Vec<u8>) {
    let user = header(headers, "x-user-id");
    let reply = |r: AuthReply| (r.status(), r.into_body().into_bytes());
    if path.starts_with("/pusher/") && over(headers, body, AUTH_BODY_LIMIT) {
        return reply(AuthReply::payload_too_large());
    }
    let content_type = match AuthReply::check_content_type(raw(headers, "content-type")) {
        Ok(content_type) => content_type,
        Err(refused) if path.starts_with("/pusher/") => return reply(refused),
        Err(_) => None,
    };
    match path {
        "/pusher/auth" => {
            let endpoint = AuthEndpoint::new(pusher.clone());
            let content_type = content_type.map(str::as_bytes);
            let answer = block_on(endpoint.channel(content_type, body, || async {
                Ok(|request: ChannelAuthRequest| {
                    calls.set(calls.get() + 1);
                    let failing = header(headers, "x-fail").is_some();
                    async move {
                        if failing {
                            return Err(RESOLVER_ERROR);
                        }
                        Ok(channel_grant(user, &request.channel_name))
                    }
                })
            }));
            match answer {
                Ok(r) => reply(r),
                Err((status, text)) => (status, text.as_bytes().to_vec()),
            }
        }
        "/pusher/user-auth" => {
            let answer = block_on(AuthEndpoint::new(pusher.clone()).user(
                content_type.map(str::as_bytes),
                body,
                |_| async move {
                    Ok::<_, std::convert::Infallible>(match user {
                        None => UserGrant::Deny,
                        Some(id) => {
                            UserGrant::Allow(UserData::new(id).with_user_info(json!({"name": id})))
                        }
                    })
                },
            ));
            match answer {
                Ok(r) => reply(r),
                Err(never) => match never {},
            }
        }
        "/webhooks" => {
            // The headers first (refused before the body is read), then the body limit.
            let mut values = Vec::new();
            for name in ["X-Pusher-Key", "X-Pusher-Signature"] {
                match text(headers, name) {
                    Ok(value) => values.push(value),
                    Err(()) => {
                        return reply(AuthReply::error(401, &format!("invalid {name} header")));
                    }
                }
            }
            if let Err(e) = pusher.check_webhook_headers(values[0], values[1]) {
                return reply(AuthReply::error(e.status(), e.client_message()));
            }
            if over(headers, body, WEBHOOK_BODY_LIMIT) {
                return reply(AuthReply::error(413, "body too large"));
            }
            match pusher.verify_webhook(values[0], values[1], body) {
                Ok(Webhook { events, .. }) => (
                    200,
                    json!({"events": events.len()}).to_string().into_bytes(),
                ),
                Err(e) => reply(AuthReply::error(e.status(), e.client_message())),
            }
        }
        other => panic!("no route {other}"),
    }
}

/// The endpoint futures never wait on I/O here, so a current-thread runtime runs them to the end.
fn block_on<F: std::future::Future>(future: F) -> F::Output {
    tokio::runtime::Builder::new_current_thread()
        .build()
        .expect("runtime")
        .block_on(future)
}

#[test]
fn the_core_answers_every_shared_case() {
    let pusher = reference_pusher();
    let mut failures = Vec::new();
    for case in cases() {
        let calls = Cell::new(0);
        let (status, body) = serve(&pusher, case.path, &case.headers, &case.body, &calls);
        if let Err(e) = case.check(status, &body) {
            failures.push(e);
        }
        if !case.reaches_resolver && calls.get() > 0 {
            failures.push(format!("{}: the resolver was called", case.name));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}
