//! The workers: lease due events, run the handler on each (at most
//! `concurrency` at once), and record what became of it.

use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::Duration;

use tokio::sync::OwnedSemaphorePermit;

use super::store::Leased;
use super::Shared;
use crate::webhooks::{run_handler, EventKey, WebhookEvent};

/// A store that failed is asked again after this long.
const STORE_PAUSE: Duration = Duration::from_secs(1);

/// Leases and hands out events until the inbox stops.
///
/// An event whose lease ran out (its last delivery never finished: its
/// process may have died of it) is run alone: the worker waits for every
/// running handler to finish, leases that one event, and runs it holding
/// every permit, so that a crash it causes again counts against it only.
pub(super) async fn run(shared: Arc<Shared>) {
    let all = u32::try_from(shared.config.concurrency).unwrap_or(u32::MAX);
    let mut expired_waiting = false;
    loop {
        let permit = if expired_waiting {
            shared.handlers.clone().acquire_many_owned(all).await
        } else {
            shared.handlers.clone().acquire_owned().await
        };
        let Ok(mut permits) = permit else {
            return;
        };
        if shared.stopping.load(Ordering::Acquire) {
            return;
        }
        while let Ok(more) = shared.handlers.clone().try_acquire_owned() {
            permits.merge(more);
        }
        let alone = permits.num_permits() == shared.config.concurrency;
        let lease = match shared.store.lease(permits.num_permits(), alone).await {
            Ok(lease) => lease,
            Err(error) => {
                tracing::warn!(%error, "the webhook inbox could not lease events");
                drop(permits);
                tokio::time::sleep(STORE_PAUSE).await;
                continue;
            }
        };
        expired_waiting = lease.expired_waiting;
        if lease.events.is_empty() {
            drop(permits);
            // Woken by an event stored here, or by the clock for events
            // stored elsewhere and retries come due.
            let _ = tokio::time::timeout(shared.config.poll, shared.wake.notified()).await;
            continue;
        }
        if alone && lease.expired_waiting {
            // The store leased the one event whose lease ran out: it runs
            // with every permit.
            if let Some(event) = lease.events.into_iter().next() {
                tokio::spawn(handle(shared.clone(), event, permits));
            }
            continue;
        }
        for event in lease.events {
            let Some(permit) = permits.split(1) else {
                break;
            };
            tokio::spawn(handle(shared.clone(), event, permit));
        }
    }
}

/// Runs the handler on one event and records the outcome; the permit is
/// given back when it is recorded.
async fn handle(shared: Arc<Shared>, event: Leased, _permit: OwnedSemaphorePermit) {
    let outcome = match WebhookEvent::parse(&event.body) {
        Ok(parsed) => {
            let parsed = parsed.with_stored_key(EventKey::from_stored(event.key.clone()));
            run_handler(&shared.handler, parsed, shared.config.handler_timeout).await
        }
        Err(e) => Err(format!("the stored body no longer parses: {e}")),
    };
    let attempts = event.attempts;
    let recorded = match &outcome {
        Ok(()) => shared.store.complete(&event).await,
        Err(error) if attempts >= shared.config.max_attempts => {
            tracing::error!(key = %event.key, chat = ?event.chat, attempts, %error, "webhook event buried as a dead letter");
            shared.store.bury(&event, error).await
        }
        Err(error) => {
            let wait = backoff(&shared, attempts.saturating_sub(1));
            tracing::warn!(key = %event.key, chat = ?event.chat, attempts, %error, retry_in = ?wait, "webhook handler failed");
            shared.store.retry(&event, wait, error).await
        }
    };
    if let Err(error) = recorded {
        // The lease runs out and the event is handled again: at least once.
        tracing::error!(key = %event.key, %error, "the webhook inbox could not record an outcome");
    }
}

/// The wait after `failures` earlier failures: doubled each time, capped.
fn backoff(shared: &Shared, failures: u32) -> Duration {
    let config = &shared.config;
    config
        .first_backoff
        .checked_mul(2u32.saturating_pow(failures))
        .map_or(config.max_backoff, |wait| wait.min(config.max_backoff))
}
