//! The ready-made pusher-js authorization routes: [`PusherAuth`].

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::rc::Rc;

use actix_web::dev::{AppService, HttpServiceFactory};
use actix_web::http::{StatusCode, header};
use actix_web::web::{self, ServiceConfig};
use actix_web::{FromRequest, HttpRequest, HttpResponse};
use pusher_client::{
    AuthEndpoint, AuthReply, ChannelAuthRequest, ChannelGrant, DEFAULT_CHANNEL_AUTH_PATH,
    DEFAULT_USER_AUTH_PATH, UserAuthRequest, UserGrant,
};

use crate::state::find_pusher;

type LocalBoxFuture<T> = Pin<Box<dyn Future<Output = T>>>;

/// One mounted endpoint with your closure's types erased: the whole answer to one HTTP request
/// (one boxed future per request, rather than one per decision plus the endpoint's own).
type Endpoint = Rc<dyn Fn(HttpRequest, Body) -> LocalBoxFuture<actix_web::Result<HttpResponse>>>;

/// The body as actix read it under the app's [`web::PayloadConfig`], or why it could not.
type Body = Result<web::Bytes, actix_web::Error>;

/// Erases an endpoint's types (see [`Endpoint`]).
fn erase<Fut>(endpoint: impl Fn(HttpRequest, Body) -> Fut + 'static) -> Endpoint
where
    Fut: Future<Output = actix_web::Result<HttpResponse>> + 'static,
{
    Rc::new(move |req, body| Box::pin(endpoint(req, body)))
}

/// One decision: your extractor `E`, run on the request head, then your closure; an error from
/// either is the response.
async fn extract_then<F, E, X, Fut, G, R>(
    decide: &F,
    req: HttpRequest,
    request: X,
) -> actix_web::Result<G>
where
    F: Fn(E, X) -> Fut,
    E: FromRequest,
    Fut: Future<Output = Result<G, R>>,
    R: Into<actix_web::Error>,
{
    let extracted = E::extract(&req).await.map_err(Into::into)?;
    decide(extracted, request).await.map_err(Into::into)
}

/// The pusher-js authorization routes, mounted with [`App::service`](actix_web::App::service)
/// (or [`configure`](Self::configure)):
///
/// - `POST /pusher/auth` — channel authorization for `private-`, `presence-` and
///   `private-encrypted-` channels, one channel at a time or batched in the format of the
///   pusher-js-auth plugin — when you give a [`channel`](Self::channel) decision;
/// - `POST /pusher/user-auth` — user authentication (pusher-js `signin()`) — when you give a
///   [`user`](Self::user) decision.
///
/// A route you give no decision for is not mounted. Paths change with
/// [`channel_path`](Self::channel_path) / [`user_path`](Self::user_path), and are relative to
/// the enclosing [`web::scope`] if any.
///
/// Each decision is an async closure (or `async fn`) taking any actix extractor `E` — a single
/// one such as [`HttpRequest`], `web::Data<Db>`, a session or identity, or a tuple of them —
/// plus the parsed request, and answering with a [`ChannelGrant`] / [`UserGrant`] or your own
/// error. The route does everything else, with the core crate:
///
/// | what happens | answer |
/// | --- | --- |
/// | granted (private, presence with the member, encrypted with its `shared_secret`, user) | 200, what pusher-js expects |
/// | [`ChannelGrant::Deny`] / [`UserGrant::Deny`] | 403 `{"error":"forbidden"}` |
/// | malformed body, socket id or channel name, a public channel, or a type other than form or JSON — **your closure is not called** | 400 `{"error":".."}` |
/// | a `Content-Type` header that is not visible ASCII text (e.g. a non-ASCII parameter) | 400 `{"error":"the Content-Type header is invalid: it is not visible ASCII text"}` |
/// | user auth: the granted user id cannot be reached (see [`ValidationError::UserIdInvalidChar`](pusher_client::ValidationError::UserIdInvalidChar)) | 400 `{"error":".."}` naming the character |
/// | body over the app's [`web::PayloadConfig`] limit, or a `Content-Length` announcing more (answered at once) | 413 `{"error":"the request body is larger than this server accepts"}` |
/// | the body could not be read (e.g. the connection broke) | 400 `{"error":"the request body could not be read"}` |
/// | your extractor or closure fails | that error's own response |
/// | the grant does not fit the channel (presence without a member…), no master key for an encrypted channel, no `Pusher` in the app data | 500 `{"error":".."}` |
///
/// Bodies may be form-urlencoded (what pusher-js sends) or JSON; unknown fields are ignored.
/// A batch (`socket_id` + `channel_name[0]`, `channel_name[1]`…, or a JSON array of channel
/// names) is answered 200 with one entry per channel: `{"status":200,"data":{..}}`,
/// `{"status":403}`, or `{"status":400}` for a malformed channel (whose closure is not called).
/// Decisions in a batch are made one after the other, in order; if one fails with your error,
/// that error is the answer to the whole request and later channels are not decided.
///
/// # Extractors
///
/// The body has been read by the time your extractor runs, so `E` must come from the request
/// head: [`HttpRequest`], app data, headers, cookies, sessions, identities, path and query
/// extractors all do; `web::Json`, `web::Form` and `web::Bytes` would see an empty body.
/// Your closure is called only for well-formed requests, as the core's
/// [`AuthEndpoint::channel`] and [`AuthEndpoint::user`] (the routes' one entry point each)
/// decide. `E` is extracted just before each decision, so afresh for each channel of a batch:
/// actix extractors need not be `Clone` (an identity or a custom extractor often is not), and
/// extracting from the shared request head is cheap, so this crate does not ask for `Clone`
/// where `pusher-axum` (whose extractors need the request's parts, available once) extracts
/// once per request and clones. Its error, if any, becomes the response.
///
/// # Registration
///
/// `PusherAuth` holds your closures behind `Rc`, like actix handlers, so it is not `Send`:
/// build it inside the `HttpServer::new` factory closure. The closures need not be `Send`
/// and neither do their futures. Give the two routes distinct paths. As with
/// [`web::resource`], a malformed path pattern panics when the app is built.
///
/// ```
/// use actix_web::{web, App, HttpRequest};
/// use pusher_actix::PusherAuth;
/// use pusher_actix::pusher_client::{
///     ChannelAuthRequest, ChannelGrant, PresenceMember, Pusher, UserAuthRequest, UserData, UserGrant,
/// };
/// use std::convert::Infallible;
///
/// /// Who is calling: here a header set by an upstream proxy; use your session instead.
/// fn user_id(req: &HttpRequest) -> Option<String> {
///     req.headers().get("x-user-id")?.to_str().ok().map(str::to_owned)
/// }
///
/// async fn authorize(req: HttpRequest, auth: ChannelAuthRequest) -> Result<ChannelGrant, Infallible> {
///     let Some(id) = user_id(&req) else { return Ok(ChannelGrant::Deny) };
///     Ok(if auth.channel_name.starts_with("presence-") {
///         ChannelGrant::Presence(PresenceMember::new(id))
///     } else {
///         ChannelGrant::Allow
///     })
/// }
///
/// async fn authenticate(req: HttpRequest, _: UserAuthRequest) -> Result<UserGrant, Infallible> {
///     Ok(user_id(&req).map_or(UserGrant::Deny, |id| UserGrant::Allow(UserData::new(id))))
/// }
///
/// # fn app(pusher: Pusher) {
/// App::new()
///     .app_data(web::Data::new(pusher))
///     .service(PusherAuth::new().channel(authorize).user(authenticate));
/// # }
/// ```
#[must_use = "a PusherAuth does nothing until it is mounted with App::service or configure"]
#[derive(Clone)]
pub struct PusherAuth {
    channel: Option<Endpoint>,
    user: Option<Endpoint>,
    channel_path: String,
    user_path: String,
}

impl PusherAuth {
    /// No routes yet, with the default paths ([`DEFAULT_CHANNEL_AUTH_PATH`],
    /// [`DEFAULT_USER_AUTH_PATH`]).
    ///
    /// ```
    /// let auth = pusher_actix::PusherAuth::new();
    /// ```
    pub fn new() -> Self {
        PusherAuth {
            channel: None,
            user: None,
            channel_path: DEFAULT_CHANNEL_AUTH_PATH.to_owned(),
            user_path: DEFAULT_USER_AUTH_PATH.to_owned(),
        }
    }

    /// Mounts the channel authorization route, deciding with `decide`.
    ///
    /// `decide` receives the extractor `E` (see [Extractors](Self#extractors)) and a request
    /// the core has already checked (well-formed socket id and channel name, not a public
    /// channel). Answer [`ChannelGrant::Allow`] for a private or encrypted channel,
    /// [`ChannelGrant::Presence`] with the member for a presence channel, or
    /// [`ChannelGrant::Deny`]. An `Err` becomes the response: any [`ResponseError`]
    /// (your own error type included) or [`actix_web::Error`].
    ///
    /// ```
    /// use actix_web::{error, web, App};
    /// use pusher_actix::PusherAuth;
    /// use pusher_actix::pusher_client::{ChannelAuthRequest, ChannelGrant, PresenceMember, Pusher};
    /// use serde_json::json;
    ///
    /// struct Rooms; // your state
    /// impl Rooms {
    ///     fn member_of(&self, user: &str, channel: &str) -> bool { channel.ends_with(user) }
    /// }
    ///
    /// # fn app(pusher: Pusher) {
    /// App::new()
    ///     .app_data(web::Data::new(pusher))
    ///     .app_data(web::Data::new(Rooms))
    ///     .service(PusherAuth::new().channel(
    ///         |(req, rooms): (actix_web::HttpRequest, web::Data<Rooms>), auth: ChannelAuthRequest| async move {
    ///             // Your own error (here actix's) becomes the response.
    ///             let Some(user) = req.cookie("user") else {
    ///                 return Err(error::ErrorUnauthorized("sign in first"));
    ///             };
    ///             let user = user.value();
    ///             if !rooms.member_of(user, &auth.channel_name) {
    ///                 return Ok(ChannelGrant::Deny);
    ///             }
    ///             if auth.channel_name.starts_with("presence-") {
    ///                 let member = PresenceMember::new(user)
    ///                     .with_user_info(json!({"name": user}));
    ///                 Ok(ChannelGrant::Presence(member))
    ///             } else {
    ///                 Ok(ChannelGrant::Allow)
    ///             }
    ///         },
    ///     ));
    /// # }
    /// ```
    ///
    /// [`ResponseError`]: actix_web::ResponseError
    pub fn channel<F, E, Fut, R>(mut self, decide: F) -> Self
    where
        F: Fn(E, ChannelAuthRequest) -> Fut + 'static,
        E: FromRequest + 'static,
        Fut: Future<Output = Result<ChannelGrant, R>> + 'static,
        R: Into<actix_web::Error>,
    {
        let decide = Rc::new(decide);
        self.channel = Some(erase(move |req, body| {
            let decide = Rc::clone(&decide);
            async move {
                channel_endpoint(req, body, |req, request| {
                    extract_then(&*decide, req, request)
                })
                .await
            }
        }));
        self
    }

    /// Mounts the user authentication route, deciding with `decide`.
    ///
    /// `decide` receives the extractor `E` (see [Extractors](Self#extractors)) and a request
    /// whose socket id the core has already checked. Answer [`UserGrant::Allow`] with the
    /// [`UserData`](pusher_client::UserData) to sign, or [`UserGrant::Deny`]. An `Err` becomes
    /// the response.
    ///
    /// ```
    /// use actix_web::{web, App, HttpRequest};
    /// use pusher_actix::PusherAuth;
    /// use pusher_actix::pusher_client::{Pusher, UserAuthRequest, UserData, UserGrant};
    /// use serde_json::json;
    ///
    /// async fn authenticate(req: HttpRequest, _: UserAuthRequest) -> actix_web::Result<UserGrant> {
    ///     let Some(user) = req.cookie("user") else { return Ok(UserGrant::Deny) };
    ///     let data = UserData::new(user.value())
    ///         .with_user_info(json!({"name": user.value()}))
    ///         .watchlist(["friend-1", "friend-2"]);
    ///     Ok(UserGrant::Allow(data))
    /// }
    ///
    /// # fn app(pusher: Pusher) {
    /// App::new()
    ///     .app_data(web::Data::new(pusher))
    ///     .service(PusherAuth::new().user(authenticate));
    /// # }
    /// ```
    pub fn user<F, E, Fut, R>(mut self, decide: F) -> Self
    where
        F: Fn(E, UserAuthRequest) -> Fut + 'static,
        E: FromRequest + 'static,
        Fut: Future<Output = Result<UserGrant, R>> + 'static,
        R: Into<actix_web::Error>,
    {
        let decide = Rc::new(decide);
        self.user = Some(erase(move |req, body| {
            let decide = Rc::clone(&decide);
            async move {
                user_endpoint(req, body, |req, request| {
                    extract_then(&*decide, req, request)
                })
                .await
            }
        }));
        self
    }

    /// Moves the channel authorization route (default [`DEFAULT_CHANNEL_AUTH_PATH`]); set
    /// pusher-js's `channelAuthorization.endpoint` to match.
    ///
    /// ```
    /// let auth = pusher_actix::PusherAuth::new().channel_path("/api/pusher/channel-auth");
    /// ```
    pub fn channel_path(mut self, path: impl Into<String>) -> Self {
        self.channel_path = path.into();
        self
    }

    /// Moves the user authentication route (default [`DEFAULT_USER_AUTH_PATH`]); set
    /// pusher-js's `userAuthentication.endpoint` to match.
    ///
    /// ```
    /// let auth = pusher_actix::PusherAuth::new().user_path("/api/pusher/user-auth");
    /// ```
    pub fn user_path(mut self, path: impl Into<String>) -> Self {
        self.user_path = path.into();
        self
    }

    /// The routes as a function for [`App::configure`](actix_web::App::configure) or
    /// [`ServiceConfig::configure`], for apps that assemble their routes that way.
    ///
    /// ```
    /// use actix_web::{web, App};
    /// use pusher_actix::PusherAuth;
    /// use pusher_actix::pusher_client::{ChannelAuthRequest, ChannelGrant, Pusher};
    ///
    /// fn routes(cfg: &mut web::ServiceConfig) {
    ///     cfg.configure(
    ///         PusherAuth::new()
    ///             .channel(|_: (), _: ChannelAuthRequest| async {
    ///                 Ok::<_, actix_web::Error>(ChannelGrant::Allow)
    ///             })
    ///             .configure(),
    ///     );
    /// }
    ///
    /// # fn app(pusher: Pusher) {
    /// App::new().app_data(web::Data::new(pusher)).configure(routes);
    /// # }
    /// ```
    pub fn configure(self) -> impl FnOnce(&mut ServiceConfig) {
        move |config: &mut ServiceConfig| {
            config.service(self);
        }
    }
}

impl Default for PusherAuth {
    fn default() -> Self {
        PusherAuth::new()
    }
}

impl fmt::Debug for PusherAuth {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mounted = |set: bool| if set { "mounted" } else { "not mounted" };
        f.debug_struct("PusherAuth")
            .field("channel_path", &self.channel_path)
            .field("channel", &mounted(self.channel.is_some()))
            .field("user_path", &self.user_path)
            .field("user", &mounted(self.user.is_some()))
            .finish()
    }
}

impl HttpServiceFactory for PusherAuth {
    fn register(self, config: &mut AppService) {
        let PusherAuth {
            channel,
            user,
            channel_path,
            user_path,
        } = self;
        for (path, endpoint) in [(channel_path, channel), (user_path, user)] {
            if let Some(endpoint) = endpoint {
                let resource = web::resource(path)
                    .route(web::post().to(move |req: HttpRequest, body: Body| endpoint(req, body)));
                HttpServiceFactory::register(resource, config);
            }
        }
    }
}

/// `POST /pusher/auth`: the core's [`AuthEndpoint::channel`], deciding with your closure
/// (`decide` gets the request head, for your extractor, afresh for each channel it decides).
async fn channel_endpoint<D, Fut>(
    req: HttpRequest,
    body: Body,
    decide: D,
) -> actix_web::Result<HttpResponse>
where
    D: Fn(HttpRequest, ChannelAuthRequest) -> Fut,
    Fut: Future<Output = Result<ChannelGrant, actix_web::Error>>,
{
    let (body, endpoint) = match read(&req, body) {
        Ok(read) => read,
        Err(reply) => return Ok(respond(reply)),
    };
    let content_type = req.headers().get(header::CONTENT_TYPE);
    // Nothing to do once per request: the extractor runs in `decide`, for each decision.
    let (decide, head) = (&decide, &req);
    let reply = endpoint
        .channel(
            content_type.map(|v| v.as_bytes()),
            &body,
            move || async move {
                Ok::<_, actix_web::Error>(move |request| decide(head.clone(), request))
            },
        )
        .await?;
    Ok(respond(reply))
}

/// `POST /pusher/user-auth`: the core's [`AuthEndpoint::user`], deciding with your closure.
async fn user_endpoint<D, Fut>(
    req: HttpRequest,
    body: Body,
    decide: D,
) -> actix_web::Result<HttpResponse>
where
    D: FnOnce(HttpRequest, UserAuthRequest) -> Fut,
    Fut: Future<Output = Result<UserGrant, actix_web::Error>>,
{
    // `req` goes to `decide`: read the header through a second handle (a reference count, not
    // a copy of the value).
    let head = req.clone();
    let (body, endpoint) = match read(&head, body) {
        Ok(read) => read,
        Err(reply) => return Ok(respond(reply)),
    };
    let content_type = head.headers().get(header::CONTENT_TYPE);
    let reply = endpoint
        .user(content_type.map(|v| v.as_bytes()), &body, |request| {
            decide(req, request)
        })
        .await?;
    Ok(respond(reply))
}

/// The body and the endpoint, or the JSON reply refusing the request.
///
/// The body first, as actix's extractors read it (a `Content-Length` over the app's
/// [`web::PayloadConfig`] limit is refused before any of the body is read): an oversized body is
/// a 413 even with an odd `Content-Type`, as in `pusher-axum`. Then the `Content-Type` is
/// checked on its raw bytes ([`AuthReply::check_content_type`], which the core's entry points
/// apply again, for nothing: it allocates nothing) before the client is looked up, so that a
/// malformed header is a 400 whatever the app's setup.
fn read(req: &HttpRequest, body: Body) -> Result<(web::Bytes, AuthEndpoint), AuthReply> {
    let body = body.map_err(|error| {
        if error.as_response_error().status_code() == StatusCode::PAYLOAD_TOO_LARGE {
            AuthReply::payload_too_large()
        } else {
            tracing::debug!(%error, "pusher authorization: the body could not be read");
            AuthReply::unreadable_body()
        }
    })?;
    let raw = req.headers().get(header::CONTENT_TYPE);
    AuthReply::check_content_type(raw.map(|value| value.as_bytes()))?;
    let pusher = find_pusher(req).ok_or_else(missing_client)?;
    Ok((body, AuthEndpoint::new(pusher)))
}

/// The browser learns nothing of the server's setup; `find_pusher` logged the fix at `error`.
fn missing_client() -> AuthReply {
    AuthReply::internal_error()
}

/// The core's reply as a response: its status and JSON body.
fn respond(reply: AuthReply) -> HttpResponse {
    let status = StatusCode::from_u16(reply.status()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    if status != StatusCode::OK {
        tracing::debug!(status = status.as_u16(), "pusher authorization refused");
    }
    HttpResponse::build(status)
        .insert_header((
            header::CONTENT_TYPE,
            header::HeaderValue::from_static(AuthReply::CONTENT_TYPE),
        ))
        .body(reply.into_body())
}
