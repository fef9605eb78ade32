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
        // Kept as the channel has them: rewriting the list must not reset
        // another webhook's settings.
        send_undecrypted_ad: hook.send_undecrypted_ad,
        webhook_max_age_seconds: hook.webhook_max_age_seconds,
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

/// An event a webhook is registered for: a pair of the webhook module's
/// [`EventType`](super::EventType) and [`Method`](super::Method), or the
/// generated client's `Event`.
pub trait IntoWebhookEvent: sealed::Sealed {
    /// The event as the settings take it, or why the spec does not know it.
    fn into_event(self) -> Result<Event>;
}

mod sealed {
    pub trait Sealed {}
}

impl sealed::Sealed for (super::EventType, super::Method) {}

impl IntoWebhookEvent for (super::EventType, super::Method) {
    fn into_event(self) -> Result<Event> {
        let (kind, method) = self;
        let type_ = event_type(&kind.to_string()).ok_or_else(|| {
            Error::invalid("events", format!("the spec knows no event type `{kind}`"))
        })?;
        let method = serde_json::from_value::<EventMethod>(serde_json::Value::String(
            method.as_str().to_string(),
        ))
        .map_err(|_| {
            Error::invalid(
                "events",
                format!("the spec knows no event method `{method}`"),
            )
        })?;
        Ok(Event {
            type_: Some(type_),
            method: Some(method),
        })
    }
}

impl sealed::Sealed for Event {}

impl IntoWebhookEvent for Event {
    fn into_event(self) -> Result<Event> {
        Ok(self)
    }
}

impl Whapi {
    /// Makes sure the channel sends `events` to `url`, keeping every other
    /// webhook: reads the settings, adds this webhook or updates it in
    /// place, and writes the webhooks only when something changed. Answers
    /// whether it did. An existing webhook's mode and custom headers are
    /// kept unless set here.
    ///
    /// ```no_run
    /// # async fn run(wa: whapi_ext::Whapi) -> whapi_ext::Result<()> {
    /// use whapi_ext::webhooks::{EventType, Method};
    ///
    /// let secret = std::env::var("WEBHOOK_SECRET").unwrap_or_default();
    /// let changed = wa
    ///     .ensure_webhook(
    ///         "https://bot.example.com/webhook",
    ///         [(EventType::Messages, Method::Post), (EventType::Statuses, Method::Post)],
    ///     )
    ///     .header("x-webhook-secret", secret) // what a `WebhookVerifier` checks
    ///     .await?;
    /// println!("settings {}", if changed { "updated" } else { "already right" });
    /// # Ok(())
    /// # }
    /// ```
    pub fn ensure_webhook(
        &self,
        url: impl Into<String>,
        events: impl IntoIterator<Item = impl IntoWebhookEvent>,
    ) -> EnsureWebhook<'_> {
        EnsureWebhook {
            wa: self,
            url: url.into(),
            events: events
                .into_iter()
                .map(IntoWebhookEvent::into_event)
                .collect(),
            mode: None,
            headers: HashMap::new(),
        }
    }
}

/// A webhook to make sure of: made by [`Whapi::ensure_webhook`], done by
/// `.await`.
#[must_use = "nothing is registered until it is awaited"]
pub struct EnsureWebhook<'a> {
    wa: &'a Whapi,
    url: String,
    events: Result<Vec<Event>>,
    mode: Option<WebhookParametersMode>,
    headers: HashMap<String, String>,
}

impl EnsureWebhook<'_> {
    /// How the service posts to it (`body`, `path`, `method`); left as it
    /// is, or to the server for a new webhook, when not set.
    pub fn mode(mut self, mode: WebhookParametersMode) -> Self {
        self.mode = Some(mode);
        self
    }

    /// A custom header the service sends with each post: the secret a
    /// [`WebhookVerifier`](crate::webhooks::WebhookVerifier) checks.
    pub fn header(mut self, name: impl Into<String>, value: impl Into<String>) -> Self {
        self.headers.insert(name.into(), value.into());
        self
    }
}

impl<'a> std::future::IntoFuture for EnsureWebhook<'a> {
    type Output = Result<bool>;
    type IntoFuture = whapi_client::BoxFuture<'a, Result<bool>>;

    fn into_future(self) -> Self::IntoFuture {
        Box::pin(async move {
            let EnsureWebhook {
                wa,
                url,
                events,
                mode,
                headers,
            } = self;
            let events = events?;
            let url = url.trim();
            if url.is_empty() {
                return Err(Error::invalid("url", "must not be empty"));
            }
            let settings = wa.get_channel_settings().await?;
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
                        send_undecrypted_ad: None,
                        webhook_max_age_seconds: None,
                    };
                    update(&mut hook, &events, mode, &headers);
                    hooks.push(hook);
                }
            }
            wa.update_channel_settings()
                .webhooks(Webhooks(hooks))
                .await?;
            Ok(true)
        })
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
            send_undecrypted_ad: None,
            webhook_max_age_seconds: None,
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
    fn a_webhook_written_back_keeps_the_settings_of_the_newer_service() {
        let read: WebhookReceived = serde_json::from_value(serde_json::json!({
            "url": "https://x", "webhook_max_age_seconds": 60, "send_undecrypted_ad": true
        }))
        .unwrap();
        let hook = writable(read).unwrap();
        assert_eq!(
            (hook.webhook_max_age_seconds, hook.send_undecrypted_ad),
            (Some(60.0), Some(true))
        );
        let written = serde_json::to_value(&hook).unwrap();
        assert_eq!(written["webhook_max_age_seconds"], 60.0);
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

#[cfg(test)]
mod pairs {
    use super::*;
    use crate::webhooks::{EventType, Method};

    #[test]
    fn a_type_and_a_method_are_an_event_of_the_spec() {
        let event = (EventType::Statuses, Method::Post).into_event().unwrap();
        assert_eq!(event.type_, Some(WebhookEventTypeType::Statuses));
        assert_eq!(event.method, Some(EventMethod::Post));
        let unknown = (EventType::Other("future".into()), Method::Post).into_event();
        assert!(unknown.is_err());
    }
}
