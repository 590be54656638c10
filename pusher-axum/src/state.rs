//! How this crate finds the [`Pusher`] in your router's state: [`PusherState`].
//!
//! Two shapes of state work, with nothing to implement beyond what axum already asks for:
//!
//! - a state `S` with `Pusher: FromRef<S>`: the client itself (`.with_state(pusher)`), or an app
//!   state that `#[derive(FromRef)]`s a `Pusher` field (or implements
//!   `FromRef<AppState> for Pusher` by hand);
//! - an `Arc<T>` of such a state, as axum's documentation shares state
//!   (`.with_state(Arc::new(AppState { .. }))`). `impl FromRef<Arc<AppState>> for Pusher` is
//!   forbidden by the orphan rule, so this crate looks through the `Arc` itself.
//!
//! ```
//! use std::sync::Arc;
//!
//! use axum::{Router, extract::{FromRef, State}, routing::post};
//! use pusher_axum::{Pusher, VerifiedWebhook};
//!
//! #[derive(FromRef)] // or `impl FromRef<AppState> for Pusher`
//! struct AppState {
//!     pusher: Pusher,
//!     greeting: String,
//! }
//!
//! async fn webhooks(VerifiedWebhook(webhook): VerifiedWebhook) {}
//!
//! async fn hello(State(state): State<Arc<AppState>>) -> String {
//!     let _ = &state.pusher; // trigger with `state.pusher.trigger(..)`
//!     state.greeting.clone()
//! }
//!
//! let state = Arc::new(AppState {
//!     pusher: Pusher::builder("123456", "app-key", "app-secret").build()?,
//!     greeting: "hello".into(),
//! });
//! let app: Router = Router::new()
//!     .route("/webhooks", post(webhooks))
//!     .route("/hello", post(hello))
//!     .with_state(state);
//! # Ok::<(), pusher_axum::pusher_client::Error>(())
//! ```

use std::sync::Arc;

use axum::extract::FromRef;
use pusher_client::Pusher;

/// A router state that holds a [`Pusher`]: what [`VerifiedWebhook`](crate::VerifiedWebhook)
/// and [`PusherAuth`](crate::PusherAuth) need of your state.
///
/// It is implemented, once and for all, for
///
/// - every `S` with `Pusher: FromRef<S>` (marker [`ViaFromRef`]): `Pusher` itself, and app
///   states that `#[derive(FromRef)]` a `Pusher` field or implement `FromRef<S> for Pusher`;
/// - every `Arc<T>` with `Pusher: FromRef<T>` (marker [`ViaArc`]): axum's
///   `.with_state(Arc::new(AppState { .. }))`.
///
/// You never implement it nor name the marker `M`; it is inferred. (The marker keeps the two
/// impls apart: a plain `impl<S> PusherState for S where Pusher: FromRef<S>` and an impl for
/// `Arc<T>` would overlap, as axum could one day implement `FromRef<Arc<_>>` for `Pusher`.)
///
/// ```
/// use std::sync::Arc;
///
/// use axum::extract::FromRef;
/// use pusher_axum::{Pusher, PusherState};
///
/// #[derive(FromRef)]
/// struct AppState {
///     pusher: Pusher,
/// }
///
/// fn client<S: PusherState<M>, M>(state: &S) -> Pusher {
///     state.pusher()
/// }
///
/// let pusher = Pusher::builder("123456", "app-key", "app-secret").build()?;
/// assert_eq!(client(&pusher).key(), "app-key");
/// assert_eq!(client(&AppState { pusher: pusher.clone() }).key(), "app-key");
/// assert_eq!(client(&Arc::new(AppState { pusher })).key(), "app-key");
/// # Ok::<(), pusher_axum::pusher_client::Error>(())
/// ```
#[diagnostic::on_unimplemented(
    message = "the router state `{Self}` does not hold a `Pusher`",
    label = "no `Pusher` in this state",
    note = "use `.with_state(pusher)`, an app state with `#[derive(FromRef)]` and a `Pusher` field, or an `Arc` of such a state"
)]
pub trait PusherState<M>: Send + Sync + 'static {
    /// The client (a cheap clone: all clones share one connection pool).
    ///
    /// ```
    /// use pusher_axum::{Pusher, PusherState};
    ///
    /// let pusher = Pusher::builder("123456", "app-key", "app-secret").build()?;
    /// assert_eq!(PusherState::pusher(&pusher).app_id(), "123456");
    /// # Ok::<(), pusher_axum::pusher_client::Error>(())
    /// ```
    fn pusher(&self) -> Pusher;
}

/// The [`PusherState`] marker of states with `Pusher: FromRef<S>`; never named by users.
///
/// ```
/// use pusher_axum::{Pusher, PusherState, state::ViaFromRef};
///
/// fn assert_state<S: PusherState<ViaFromRef>>() {}
/// assert_state::<Pusher>();
/// ```
#[derive(Debug, Clone, Copy)]
pub struct ViaFromRef;

/// The [`PusherState`] marker of `Arc<T>` states with `Pusher: FromRef<T>`; never named by
/// users.
///
/// ```
/// use std::sync::Arc;
///
/// use pusher_axum::{Pusher, PusherState, state::ViaArc};
///
/// fn assert_state<S: PusherState<ViaArc>>() {}
/// assert_state::<Arc<Pusher>>();
/// ```
#[derive(Debug, Clone, Copy)]
pub struct ViaArc;

impl<S> PusherState<ViaFromRef> for S
where
    S: Send + Sync + 'static,
    Pusher: FromRef<S>,
{
    fn pusher(&self) -> Pusher {
        Pusher::from_ref(self)
    }
}

impl<T> PusherState<ViaArc> for Arc<T>
where
    T: Send + Sync + 'static,
    Pusher: FromRef<T>,
{
    fn pusher(&self) -> Pusher {
        Pusher::from_ref(&**self)
    }
}
