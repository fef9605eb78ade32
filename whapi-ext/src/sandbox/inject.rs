//! What tests inject beside messages: a sent message's status changing, a
//! person joining or leaving a group, a person's presence. Each changes the
//! state as the service's would and posts its webhook event.

use serde_json::json;

use super::contacts::phone_of;
use super::state::{Event, Refusal};
use super::Shared;

/// The statuses a message can be set to, in the order of their codes.
const STATUSES: [&str; 7] = [
    "failed",
    "pending",
    "sent",
    "delivered",
    "read",
    "played",
    "deleted",
];

/// The presences a person can have.
const PRESENCES: [&str; 5] = ["online", "offline", "typing", "recording", "pending"];

impl Shared {
    /// Sets a message's status; posts its `statuses` event.
    pub(crate) fn set_status(&self, message_id: &str, status: &str) -> Result<(), Refusal> {
        let code = STATUSES.iter().position(|s| *s == status).ok_or_else(|| {
            Refusal::bad_request(format!("a status is one of {STATUSES:?}, not `{status}`"))
        })?;
        let event = self
            .lock()
            .set_status(message_id, status, code)
            .ok_or_else(|| Refusal::not_found(format!("no message {message_id}")))?;
        self.deliver(event);
        Ok(())
    }

    /// The person at `from` joins (or leaves) group `group_id`; posts its
    /// `groups_participants` event.
    pub(crate) fn change_membership(
        &self,
        group_id: &str,
        from: &str,
        joins: bool,
    ) -> Result<(), Refusal> {
        let phone = phone_of(from)?;
        let changed =
            self.groups()
                .change_members(group_id, std::slice::from_ref(&phone), joins)?;
        if changed["success"] != true {
            let what = if joins { "is already in" } else { "is not in" };
            return Err(Refusal::new(409, format!("{phone} {what} {group_id}")));
        }
        let channel = self.lock().id.clone();
        let action = if joins { "add" } else { "remove" };
        self.deliver(Event {
            kind: "groups",
            method: "put",
            body: json!({
                "groups_participants": [{"group_id": group_id, "participants": [phone], "action": action}],
                "event": {"type": "groups", "event": "put"},
                "channel_id": channel,
            }),
        });
        Ok(())
    }

    /// The person at `from` comes online, types, goes offline…; posts a
    /// `presences` event if the channel subscribed to them.
    pub(crate) fn set_presence(&self, from: &str, status: &str) -> Result<(), Refusal> {
        if !PRESENCES.contains(&status) {
            return Err(Refusal::bad_request(format!(
                "a presence is one of {PRESENCES:?}, not `{status}`"
            )));
        }
        let phone = phone_of(from)?;
        let channel = self.lock().id.clone();
        if let Some(event) = self.contacts().set_presence(&phone, status, &channel) {
            self.deliver(event);
        }
        Ok(())
    }
}
