//! The shared adapter case table, run against a framework-free reference app built only from
//! `pusher_client`'s endpoint helpers. The axum and actix adapters run the same table
//! (`adapters.rs`); this run shows that the table and the core agree on their own.

use std::cell::Cell;

use pusher_client::{
    AuthReply, ChannelGrant, PresenceMember, Pusher, UserData, UserGrant, Webhook,
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
            let answer = block_on(pusher.channel_auth_endpoint(content_type, body, |request| {
                calls.set(calls.get() + 1);
                let failing = header(headers, "x-fail").is_some();
                async move {
                    if failing {
                        return Err(RESOLVER_ERROR);
                    }
                    Ok(channel_grant(user, &request.channel_name))
                }
            }));
            match answer {
                Ok(r) => reply(r),
                Err((status, text)) => (status, text.as_bytes().to_vec()),
            }
        }
        "/pusher/user-auth" => {
            let answer = block_on(
                pusher.user_auth_endpoint(content_type, body, |_| async move {
                    Ok::<_, std::convert::Infallible>(match user {
                        None => UserGrant::Deny,
                        Some(id) => UserGrant::Allow(
                            UserData::new(id)
                                .user_info(json!({"name": id}))
                                .expect("object"),
                        ),
                    })
                }),
            );
            match answer {
                Ok(r) => reply(r),
                Err(never) => match never {},
            }
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
