//! The seam between the generated client and whatever sends its requests.
//!
//! Every generated operation ends in `Client::exec_via` (or, where it can
//! build its request again, `Client::exec_rebuildable_via`). By default that
//! is a plain `reqwest::Client::execute`; a [`Transport`] put into the
//! client's [`Hooks`] takes its place, which is how `whapi-ext` adds retries
//! and tracing to every operation without touching generated code. A
//! request may carry hooks of its own (every builder's `hooks(..)`), which
//! then take the client's place for it alone: how `whapi-ext` gives one
//! call its own timeout, retries and headers.

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use progenitor_client::{ClientHooks, ClientInfo, OperationInfo};

use crate::Client;

/// A boxed, sendable future, as [`Transport::send`] returns.
pub type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// Sends the requests of the generated client.
///
/// Implement it to wrap every operation in retries, tracing or metrics. The
/// request is fully built (URL, headers, body); `operation` is the client
/// method's name (`get_chats`): [`crate::operation`] looks up its
/// operationId, method and path template when you need them.
pub trait Transport: Send + Sync + 'static {
    /// Sends `request` with `client` and returns the response.
    fn send<'a>(
        &'a self,
        client: &'a reqwest::Client,
        request: reqwest::Request,
        operation: &'static str,
    ) -> BoxFuture<'a, reqwest::Result<reqwest::Response>>;

    /// [`Transport::send`], with a way to build the same request anew: a
    /// transport that retries can make its next attempt's request from
    /// `rebuild` instead of copying every request in case it fails. Every
    /// operation whose body can be made twice comes here (not raw uploads,
    /// whose body may be a stream). By default, `rebuild` is not used.
    fn send_with_rebuild<'a>(
        &'a self,
        client: &'a reqwest::Client,
        request: reqwest::Request,
        rebuild: Rebuild<'a>,
        operation: &'static str,
    ) -> BoxFuture<'a, reqwest::Result<reqwest::Response>> {
        let _ = rebuild;
        self.send(client, request, operation)
    }
}

/// Builds an operation's request again, as the generated code first built
/// it (the body serialized anew); what a transport added to the first one
/// (auth, headers, timeouts) it adds again.
#[derive(Clone, Copy)]
pub struct Rebuild<'a>(&'a (dyn Fn() -> reqwest::Result<reqwest::Request> + Send + Sync));

impl Rebuild<'_> {
    /// A new copy of the operation's request.
    pub fn request(&self) -> reqwest::Result<reqwest::Request> {
        (self.0)()
    }
}

impl fmt::Debug for Rebuild<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Rebuild")
    }
}

/// The generated client's inner value: what sends its requests.
///
/// `Hooks::default()` sends each request once with the client's
/// `reqwest::Client`.
#[derive(Clone, Default)]
pub struct Hooks {
    transport: Option<Arc<dyn Transport>>,
}

impl Hooks {
    /// Hooks that send every request through `transport`.
    pub fn with_transport(transport: Arc<dyn Transport>) -> Self {
        Self {
            transport: Some(transport),
        }
    }
}

impl fmt::Debug for Hooks {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Hooks")
            .field("transport", &self.transport.as_ref().map(|_| "custom"))
            .finish()
    }
}

// Only `exec`: the generated code awaits neither `pre` nor `post` (whapi-gen's
// `lean_requests` removes progenitor's calls of them, which only made every
// operation's future larger); a change to every request belongs in a
// `Transport`.
impl ClientHooks<Hooks> for Client {
    // Not an `async fn`: the future it returns is the transport's or
    // reqwest's own, without a copy of the request held beside it, which
    // keeps every operation's future smaller.
    fn exec(
        &self,
        request: reqwest::Request,
        info: &OperationInfo,
    ) -> impl Future<Output = reqwest::Result<reqwest::Response>> {
        self.sent(None, request, None, info)
    }
}

impl Client {
    /// `ClientHooks::exec` through a request's own `hooks`, where it has
    /// them (whapi-gen's `call_hooks`), else the client's.
    pub(crate) fn exec_via<'a>(
        &'a self,
        hooks: Option<&'a Hooks>,
        request: reqwest::Request,
        info: &OperationInfo,
    ) -> impl Future<Output = reqwest::Result<reqwest::Response>> + 'a {
        self.sent(hooks, request, None, info)
    }

    /// [`Client::exec_via`] for an operation that can build its request
    /// again with `rebuild`.
    pub(crate) fn exec_rebuildable_via<'a>(
        &'a self,
        hooks: Option<&'a Hooks>,
        request: reqwest::Request,
        rebuild: &'a (dyn Fn() -> reqwest::Result<reqwest::Request> + Send + Sync),
        info: &OperationInfo,
    ) -> impl Future<Output = reqwest::Result<reqwest::Response>> + 'a {
        self.sent(hooks, request, Some(Rebuild(rebuild)), info)
    }

    /// `request` under way through the transport of `hooks` or else the
    /// client's, or straight through the `reqwest::Client` when there is
    /// none.
    fn sent<'a>(
        &'a self,
        hooks: Option<&'a Hooks>,
        request: reqwest::Request,
        rebuild: Option<Rebuild<'a>>,
        info: &OperationInfo,
    ) -> Sent<'a, impl Future<Output = reqwest::Result<reqwest::Response>> + Unpin + 'static> {
        let hooks = hooks.unwrap_or(self.inner());
        let Some(transport) = &hooks.transport else {
            return Sent::Direct(self.client().execute(request));
        };
        let (client, operation) = (self.client(), info.operation_id);
        Sent::Transport(match rebuild {
            Some(rebuild) => transport.send_with_rebuild(client, request, rebuild, operation),
            None => transport.send(client, request, operation),
        })
    }
}

/// A request under way, through a [`Transport`] or straight through the
/// `reqwest::Client`.
enum Sent<'a, D> {
    Transport(BoxFuture<'a, reqwest::Result<reqwest::Response>>),
    Direct(D),
}

impl<D> Future for Sent<'_, D>
where
    D: Future<Output = reqwest::Result<reqwest::Response>> + Unpin,
{
    type Output = reqwest::Result<reqwest::Response>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        // Both are `Unpin`: a box, and reqwest's own (boxed) future.
        match self.get_mut() {
            Sent::Transport(future) => future.as_mut().poll(cx),
            Sent::Direct(pending) => Pin::new(pending).poll(cx),
        }
    }
}
