//! [`Resolver`]: the closures [`PusherAuth`](crate::PusherAuth) accepts, like axum handlers,
//! with any number of extractors from 0 to 8.

use std::future::Future;

use axum::response::IntoResponse;

/// An authorization closure (or `async fn`) for [`PusherAuth`](crate::PusherAuth): like an axum
/// handler, it takes 0 to 8 extractors, then the parsed `Request`
/// ([`ChannelAuthRequest`](crate::ChannelAuthRequest) or
/// [`UserAuthRequest`](crate::UserAuthRequest)), and returns a future of
/// `Result<Grant, R>` with `R: IntoResponse`.
///
/// It is implemented for every such `Fn`; `Args` is the tuple of its extractor types, inferred.
/// The extractors run in order, on the request's parts, and the first rejection is the response
/// (so a tuple of extractors as one argument, `|(a, b): (A, B), request: ..|`, works too).
/// Annotate each argument's type, as the closure is not passed where axum could infer it.
///
/// ```
/// use std::convert::Infallible;
///
/// use axum::{Router, extract::State, http::HeaderMap};
/// use pusher_axum::{ChannelAuthRequest, ChannelGrant, Pusher, PusherAuth};
///
/// // Two extractors, then the request: like an axum handler.
/// async fn channel(
///     headers: HeaderMap,
///     State(pusher): State<Pusher>,
///     request: ChannelAuthRequest,
/// ) -> Result<ChannelGrant, Infallible> {
///     let _ = pusher.key();
///     Ok(if headers.contains_key("x-user-id") { ChannelGrant::Allow } else { ChannelGrant::Deny })
/// }
///
/// // None at all.
/// let deny_all = |_: ChannelAuthRequest| async { Ok::<_, Infallible>(ChannelGrant::Deny) };
///
/// let pusher = Pusher::builder("123456", "app-key", "app-secret").build()?;
/// let app: Router = Router::new()
///     .merge(PusherAuth::new().channel(channel))
///     .merge(PusherAuth::new().channel(deny_all).channel_path("/closed/auth"))
///     .with_state(pusher);
/// # Ok::<(), pusher_axum::pusher_client::Error>(())
/// ```
#[diagnostic::on_unimplemented(
    message = "`{Self}` is not an authorization closure taking `{Request}`",
    label = "expected `Fn(extractor, .., {Request}) -> impl Future<Output = Result<grant, impl IntoResponse>>`",
    note = "take 0 to 8 extractors (`FromRequestParts`; `Clone` for channel authorization), then the `{Request}`, and annotate each argument's type"
)]
pub trait Resolver<Args, Request>: Send + Sync + 'static {
    /// What the closure grants: [`ChannelGrant`](crate::ChannelGrant) or
    /// [`UserGrant`](crate::UserGrant).
    type Grant;
    /// The closure's own error, which becomes the response as it is.
    type Error: IntoResponse + 'static;
    /// The closure's future.
    type Future: Future<Output = Result<Self::Grant, Self::Error>> + Send + 'static;

    /// Calls the closure with the extracted values and the request.
    ///
    /// ```
    /// use std::convert::Infallible;
    ///
    /// use pusher_axum::{Resolver, UserAuthRequest, UserData, UserGrant};
    ///
    /// let resolve = |id: String, _: UserAuthRequest| async move {
    ///     Ok::<_, Infallible>(UserGrant::Allow(UserData::new(id)))
    /// };
    /// // `Resolver::resolve` is what the routes call; the closure itself is simpler to call.
    /// fn is_resolver<F: Resolver<(String,), UserAuthRequest>>(_: &F) {}
    /// is_resolver(&resolve);
    /// ```
    fn resolve(&self, extracted: Args, request: Request) -> Self::Future;
}

macro_rules! resolver {
    ($($ty:ident $value:ident),*) => {
        impl<F, Fut, G, R, Req, $($ty,)*> Resolver<($($ty,)*), Req> for F
        where
            F: Fn($($ty,)* Req) -> Fut + Send + Sync + 'static,
            Fut: Future<Output = Result<G, R>> + Send + 'static,
            R: IntoResponse + 'static,
        {
            type Grant = G;
            type Error = R;
            type Future = Fut;

            fn resolve(&self, ($($value,)*): ($($ty,)*), request: Req) -> Fut {
                self($($value,)* request)
            }
        }
    };
}

resolver!();
resolver!(E1 e1);
resolver!(E1 e1, E2 e2);
resolver!(E1 e1, E2 e2, E3 e3);
resolver!(E1 e1, E2 e2, E3 e3, E4 e4);
resolver!(E1 e1, E2 e2, E3 e3, E4 e4, E5 e5);
resolver!(E1 e1, E2 e2, E3 e3, E4 e4, E5 e5, E6 e6);
resolver!(E1 e1, E2 e2, E3 e3, E4 e4, E5 e5, E6 e6, E7 e7);
resolver!(E1 e1, E2 e2, E3 e3, E4 e4, E5 e5, E6 e6, E7 e7, E8 e8);
