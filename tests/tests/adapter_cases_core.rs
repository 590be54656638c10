//! The shared adapter case table, run against a framework-free reference app built only from
//! `pusher_client`'s endpoint helpers. The axum and actix adapters run the same table
//! (`adapters.rs`); this run shows that the table and the core agree on their own.

use std::cell::Cell;

use pusher_client::{
    AuthReply, ChannelAuthBody, ChannelGrant, PresenceMember, Pusher, UserAuthRequest, UserData,
    UserGrant, Webhook,
};
use pusher_tests::adapter_cases::{RESOLVER_ERROR, WEBHOOK_BODY_LIMIT, cases, reference_pusher};
use serde_json::json;

fn header<'a>(headers: &'a [(&'static str, String)], name: &str) -> Option<&'a str> {
    headers
        .iter()
        .find(|(n, _)| n.eq_ignore_ascii_case(name))
        .map(|(_, v)| v.as_str())
}

/// The reference resolver, as every adapter's test app implements it.
fn channel_grant(user: Option<&str>, channel: &str) -> ChannelGrant {
    match user {
        None => ChannelGrant::Deny,
        Some(_) if channel.starts_with("private-forbidden") => ChannelGrant::Deny,
        Some(id) if channel.starts_with("presence-") => ChannelGrant::Presence(
            PresenceMember::new(id)
                .user_info(json!({"name": id}))
                .expect("object"),
        ),
        Some(_) => ChannelGrant::Allow,
    }
}

fn serve(
    pusher: &Pusher,
    path: &str,
    headers: &[(&'static str, String)],
    body: &[u8],
    calls: &Cell<usize>,
) -> (u16, Vec<u8>) {
    let content_type = header(headers, "content-type");
    let user = header(headers, "x-user-id");
    let reply = |r: AuthReply| (r.status(), r.into_body().into_bytes());
    match path {
        "/pusher/auth" => {
            let parsed = match ChannelAuthBody::parse(content_type, body) {
                Ok(parsed) => parsed,
                Err(r) => return reply(r),
            };
            let mut decisions = Vec::new();
            for request in parsed.requests() {
                if let Err(e) = pusher.check_channel_auth(&request) {
                    if !parsed.batch {
                        return reply(AuthReply::error(400, &e.to_string()));
                    }
                    decisions.push((request, ChannelGrant::Deny));
                    continue;
                }
                calls.set(calls.get() + 1);
                if header(headers, "x-fail").is_some() {
                    return (RESOLVER_ERROR.0, RESOLVER_ERROR.1.as_bytes().to_vec());
                }
                let grant = channel_grant(user, &request.channel_name);
                decisions.push((request, grant));
            }
            if parsed.batch {
                reply(pusher.batch_auth_reply(decisions))
            } else {
                let (request, grant) = decisions.remove(0);
                reply(pusher.channel_auth_reply(&request, grant))
            }
        }
        "/pusher/user-auth" => {
            let request = match UserAuthRequest::parse(content_type, body) {
                Ok(request) => request,
                Err(r) => return reply(r),
            };
            let grant = match user {
                None => UserGrant::Deny,
                Some(id) => UserGrant::Allow(
                    UserData::new(id)
                        .user_info(json!({"name": id}))
                        .expect("object"),
                ),
            };
            reply(pusher.user_auth_reply(&request, grant))
        }
        "/webhooks" => {
            if body.len() > WEBHOOK_BODY_LIMIT {
                return (413, Vec::new());
            }
            match pusher.verify_webhook(
                header(headers, "x-pusher-key"),
                header(headers, "x-pusher-signature"),
                body,
            ) {
                Ok(Webhook { events, .. }) => (
                    200,
                    json!({"events": events.len()}).to_string().into_bytes(),
                ),
                Err(e) => (e.status(), e.to_string().into_bytes()),
            }
        }
        other => panic!("no route {other}"),
    }
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
