//! The inbox's axum router: the receiver's checks, then
//! [`Inbox::accept`](super::Inbox::accept) decides the answer.

use axum::extract::{Request, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::any;
use axum::Router;

use super::{Acceptance, Inbox};
use crate::webhooks::receiver::{busy, read_verified, routes};

impl Inbox {
    /// The router, receiving requests of any method on `path` and below it
    /// (`/webhook`, `/webhook/messages/post`):
    ///
    /// | request | answer |
    /// |---|---|
    /// | header missing or wrong, or no verification chosen | `401` (the body is not read) |
    /// | body over the limit | `413` |
    /// | body not a webhook event | `400` |
    /// | stored, or stored before | `200` |
    /// | inbox full, busy, shutting down, or its store failing | `503` with `Retry-After` |
    #[cfg_attr(docsrs, doc(cfg(feature = "axum")))]
    ///
    /// Who may post is chosen on the builder:
    /// [`verifier`](super::InboxBuilder::verifier) or
    /// [`without_verification`](super::InboxBuilder::without_verification);
    /// with neither, every request is refused with `401`.
    pub fn router(&self, path: &str) -> Router {
        self.shared.config.verification.announce(path);
        routes(path, any(receive)).with_state(self.clone())
    }
}

async fn receive(State(inbox): State<Inbox>, request: Request) -> Response {
    // Taken before the body is read: a flood of requests holds at most
    // `max_intake` bodies.
    let Some(_permit) = inbox.intake_permit() else {
        return answer(Acceptance::Busy);
    };
    let config = &inbox.shared.config;
    let body = match read_verified(&config.verification, config.body_limit, request).await {
        Ok(body) => body,
        Err(status) => return status.into_response(),
    };
    let bytes = body.len();
    let acceptance = inbox.store(body).await;
    match &acceptance {
        Acceptance::Unreadable(error) => {
            tracing::warn!(%error, bytes, "unreadable webhook body");
        }
        Acceptance::Unavailable(error) => {
            tracing::error!(%error, "the webhook inbox could not store an event");
        }
        _ => {}
    }
    answer(acceptance)
}

fn answer(acceptance: Acceptance) -> Response {
    if acceptance.retry_after().is_some() {
        return busy();
    }
    StatusCode::from_u16(acceptance.status())
        .unwrap_or(StatusCode::SERVICE_UNAVAILABLE)
        .into_response()
}
