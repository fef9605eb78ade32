//! A stateful local Whapi (feature `sandbox`), for tests and for trying a
//! bot without an account: it keeps one or more channels in memory
//! ([`SandboxBuilder::add_channel`]; a request's token names its channel)
//! and answers the service's paths as the service does.
//!
//! - Sends (`POST /messages/{kind}`, JSON or a form with its file) create
//!   messages with fresh ids in the chat they went to; each then goes
//!   `sent`, `delivered` and `read`, and each step is a `statuses` webhook.
//! - Chats and messages page for real (`count`, `offset`, a right `total`),
//!   newest first; media uploaded downloads back byte for byte.
//! - Webhooks registered with `PATCH /settings` (or
//!   [`Whapi::ensure_webhook`]) get the events in the shape the live
//!   service sends (`event.event`); [`SandboxChannel::receive_text`] and
//!   [`SandboxChannel::press_button`] inject what a person would send;
//!   [`SandboxChannel::set_status`], [`SandboxChannel::join_group`],
//!   [`SandboxChannel::leave_group`] and [`SandboxChannel::set_presence`] what their
//!   phone would report.
//! - [`SandboxChannel::sent_to`] and [`SandboxChannel::wait_for_sent`] tell what was sent
//!   to a chat, for assertions.
//!
//! - [`SandboxChannel::fail_next`] makes the next calls of an operation meet a
//!   [`Fault`]: an error status with `Retry-After`, a stall, a cut answer.
//!
//! Every request is checked against the spec first, as the service (and
//! Prism) would check it: one that breaks it is refused with `400` and the
//! service's error body, every reason in `error.details`.
//!
//! It emulates health, settings (and their reset), chats, messages (read,
//! reacted to, forwarded, edited, deleted), every send (and contact cards,
//! group invites), media (uploaded, listed, deleted), groups (create,
//! rename, leave, participants, admins, invite codes, icon), labels,
//! contacts, presences and newsletters (created, posted to, found by
//! cursor, their messages paged with `before`): [`emulated_operations`];
//! every other operation of the spec answers the spec's example, marked
//! `x-sandbox-answer: example` ([`example_operations`]).
//!
//! From other tools and languages, run it as a program
//! (`cargo run -p whapi-ext --features sandbox --bin whapi-sandbox -- --port 8080`)
//! and drive it over HTTP beside the service's paths, with the channel's
//! token as on them:
//!
//! | request | does |
//! |---|---|
//! | `POST /_sandbox/receive` `{"from": "15550100000", "text": "hi"}` | a person's text, posted to the webhooks; answers its `id` |
//! | `POST /_sandbox/press` `{"from": …, "button_id": "yes", "title": "Yes"}` | a button pressed |
//! | `POST /_sandbox/status` `{"message_id": …, "status": "read"}` | a sent message's status changes |
//! | `POST /_sandbox/join` `{"group_id": …, "from": …}` (and `/_sandbox/leave`) | a person joins (leaves) a group |
//! | `POST /_sandbox/presence` `{"from": …, "status": "typing"}` | a person's presence |
//! | `GET /_sandbox/sent/{chat}` | what was sent to the chat, oldest first |
//! | `GET /_sandbox/operations` | `{"emulated": […], "examples": […]}`: which operations answer from state, which from the spec's examples |
//! | `POST /_sandbox/faults` `{"operation": "sendMessageText", "times": 2, "status": 429, "retry_after": 1}` | the next calls answer that status (or `"stall_ms": 5000`, or `"cut": true`) |
//! | `DELETE /_sandbox/faults` | forgets the faults still waiting |
//!
//! ```no_run
//! # async fn run() -> Result<(), Box<dyn std::error::Error>> {
//! use whapi_ext::sandbox::Sandbox;
//!
//! let sandbox = Sandbox::start().await?;
//! let wa = sandbox.client();
//! let sent = wa.send_message_text("+1 555 010 0000", "hi").await?;
//! assert_eq!(sent.id(), sandbox.sent_to("15550100000")[0].id.as_str());
//! # Ok(())
//! # }
//! ```

mod channel;
mod check;
mod contacts;
mod control;
mod faults;
mod groups;
mod inject;
mod labels;
mod newsletters;
mod routes;
mod shared;
mod spec;
mod state;

pub use channel::{SandboxChannel, SentMessage};
pub use check::ANSWER_HEADER;
pub use faults::Fault;

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use serde_json::{json, Value};
use tokio::sync::Notify;

use self::shared::Shared;
use crate::{Error, Result, Whapi};

/// How a sandbox runs; see [`Sandbox::builder`].
#[derive(Clone)]
#[must_use]
pub struct SandboxBuilder {
    /// Each channel's id and token; the first is the sandbox's own.
    channels: Vec<(String, String)>,
    status_step: Duration,
    port: u16,
}

impl std::fmt::Debug for SandboxBuilder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let ids: Vec<&str> = self.channels.iter().map(|(id, _)| id.as_str()).collect();
        f.debug_struct("SandboxBuilder")
            .field("channels", &ids)
            .field("tokens", &"(hidden)")
            .field("status_step", &self.status_step)
            .field("port", &self.port)
            .finish()
    }
}

impl Default for SandboxBuilder {
    fn default() -> Self {
        Self {
            channels: vec![("SANDBOX-0001".into(), "sandbox-token".into())],
            status_step: Duration::from_millis(20),
            port: 0,
        }
    }
}

impl SandboxBuilder {
    /// The first channel's id (default `SANDBOX-0001`).
    pub fn channel_id(mut self, id: impl Into<String>) -> Self {
        self.channels[0].0 = id.into();
        self
    }

    /// The bearer token of the first channel (default `sandbox-token`).
    pub fn token(mut self, token: impl Into<String>) -> Self {
        self.channels[0].1 = token.into();
        self
    }

    /// One more channel, on the same URL: a request's token says which
    /// channel it is for, as on the service.
    pub fn add_channel(mut self, id: impl Into<String>, token: impl Into<String>) -> Self {
        self.channels.push((id.into(), token.into()));
        self
    }

    /// The wait between a sent message's statuses (default 20 ms).
    pub fn status_step(mut self, step: Duration) -> Self {
        self.status_step = step;
        self
    }

    /// The port on 127.0.0.1 (default 0: a free one).
    pub fn port(mut self, port: u16) -> Self {
        self.port = port;
        self
    }

    /// Starts the sandbox on the current tokio runtime. Fails for a port
    /// taken, or two channels with one id or one token.
    pub async fn start(self) -> Result<Sandbox> {
        for (i, (id, token)) in self.channels.iter().enumerate() {
            let earlier = &self.channels[..i];
            if earlier.iter().any(|(other, _)| other == id) {
                return Err(Error::Config(format!(
                    "two sandbox channels are named {id}"
                )));
            }
            if earlier.iter().any(|(_, other)| other == token) {
                return Err(Error::Config(format!(
                    "channel {id} has the token of an earlier channel"
                )));
            }
        }
        let listener = tokio::net::TcpListener::bind(("127.0.0.1", self.port))
            .await
            .map_err(|e| {
                Error::Config(format!(
                    "the sandbox could not listen on port {}: {e}",
                    self.port
                ))
            })?;
        let address = listener
            .local_addr()
            .map_err(|e| Error::Config(format!("the sandbox's address: {e}")))?;
        let spec = spec::spec().map_err(Error::Config)?;
        let mut channels = Vec::new();
        let mut routers = Vec::new();
        for (id, token) in self.channels {
            let shared = Shared::new(spec, id, token, self.status_step);
            // Built once here: a token no client takes is refused now.
            let client = Whapi::builder()
                .token(shared.token.clone())
                .base_url(format!("http://{address}"))
                .build()?;
            routers.push((shared.token.clone(), routes::router(shared.clone())));
            channels.push(SandboxChannel { shared, client });
        }
        let stop = Arc::new(Notify::new());
        let stopping = stop.clone();
        let router = routes::by_token(routers, address.port());
        let server = tokio::spawn(async move {
            let stopped = async move { stopping.notified().await };
            let _ = axum::serve(listener, router)
                .with_graceful_shutdown(stopped)
                .await;
        });
        Ok(Sandbox {
            channels,
            address,
            stop,
            _server: server,
        })
    }
}

/// A running sandbox; dropping it stops its server. It is its first
/// channel (`sandbox.client()`, `sandbox.receive_text(…)`, see
/// [`SandboxChannel`]); [`Sandbox::channel`] finds the others.
#[derive(Debug)]
pub struct Sandbox {
    /// At least one.
    channels: Vec<SandboxChannel>,
    address: SocketAddr,
    /// Told when the sandbox is dropped.
    stop: Arc<Notify>,
    /// Its server's task, kept so it is not detached unseen.
    _server: tokio::task::JoinHandle<()>,
}

impl Sandbox {
    /// A sandbox with the default settings.
    pub async fn start() -> Result<Sandbox> {
        SandboxBuilder::default().start().await
    }

    /// Its settings.
    pub fn builder() -> SandboxBuilder {
        SandboxBuilder::default()
    }

    /// Its base URL (`http://127.0.0.1:<port>`).
    pub fn url(&self) -> String {
        format!("http://{}", self.address)
    }

    /// The channel named `id`.
    pub fn channel(&self, id: &str) -> Option<&SandboxChannel> {
        self.channels.iter().find(|c| c.id() == id)
    }

    /// Every channel, the first one first.
    pub fn channels(&self) -> &[SandboxChannel] {
        &self.channels
    }
}

impl std::ops::Deref for Sandbox {
    type Target = SandboxChannel;

    fn deref(&self) -> &SandboxChannel {
        &self.channels[0]
    }
}

impl Drop for Sandbox {
    fn drop(&mut self) {
        // Idle connections close at once, busy ones after their answer.
        self.stop.notify_one();
    }
}

/// The channel's own number, as its health and presence tell it.
const HEALTH_USER: &str = "15550109999";

/// The operations the sandbox emulates (their operationIds): their calls
/// change and read its state.
pub fn emulated_operations() -> &'static [&'static str] {
    check::EMULATED
}

/// The operations the sandbox answers from the spec's examples, sorted
/// (their operationIds): the request is checked against the spec as any
/// other, and the answer is the spec's example, marked with the header
/// `x-sandbox-answer: example`. Also `GET /_sandbox/operations`.
pub fn example_operations() -> Vec<&'static str> {
    let mut ids: Vec<&'static str> = whapi_client::OPERATIONS
        .iter()
        .map(|op| op.operation_id)
        .filter(|id| !check::EMULATED.contains(id))
        .collect();
    ids.sort_unstable();
    ids.dedup();
    ids
}

/// A `reply` message's content and context: the button `button_id`
/// pressed, its id as the live service writes it (`ButtonsV3:<id>`).
fn button_reply(button_id: &str, title: &str, quoted: Option<&str>) -> (Value, Option<Value>) {
    let reply = json!({"type": "buttons_reply",
                       "buttons_reply": {"id": format!("ButtonsV3:{button_id}"), "title": title}});
    (reply, quoted.map(|id| json!({"quoted_id": id})))
}
