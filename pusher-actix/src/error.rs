//! [`PusherError`]: a [`pusher_client::Error`] as an actix-web error, so that handlers which
//! call Pusher can use `?`.

use actix_web::http::{StatusCode, header};
use actix_web::{HttpResponse, ResponseError};
use pusher_client::AuthReply;

/// A failed call to Pusher, as a handler's error: `?` converts a [`pusher_client::Error`] into
/// it, and its [`ResponseError`] answers with the status and JSON body of
/// [`Error::reply`](pusher_client::Error::reply) (400 for refused input, 502 when Pusher refused
/// or could not be reached, 504 on a timeout, 500 `{"error":"internal error"}` for this
/// server's faults), after logging the full error with `tracing`
/// ([`Error::reply_logged`](pusher_client::Error::reply_logged) says at which level). The body
/// never holds a secret or what Pusher answered.
///
/// (`ResponseError` cannot be implemented for `pusher_client::Error` itself outside its crate,
/// hence the newtype.)
///
/// ```
/// use actix_web::{web, App, HttpResponse};
/// use pusher_actix::{Pusher, PusherError};
///
/// async fn send(pusher: web::Data<Pusher>) -> Result<HttpResponse, PusherError> {
///     pusher.trigger("news", "posted", serde_json::json!({"title": "hello"})).await?;
///     Ok(HttpResponse::Accepted().finish())
/// }
///
/// # fn app(pusher: Pusher) {
/// App::new()
///     .app_data(web::Data::new(pusher))
///     .route("/messages", web::post().to(send));
/// # }
/// ```
// Display and source are the core error's (`transparent`): the log gets the whole message, the
// response only what `Error::reply` allows.
#[derive(Debug, thiserror::Error)]
#[error(transparent)]
pub struct PusherError(#[from] pub pusher_client::Error);

fn status_of(reply: &AuthReply) -> StatusCode {
    StatusCode::from_u16(reply.status()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR)
}

impl ResponseError for PusherError {
    /// The status of [`Error::reply`](pusher_client::Error::reply).
    fn status_code(&self) -> StatusCode {
        status_of(&self.0.reply())
    }

    /// Logs the error, then answers with its status and `{"error":".."}` as
    /// `application/json`.
    fn error_response(&self) -> HttpResponse {
        let reply = self.0.reply_logged();
        HttpResponse::build(status_of(&reply))
            .insert_header((
                header::CONTENT_TYPE,
                header::HeaderValue::from_static(AuthReply::CONTENT_TYPE),
            ))
            .body(reply.into_body())
    }
}
