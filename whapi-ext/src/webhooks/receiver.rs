//! An axum router that receives webhooks (feature `axum`).
//!
//! It checks the configured header, limits the body size, parses the event,
//! answers `200 OK` at once and hands the event to your handler on a task of
//! its own. A handler that fails or panics is logged and does not change the
//! answer, so Whapi never retries an event forever because of it.
//!
//! | request | answer |
//! |---|---|
//! | header missing or wrong | `401 Unauthorized` |
//! | body over the limit | `413 Payload Too Large` |
//! | body not a webhook event | `400 Bad Request` (logged) |
//! | an event | `200 OK`, then the handler runs |

use std::future::Future;
use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::{DefaultBodyLimit, State};
use axum::http::{HeaderMap, StatusCode};
use axum::routing::post;
use axum::Router;

use super::{WebhookEvent, WebhookVerifier};

/// Default body limit: 5 MiB, far above any event the service sends.
pub const DEFAULT_BODY_LIMIT: usize = 5 * 1024 * 1024;

type Handler = Arc<
    dyn Fn(WebhookEvent) -> futures_util::future::BoxFuture<'static, Result<(), String>>
        + Send
        + Sync,
>;

/// Builds the router that receives webhooks.
///
/// ```no_run
/// use whapi_ext::webhooks::{WebhookReceiver, WebhookVerifier};
///
/// # async fn run() -> Result<(), Box<dyn std::error::Error>> {
/// let router = WebhookReceiver::new(|event| async move {
///     println!("{:?}", event.event_type);
///     Ok::<(), std::convert::Infallible>(())
/// })
/// .verifier(WebhookVerifier::new("x-webhook-secret", "s3cr3t")?)
/// .router("/webhook");
/// let listener = tokio::net::TcpListener::bind("0.0.0.0:8080").await?;
/// axum::serve(listener, router).await?;
/// # Ok(())
/// # }
/// ```
#[must_use]
pub struct WebhookReceiver {
    handler: Handler,
    verifier: Option<WebhookVerifier>,
    body_limit: usize,
}

impl std::fmt::Debug for WebhookReceiver {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("WebhookReceiver")
            .field("verifier", &self.verifier)
            .field("body_limit", &self.body_limit)
            .finish_non_exhaustive()
    }
}

#[derive(Clone)]
struct Shared {
    handler: Handler,
    verifier: Option<Arc<WebhookVerifier>>,
}

impl WebhookReceiver {
    /// A receiver that hands every event to `handler`.
    pub fn new<H, Fut, E>(handler: H) -> Self
    where
        H: Fn(WebhookEvent) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = Result<(), E>> + Send + 'static,
        E: std::fmt::Display + 'static,
    {
        let handler: Handler = Arc::new(move |event| {
            let future = handler(event);
            Box::pin(async move { future.await.map_err(|e| e.to_string()) })
        });
        Self {
            handler,
            verifier: None,
            body_limit: DEFAULT_BODY_LIMIT,
        }
    }

    /// Refuses requests without the configured header (`401`).
    pub fn verifier(mut self, verifier: WebhookVerifier) -> Self {
        self.verifier = Some(verifier);
        self
    }

    /// Refuses bodies over this many bytes (`413`; default 5 MiB).
    pub fn body_limit(mut self, bytes: usize) -> Self {
        self.body_limit = bytes;
        self
    }

    /// The router, receiving `POST` requests on `path`.
    pub fn router(self, path: &str) -> Router {
        let shared = Shared {
            handler: self.handler,
            verifier: self.verifier.map(Arc::new),
        };
        Router::new()
            .route(path, post(receive))
            .layer(DefaultBodyLimit::max(self.body_limit))
            .with_state(shared)
    }
}

async fn receive(State(shared): State<Shared>, headers: HeaderMap, body: Bytes) -> StatusCode {
    if let Some(verifier) = &shared.verifier {
        if let Err(refusal) = verifier.verify(&headers) {
            tracing::warn!(%refusal, "webhook refused");
            return StatusCode::UNAUTHORIZED;
        }
    }
    let event = match WebhookEvent::parse(&body) {
        Ok(event) => event,
        Err(error) => {
            tracing::warn!(%error, bytes = body.len(), "unreadable webhook body");
            return StatusCode::BAD_REQUEST;
        }
    };
    let handler = shared.handler.clone();
    tokio::spawn(async move {
        if let Err(error) = handler(event).await {
            tracing::error!(%error, "webhook handler failed");
        }
    });
    StatusCode::OK
}
