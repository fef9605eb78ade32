//! Registering a webhook in the channel's settings.
//!
//! The settings are read and written as JSON, not through the generated
//! types: a channel may hold webhooks with deprecated event names
//! (`message`, `ack`) or fields the spec does not list, and all of it must
//! survive being written back.

use serde_json::{json, Map, Value};
use whapi_client::types::{Event, WebhookParametersMode};

use crate::{Error, Result, Whapi};

/// A JSON text with object keys sorted, so key order does not matter.
fn canonical(value: &Value) -> String {
    match value {
        Value::Object(map) => {
            let sorted: std::collections::BTreeMap<&String, String> =
                map.iter().map(|(k, v)| (k, canonical(v))).collect();
            let fields: Vec<String> = sorted
                .iter()
                .map(|(k, v)| format!("{}:{v}", Value::String((*k).clone())))
                .collect();
            format!("{{{}}}", fields.join(","))
        }
        Value::Array(items) => format!(
            "[{}]",
            items.iter().map(canonical).collect::<Vec<_>>().join(",")
        ),
        other => other.to_string(),
    }
}

/// The events as sorted canonical texts, so neither the order of the events
/// nor of their keys matters.
fn event_keys(events: &Value) -> Vec<String> {
    let mut keys: Vec<String> = events
        .as_array()
        .into_iter()
        .flatten()
        .map(canonical)
        .collect();
    keys.sort();
    keys.dedup();
    keys
}

/// Brings `hook` to the wanted events, mode and headers; whether it changed.
fn update(
    hook: &mut Map<String, Value>,
    events: &Value,
    mode: &Option<Value>,
    headers: &Map<String, Value>,
) -> bool {
    let mut changed = false;
    if event_keys(hook.get("events").unwrap_or(&Value::Null)) != event_keys(events) {
        hook.insert("events".into(), events.clone());
        changed = true;
    }
    if let Some(mode) = mode {
        if hook.get("mode") != Some(mode) {
            hook.insert("mode".into(), mode.clone());
            changed = true;
        }
    }
    if !headers.is_empty() {
        let current = hook.entry("headers").or_insert_with(|| json!({}));
        if let Some(current) = current.as_object_mut() {
            for (name, value) in headers {
                if current.get(name) != Some(value) {
                    current.insert(name.clone(), value.clone());
                    changed = true;
                }
            }
        }
    }
    changed
}

impl Whapi {
    /// Makes sure the channel sends `events` to `url`, keeping every other
    /// webhook as it is: reads the settings, adds this webhook or updates it
    /// in place, and patches the settings only when something changed.
    /// Returns whether it did. `mode: None` leaves an existing webhook's mode
    /// alone (and lets the server choose for a new one); its custom headers
    /// are kept.
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
    /// use whapi_ext::raw::types::{Event, EventMethod, WebhookEventTypeType};
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
            return Err(Error::InvalidArgument {
                field: "url".into(),
                rule: "must not be empty".into(),
            });
        }
        let invalid = |e: serde_json::Error| Error::InvalidArgument {
            field: "events".into(),
            rule: e.to_string(),
        };
        let events = serde_json::to_value(&events).map_err(invalid)?;
        let mode = mode
            .as_ref()
            .map(serde_json::to_value)
            .transpose()
            .map_err(invalid)?;
        let headers: Map<String, Value> = headers
            .iter()
            .map(|(k, v)| (k.to_string(), json!(v)))
            .collect();

        let settings = self
            .json(
                reqwest::Method::GET,
                "/settings",
                None,
                "get_channel_settings",
            )
            .await?;
        let mut hooks: Vec<Value> = settings
            .get("webhooks")
            .and_then(Value::as_array)
            .cloned()
            .unwrap_or_default();
        let existing = hooks
            .iter_mut()
            .filter_map(Value::as_object_mut)
            .find(|h| h.get("url").and_then(Value::as_str).map(str::trim) == Some(url));
        match existing {
            Some(hook) => {
                if !update(hook, &events, &mode, &headers) {
                    return Ok(false);
                }
            }
            None => {
                let mut hook = Map::new();
                hook.insert("url".into(), json!(url));
                update(&mut hook, &events, &mode, &headers);
                hooks.push(Value::Object(hook));
            }
        }
        let patch = json!({ "webhooks": hooks });
        self.json(
            reqwest::Method::PATCH,
            "/settings",
            Some(&patch),
            "update_channel_settings",
        )
        .await?;
        Ok(true)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn events_compare_regardless_of_order() {
        let a = json!([{"type": "messages", "method": "post"}, {"method": "put", "type": "chats"}]);
        let b = json!([{"type": "chats", "method": "put"}, {"method": "post", "type": "messages"}]);
        assert_eq!(event_keys(&a), event_keys(&b));
        assert_ne!(
            event_keys(&a),
            event_keys(&json!([{"type": "messages", "method": "post"}]))
        );
    }

    #[test]
    fn update_keeps_what_it_is_not_asked_to_change() {
        let mut hook = json!({"url": "u", "events": [], "mode": "body", "headers": {"x-old": "1"}, "future_field": 7});
        let hook = hook.as_object_mut().unwrap();
        let headers: Map<String, Value> =
            [("x-secret".to_string(), json!("s"))].into_iter().collect();
        assert!(update(
            hook,
            &json!([{"type": "messages"}]),
            &None,
            &headers
        ));
        assert_eq!(hook["mode"], "body", "no mode asked: kept");
        assert_eq!(hook["headers"], json!({"x-old": "1", "x-secret": "s"}));
        assert_eq!(hook["future_field"], 7);
        assert!(
            !update(hook, &json!([{"type": "messages"}]), &None, &headers),
            "nothing left to change"
        );
    }
}
