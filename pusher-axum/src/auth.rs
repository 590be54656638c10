//! Ready-made pusher-js authorization routes: [`PusherAuth`].

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;

use axum::Router;
use axum::body::Bytes;
use axum::extract::{FromRequestParts, Request, State};
use axum::http::request::Parts;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{MethodRouter, post};
use pusher_client::{
    AuthEndpoint, AuthReply, ChannelAuthRequest, ChannelGrant, DEFAULT_CHANNEL_AUTH_PATH,
    DEFAULT_USER_AUTH_PATH, Pusher, UserAuthRequest, UserGrant,
};

use crate::body::BodyError;
use crate::resolver::Resolver;
use crate::state::PusherState;

type BoxFuture<T> = Pin<Box<dyn Future<Output = T> + Send>>;

/// One mounted endpoint with the app's closure and extractor types erased: the whole answer to
/// one HTTP request. Erasing the endpoint rather than each `decide` call costs one boxed future
/// per request, and the extractor needs no shared (`Arc`/`Mutex`) slot.
/// The router's [`Pusher`] is found in the state with [`PusherState`], whose marker is known
/// where the closure is set.
type Endpoint<S> = Arc<dyn Fn(Request, S) -> BoxFuture<Response> + Send + Sync>;

/// Erases an endpoint's types (see [`Endpoint`]).
fn erase<S, Fut>(endpoint: impl Fn(Request, S) -> Fut + Send + Sync + 'static) -> Endpoint<S>
where
    Fut: Future<Output = Response> + Send + 'static,
{
    Arc::new(move |request, state| Box::pin(endpoint(request, state)))
}

/// An endpoint as a `POST` route.
fn post_route<S>(endpoint: Endpoint<S>) -> MethodRouter<S>
where
    S: Clone + Send + Sync + 'static,
{
    post(move |State(state): State<S>, request: Request| endpoint(request, state))
}

/// The pusher-js authorization endpoints, ready to [`merge`](Router::merge) into your router.
///
/// You supply who may do what, as closures; the routes do the rest with the [`Pusher`] in the
/// router's state:
///
/// - [`channel`](Self::channel) mounts `POST /pusher/auth` (channel authorization), including
///   the batched requests of the pusher-js-auth plugin;
/// - [`user`](Self::user) mounts `POST /pusher/user-auth` (user authentication, pusher-js
///   `signin()`);
/// - [`channel_path`](Self::channel_path) and [`user_path`](Self::user_path) move them.
///
/// A route whose closure is not set is not mounted (so it answers 404, or whatever your
/// fallback does). The library never calls `with_state`: the routes are a `Router<S>` for your
/// state `S`, which must hold a [`Pusher`] ([`PusherState`]): `.with_state(pusher)`, an app
/// state with `#[derive(FromRef)]`, or an `Arc` of that app state.
///
/// # The closures
///
/// A closure (or `async fn`) has the shape of an axum handler ([`Resolver`]):
/// `Fn(E1, E2, .., ChannelAuthRequest) -> impl Future<Output = Result<ChannelGrant, R>>` (and
/// `Fn(E1, .., UserAuthRequest) -> … Result<UserGrant, R>` for users), where
///
/// - `E1`, `E2`, … are 0 to 8 extractors that work on request parts — `State<Db>`,
///   `HeaderMap`, `axum_extra::extract::CookieJar`, a session, your own `CurrentUser` — (or one
///   tuple of them). They run in order; if one fails, its rejection is the response. Annotate
///   each argument's type. For channels they must be `Clone`: they are extracted
///   once per HTTP request — in the `begin` step of the core's [`AuthEndpoint::channel`] —
///   and cloned for each channel of a batch (and not extracted at all when no channel is
///   well-formed). `pusher-actix` differs here, and says why: its extractors need not be
///   `Clone`, so it extracts afresh for each channel it decides;
/// - `R` is the closure's own error type, which becomes the response as it is
///   ([`IntoResponse`]); use [`Infallible`](std::convert::Infallible) if there is none.
///
/// The closure only sees well-formed requests: the socket id and channel name are checked first
/// ([`AuthEndpoint::check_channel`]) and a public channel is refused, without calling it (nor
/// running the extractors). The routes are the core's [`AuthEndpoint::channel`] and
/// [`AuthEndpoint::user`]; this crate only reads the body, runs the extractors and turns the answers into
/// responses.
///
/// # Answers
///
/// | Case | Status | Body |
/// |---|---|---|
/// | Private channel, [`ChannelGrant::Allow`] | 200 | `{"auth":".."}` |
/// | Encrypted channel, [`ChannelGrant::Allow`] | 200 | `{"auth":"..","shared_secret":".."}` |
/// | Presence channel, [`ChannelGrant::Presence`] | 200 | `{"auth":"..","channel_data":".."}` |
/// | User, [`UserGrant::Allow`] | 200 | `{"auth":"..","user_data":".."}` |
/// | [`ChannelGrant::Deny`], [`UserGrant::Deny`] | 403 | `{"error":"forbidden"}` |
/// | Malformed body, socket id or channel name; public channel; a type other than form or JSON | 400 | `{"error":".."}` |
/// | A `Content-Type` header that is not visible ASCII text (e.g. a non-ASCII parameter) | 400 | `{"error":"the Content-Type header is invalid: it is not visible ASCII text"}` |
/// | User auth: the granted user id cannot be reached (see [`ValidationError::UserIdInvalidChar`](pusher_client::ValidationError::UserIdInvalidChar)) | 400 | `{"error":".."}` naming the character |
/// | Body over the app's [`DefaultBodyLimit`](axum::extract::DefaultBodyLimit), or a `Content-Length` announcing more (answered at once, without waiting for the body) | 413 | `{"error":"the request body is larger than this server accepts"}` |
/// | The body could not be read (e.g. the connection broke) | 400 | `{"error":"the request body could not be read"}` |
/// | A grant that does not fit the channel (a presence channel without a member), no master key for an encrypted channel | 500 | `{"error":".."}` |
/// | Batch (`channel_name[0]`, `channel_name[1]`, … or a JSON array) | 200 | `{"<channel>":{"status":200,"data":{..}},"<denied>":{"status":403}}` |
/// | An extractor's rejection, the closure's error | yours | yours |
///
/// Bodies are pusher-js's form-urlencoded (also assumed without a `Content-Type`) or JSON;
/// unknown fields are ignored. In a batch the closure is called once per well-formed channel, in
/// order; if it returns an error, that error is the answer to the whole request.
///
/// # Example
///
/// Users identified by an `x-user-id` header (set by your authentication proxy); a cookie works
/// the same way with `axum_extra::extract::CookieJar` as the extractor:
///
/// ```
/// use std::convert::Infallible;
///
/// use axum::{Router, http::HeaderMap};
/// use pusher_axum::{
///     ChannelAuthRequest, ChannelGrant, PresenceMember, Pusher, PusherAuth, UserAuthRequest,
///     UserData, UserGrant,
/// };
/// use serde_json::json;
///
/// fn user_id(headers: &HeaderMap) -> Option<String> {
///     headers.get("x-user-id")?.to_str().ok().map(str::to_owned)
/// }
///
/// async fn channel(headers: HeaderMap, request: ChannelAuthRequest) -> Result<ChannelGrant, Infallible> {
///     let Some(id) = user_id(&headers) else {
///         return Ok(ChannelGrant::Deny);
///     };
///     Ok(if request.channel_name.starts_with("presence-") {
///         let member = PresenceMember::new(id.as_str())
///             .with_user_info(json!({"name": id}));
///         ChannelGrant::Presence(member)
///     } else {
///         ChannelGrant::Allow
///     })
/// }
///
/// async fn user(headers: HeaderMap, _request: UserAuthRequest) -> Result<UserGrant, Infallible> {
///     Ok(match user_id(&headers) {
///         Some(id) => UserGrant::Allow(UserData::new(id)),
///         None => UserGrant::Deny,
///     })
/// }
///
/// let pusher = Pusher::builder("123456", "app-key", "app-secret").build()?;
/// let app: Router = Router::new()
///     .merge(PusherAuth::new().channel(channel).user(user))
///     .with_state(pusher);
/// # Ok::<(), pusher_axum::pusher_client::Error>(())
/// ```
pub struct PusherAuth<S> {
    channel: Option<Endpoint<S>>,
    user: Option<Endpoint<S>>,
    channel_path: String,
    user_path: String,
}

impl<S> Clone for PusherAuth<S> {
    fn clone(&self) -> Self {
        PusherAuth {
            channel: self.channel.clone(),
            user: self.user.clone(),
            channel_path: self.channel_path.clone(),
            user_path: self.user_path.clone(),
        }
    }
}

impl<S> fmt::Debug for PusherAuth<S> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PusherAuth")
            .field("channel_path", &self.channel_path)
            .field("channel", &self.channel.as_ref().map(|_| "<closure>"))
            .field("user_path", &self.user_path)
            .field("user", &self.user.as_ref().map(|_| "<closure>"))
            .finish()
    }
}

impl<S> Default for PusherAuth<S> {
    fn default() -> Self {
        PusherAuth {
            channel: None,
            user: None,
            channel_path: DEFAULT_CHANNEL_AUTH_PATH.to_owned(),
            user_path: DEFAULT_USER_AUTH_PATH.to_owned(),
        }
    }
}

impl<S> PusherAuth<S>
where
    S: Clone + Send + Sync + 'static,
{
    /// No routes yet, at the default paths ([`DEFAULT_CHANNEL_AUTH_PATH`],
    /// [`DEFAULT_USER_AUTH_PATH`]).
    ///
    /// ```
    /// use axum::Router;
    /// use pusher_axum::{Pusher, PusherAuth};
    ///
    /// // Nothing set: nothing mounted.
    /// let empty: Router<Pusher> = PusherAuth::new().into_router();
    /// ```
    pub fn new() -> Self {
        Self::default()
    }

    /// Sets who may subscribe to which private, encrypted and presence channels, and mounts the
    /// channel authorization route.
    ///
    /// `resolve` receives its extractors (see [the closures](Self#the-closures)) and one
    /// checked [`ChannelAuthRequest`], and returns a [`ChannelGrant`]: `Allow` for a private or
    /// encrypted channel, `Presence(member)` for a presence channel, `Deny` to refuse (403).
    ///
    /// Two extractors — a header and the app's database, through `State` — then the request,
    /// as an axum handler takes them:
    ///
    /// ```
    /// use std::convert::Infallible;
    ///
    /// use axum::extract::{FromRef, State};
    /// use axum::http::HeaderMap;
    /// use axum::Router;
    /// use pusher_axum::{ChannelAuthRequest, ChannelGrant, Pusher, PusherAuth};
    ///
    /// #[derive(Clone)]
    /// struct Rooms; // your database
    /// impl Rooms {
    ///     async fn may_join(&self, _user: &str, _channel: &str) -> bool { true }
    /// }
    ///
    /// #[derive(Clone, FromRef)]
    /// struct AppState {
    ///     pusher: Pusher,
    ///     rooms: Rooms,
    /// }
    ///
    /// let auth = PusherAuth::<AppState>::new().channel(
    ///     |headers: HeaderMap, State(rooms): State<Rooms>, request: ChannelAuthRequest| async move {
    ///         let Some(user) = headers.get("x-user-id").and_then(|v| v.to_str().ok()) else {
    ///             return Ok::<_, Infallible>(ChannelGrant::Deny);
    ///         };
    ///         Ok(if rooms.may_join(user, &request.channel_name).await {
    ///             ChannelGrant::Allow
    ///         } else {
    ///             ChannelGrant::Deny
    ///         })
    ///     },
    /// );
    /// let state = AppState {
    ///     pusher: Pusher::builder("1", "key", "secret").build()?,
    ///     rooms: Rooms,
    /// };
    /// let app: Router = Router::new().merge(auth).with_state(state);
    /// # Ok::<(), pusher_axum::pusher_client::Error>(())
    /// ```
    pub fn channel<F, Args, M>(mut self, resolve: F) -> Self
    where
        S: PusherState<M>,
        F: Resolver<Args, ChannelAuthRequest, Grant = ChannelGrant>,
        Args: FromRequestParts<S> + Clone + Send + 'static,
    {
        let resolve = Arc::new(resolve);
        self.channel = Some(erase(move |request, state: S| {
            let pusher = state.pusher();
            channel_auth::<S, F, Args>(Arc::clone(&resolve), pusher, state, request)
        }));
        self
    }

    /// Sets who a connection signs in as, and mounts the user authentication route.
    ///
    /// `resolve` receives its extractors (see [the closures](Self#the-closures)) and the
    /// [`UserAuthRequest`] (its socket id already checked), and returns
    /// [`UserGrant::Allow`] with the user's [`UserData`](crate::UserData), or
    /// [`UserGrant::Deny`] (403).
    ///
    /// With an `Arc<AppState>` state (axum's usual sharing) and two extractors, a cookie jar and
    /// the state:
    ///
    /// ```
    /// use std::sync::Arc;
    ///
    /// use axum::{Router, extract::{FromRef, State}, http::StatusCode};
    /// use axum_extra::extract::CookieJar;
    /// use pusher_axum::{Pusher, PusherAuth, UserAuthRequest, UserData, UserGrant};
    ///
    /// #[derive(FromRef)]
    /// struct AppState {
    ///     pusher: Pusher,
    ///     banned: Vec<String>,
    /// }
    ///
    /// let auth = PusherAuth::<Arc<AppState>>::new().user(
    ///     |jar: CookieJar, State(app): State<Arc<AppState>>, _request: UserAuthRequest| async move {
    ///         // The closure's own error type becomes the response: here a bare 401.
    ///         let user = jar.get("user").ok_or(StatusCode::UNAUTHORIZED)?;
    ///         if app.banned.iter().any(|banned| banned == user.value()) {
    ///             return Ok(UserGrant::Deny);
    ///         }
    ///         Ok::<_, StatusCode>(UserGrant::Allow(UserData::new(user.value())))
    ///     },
    /// );
    /// let state = Arc::new(AppState {
    ///     pusher: Pusher::builder("1", "key", "secret").build()?,
    ///     banned: vec!["mallory".into()],
    /// });
    /// let app: Router = Router::new().merge(auth).with_state(state);
    /// # Ok::<(), pusher_axum::pusher_client::Error>(())
    /// ```
    pub fn user<F, Args, M>(mut self, resolve: F) -> Self
    where
        S: PusherState<M>,
        F: Resolver<Args, UserAuthRequest, Grant = UserGrant>,
        Args: FromRequestParts<S> + Send + 'static,
    {
        let resolve = Arc::new(resolve);
        self.user = Some(erase(move |request, state: S| {
            let pusher = state.pusher();
            user_auth::<S, F, Args>(Arc::clone(&resolve), pusher, state, request)
        }));
        self
    }

    /// Mounts channel authorization at `path` instead of [`DEFAULT_CHANNEL_AUTH_PATH`]
    /// (pusher-js: `channelAuthorization: { endpoint }`).
    ///
    /// ```
    /// # use pusher_axum::{Pusher, PusherAuth};
    /// let auth = PusherAuth::<Pusher>::new().channel_path("/api/pusher/auth");
    /// ```
    pub fn channel_path(mut self, path: impl Into<String>) -> Self {
        self.channel_path = path.into();
        self
    }

    /// Mounts user authentication at `path` instead of [`DEFAULT_USER_AUTH_PATH`]
    /// (pusher-js: `userAuthentication: { endpoint }`).
    ///
    /// ```
    /// # use pusher_axum::{Pusher, PusherAuth};
    /// let auth = PusherAuth::<Pusher>::new().user_path("/api/pusher/user-auth");
    /// ```
    pub fn user_path(mut self, path: impl Into<String>) -> Self {
        self.user_path = path.into();
        self
    }
}

impl<S> PusherAuth<S>
where
    S: Clone + Send + Sync + 'static,
{
    /// The routes, as a `Router<S>` to [`merge`](Router::merge) into your app (the same as
    /// `Router::from(auth)`, and what `Router::merge(auth)` does).
    ///
    /// # Panics
    ///
    /// As [`Router::route`] does, at start-up: if a path is empty or does not start with `/`,
    /// or if both routes are set at the same path. [`Router::merge`] also panics if your router
    /// already routes one of the paths.
    ///
    /// ```
    /// use axum::Router;
    /// use pusher_axum::{ChannelAuthRequest, ChannelGrant, Pusher, PusherAuth};
    ///
    /// let routes: Router<Pusher> = PusherAuth::new()
    ///     .channel(|(), _: ChannelAuthRequest| async { Ok::<_, std::convert::Infallible>(ChannelGrant::Allow) })
    ///     .channel_path("/auth")
    ///     .into_router();
    /// ```
    pub fn into_router(self) -> Router<S> {
        let mut router = Router::new();
        if let Some(route) = self.channel_route() {
            router = router.route(&self.channel_path, route);
        }
        if let Some(route) = self.user_route() {
            router = router.route(&self.user_path, route);
        }
        router
    }

    /// Just the channel authorization endpoint, as a `POST` [`MethodRouter`] to mount where you
    /// like (and to wrap in your own layers); `None` if [`channel`](Self::channel) was not set.
    ///
    /// ```
    /// use axum::Router;
    /// use pusher_axum::{ChannelAuthRequest, ChannelGrant, Pusher, PusherAuth};
    ///
    /// let auth = PusherAuth::<Pusher>::new().channel(|(), _: ChannelAuthRequest| async {
    ///     Ok::<_, std::convert::Infallible>(ChannelGrant::Deny)
    /// });
    /// let mut app = Router::new();
    /// if let Some(route) = auth.channel_route() {
    ///     app = app.route("/broadcasting/auth", route);
    /// }
    /// let app: Router = app.with_state(Pusher::builder("1", "key", "secret").build()?);
    /// # Ok::<(), pusher_axum::pusher_client::Error>(())
    /// ```
    pub fn channel_route(&self) -> Option<MethodRouter<S>> {
        self.channel.clone().map(post_route)
    }

    /// Just the user authentication endpoint, as a `POST` [`MethodRouter`]; `None` if
    /// [`user`](Self::user) was not set.
    ///
    /// ```
    /// use pusher_axum::{Pusher, PusherAuth};
    ///
    /// assert!(PusherAuth::<Pusher>::new().user_route().is_none());
    /// ```
    pub fn user_route(&self) -> Option<MethodRouter<S>> {
        self.user.clone().map(post_route)
    }
}

impl<S> From<PusherAuth<S>> for Router<S>
where
    S: Clone + Send + Sync + 'static,
{
    fn from(auth: PusherAuth<S>) -> Self {
        auth.into_router()
    }
}

/// `POST /pusher/auth`: the core's [`AuthEndpoint::channel`], extracting the app's extractors in its
/// `begin` step — once per request, only when some channel is well-formed — and cloning it for
/// each channel of a batch.
async fn channel_auth<S, F, Args>(
    resolve: Arc<F>,
    pusher: Pusher,
    state: S,
    request: Request,
) -> Response
where
    S: Clone + Send + Sync + 'static,
    F: Resolver<Args, ChannelAuthRequest, Grant = ChannelGrant>,
    Args: FromRequestParts<S> + Clone + Send + 'static,
{
    let (mut parts, content_type, body) = match read_body(request).await {
        Ok(read) => read,
        Err(reply) => return answer("channel", reply),
    };
    let reply = AuthEndpoint::new(pusher)
        .channel(raw(content_type.as_ref()), &body, move || async move {
            let extracted = Args::from_request_parts(&mut parts, &state)
                .await
                .map_err(IntoResponse::into_response)?;
            Ok::<_, Response>(move |request| {
                let decided = resolve.resolve(extracted.clone(), request);
                async move { decided.await.map_err(IntoResponse::into_response) }
            })
        })
        .await;
    respond("channel", reply)
}

/// `POST /pusher/user-auth`: the core's [`AuthEndpoint::user`], extracting the app's extractors only
/// once the socket id is known to be well-formed.
async fn user_auth<S, F, Args>(
    resolve: Arc<F>,
    pusher: Pusher,
    state: S,
    request: Request,
) -> Response
where
    S: Clone + Send + Sync + 'static,
    F: Resolver<Args, UserAuthRequest, Grant = UserGrant>,
    Args: FromRequestParts<S> + Send + 'static,
{
    let (mut parts, content_type, body) = match read_body(request).await {
        Ok(read) => read,
        Err(reply) => return answer("user", reply),
    };
    let reply = AuthEndpoint::new(pusher)
        .user(raw(content_type.as_ref()), &body, |request| async move {
            let extracted = Args::from_request_parts(&mut parts, &state)
                .await
                .map_err(IntoResponse::into_response)?;
            resolve
                .resolve(extracted, request)
                .await
                .map_err(IntoResponse::into_response)
        })
        .await;
    respond("user", reply)
}

/// Reads the body under the app's `DefaultBodyLimit` (which axum keeps in the request's
/// extensions; a `Content-Length` over it is a 413 at once), leaving the parts — not a copy —
/// for the closure's extractor, and a handle on the `Content-Type` header (a reference count,
/// not a copy) for the core, which checks it after the body, as axum's `Bytes` extractor
/// ordered it: an oversized body is a 413 even with an odd `Content-Type`.
async fn read_body(request: Request) -> Result<(Parts, Option<HeaderValue>, Bytes), AuthReply> {
    let (parts, bytes) = crate::body::read(request)
        .await
        .map_err(|error| match error {
            BodyError::TooLarge => AuthReply::payload_too_large(),
            BodyError::Unreadable => AuthReply::unreadable_body(),
        })?;
    let content_type = parts.headers.get(header::CONTENT_TYPE).cloned();
    Ok((parts, content_type, bytes))
}

/// The raw `Content-Type` bytes, for the core to check.
fn raw(value: Option<&HeaderValue>) -> Option<&[u8]> {
    value.map(HeaderValue::as_bytes)
}

/// The core endpoint's outcome as a response: its reply, or the app's extractor rejection or
/// closure error.
fn respond(route: &'static str, outcome: Result<AuthReply, Response>) -> Response {
    match outcome {
        Ok(reply) => answer(route, reply),
        Err(response) => own_response(route, response),
    }
}

/// The core's reply as a response: its status, `application/json`, its body.
fn answer(route: &'static str, reply: AuthReply) -> Response {
    let status = StatusCode::from_u16(reply.status()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    if status != StatusCode::OK {
        // Error bodies are `{"error":".."}` and never hold a secret (200 bodies do: not logged).
        tracing::debug!(
            route,
            status = status.as_u16(),
            reply = reply.body(),
            "pusher authorization refused"
        );
    }
    (
        status,
        [(
            header::CONTENT_TYPE,
            HeaderValue::from_static(AuthReply::CONTENT_TYPE),
        )],
        reply.into_body(),
    )
        .into_response()
}

/// The response of the app's extractor rejection or closure error, passed through.
fn own_response(route: &'static str, response: Response) -> Response {
    tracing::debug!(
        route,
        status = response.status().as_u16(),
        "pusher authorization answered by the app's extractor or closure"
    );
    response
}
