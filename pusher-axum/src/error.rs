//! [`PusherError`]: a [`pusher_client::Error`] as an axum response, so that handlers which call
//! Pusher can use `?`.

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use pusher_client::AuthReply;

/// A failed call to Pusher, as a handler's error: `?` converts a [`pusher_client::Error`] into
/// it, and it answers with the status and JSON body of
/// [`Error::reply`](pusher_client::Error::reply) (400 for refused input, 502 when Pusher refused
/// or could not be reached, 504 on a timeout, 500 `{"error":"internal error"}` for this
/// server's faults), after logging the full error with `tracing`
/// ([`Error::reply_logged`](pusher_client::Error::reply_logged) says at which level). The body
/// never holds a secret or what Pusher answered.
///
/// (`IntoResponse` cannot be implemented for `pusher_client::Error` itself outside its crate,
/// hence the newtype.)
///
/// ```
/// use axum::{Json, Router, extract::State, http::StatusCode, routing::post};
/// use pusher_axum::{Pusher, PusherError};
/// use serde_json::{Value, json};
///
/// async fn send(
///     State(pusher): State<Pusher>,
///     Json(message): Json<Value>,
/// ) -> Result<StatusCode, PusherError> {
///     pusher.trigger("chat", "message", json!({"text": message["text"]})).await?;
///     Ok(StatusCode::ACCEPTED)
/// }
///
/// let pusher = Pusher::builder("123456", "app-key", "app-secret").build()?;
/// let app: Router = Router::new().route("/messages", post(send)).with_state(pusher);
/// # Ok::<(), pusher_axum::Error>(())
/// ```
// Display and source are the core error's (`transparent`): the log gets the whole message, the
// response only what `Error::reply` allows.
#[derive(Debug, thiserror::Error)]
#[error(transparent)]
pub struct PusherError(#[from] pub pusher_client::Error);

impl PusherError {
    /// The status the response will have.
    ///
    /// ```
    /// use pusher_axum::{Error, PusherError, pusher_client::ValidationError};
    ///
    /// let error = PusherError::from(Error::Validation(ValidationError::EmptyEventName));
    /// assert_eq!(error.status(), axum::http::StatusCode::BAD_REQUEST);
    /// ```
    pub fn status(&self) -> StatusCode {
        status_of(&self.0.reply())
    }
}

fn status_of(reply: &AuthReply) -> StatusCode {
    StatusCode::from_u16(reply.status()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR)
}

impl IntoResponse for PusherError {
    /// Logs the error, then answers with its status and `{"error":".."}` as
    /// `application/json`.
    fn into_response(self) -> Response {
        let reply = self.0.reply_logged();
        (
            status_of(&reply),
            [(
                header::CONTENT_TYPE,
                HeaderValue::from_static(AuthReply::CONTENT_TYPE),
            )],
            reply.into_body(),
        )
            .into_response()
    }
}
