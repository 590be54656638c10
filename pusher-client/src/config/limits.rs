//! [`Limits`]: what the client checks before a request is sent, and its defaults.

use super::invalid;
use crate::error::ConfigError;

/// The limits checked before a request is sent.
///
/// The defaults are those of Pusher's multi-tenant clusters. Dedicated clusters and self-hosted
/// servers (sockudo, soketi) may allow more: raise them to match, never above what the server
/// accepts, or the server will refuse what the client let through.
///
/// ```
/// use pusher_client::{Limits, Pusher};
///
/// let limits = Limits::default()
///     .max_payload_bytes(100 * 1024)
///     .max_batch_size(50);
/// let pusher = Pusher::builder("1", "key", "secret").limits(limits).build()?;
/// assert_eq!(pusher.limits().max_batch_size, 50);
/// # Ok::<(), pusher_client::Error>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub struct Limits {
    /// Largest event `data`, in bytes as sent (after encryption). Default 10 240.
    pub max_payload_bytes: usize,
    /// Most channels one trigger may name. Default 100.
    pub max_channels_per_trigger: usize,
    /// Most events one batch request may carry; longer batches are split. Default 10.
    pub max_batch_size: usize,
    /// Longest channel name, in characters. Default 164.
    pub max_channel_name_len: usize,
    /// Longest event name, in characters. Default 200.
    pub max_event_name_len: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_payload_bytes: 10 * 1024,
            max_channels_per_trigger: 100,
            max_batch_size: 10,
            max_channel_name_len: 164,
            max_event_name_len: 200,
        }
    }
}

impl Limits {
    setters! {
        /// Sets [`Limits::max_payload_bytes`].
        pub fn max_payload_bytes(bytes: usize) => max_payload_bytes = bytes;
        /// Sets [`Limits::max_channels_per_trigger`].
        pub fn max_channels_per_trigger(channels: usize) =>
            max_channels_per_trigger = channels;
        /// Sets [`Limits::max_batch_size`].
        pub fn max_batch_size(events: usize) => max_batch_size = events;
        /// Sets [`Limits::max_channel_name_len`].
        pub fn max_channel_name_len(chars: usize) => max_channel_name_len = chars;
        /// Sets [`Limits::max_event_name_len`].
        pub fn max_event_name_len(chars: usize) => max_event_name_len = chars;
    }

    /// Refuses a zero limit, naming it.
    pub(super) fn check(&self) -> Result<(), ConfigError> {
        let zero = [
            ("limits.max_payload_bytes", self.max_payload_bytes),
            (
                "limits.max_channels_per_trigger",
                self.max_channels_per_trigger,
            ),
            ("limits.max_batch_size", self.max_batch_size),
            ("limits.max_channel_name_len", self.max_channel_name_len),
            ("limits.max_event_name_len", self.max_event_name_len),
        ];
        for (field, value) in zero {
            if value == 0 {
                return Err(invalid(field, "must be at least 1"));
            }
        }
        Ok(())
    }
}
