//! One channel of a sandbox, as tests drive it: its client, what a person
//! sends or their phone reports, what the channel sent, faults.

use std::sync::Arc;
use std::time::{Duration, Instant};

use serde_json::{json, Value};

use super::shared::Shared;
use super::state::chat_of;
use super::{button_reply, Fault};
use crate::{Error, Result, Whapi};

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

/// One channel of a running [`Sandbox`](super::Sandbox): its client and
/// what tests inject and read. The sandbox's first channel is the sandbox
/// itself (`sandbox.receive_text(…)`); others are
/// [`Sandbox::channel`](super::Sandbox::channel).
#[derive(Debug)]
pub struct SandboxChannel {
    pub(super) shared: Arc<Shared>,
    pub(super) client: Whapi,
}

impl SandboxChannel {
    /// Its id (`SANDBOX-0001` by default).
    pub fn id(&self) -> String {
        self.shared.lock().id.clone()
    }

    /// A client of it: the sandbox's URL and this channel's token.
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
            .map_err(|refusal| {
                let field = if refusal.status == 404 {
                    "message_id"
                } else {
                    "status"
                };
                Error::invalid(field, refusal.message)
            })
    }

    /// The person at `from` (a phone number) joins group `group_id` (by an
    /// invite link, say): a participant from now on, and a
    /// `groups_participants` webhook with action `add`.
    pub fn join_group(&self, group_id: &str, from: &str) -> Result<()> {
        self.shared
            .change_membership(group_id, from, true)
            .map_err(membership_refused)
    }

    /// The person at `from` leaves group `group_id`: a
    /// `groups_participants` webhook with action `remove`.
    pub fn leave_group(&self, group_id: &str, from: &str) -> Result<()> {
        self.shared
            .change_membership(group_id, from, false)
            .map_err(membership_refused)
    }

    /// The person at `from` is now `status` (`online`, `offline`,
    /// `typing`, `recording`, `pending`): `GET /presences/{id}` reads it,
    /// and a `presences` webhook is posted if the channel subscribed to
    /// them (`POST /presences/{id}`).
    pub fn set_presence(&self, from: &str, status: &str) -> Result<()> {
        self.shared.set_presence(from, status).map_err(|refusal| {
            let field = if refusal.message.starts_with("a presence") {
                "status"
            } else {
                "from"
            };
            Error::invalid(field, refusal.message)
        })
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
        self.shared
            .faults
            .set(operation, times, fault)
            .map(drop)
            .map_err(|(field, rule)| Error::invalid(field, rule))
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

/// A join or leave refused: the group unknown (404), the person already in
/// or not in it (409), or not a phone number.
fn membership_refused(refusal: super::state::Refusal) -> Error {
    let field = if refusal.status == 404 {
        "group_id"
    } else {
        "from"
    };
    Error::invalid(field, refusal.message)
}
