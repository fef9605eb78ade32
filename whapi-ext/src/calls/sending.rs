//! The future of a plain call (no options, no metadata): the generated
//! client's request polled where it lies, its answer unwrapped, and only a
//! failure's reading boxed. Every `.await` of a call moves its future into
//! a box, so it is kept the size of the client's.

use std::future::Future;
use std::pin::Pin;
use std::task::{ready, Context, Poll};

use progenitor_client::ResponseValue;
use serde::de::DeserializeOwned;
use whapi_client::BoxFuture;

use crate::{Error, Result};

/// The result of a generated client's `send()`.
type RawResult<T> = std::result::Result<ResponseValue<T>, progenitor_client::Error<()>>;

pin_project_lite::pin_project! {
    /// Sends a checked call and decodes its answer.
    #[project = StateProj]
    pub(crate) enum Sending<'a, F> {
        /// The client's request, under way.
        Request { #[pin] request: F },
        /// A refusal or failure, being read into an [`Error`].
        Failing { error: BoxFuture<'a, Error> },
        /// Answered.
        Done,
    }
}

impl<'a, F> Sending<'a, F> {
    pub(crate) fn new(request: F) -> Self {
        Sending::Request { request }
    }
}

impl<'a, F, T> Future for Sending<'a, F>
where
    F: Future<Output = RawResult<T>>,
    T: DeserializeOwned + Send + 'a,
{
    type Output = Result<T>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Result<T>> {
        loop {
            match self.as_mut().project() {
                StateProj::Request { request } => match ready!(request.poll(cx)) {
                    Ok(value) => {
                        self.set(Sending::Done);
                        return Poll::Ready(Ok(value.into_inner()));
                    }
                    Err(e) => self.set(Sending::Failing {
                        error: Box::pin(Error::from_raw(e)),
                    }),
                },
                StateProj::Failing { error } => {
                    let error = ready!(error.as_mut().poll(cx));
                    self.set(Sending::Done);
                    return Poll::Ready(Err(error));
                }
                StateProj::Done => panic!("a call's future polled after it finished"),
            }
        }
    }
}
