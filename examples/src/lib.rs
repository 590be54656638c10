//! Runnable examples for the workspace: see `src/bin/`.

/// The workspace README's code blocks, compiled as doctests so they cannot drift from the API
/// (this crate depends on every workspace crate the README shows).
#[cfg(doctest)]
#[doc = include_str!("../../README.md")]
pub struct ReadmeDoctests;

pub mod chat;
