//! Finding the shared [`Pusher`] in the app data.

use std::sync::atomic::{AtomicBool, Ordering};

use actix_web::{HttpRequest, web};
use pusher_client::Pusher;

/// The client registered as `web::Data<Pusher>`, `web::ThinData<Pusher>` or a bare `Pusher`
/// (looked up in that order, nearest scope first as actix does), or `None` after logging at
/// error level (a server misconfiguration, once per process) how to register it.
pub(crate) fn find_pusher(req: &HttpRequest) -> Option<Pusher> {
    let found = req
        .app_data::<web::Data<Pusher>>()
        .map(|data| data.get_ref().clone())
        .or_else(|| {
            req.app_data::<web::ThinData<Pusher>>()
                .map(|data| data.0.clone())
        })
        .or_else(|| req.app_data::<Pusher>().cloned());
    if found.is_none() {
        log_missing_client(req);
    }
    found
}

/// Set once the missing client has been logged at `error`.
static MISSING_CLIENT_LOGGED: AtomicBool = AtomicBool::new(false);

/// Logs a request that found no client: at `error`, with the fix, the first time in the
/// process (a misconfigured server would otherwise repeat it on every request), and at `debug`
/// afterwards.
fn log_missing_client(req: &HttpRequest) {
    let route = req.match_pattern();
    let route = route.as_deref().unwrap_or("(unmatched)");
    if MISSING_CLIENT_LOGGED.swap(true, Ordering::Relaxed) {
        tracing::debug!(
            route,
            "no Pusher client in the app data (logged at error once)"
        );
    } else {
        tracing::error!(
            route,
            "no Pusher client in the app data: register it with \
             `App::new().app_data(web::Data::new(pusher))` \
             (or `.app_data(web::ThinData(pusher))`); every request needing it answers 500 until \
             then (this is logged at error once per process)"
        );
    }
}
