//! Registering a webhook in the channel's settings.

use whapi_client::types::{Event, Settings, Webhook, WebhookParametersMode, Webhooks};

use crate::{Result, Whapi};

fn same_events(a: &[Event], b: &[Event]) -> bool {
    let key = |events: &[Event]| {
        let mut keys: Vec<String> = events
            .iter()
            .filter_map(|e| serde_json::to_string(e).ok())
            .collect();
        keys.sort();
        keys
    };
    key(a) == key(b)
}

fn same_mode(a: &Option<WebhookParametersMode>, b: &Option<WebhookParametersMode>) -> bool {
    serde_json::to_string(a).ok() == serde_json::to_string(b).ok()
}

impl Whapi {
    /// Makes sure the channel sends `events` to `url` in `mode`, keeping
    /// every other webhook it has: reads the settings, adds or updates this
    /// webhook (its custom headers are kept), and patches the settings only
    /// when something changed. Returns whether it did.
    pub async fn ensure_webhook(
        &self,
        url: &str,
        events: Vec<Event>,
        mode: Option<WebhookParametersMode>,
    ) -> Result<bool> {
        let url = url.trim();
        if url.is_empty() {
            return Err(crate::Error::InvalidArgument {
                field: "url".into(),
                rule: "must not be empty".into(),
            });
        }
        let settings = self.call(|c| c.get_channel_settings().send()).await?;
        let mut hooks = settings.webhooks.map(|w| w.0).unwrap_or_default();
        match hooks.iter_mut().find(|h| h.url == url) {
            Some(hook) if same_events(&hook.events, &events) && same_mode(&hook.mode, &mode) => {
                return Ok(false)
            }
            Some(hook) => {
                hook.events = events;
                hook.mode = mode;
            }
            None => hooks.push(Webhook {
                url: url.to_string(),
                events,
                mode,
                headers: Default::default(),
            }),
        }
        let patch = Settings {
            webhooks: Some(Webhooks(hooks)),
            ..Settings::default()
        };
        self.call(|c| c.update_channel_settings().body(patch).send())
            .await?;
        Ok(true)
    }
}
