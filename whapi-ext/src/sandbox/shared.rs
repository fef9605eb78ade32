//! What a channel's server, its tasks and its [`SandboxChannel`] share:
//! the channel's state, its faults, its webhook queue.
//!
//! [`SandboxChannel`]: super::SandboxChannel

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use serde_json::Value;
use tokio::sync::Notify;

use super::state::{self, Channel, Event, PROGRESS};
use super::{contacts, faults, groups, labels, newsletters, spec};

/// One channel: its state and what its server and tasks share. No code
/// holds two of its locks at once; should one need to, take `channel`
/// first, then the others.
pub(crate) struct Shared {
    /// The spec requests are checked against.
    pub(super) spec: &'static spec::Spec,
    pub(super) channel: Mutex<Channel>,
    pub(super) token: String,
    pub(super) started: Instant,
    /// Woken on every send, for [`SandboxChannel::wait_for_sent`].
    pub(super) sent: Notify,
    pub(super) status_step: Duration,
    /// Events for the webhooks, delivered in order by one task.
    pub(super) deliveries: tokio::sync::mpsc::Sender<Event>,
    pub(crate) faults: faults::Faults,
    pub(super) groups: Mutex<groups::Groups>,
    pub(super) labels: Mutex<labels::Labels>,
    pub(super) contacts: Mutex<contacts::Contacts>,
    pub(super) newsletters: Mutex<newsletters::Newsletters>,
}

impl Shared {
    pub(super) fn new(
        spec: &'static spec::Spec,
        id: String,
        token: String,
        status_step: Duration,
    ) -> Arc<Shared> {
        let (deliveries, queue) = tokio::sync::mpsc::channel(UNDELIVERED);
        let shared = Arc::new(Shared {
            spec,
            channel: Mutex::new(Channel::new(id)),
            token,
            started: Instant::now(),
            sent: Notify::new(),
            status_step,
            deliveries,
            faults: faults::Faults::default(),
            groups: Mutex::default(),
            labels: Mutex::default(),
            contacts: Mutex::default(),
            newsletters: Mutex::default(),
        });
        tokio::spawn(deliver_in_order(Arc::downgrade(&shared), queue));
        shared
    }

    pub(super) fn notify_sent(&self) {
        self.sent.notify_waiters();
    }

    /// Moves a sent message through its statuses, one webhook each.
    pub(super) fn progress(self: &Arc<Self>, id: String) {
        let shared = Arc::downgrade(self);
        let step = self.status_step;
        tokio::spawn(async move {
            for status in PROGRESS {
                tokio::time::sleep(step).await;
                // Gone with the sandbox.
                let Some(shared) = shared.upgrade() else {
                    return;
                };
                // A status a test set ends the progress.
                let Some(event) = shared.lock().advance(&id, status) else {
                    return;
                };
                shared.deliver(event);
            }
        });
    }

    /// Queues an event for the webhooks registered for it; past
    /// [`UNDELIVERED`] waiting, it is dropped (and that logged), as the
    /// service drops events its receivers never take.
    pub(super) fn deliver(&self, event: Event) {
        if let Err(tokio::sync::mpsc::error::TrySendError::Full(_)) =
            self.deliveries.try_send(event)
        {
            tracing::warn!(
                waiting = UNDELIVERED,
                "the sandbox dropped a webhook event: too many are waiting for delivery"
            );
        }
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

    pub(super) fn groups(&self) -> std::sync::MutexGuard<'_, groups::Groups> {
        self.groups.lock().unwrap_or_else(|p| p.into_inner())
    }

    pub(super) fn labels(&self) -> std::sync::MutexGuard<'_, labels::Labels> {
        self.labels.lock().unwrap_or_else(|p| p.into_inner())
    }

    pub(super) fn contacts(&self) -> std::sync::MutexGuard<'_, contacts::Contacts> {
        self.contacts.lock().unwrap_or_else(|p| p.into_inner())
    }

    pub(super) fn newsletters(&self) -> std::sync::MutexGuard<'_, newsletters::Newsletters> {
        self.newsletters.lock().unwrap_or_else(|p| p.into_inner())
    }

    pub(crate) fn lock(&self) -> std::sync::MutexGuard<'_, Channel> {
        self.channel.lock().unwrap_or_else(|p| p.into_inner())
    }
}

/// Events waiting for delivery, at most, in all and for each webhook URL:
/// a receiver that never answers cannot make the sandbox hold events for
/// ever.
pub(super) const UNDELIVERED: usize = 10_000;

/// Hands each event to the webhooks registered for it, each URL in the
/// order the events happened, as the service does; one URL's slow or dead
/// receiver delays only its own events.
/// It holds the channel weakly: the queue closes when the channel is gone.
async fn deliver_in_order(
    shared: std::sync::Weak<Shared>,
    mut queue: tokio::sync::mpsc::Receiver<Event>,
) {
    // Through the crate's TLS setup: with the `rustls` feature reqwest has
    // no crypto provider of its own, and its default client would panic.
    let built = crate::client::http_client_builder().and_then(|b| {
        b.timeout(Duration::from_secs(5))
            .build()
            .map_err(crate::Error::from_transport)
    });
    let http = match built {
        Ok(http) => http,
        Err(error) => {
            tracing::error!(%error, "the sandbox cannot post webhooks");
            return;
        }
    };
    let mut by_url = std::collections::HashMap::new();
    while let Some(event) = queue.recv().await {
        let Some(hooks) = shared
            .upgrade()
            .map(|s| s.lock().hooks_for(event.kind, event.method))
        else {
            return;
        };
        let body = Arc::new(event.body);
        for (url, headers) in hooks {
            let posts = by_url.entry(url.clone()).or_insert_with(|| {
                let (posts, waiting) = tokio::sync::mpsc::channel(UNDELIVERED);
                tokio::spawn(post_in_order(http.clone(), url.clone(), waiting));
                posts
            });
            if let Err(tokio::sync::mpsc::error::TrySendError::Full(_)) =
                posts.try_send((body.clone(), headers))
            {
                tracing::warn!(%url, waiting = UNDELIVERED, "the sandbox dropped a webhook event: its receiver does not take them");
            }
        }
    }
}

/// An event's body and the headers its webhook asked for.
type Post = (Arc<Value>, Vec<(String, String)>);

/// Posts one URL's events in order: again after a failure, a few times,
/// each attempt at most 5 s.
async fn post_in_order(
    http: reqwest::Client,
    url: String,
    mut waiting: tokio::sync::mpsc::Receiver<Post>,
) {
    const ATTEMPTS: u32 = 5;
    while let Some((body, headers)) = waiting.recv().await {
        for attempt in 1..=ATTEMPTS {
            let mut request = http.post(&url).json(&*body);
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

impl std::fmt::Debug for Shared {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Shared").finish_non_exhaustive()
    }
}
