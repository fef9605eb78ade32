//! Faults the sandbox injects for users' retry tests: the next calls of an
//! operation answer an error status (with `Retry-After`), stall, or lose
//! their answer halfway.

use std::sync::Mutex;
use std::time::Duration;

use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::{header, HeaderValue};
use axum::middleware::Next;
use axum::response::Response;

/// What the sandbox does to a call instead of answering it.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Fault {
    /// Answers `status` with the service's error body, and `Retry-After`
    /// when given (whole seconds).
    Status {
        /// The HTTP status, e.g. 429 or 503.
        status: u16,
        /// The `Retry-After` to send.
        retry_after: Option<Duration>,
    },
    /// Waits this long, then answers as usual: past a client's timeout,
    /// the call times out.
    Stall(Duration),
    /// Handles the call (its effect happens), then cuts the connection in
    /// the middle of the answer: the client cannot tell whether it was
    /// handled.
    CutAnswer,
}

impl Fault {
    /// `429 Too Many Requests` with `Retry-After`.
    pub fn too_many_requests(retry_after: Duration) -> Self {
        Fault::Status {
            status: 429,
            retry_after: Some(retry_after),
        }
    }

    /// A server error (`500`, `502`, `503`, …) without `Retry-After`.
    pub fn server_error(status: u16) -> Self {
        Fault::Status {
            status,
            retry_after: None,
        }
    }
}

/// Faults waiting for their calls: the operation (by its operationId), and
/// how many more calls get the fault.
#[derive(Debug, Default)]
pub(crate) struct Faults {
    waiting: Mutex<Vec<(&'static str, usize, Fault)>>,
}

impl Faults {
    /// Sets `fault` for the next `times` calls of `operation` (its
    /// operationId or its client method's name); its operationId, or the
    /// field at fault (`operation`, `fault`) and why.
    pub(crate) fn set(
        &self,
        operation: &str,
        times: usize,
        fault: Fault,
    ) -> Result<&'static str, (&'static str, String)> {
        let found = operation_named(operation)
            .ok_or_else(|| ("operation", format!("no operation is named `{operation}`")))?;
        check(&fault).map_err(|rule| ("fault", rule))?;
        self.add(found.operation_id, times, fault);
        Ok(found.operation_id)
    }

    fn add(&self, operation: &'static str, times: usize, fault: Fault) {
        if times > 0 {
            let mut waiting = self.waiting.lock().unwrap_or_else(|p| p.into_inner());
            waiting.push((operation, times, fault));
        }
    }

    pub(crate) fn clear(&self) {
        self.waiting
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clear();
    }

    /// The fault for a call of `operation` (an operationId), if one waits
    /// for it (counting it down).
    fn take(&self, operation: &str) -> Option<Fault> {
        let mut waiting = self.waiting.lock().unwrap_or_else(|p| p.into_inner());
        let at = waiting.iter().position(|(op, _, _)| *op == operation)?;
        let fault = waiting[at].2.clone();
        waiting[at].1 -= 1;
        if waiting[at].1 == 0 {
            waiting.remove(at);
        }
        Some(fault)
    }
}

/// An operation by its operationId or its client method's name.
pub(crate) fn operation_named(name: &str) -> Option<&'static whapi_client::Operation> {
    whapi_client::OPERATIONS
        .iter()
        .find(|op| op.operation_id == name || op.name == name)
}

/// Checks a fault before it is set: a status must be an error's.
fn check(fault: &Fault) -> Result<(), String> {
    match fault {
        Fault::Status { status, .. } if !(400..=599).contains(status) => {
            Err(format!("a fault's status is from 400 to 599, not {status}"))
        }
        _ => Ok(()),
    }
}

/// A wait in whole seconds, rounded up (`Retry-After` has no fractions:
/// 500 ms is 1, not 0).
fn whole_seconds(wait: Duration) -> u64 {
    wait.as_secs() + u64::from(wait.subsec_nanos() > 0)
}

/// The middleware that applies them.
pub(super) async fn inject(
    State(faults): State<std::sync::Arc<super::Shared>>,
    request: Request,
    next: Next,
) -> Response {
    // The spec's check before this found the operation called.
    let fault = request
        .extensions()
        .get::<super::check::Called>()
        .and_then(|called| faults.faults.take(&called.0.id));
    match fault {
        None => next.run(request).await,
        Some(Fault::Status {
            status,
            retry_after,
        }) => {
            let refusal =
                super::state::Refusal::new(status, "a fault the sandbox was asked to inject");
            let mut response = super::routes::refuse(&refusal);
            if let Some(wait) = retry_after {
                response
                    .headers_mut()
                    .insert(header::RETRY_AFTER, HeaderValue::from(whole_seconds(wait)));
            }
            response
        }
        Some(Fault::Stall(wait)) => {
            tokio::time::sleep(wait).await;
            next.run(request).await
        }
        Some(Fault::CutAnswer) => {
            let handled = next.run(request).await;
            let (parts, _) = handled.into_parts();
            let broken = futures_util::stream::iter([
                Ok(bytes::Bytes::from_static(b"{\"sent\":")),
                Err(std::io::Error::other("the sandbox cut the answer")),
            ]);
            let mut response = Response::from_parts(parts, Body::from_stream(broken));
            response.headers_mut().remove(header::CONTENT_LENGTH);
            response
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_fault_lasts_for_its_number_of_calls() {
        let faults = Faults::default();
        faults.add("sendMessageText", 2, Fault::server_error(503));
        assert!(faults.take("getMessage").is_none());
        assert_eq!(
            faults.take("sendMessageText"),
            Some(Fault::server_error(503))
        );
        assert!(faults.take("sendMessageText").is_some());
        assert!(faults.take("sendMessageText").is_none());
    }

    #[test]
    fn retry_after_rounds_up_to_whole_seconds() {
        assert_eq!(whole_seconds(Duration::from_millis(500)), 1);
        assert_eq!(whole_seconds(Duration::from_secs(2)), 2);
        assert_eq!(whole_seconds(Duration::ZERO), 0);
    }

    #[test]
    fn a_fault_status_must_be_an_error() {
        assert!(check(&Fault::server_error(200)).is_err());
        assert!(check(&Fault::too_many_requests(Duration::ZERO)).is_ok());
    }
}
