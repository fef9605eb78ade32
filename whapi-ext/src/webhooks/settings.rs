//! Registering a webhook in the channel's settings.
//!
//! The settings are read with `getChannelSettings` and written with
//! `updateChannelSettings`, like every request of this crate, and only the
//! `webhooks` list is written: the channel's other settings are left to
//! the server. The other webhooks are written back as they were read,
//! except that event types the spec calls deprecated take their new names
//! (`message` → `messages`, `ack` → `statuses`, `chat` → `chats`, `status`
//! → `channel`), and fields the spec does not define are not kept.

use std::collections::{BTreeSet, HashMap};

use whapi_client::types::{
    Event, EventMethod, Webhook, WebhookEventTypeType, WebhookParametersMode, WebhookReceived,
    Webhooks,
};

use crate::{Error, Result, Whapi};

/// An event as a comparable key: its type and method.
fn key(event: &Event) -> (String, String) {
    let text = |v: Option<serde_json::Value>| {
        v.and_then(|v| v.as_str().map(String::from))
            .unwrap_or_default()
    };
    (
        text(
            event
                .type_
                .as_ref()
                .and_then(|t| serde_json::to_value(t).ok()),
        ),
        text(
            event
                .method
                .as_ref()
                .and_then(|m| serde_json::to_value(m).ok()),
        ),
    )
}

fn keys(events: &[Event]) -> BTreeSet<(String, String)> {
    events.iter().map(key).collect()
}

/// The name the spec gives an event type, new names for deprecated ones.
fn event_type(name: &str) -> Option<WebhookEventTypeType> {
    let name = match name {
        "message" => "messages",
        "ack" => "statuses",
        "chat" => "chats",
        "status" => "channel",
        other => other,
    };
    serde_json::from_value(serde_json::Value::String(name.to_string())).ok()
}

/// A webhook as read, as a request can write it back.
fn writable(hook: WebhookReceived) -> Result<Webhook> {
    let url = hook.url.unwrap_or_default();
    let mut events = Vec::new();
    for event in hook.events {
        let type_ = match event.type_.as_deref() {
            Some(name) => Some(event_type(name).ok_or_else(|| {
                Error::invalid(
                    "webhooks",
                    format!("the webhook {url} has the event type `{name}`, which the spec does not know"),
                )
            })?),
            None => None,
        };
        let method = match event.method.as_deref() {
            Some(name) => Some(
                serde_json::from_value::<EventMethod>(serde_json::Value::String(name.into()))
                    .map_err(|_| {
                        Error::invalid(
                            "webhooks",
                            format!("the webhook {url} has the event method `{name}`, which the spec does not know"),
                        )
                    })?,
            ),
            None => None,
        };
        events.push(Event { type_, method });
    }
    let mode = match hook.mode.as_deref() {
        Some(name) => serde_json::from_value(serde_json::Value::String(name.into())).ok(),
        None => None,
    };
    Ok(Webhook {
        url,
        events,
        mode,
        headers: hook.headers,
    })
}

/// Brings `hook` to the wanted events, mode and headers; whether it changed.
fn update(
    hook: &mut Webhook,
    events: &[Event],
    mode: Option<WebhookParametersMode>,
    headers: &HashMap<String, String>,
) -> bool {
    let mut changed = false;
    if keys(&hook.events) != keys(events) {
        hook.events = events.to_vec();
        changed = true;
    }
    if let Some(mode) = mode {
        if hook.mode != Some(mode) {
            hook.mode = Some(mode);
            changed = true;
        }
    }
    for (name, value) in headers {
        if hook.headers.get(name) != Some(value) {
            hook.headers.insert(name.clone(), value.clone());
            changed = true;
        }
    }
    changed
}

impl Whapi {
    /// Makes sure the channel sends `events` to `url`, keeping every other
    /// webhook: reads the settings, adds this webhook or updates it in
    /// place, and writes the webhooks only when something changed. Returns
    /// whether it did. `mode: None` leaves an existing webhook's mode alone
    /// (and lets the server choose for a new one); its custom headers are
    /// kept.
    pub async fn ensure_webhook(
        &self,
        url: &str,
        events: Vec<Event>,
        mode: Option<WebhookParametersMode>,
    ) -> Result<bool> {
        self.ensure_webhook_with_headers(url, events, mode, &[])
            .await
    }

    /// [`Whapi::ensure_webhook`], also making sure the webhook sends these
    /// custom headers: the secret a
    /// [`WebhookVerifier`](crate::webhooks::WebhookVerifier) checks.
    ///
    /// ```no_run
    /// # async fn run(wa: whapi_ext::Whapi) -> whapi_ext::Result<()> {
    /// use whapi_ext::types::{Event, EventMethod, WebhookEventTypeType};
    ///
    /// let new_messages = Event {
    ///     type_: Some(WebhookEventTypeType::Messages),
    ///     method: Some(EventMethod::Post),
    /// };
    /// let secret = std::env::var("WEBHOOK_SECRET").unwrap_or_default();
    /// let changed = wa
    ///     .ensure_webhook_with_headers(
    ///         "https://bot.example.com/webhook",
    ///         vec![new_messages],
    ///         None, // keep the mode, or let the server choose
    ///         &[("x-webhook-secret", secret.as_str())],
    ///     )
    ///     .await?;
    /// println!("settings {}", if changed { "updated" } else { "already right" });
    /// # Ok(())
    /// # }
    /// ```
    pub async fn ensure_webhook_with_headers(
        &self,
        url: &str,
        events: Vec<Event>,
        mode: Option<WebhookParametersMode>,
        headers: &[(&str, &str)],
    ) -> Result<bool> {
        let url = url.trim();
        if url.is_empty() {
            return Err(Error::invalid("url", "must not be empty"));
        }
        let headers: HashMap<String, String> = headers
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        let settings = self.get_channel_settings().await?;
        let mut hooks = settings
            .webhooks
            .map(|hooks| hooks.0)
            .unwrap_or_default()
            .into_iter()
            .map(writable)
            .collect::<Result<Vec<Webhook>>>()?;
        match hooks.iter_mut().find(|h| h.url.trim() == url) {
            Some(hook) => {
                if !update(hook, &events, mode, &headers) {
                    return Ok(false);
                }
            }
            None => {
                let mut hook = Webhook {
                    url: url.to_string(),
                    events: Vec::new(),
                    mode: None,
                    headers: HashMap::new(),
                };
                update(&mut hook, &events, mode, &headers);
                hooks.push(hook);
            }
        }
        self.update_channel_settings()
            .webhooks(Webhooks(hooks))
            .await?;
        Ok(true)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn event(type_: WebhookEventTypeType, method: EventMethod) -> Event {
        Event {
            type_: Some(type_),
            method: Some(method),
        }
    }

    #[test]
    fn events_compare_regardless_of_order() {
        use EventMethod::*;
        use WebhookEventTypeType::*;
        let a = [event(Messages, Post), event(Chats, Put)];
        let b = [event(Chats, Put), event(Messages, Post)];
        assert_eq!(keys(&a), keys(&b));
        assert_ne!(keys(&a), keys(&a[..1]));
    }

    #[test]
    fn update_keeps_what_it_is_not_asked_to_change() {
        let mut hook = Webhook {
            url: "u".into(),
            events: Vec::new(),
            mode: Some(WebhookParametersMode::Body),
            headers: [("x-old".to_string(), "1".to_string())]
                .into_iter()
                .collect(),
        };
        let wanted = [event(WebhookEventTypeType::Messages, EventMethod::Post)];
        let headers = [("x-secret".to_string(), "s".to_string())]
            .into_iter()
            .collect();
        assert!(update(&mut hook, &wanted, None, &headers));
        assert_eq!(
            hook.mode,
            Some(WebhookParametersMode::Body),
            "no mode asked: kept"
        );
        assert_eq!(hook.headers.len(), 2);
        assert!(
            !update(&mut hook, &wanted, None, &headers),
            "nothing left to change"
        );
    }

    #[test]
    fn deprecated_event_types_take_their_new_names() {
        let read: WebhookReceived = serde_json::from_value(serde_json::json!({
            "url": "https://x", "events": [{"type": "message", "method": "post"}, {"type": "ack"}]
        }))
        .unwrap();
        let hook = writable(read).unwrap();
        assert_eq!(hook.events[0].type_, Some(WebhookEventTypeType::Messages));
        assert_eq!(hook.events[1].type_, Some(WebhookEventTypeType::Statuses));
        let odd: WebhookReceived = serde_json::from_value(
            serde_json::json!({"url": "https://x", "events": [{"type": "future"}]}),
        )
        .unwrap();
        assert!(writable(odd).is_err());
    }
}
