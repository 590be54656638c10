//! Triggers: one event on one or more channels, batches, and events for one signed-in user,
//! all validated by [`Pusher::prepare_event`].

use std::borrow::Cow;

use serde::Serialize;

use super::Pusher;
use super::call::{Call, parse};
use crate::channel::{self, ENCRYPTED_PREFIX, PRESENCE_PREFIX, USER_CHANNEL_PREFIX};
use crate::encryption;
use crate::error::{Error, ValidationError};
use crate::event::{BatchEvent, Data, Info};
use crate::response::{BatchResponse, ChannelCounts, TriggerResponse};
use crate::signed::SignedRequest;

impl Pusher {
    pub(super) async fn send_batch(
        &self,
        events: Vec<BatchEvent>,
        idempotency_key: Option<&str>,
    ) -> Result<BatchResponse, Error> {
        if events.is_empty() {
            // Nothing to deliver: an empty answer, and no request (batches are often built from
            // a list that may be empty; Pusher itself has nothing to say about zero events).
            return Ok(BatchResponse::default());
        }
        let limits = &self.inner.limits;
        let mut prepared = Vec::with_capacity(events.len());
        for (index, event) in events.iter().enumerate() {
            let wrap = |e: Error| match e {
                Error::Validation(source) => Error::Validation(ValidationError::BatchEvent {
                    index,
                    source: Box::new(source),
                }),
                other => other,
            };
            let channels = std::slice::from_ref(&event.channel);
            self.check_channels(channels).map_err(wrap)?;
            let data = self
                .prepare_event(
                    channels,
                    &event.name,
                    event.socket_id.as_deref(),
                    event.info,
                    &event.data,
                )
                .map_err(wrap)?;
            prepared.push(WireBatchEvent {
                channel: &event.channel,
                name: &event.name,
                data,
                socket_id: event.socket_id.as_deref(),
                info: event.info.to_param(),
            });
        }
        let any_info = events.iter().any(|e| !e.info.is_empty());
        let mut answer = BatchResponse::default();
        let mut delivered = 0;
        let chunks = prepared.chunks(limits.max_batch_size);
        let several = chunks.len() > 1;
        for (index, chunk) in chunks.enumerate() {
            let body = serde_json::to_vec(&WireBatch { batch: chunk })
                .map_err(Error::serialize("batch body"))?;
            // Each request of a split batch gets its own key, derived from the caller's.
            let key = idempotency_key.map(|key| {
                if several {
                    format!("{key}-{index}")
                } else {
                    key.to_owned()
                }
            });
            let result = self
                .execute(Call::post("/batch_events", body).key(key.as_deref()))
                .await
                .and_then(|(status, bytes)| parse::<BatchResponse>(status, &bytes));
            let part = match result {
                Ok(part) => part,
                Err(e) if delivered == 0 => return Err(e),
                Err(e) => {
                    return Err(Error::PartialBatch {
                        delivered,
                        source: Box::new(e),
                    });
                }
            };
            if any_info {
                if chunk.iter().all(|e| e.info.is_none()) && part.batch.is_empty() {
                    answer
                        .batch
                        .extend(std::iter::repeat_n(ChannelCounts::default(), chunk.len()));
                } else if part.batch.len() == chunk.len() {
                    answer.batch.extend(part.batch);
                } else {
                    let e = Error::MalformedResponse {
                        status: 200,
                        message: format!(
                            "the batch answer has {} entries for {} events",
                            part.batch.len(),
                            chunk.len()
                        ),
                    };
                    return Err(if delivered == 0 {
                        e
                    } else {
                        Error::PartialBatch {
                            delivered,
                            source: Box::new(e),
                        }
                    });
                }
            }
            delivered += chunk.len();
        }
        Ok(answer)
    }

    pub(super) fn check_channels(&self, channels: &[String]) -> Result<(), Error> {
        let limits = &self.inner.limits;
        if channels.is_empty() {
            return Err(ValidationError::NoChannels.into());
        }
        if channels.len() > limits.max_channels_per_trigger {
            return Err(ValidationError::TooManyChannels {
                count: channels.len(),
                max: limits.max_channels_per_trigger,
            }
            .into());
        }
        for name in channels {
            channel::check_channel(name, limits.max_channel_name_len)?;
        }
        if channels.len() > 1
            && let Some(enc) = channels.iter().find(|c| c.starts_with(ENCRYPTED_PREFIX))
        {
            return Err(ValidationError::EncryptedChannelWithOthers {
                channel: enc.clone(),
            }
            .into());
        }
        Ok(())
    }

    pub(super) fn check_payload_size(&self, size: usize) -> Result<(), ValidationError> {
        let max = self.inner.limits.max_payload_bytes;
        if size > max {
            return Err(ValidationError::PayloadTooLarge { size, max });
        }
        Ok(())
    }

    /// The `data` string to send: encrypted for an encrypted channel, size-checked as sent.
    pub(super) fn payload_for<'d>(
        &self,
        channels: &[String],
        data: &'d Data,
    ) -> Result<std::borrow::Cow<'d, str>, Error> {
        let payload = match channels {
            [only] if only.starts_with(ENCRYPTED_PREFIX) => {
                let key = self.inner.master_key.as_ref().ok_or_else(|| {
                    ValidationError::EncryptionNotConfigured {
                        channel: only.clone(),
                    }
                })?;
                let nonce = self.nonce()?;
                let sealed = encryption::encrypt(key, only, data.as_str().as_bytes(), &nonce)?;
                std::borrow::Cow::Owned(sealed)
            }
            _ => std::borrow::Cow::Borrowed(data.as_str()),
        };
        self.check_payload_size(payload.len())?;
        Ok(payload)
    }

    /// The validation every event shares — a trigger's, a batch entry's, a send to a user's:
    /// its name, excluded socket and info for these (already checked) channels; then the data
    /// to send, encrypted for an encrypted channel and size-checked as sent.
    pub(super) fn prepare_event<'d>(
        &self,
        channels: &[String],
        event: &str,
        socket_id: Option<&str>,
        info: Info,
        data: &'d Data,
    ) -> Result<Cow<'d, str>, Error> {
        channel::check_event_name(event, self.inner.limits.max_event_name_len)?;
        if let Some(socket_id) = socket_id {
            channel::check_socket_id(socket_id)?;
        }
        check_info(channels, info)?;
        self.payload_for(channels, data)
    }

    /// A validated event's `/events` body.
    fn trigger_body(
        &self,
        channels: &[String],
        event: &str,
        socket_id: Option<&str>,
        info: Info,
        data: &Data,
    ) -> Result<Vec<u8>, Error> {
        let data = self.prepare_event(channels, event, socket_id, info, data)?;
        serde_json::to_vec(&WireTrigger {
            name: event,
            data: &data,
            channels,
            socket_id,
            info: info.to_param(),
        })
        .map_err(Error::serialize("trigger body"))
    }
}

pub(super) fn check_info(channels: &[String], info: Info) -> Result<(), ValidationError> {
    if info.has_user_count()
        && let Some(c) = channels.iter().find(|c| !c.starts_with(PRESENCE_PREFIX))
    {
        return Err(ValidationError::UserCountNeedsPresence { channel: c.clone() });
    }
    Ok(())
}

#[derive(Serialize)]
struct WireTrigger<'a> {
    name: &'a str,
    data: &'a str,
    channels: &'a [String],
    #[serde(skip_serializing_if = "Option::is_none")]
    socket_id: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    info: Option<String>,
}

#[derive(Serialize)]
struct WireBatchEvent<'a> {
    channel: &'a str,
    name: &'a str,
    data: std::borrow::Cow<'a, str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    socket_id: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    info: Option<String>,
}

#[derive(Serialize)]
struct WireBatch<'a, 'e> {
    batch: &'a [WireBatchEvent<'e>],
}

/// A trigger being prepared; made by [`Pusher::trigger`]. Await it (or call
/// [`send`](Self::send)) to validate and send it.
///
/// Like reqwest's `RequestBuilder`, it holds its own handle on the client (a reference-counted
/// clone), so it — and its future — can outlive the `Pusher` it came from, e.g. in a spawned task:
///
/// ```
/// use std::future::IntoFuture;
///
/// # async fn run(pusher: pusher_client::Pusher) {
/// let delivery = tokio::spawn(pusher.trigger("orders", "created", "{}").into_future());
/// drop(pusher);
/// let _ = delivery.await;
/// # }
/// ```
#[must_use = "a trigger does nothing until it is awaited"]
#[derive(Debug)]
pub struct Trigger {
    pub(super) pusher: Pusher,
    pub(super) channels: Vec<String>,
    pub(super) event: String,
    pub(super) data: Data,
    pub(super) socket_id: Option<String>,
    pub(super) info: Info,
    pub(super) idempotency_key: Option<String>,
}

impl Trigger {
    /// Sends this key as `X-Idempotency-Key`, so a server that honours it (sockudo does)
    /// delivers the event once however often the request is repeated — which also lets the
    /// client retry it after a timeout or a 5xx (see [`RetryPolicy`](crate::RetryPolicy)). Use a key unique to this
    /// event, e.g. your message id.
    pub fn idempotency_key(mut self, key: impl Into<String>) -> Self {
        self.idempotency_key = Some(key.into());
        self
    }

    /// Excludes the connection with this socket id (usually the sender's own) from receiving
    /// the event.
    pub fn exclude(mut self, socket_id: impl Into<String>) -> Self {
        self.socket_id = Some(socket_id.into());
        self
    }

    /// Asks for channel attributes in the answer ([`Info::USER_COUNT`] needs every channel to be
    /// a presence channel).
    pub fn info(mut self, info: Info) -> Self {
        self.info = info;
        self
    }

    /// Validates and sends the trigger.
    pub async fn send(self) -> Result<TriggerResponse, Error> {
        let body = self.body()?;
        let call = Call::post("/events", body).key(self.idempotency_key.as_deref());
        let (status, bytes) = self.pusher.execute(call).await?;
        parse(status, &bytes)
    }

    /// Validates and signs the trigger without sending it: the request awaiting it would send
    /// (signed with the client's clock), for your own HTTP stack or to send later (within
    /// Pusher's 600 s timestamp window). No retry policy applies; encryption does, with a
    /// fresh nonce.
    ///
    /// ```
    /// # let pusher = pusher_client::Pusher::builder("3", "key", "secret").build()?;
    /// let request = pusher.trigger("orders", "created", r#"{"id":42}"#).sign()?;
    /// assert_eq!(request.method(), "POST");
    /// assert!(request.url().contains("/apps/3/events?auth_key=key&auth_timestamp="));
    /// assert!(pusher.trigger("bad channel", "e", "x").sign().is_err()); // validated first
    /// # Ok::<(), pusher_client::Error>(())
    /// ```
    pub fn sign(self) -> Result<SignedRequest, Error> {
        let body = self.body()?;
        self.pusher
            .sign_trigger_post("/events", body, self.idempotency_key)
    }

    /// Validates the trigger and serialises its body (encrypting the data when needed).
    fn body(&self) -> Result<Vec<u8>, Error> {
        self.pusher.check_channels(&self.channels)?;
        self.pusher.trigger_body(
            &self.channels,
            &self.event,
            self.socket_id.as_deref(),
            self.info,
            &self.data,
        )
    }
}

into_future_via_send!(Trigger => TriggerResponse);

/// A batch trigger being prepared; made by [`Pusher::trigger_batch`]. Await it (or call
/// [`send`](Self::send)) to validate and send it.
#[must_use = "a batch does nothing until it is awaited"]
#[derive(Debug)]
pub struct TriggerBatch {
    pub(super) pusher: Pusher,
    pub(super) events: Vec<BatchEvent>,
    pub(super) idempotency_key: Option<String>,
}

impl TriggerBatch {
    /// Sends `X-Idempotency-Key` with the batch (see [`Trigger::idempotency_key`]). A batch split
    /// into several requests sends `{key}-0`, `{key}-1`, … one per request.
    pub fn idempotency_key(mut self, key: impl Into<String>) -> Self {
        self.idempotency_key = Some(key.into());
        self
    }

    /// Validates and sends the batch.
    pub async fn send(self) -> Result<BatchResponse, Error> {
        self.pusher
            .send_batch(self.events, self.idempotency_key.as_deref())
            .await
    }
}

into_future_via_send!(TriggerBatch => BatchResponse);

/// An event for one signed-in user, being prepared; made by [`Pusher::send_to_user`]. Await
/// it (or call [`send`](Self::send)) to validate and send it.
#[must_use = "an event does nothing until it is awaited"]
#[derive(Debug)]
pub struct SendToUser {
    pub(super) pusher: Pusher,
    pub(super) user_id: String,
    pub(super) event: String,
    pub(super) data: Data,
    pub(super) idempotency_key: Option<String>,
}

impl SendToUser {
    /// Sends `X-Idempotency-Key` (see [`Trigger::idempotency_key`]): the server delivers the
    /// event once however often the request is repeated, so the client may retry it after a
    /// timeout or a 5xx.
    pub fn idempotency_key(mut self, key: impl Into<String>) -> Self {
        self.idempotency_key = Some(key.into());
        self
    }

    /// Validates and sends the event to the user's `#server-to-user-{id}` channel.
    pub async fn send(self) -> Result<TriggerResponse, Error> {
        let pusher = &self.pusher;
        channel::check_addressable_user_id(
            &self.user_id,
            pusher.inner.limits.max_channel_name_len,
        )?;
        let channels = [format!("{USER_CHANNEL_PREFIX}{}", self.user_id)];
        let body = pusher.trigger_body(&channels, &self.event, None, Info::NONE, &self.data)?;
        let call = Call::post("/events", body).key(self.idempotency_key.as_deref());
        let (status, bytes) = pusher.execute(call).await?;
        parse(status, &bytes)
    }
}

into_future_via_send!(SendToUser => TriggerResponse);
