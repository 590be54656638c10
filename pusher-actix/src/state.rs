//! Finding the shared [`Pusher`] in the app data.

use actix_web::{HttpRequest, web};
use pusher_client::Pusher;

/// The client registered as `web::Data<Pusher>`, `web::ThinData<Pusher>` or a bare `Pusher`
/// (looked up in that order, nearest scope first as actix does), or `None` after logging at
/// error level (a server misconfiguration) how to register it.
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
        tracing::error!(
            route = req.match_pattern().as_deref().unwrap_or("(unmatched)"),
            "no Pusher client in the app data: register it with \
             `App::new().app_data(web::Data::new(pusher))` \
             (or `.app_data(web::ThinData(pusher))`)"
        );
    }
    found
}
