//! Runnable examples for the workspace: the apps in `src/bin/`, and `examples/quickstart.rs`
//! (`cargo run -p pusher-examples --example quickstart`). [`chat`] holds the chat demo's
//! framework-free logic, shared by `chat_axum` and `chat_actix` (`bash scripts/demo`).

/// The workspace README's code blocks, compiled as doctests so they cannot drift from the API
/// (this crate depends on every workspace crate the README shows).
#[cfg(doctest)]
#[doc = include_str!("../../README.md")]
pub struct ReadmeDoctests;

pub mod chat;
