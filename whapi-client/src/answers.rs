//! Shortcuts to what people read after a call, beyond one field: the id of
//! the message a send created, an invite's link, whether a number is on
//! WhatsApp. Each field has its own accessor (`accessors.rs`, generated).

use crate::ids::{ContactId, GroupId, MessageId};
use crate::types;

/// The text of an optional string, empty when absent.
fn text(value: Option<&String>) -> &str {
    value.map_or("", String::as_str)
}

impl types::SentMessage {
    /// The id of the message the service created (empty if it gave none).
    pub fn id(&self) -> &MessageId {
        self.message()
            .map_or(&crate::accessors::EMPTY_MESSAGE_ID, types::Message::id)
    }
}

impl types::NewGroup {
    /// The new group's id (empty if the service gave none).
    pub fn id(&self) -> &GroupId {
        self.group_id
            .as_ref()
            .unwrap_or(&crate::accessors::EMPTY_GROUP_ID)
    }
}

impl types::UploadMediaResponse {
    /// The id of the first (usually only) file uploaded, for sending it
    /// again or downloading it (empty if the service gave none).
    pub fn id(&self) -> &str {
        self.media
            .first()
            .and_then(|m| m.id.as_ref())
            .map_or("", |id| id.0.as_str())
    }
}

impl types::Health {
    /// The channel's status as text: `AUTH` when it is logged in and
    /// working, `QR` when it waits for a QR code scan (empty if the service
    /// gave none).
    pub fn status_text(&self) -> &str {
        self.status
            .as_ref()
            .map_or("", |status| text(status.text.as_ref()))
    }

    /// Whether the channel is logged in and working (`AUTH`).
    pub fn is_authorized(&self) -> bool {
        self.status_text() == "AUTH"
    }
}

impl types::GroupInviteReceived {
    /// The invite code (empty if the service gave none).
    pub fn code(&self) -> &str {
        text(self.invite_code.as_ref())
    }

    /// The invite link people open to join (empty if there is no code).
    pub fn link(&self) -> String {
        match self.code() {
            "" => String::new(),
            code => format!("https://chat.whatsapp.com/{code}"),
        }
    }
}

impl types::CheckContact {
    /// Whether the number is on WhatsApp.
    pub fn is_valid(&self) -> bool {
        self.status() == Some("valid")
    }
}

impl types::CheckContactResponse {
    /// The WhatsApp id of the first number checked, if it is on WhatsApp:
    /// the answer to checking one number.
    pub fn wa_id(&self) -> Option<&ContactId> {
        self.contacts().first().and_then(types::CheckContact::wa_id)
    }

    /// The WhatsApp id of the number checked as `input`, if it is on
    /// WhatsApp.
    pub fn wa_id_of(&self, input: &str) -> Option<&ContactId> {
        self.contacts()
            .iter()
            .find(|c| c.input() == Some(input))
            .and_then(types::CheckContact::wa_id)
            .filter(|id| !id.is_empty())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn decode<T: serde::de::DeserializeOwned>(json: &str) -> T {
        serde_json::from_str(json).unwrap()
    }

    #[test]
    fn answers_read_in_one_step() {
        let sent: types::SentMessage =
            decode(r#"{"sent":true,"message":{"id":"PsobWy36679._7w-wKmB9tMeGQ"}}"#);
        assert_eq!(sent.id(), "PsobWy36679._7w-wKmB9tMeGQ");
        assert!(sent.sent());
        let health: types::Health = decode(r#"{"status":{"code":4,"text":"AUTH"}}"#);
        assert!(health.is_authorized());
        let invite: types::GroupInviteReceived = decode(r#"{"invite_code":"AbC"}"#);
        assert_eq!(invite.link(), "https://chat.whatsapp.com/AbC");
        let checked: types::CheckContactResponse = decode(
            r#"{"contacts":[{"input":"+1 555","status":"valid","wa_id":"1555"},{"input":"x","status":"invalid"}]}"#,
        );
        assert_eq!(checked.wa_id().map(|id| id.as_str()), Some("1555"));
        assert_eq!(checked.wa_id_of("+1 555").unwrap(), "1555");
        assert_eq!(checked.wa_id_of("x"), None);
        let uploaded: types::UploadMediaResponse = decode(r#"{"media":[{"id":"jpeg-0123abcd"}]}"#);
        assert_eq!(uploaded.id(), "jpeg-0123abcd");
    }

    #[test]
    fn missing_fields_read_as_empty_not_as_errors() {
        let sent: types::SentMessage = decode("{}");
        assert_eq!(sent.id(), "");
        assert!(!sent.sent());
        let health: types::Health = decode("{}");
        assert_eq!(health.status_text(), "");
        assert_eq!(decode::<types::GroupInviteReceived>("{}").link(), "");
        assert_eq!(decode::<types::CheckContactResponse>("{}").wa_id(), None);
    }
}
