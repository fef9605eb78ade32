//! An axum router that receives webhooks (feature `axum`).
//!
//! It checks the configured header before reading the body, limits the body
//! size, parses the event, answers `200 OK` at once and hands the event to
//! your handler on a task of its own. A handler that fails or panics is
//! logged with `tracing` and does not change the answer, so Whapi never
//! retries an event forever because of it. It accepts any method on its path
//! and below it, so the webhook modes `body`, `path` and `method` all reach
//! it.
//!
//! | request | answer |
//! |---|---|
//! | header missing or wrong | `401 Unauthorized` (the body is not read) |
//! | body over the limit | `413 Payload Too Large` |
//! | body not a webhook event | `400 Bad Request` (logged) |
//! | an event | `200 OK`, then the handler runs |

use std::future::Future;
use std::sync::Arc;

use axum::extract::{Request, State};
use axum::http::StatusCode;
use axum::routing::any;
use axum::Router;
use futures_util::FutureExt;

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
    body_limit: usize,
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

    /// The router, receiving requests of any method on `path` and below it
    /// (`/webhook`, `/webhook/messages/post`).
    pub fn router(self, path: &str) -> Router {
        let base = format!("/{}", path.trim_matches('/'));
        let nested = if base == "/" {
            "/{*event}".to_string()
        } else {
            format!("{base}/{{*event}}")
        };
        let shared = Shared {
            handler: self.handler,
            verifier: self.verifier.map(Arc::new),
            body_limit: self.body_limit,
        };
        Router::new()
            .route(&base, any(receive))
            .route(&nested, any(receive))
            .with_state(shared)
    }
}

async fn receive(State(shared): State<Shared>, request: Request) -> StatusCode {
    if let Some(verifier) = &shared.verifier {
        if let Err(refusal) = verifier.verify(request.headers()) {
            tracing::warn!(%refusal, "webhook refused");
            return StatusCode::UNAUTHORIZED;
        }
    }
    let body = match axum::body::to_bytes(request.into_body(), shared.body_limit).await {
        Ok(body) => body,
        Err(error) => {
            tracing::warn!(%error, limit = shared.body_limit, "webhook body refused");
            return StatusCode::PAYLOAD_TOO_LARGE;
        }
    };
    let event = match WebhookEvent::parse(&body) {
        Ok(event) => event,
        Err(error) => {
            tracing::warn!(%error, bytes = body.len(), "unreadable webhook body");
            return StatusCode::BAD_REQUEST;
        }
    };
    let handler = shared.handler.clone();
    tokio::spawn(async move {
        match std::panic::AssertUnwindSafe(handler(event))
            .catch_unwind()
            .await
        {
            Ok(Ok(())) => {}
            Ok(Err(error)) => tracing::error!(%error, "webhook handler failed"),
            Err(_) => tracing::error!("webhook handler panicked"),
        }
    });
    StatusCode::OK
}
