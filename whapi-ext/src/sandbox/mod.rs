//! A stateful local Whapi (feature `sandbox`), for tests and for trying a
//! bot without an account: it keeps one channel in memory and answers the
//! service's paths as the service does.
//!
//! - Sends (`POST /messages/{kind}`, JSON or a form with its file) create
//!   messages with fresh ids in the chat they went to; each then goes
//!   `sent`, `delivered` and `read`, and each step is a `statuses` webhook.
//! - Chats and messages page for real (`count`, `offset`, a right `total`),
//!   newest first; media uploaded downloads back byte for byte.
//! - Webhooks registered with `PATCH /settings` (or
//!   [`Whapi::ensure_webhook`]) get the events in the shape the live
//!   service sends (`event.event`); [`Sandbox::receive_text`] and
//!   [`Sandbox::press_button`] inject what a person would send;
//!   [`Sandbox::set_status`], [`Sandbox::join_group`],
//!   [`Sandbox::leave_group`] and [`Sandbox::set_presence`] what their
//!   phone would report.
//! - [`Sandbox::sent_to`] and [`Sandbox::wait_for_sent`] tell what was sent
//!   to a chat, for assertions.
//!
//! - [`Sandbox::fail_next`] makes the next calls of an operation meet a
//!   [`Fault`]: an error status with `Retry-After`, a stall, a cut answer.
//!
//! Every request is checked against the spec first, as the service (and
//! Prism) would check it: one that breaks it is refused with `400` and the
//! service's error body, every reason in `error.details`.
//!
//! It emulates health, settings, chats, messages, sends, media, groups
//! (create, participants, admins, invite, icon), labels, contacts,
//! presences and newsletters (created, posted to, found by cursor, their
//! messages paged with `before`): [`emulated_operations`];
//! every other operation of the spec answers the spec's example, marked
//! `x-sandbox-answer: example` ([`example_operations`]).
//!
//! From other tools and languages, run it as a program
//! (`cargo run -p whapi-ext --features sandbox --bin whapi-sandbox -- --port 8080`)
//! and drive it over HTTP beside the service's paths:
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
//!
//! ```no_run
//! # async fn run() -> Result<(), Box<dyn std::error::Error>> {
//! use whapi_ext::sandbox::Sandbox;
//!
//! let sandbox = Sandbox::start().await?;
//! let wa = sandbox.client();
//! let sent = wa.send_message_text("+1 555 010 0000", "hi").await?;
//! assert_eq!(sandbox.sent_to("15550100000")[0].id, sent.id());
//! # Ok(())
//! # }
//! ```

mod check;
mod contacts;
mod control;
mod faults;
mod groups;
mod inject;
mod labels;
mod newsletters;
mod routes;
mod spec;
mod state;

pub use check::ANSWER_HEADER;
pub use faults::Fault;

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use serde_json::{json, Value};
use tokio::sync::Notify;

use self::state::{chat_of, Channel, Event, PROGRESS};
use crate::{Error, Result, Whapi};

/// How a sandbox runs; see [`Sandbox::builder`].
#[derive(Clone)]
#[must_use]
pub struct SandboxBuilder {
    channel_id: String,
    token: String,
    status_step: Duration,
    port: u16,
}

impl std::fmt::Debug for SandboxBuilder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SandboxBuilder")
            .field("channel_id", &self.channel_id)
            .field("token", &"(hidden)")
            .field("status_step", &self.status_step)
            .field("port", &self.port)
            .finish()
    }
}

impl Default for SandboxBuilder {
    fn default() -> Self {
        Self {
            channel_id: "SANDBOX-0001".into(),
            token: "sandbox-token".into(),
            status_step: Duration::from_millis(20),
            port: 0,
        }
    }
}

impl SandboxBuilder {
    /// The channel's id (default `SANDBOX-0001`).
    pub fn channel_id(mut self, id: impl Into<String>) -> Self {
        self.channel_id = id.into();
        self
    }

    /// The bearer token requests must carry (default `sandbox-token`).
    pub fn token(mut self, token: impl Into<String>) -> Self {
        self.token = token.into();
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

    /// Starts the sandbox on the current tokio runtime.
    pub async fn start(self) -> Result<Sandbox> {
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
        let (deliveries, queue) = tokio::sync::mpsc::unbounded_channel();
        let shared = Arc::new(Shared {
            spec,
            channel: Mutex::new(Channel::new(self.channel_id)),
            token: self.token,
            started: Instant::now(),
            sent: Notify::new(),
            status_step: self.status_step,
            deliveries,
            faults: faults::Faults::default(),
            groups: Mutex::default(),
            labels: Mutex::default(),
            contacts: Mutex::default(),
            newsletters: Mutex::default(),
            stop: Notify::new(),
        });
        tokio::spawn(deliver_in_order(shared.clone(), queue));
        // Built once here: a token no client takes is refused now.
        let client = Whapi::builder()
            .token(shared.token.clone())
            .base_url(format!("http://{address}"))
            .build()?;
        let router = routes::router(shared.clone());
        let stopping = shared.clone();
        let server = tokio::spawn(async move {
            let stopped = async move { stopping.stop.notified().await };
            let _ = axum::serve(listener, router)
                .with_graceful_shutdown(stopped)
                .await;
        });
        Ok(Sandbox {
            shared,
            address,
            client,
            _server: server,
        })
    }
}

/// What the server, its tasks and the [`Sandbox`] share.
pub(crate) struct Shared {
    /// The spec requests are checked against.
    spec: &'static spec::Spec,
    channel: Mutex<Channel>,
    token: String,
    started: Instant,
    /// Woken on every send, for [`Sandbox::wait_for_sent`].
    sent: Notify,
    status_step: Duration,
    /// Events for the webhooks, delivered in order by one task.
    deliveries: tokio::sync::mpsc::UnboundedSender<Event>,
    pub(crate) faults: faults::Faults,
    groups: Mutex<groups::Groups>,
    labels: Mutex<labels::Labels>,
    contacts: Mutex<contacts::Contacts>,
    newsletters: Mutex<newsletters::Newsletters>,
    /// Told when the sandbox is dropped.
    stop: Notify,
}

impl Shared {
    fn notify_sent(&self) {
        self.sent.notify_waiters();
    }

    /// Moves a sent message through its statuses, one webhook each.
    fn progress(self: &Arc<Self>, id: String) {
        let shared = Arc::downgrade(self);
        let step = self.status_step;
        tokio::spawn(async move {
            for status in PROGRESS {
                tokio::time::sleep(step).await;
                // Gone with the sandbox.
                let Some(shared) = shared.upgrade() else {
                    return;
                };
                let event = shared.lock().advance(&id, status);
                if let Some(event) = event {
                    shared.deliver(event);
                }
            }
        });
    }

    /// Queues an event for the webhooks registered for it.
    fn deliver(&self, event: Event) {
        let _ = self.deliveries.send(event);
    }

    /// A message from a person, stored and posted to the webhooks; its id.
    pub(crate) async fn receive(
        &self,
        from: &str,
        kind: &str,
        content: Value,
        context: Option<Value>,
    ) -> std::result::Result<String, state::Refusal> {
        let event = self.lock().receive(from, kind, content, context)?;
        let id = event.body["messages"][0]["id"]
            .as_str()
            .unwrap_or_default()
            .to_string();
        self.deliver(event);
        Ok(id)
    }

    fn groups(&self) -> std::sync::MutexGuard<'_, groups::Groups> {
        self.groups.lock().unwrap_or_else(|p| p.into_inner())
    }

    fn labels(&self) -> std::sync::MutexGuard<'_, labels::Labels> {
        self.labels.lock().unwrap_or_else(|p| p.into_inner())
    }

    fn contacts(&self) -> std::sync::MutexGuard<'_, contacts::Contacts> {
        self.contacts.lock().unwrap_or_else(|p| p.into_inner())
    }

    fn newsletters(&self) -> std::sync::MutexGuard<'_, newsletters::Newsletters> {
        self.newsletters.lock().unwrap_or_else(|p| p.into_inner())
    }

    pub(crate) fn lock(&self) -> std::sync::MutexGuard<'_, Channel> {
        self.channel.lock().unwrap_or_else(|p| p.into_inner())
    }
}

/// Posts each event to every webhook registered for it, in the order they
/// happened, as the service does: again after a failure, a few times, each
/// attempt at most 5 s.
async fn deliver_in_order(
    shared: Arc<Shared>,
    mut queue: tokio::sync::mpsc::UnboundedReceiver<Event>,
) {
    const ATTEMPTS: u32 = 5;
    let http = reqwest::Client::builder()
        .timeout(Duration::from_secs(5))
        .build()
        .unwrap_or_default();
    let shared = Arc::downgrade(&shared);
    while let Some(event) = queue.recv().await {
        let Some(hooks) = shared
            .upgrade()
            .map(|s| s.lock().hooks_for(event.kind, event.method))
        else {
            return;
        };
        for (url, headers) in hooks {
            for attempt in 1..=ATTEMPTS {
                let mut request = http.post(&url).json(&event.body);
                for (name, value) in &headers {
                    request = request.header(name, value);
                }
                match request.send().await {
                    Ok(response) if response.status().is_success() => break,
                    outcome => {
                        tracing::debug!(%url, attempt, ?outcome, "the sandbox's webhook delivery failed");
                        if attempt < ATTEMPTS {
                            tokio::time::sleep(Duration::from_millis(100) * attempt).await;
                        }
                    }
                }
            }
        }
    }
}

/// A running sandbox; dropping it stops its server.
#[derive(Debug)]
pub struct Sandbox {
    shared: Arc<Shared>,
    address: SocketAddr,
    client: Whapi,
    /// Its server's task, kept so it is not detached unseen.
    _server: tokio::task::JoinHandle<()>,
}

impl std::fmt::Debug for Shared {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Shared").finish_non_exhaustive()
    }
}

/// A message the channel sent, as the sandbox recorded it.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct SentMessage {
    /// Its id.
    pub id: String,
    /// Its type (`text`, `image`, `interactive`, …).
    pub kind: String,
    /// What a person reads: a text's body, an interactive message's body,
    /// a caption.
    pub text: Option<String>,
    /// Its status now (`pending`, `sent`, `delivered`, `read`).
    pub status: String,
    /// The message as the service would list it.
    pub raw: Value,
}

impl SentMessage {
    fn from_stored(message: &Value) -> Self {
        let kind = message["type"].as_str().unwrap_or_default().to_string();
        let content = &message[kind.as_str()];
        let text = [
            &content["body"],
            &content["body"]["text"],
            &content["caption"],
        ]
        .into_iter()
        .find_map(|v| v.as_str())
        .map(str::to_string);
        Self {
            id: message["id"].as_str().unwrap_or_default().to_string(),
            text,
            status: message["status"].as_str().unwrap_or_default().to_string(),
            raw: message.clone(),
            kind,
        }
    }
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

    /// A client of it: its URL and token.
    pub fn client(&self) -> Whapi {
        self.client.clone()
    }

    /// A text message from the person at `from` (a phone number) to the
    /// channel: stored in their chat and posted to the webhooks. Its id.
    pub async fn receive_text(&self, from: &str, text: &str) -> Result<String> {
        self.receive(from, "text", json!({"body": text}), None)
            .await
    }

    /// The person at `from` pressing the button `button_id` (titled
    /// `title`) under the message `quoted`: a `reply` message, its id as
    /// the live service writes it (`ButtonsV3:<id>`). Its id.
    pub async fn press_button(
        &self,
        from: &str,
        button_id: &str,
        title: &str,
        quoted: Option<&str>,
    ) -> Result<String> {
        let (reply, context) = button_reply(button_id, title, quoted);
        self.receive(from, "reply", reply, context).await
    }

    /// Sets the status of a message the channel sent (`sent`,
    /// `delivered`, `read`, `played`, `failed`, `deleted`, `pending`), as
    /// when its recipient's phone reports it: its `statuses` webhook is
    /// posted. Fails for an unknown message or status.
    pub fn set_status(&self, message_id: &str, status: &str) -> Result<()> {
        self.shared
            .set_status(message_id, status)
            .map_err(|refusal| Error::invalid("message_id", refusal.message))
    }

    /// The person at `from` (a phone number) joins group `group_id` (by an
    /// invite link, say): a participant from now on, and a
    /// `groups_participants` webhook with action `add`.
    pub fn join_group(&self, group_id: &str, from: &str) -> Result<()> {
        self.shared
            .change_membership(group_id, from, true)
            .map_err(|refusal| Error::invalid("group_id", refusal.message))
    }

    /// The person at `from` leaves group `group_id`: a
    /// `groups_participants` webhook with action `remove`.
    pub fn leave_group(&self, group_id: &str, from: &str) -> Result<()> {
        self.shared
            .change_membership(group_id, from, false)
            .map_err(|refusal| Error::invalid("group_id", refusal.message))
    }

    /// The person at `from` is now `status` (`online`, `offline`,
    /// `typing`, `recording`, `pending`): `GET /presences/{id}` reads it,
    /// and a `presences` webhook is posted if the channel subscribed to
    /// them (`POST /presences/{id}`).
    pub fn set_presence(&self, from: &str, status: &str) -> Result<()> {
        self.shared
            .set_presence(from, status)
            .map_err(|refusal| Error::invalid("presence", refusal.message))
    }

    /// The presences the channel sent to `chat` (`typing`, `recording`,
    /// `pause`), oldest first.
    pub fn presences_sent_to(&self, chat: &str) -> Vec<String> {
        let Ok(chat) = chat_of(chat) else {
            return Vec::new();
        };
        self.shared
            .contacts()
            .sent
            .iter()
            .filter(|(to, _)| *to == chat)
            .map(|(_, presence)| presence.clone())
            .collect()
    }

    async fn receive(
        &self,
        from: &str,
        kind: &str,
        content: Value,
        context: Option<Value>,
    ) -> Result<String> {
        self.shared
            .receive(from, kind, content, context)
            .await
            .map_err(|refusal| Error::invalid("from", refusal.message))
    }

    /// Makes the next `times` calls of `operation` (its operationId, such
    /// as `sendMessageText`, or the client method's name, `send_message_text`)
    /// meet `fault` instead of their usual answer. Fails for an unknown
    /// operation.
    pub fn fail_next(&self, operation: &str, times: usize, fault: Fault) -> Result<()> {
        let found = operation_named(operation).ok_or_else(|| {
            Error::invalid("operation", format!("no operation is named `{operation}`"))
        })?;
        faults::check(&fault).map_err(|rule| Error::invalid("fault", rule))?;
        self.shared.faults.add(found.name, times, fault);
        Ok(())
    }

    /// Forgets every fault still waiting for its calls.
    pub fn clear_faults(&self) {
        self.shared.faults.clear();
    }

    /// What the channel sent to `chat` (a phone number or a chat id),
    /// oldest first.
    pub fn sent_to(&self, chat: &str) -> Vec<SentMessage> {
        let Ok(chat) = chat_of(chat) else {
            return Vec::new();
        };
        self.shared
            .lock()
            .sent_to(&chat)
            .iter()
            .map(SentMessage::from_stored)
            .collect()
    }

    /// Waits until the channel has sent `count` messages to `chat`, at most
    /// `timeout`; what it sent. An error names what was sent by then.
    pub async fn wait_for_sent(
        &self,
        chat: &str,
        count: usize,
        timeout: Duration,
    ) -> Result<Vec<SentMessage>> {
        let deadline = Instant::now().checked_add(timeout);
        loop {
            let woken = self.shared.sent.notified();
            let sent = self.sent_to(chat);
            if sent.len() >= count {
                return Ok(sent);
            }
            let left = deadline.map_or(Duration::MAX, |d| {
                d.saturating_duration_since(Instant::now())
            });
            if left.is_zero() || tokio::time::timeout(left, woken).await.is_err() {
                return Err(Error::Other(format!(
                    "{} message(s) sent to {chat} within {timeout:?}, not {count}",
                    self.sent_to(chat).len()
                )));
            }
        }
    }
}

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

/// An operation by its operationId or its client method's name.
pub(crate) fn operation_named(name: &str) -> Option<&'static whapi_client::Operation> {
    whapi_client::OPERATIONS
        .iter()
        .find(|op| op.operation_id == name || op.name == name)
}

/// A `reply` message's content and context: the button `button_id`
/// pressed, its id as the live service writes it (`ButtonsV3:<id>`).
fn button_reply(button_id: &str, title: &str, quoted: Option<&str>) -> (Value, Option<Value>) {
    let reply = json!({"type": "buttons_reply",
                       "buttons_reply": {"id": format!("ButtonsV3:{button_id}"), "title": title}});
    (reply, quoted.map(|id| json!({"quoted_id": id})))
}

impl Drop for Sandbox {
    fn drop(&mut self) {
        // Idle connections close at once, busy ones after their answer.
        self.shared.stop.notify_one();
    }
}
