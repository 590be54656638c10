//! Assertions over what the fake accepted, with messages that list what did arrive.

use crate::record::{Rejection, Trigger};
use crate::server::FakePusher;

/// A matcher over the events a [`FakePusher`] accepted, from
/// [`FakePusher::expect_trigger`]. Each method narrows it; [`assert`](Self::assert),
/// [`assert_count`](Self::assert_count) or [`assert_none`](Self::assert_none) checks it and, on
/// failure, panics with a message listing every event that did arrive (and any rejections).
///
/// ```
/// use pusher_testing::FakePusher;
/// use serde_json::json;
///
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> Result<(), pusher_client::Error> {
/// let fake = FakePusher::in_memory();
/// let pusher = fake.client();
/// pusher.trigger(["orders", "audit"], "created", json!({"id": 7, "total": 12})).exclude("1.2").await?;
///
/// let trigger = fake
///     .expect_trigger()
///     .channel("orders")
///     .event("created")
///     .data_json(json!({"total": 12, "id": 7})) // compared as JSON: key order is irrelevant
///     .excluding("1.2")
///     .assert();
/// assert_eq!(trigger.channels, ["orders", "audit"]);
/// fake.expect_trigger().event("deleted").assert_none();
/// # Ok(()) }
/// ```
#[derive(Debug)]
#[must_use = "a matcher checks nothing until one of its `assert` methods is called"]
pub struct TriggerMatcher<'a> {
    fake: &'a FakePusher,
    conditions: Vec<Condition>,
}

#[derive(Debug, Clone)]
enum Condition {
    Channel(String),
    Channels(Vec<String>),
    Event(String),
    Data(String),
    DataJson(serde_json::Value),
    DataContains(String),
    Excluding(Option<String>),
    InBatch(bool),
}

impl Condition {
    fn matches(&self, t: &Trigger) -> bool {
        match self {
            Condition::Channel(c) => t.on(c),
            Condition::Channels(cs) => t.channels == *cs,
            Condition::Event(e) => t.event == *e,
            Condition::Data(d) => t.data == *d,
            Condition::DataJson(v) => {
                serde_json::from_str::<serde_json::Value>(&t.data).is_ok_and(|data| data == *v)
            }
            Condition::DataContains(s) => t.data.contains(s.as_str()),
            Condition::Excluding(s) => t.socket_id == *s,
            Condition::InBatch(b) => t.batch_index.is_some() == *b,
        }
    }

    fn describe(&self) -> String {
        match self {
            Condition::Channel(c) => format!("on channel {c:?}"),
            Condition::Channels(cs) => format!("on exactly the channels {cs:?}"),
            Condition::Event(e) => format!("named {e:?}"),
            Condition::Data(d) => format!("with data {d:?}"),
            Condition::DataJson(v) => format!("with data equal to the JSON {v}"),
            Condition::DataContains(s) => format!("with data containing {s:?}"),
            Condition::Excluding(Some(s)) => format!("excluding socket {s:?}"),
            Condition::Excluding(None) => "excluding no socket".to_owned(),
            Condition::InBatch(true) => "sent in a batch".to_owned(),
            Condition::InBatch(false) => "not sent in a batch".to_owned(),
        }
    }
}

impl<'a> TriggerMatcher<'a> {
    pub(crate) fn new(fake: &'a FakePusher) -> Self {
        TriggerMatcher {
            fake,
            conditions: Vec::new(),
        }
    }

    fn with(mut self, condition: Condition) -> Self {
        self.conditions.push(condition);
        self
    }

    /// Published to `channel` (among others, maybe).
    pub fn channel(self, channel: impl Into<String>) -> Self {
        self.with(Condition::Channel(channel.into()))
    }

    /// Published to exactly these channels, in this order.
    pub fn channels<S: Into<String>>(self, channels: impl IntoIterator<Item = S>) -> Self {
        self.with(Condition::Channels(
            channels.into_iter().map(Into::into).collect(),
        ))
    }

    /// With this event name.
    pub fn event(self, event: impl Into<String>) -> Self {
        self.with(Condition::Event(event.into()))
    }

    /// With exactly this data string (decrypted, on encrypted channels the fake can read).
    pub fn data(self, data: impl Into<String>) -> Self {
        self.with(Condition::Data(data.into()))
    }

    /// With data that parses as JSON equal to `value` (key order and spacing irrelevant).
    pub fn data_json(self, value: serde_json::Value) -> Self {
        self.with(Condition::DataJson(value))
    }

    /// With data containing `fragment`.
    pub fn data_contains(self, fragment: impl Into<String>) -> Self {
        self.with(Condition::DataContains(fragment.into()))
    }

    /// Excluding this socket id (`Trigger::exclude`).
    pub fn excluding(self, socket_id: impl Into<String>) -> Self {
        self.with(Condition::Excluding(Some(socket_id.into())))
    }

    /// Excluding no socket.
    pub fn excluding_none(self) -> Self {
        self.with(Condition::Excluding(None))
    }

    /// Sent in a batch (`true`) or by a single trigger (`false`).
    pub fn in_batch(self, in_batch: bool) -> Self {
        self.with(Condition::InBatch(in_batch))
    }

    /// The events that match, in order (no assertion).
    pub fn matches(&self) -> Vec<Trigger> {
        self.fake
            .triggers()
            .into_iter()
            .filter(|t| self.conditions.iter().all(|c| c.matches(t)))
            .collect()
    }

    /// Asserts at least one event matches, and returns the first.
    ///
    /// # Panics
    /// If none matches (by design), listing the events that did arrive.
    #[track_caller]
    pub fn assert(self) -> Trigger {
        match self.matches().into_iter().next() {
            Some(t) => t,
            None => panic!("{}", self.failure("at least one event", 0)),
        }
    }

    /// Asserts exactly `n` events match, and returns them.
    ///
    /// # Panics
    /// If another number matches (by design), listing the events that did arrive.
    #[track_caller]
    pub fn assert_count(self, n: usize) -> Vec<Trigger> {
        let found = self.matches();
        if found.len() != n {
            panic!(
                "{}",
                self.failure(&format!("exactly {n} event(s)"), found.len())
            );
        }
        found
    }

    /// Asserts no event matches.
    ///
    /// # Panics
    /// If one does (by design), listing the events that did arrive.
    #[track_caller]
    pub fn assert_none(self) {
        let found = self.matches().len();
        if found != 0 {
            panic!("{}", self.failure("no event", found));
        }
    }

    fn failure(&self, wanted: &str, found: usize) -> String {
        let conditions: Vec<String> = self.conditions.iter().map(Condition::describe).collect();
        let what = if conditions.is_empty() {
            "(any)".to_owned()
        } else {
            conditions.join(", ")
        };
        let triggers = self.fake.triggers();
        format!(
            "expected {wanted} {what}; {found} matched. The fake Pusher accepted {} event(s):\n{}{}",
            triggers.len(),
            describe(&triggers),
            describe_rejections(&self.fake.rejections())
        )
    }
}

/// One line per event, for failure messages.
pub(crate) fn describe(triggers: &[Trigger]) -> String {
    if triggers.is_empty() {
        return "  (none)\n".to_owned();
    }
    triggers
        .iter()
        .map(|t| {
            let mut data = t.data.clone();
            if data.len() > 200 {
                let mut end = 200;
                while !data.is_char_boundary(end) {
                    end -= 1;
                }
                data.truncate(end);
                data.push('…');
            }
            let mut line = format!("  - {:?} on {:?} data {data}", t.event, t.channels);
            if let Some(s) = &t.socket_id {
                line.push_str(&format!(" excluding {s:?}"));
            }
            if let Some(i) = t.batch_index {
                line.push_str(&format!(" (batch event {i})"));
            }
            line.push('\n');
            line
        })
        .collect()
}

/// The rejections, for failure messages (empty when there are none).
pub(crate) fn describe_rejections(rejections: &[Rejection]) -> String {
    if rejections.is_empty() {
        return String::new();
    }
    let list: Vec<String> = rejections.iter().map(|r| format!("  - {r}\n")).collect();
    format!(
        "and refused {} request(s):\n{}",
        rejections.len(),
        list.concat()
    )
}
