//! [`SendError`]: a transport's failure, and what is known about the request's fate.

use std::fmt;

use super::BoxError;

/// What is known about a request that failed in the transport.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum SendErrorKind {
    /// The request certainly never reached the server (connection refused, DNS, TLS
    /// handshake, connect timeout): safe to repeat, even for a trigger.
    NeverSent,
    /// No complete answer in time: the request may have been processed.
    TimedOut,
    /// Anything else (connection reset, protocol error, body read error): the request may have
    /// been processed.
    Other,
}

/// A transport's failure: what went wrong, and whether the request may have been processed.
///
/// The retry policy reads only [`kind`](Self::kind), so a custom transport is retried exactly
/// like the built-in ones. Don't put secrets or the signed URI into the source's message: it
/// ends up in [`TransportError`](crate::TransportError)'s text.
#[derive(Debug)]
pub struct SendError {
    kind: SendErrorKind,
    timed_out: bool,
    source: BoxError,
}

impl SendError {
    /// The request certainly never reached the server (refused, DNS, TLS handshake).
    pub fn never_sent(source: impl Into<BoxError>) -> Self {
        SendError {
            kind: SendErrorKind::NeverSent,
            timed_out: false,
            source: source.into(),
        }
    }

    /// No connection could be made within the connect timeout: never sent, and a timeout.
    pub fn connect_timeout(source: impl Into<BoxError>) -> Self {
        SendError {
            kind: SendErrorKind::NeverSent,
            timed_out: true,
            source: source.into(),
        }
    }

    /// The request was (or may have been) sent, and no complete answer came in time.
    pub fn timed_out(source: impl Into<BoxError>) -> Self {
        SendError {
            kind: SendErrorKind::TimedOut,
            timed_out: true,
            source: source.into(),
        }
    }

    /// Any other failure; the request may have been processed.
    pub fn other(source: impl Into<BoxError>) -> Self {
        SendError {
            kind: SendErrorKind::Other,
            timed_out: false,
            source: source.into(),
        }
    }

    /// What is known about the request's fate.
    pub fn kind(&self) -> SendErrorKind {
        self.kind
    }

    /// `true` for [`connect_timeout`](Self::connect_timeout) and
    /// [`timed_out`](Self::timed_out).
    pub fn is_timeout(&self) -> bool {
        self.timed_out
    }

    pub(crate) fn into_source(self) -> BoxError {
        self.source
    }
}

impl fmt::Display for SendError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&self.source, f)
    }
}

impl std::error::Error for SendError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        Some(&*self.source)
    }
}
