//! [`Whapi`]: the configured client every call goes through.

use std::fmt;
use std::future::Future;
use std::sync::Arc;

use progenitor_client::ResponseValue;
use reqwest::header::HeaderValue;
use serde::de::DeserializeOwned;
use whapi_client::{Client, Hooks};

use crate::calls::options::CallSettings;
use crate::config::{checked_base_url, WhapiBuilder};
use crate::transport::{CallTransport, RetryingTransport};
use crate::{Error, Result, RetryPolicy};

/// A configured Whapi client. Cheap to clone: clones share one connection
/// pool.
///
/// `Debug` shows the configuration, never the token.
#[derive(Clone)]
pub struct Whapi {
    raw: Client,
    builder: Arc<WhapiBuilder>,
    /// The client's transport, which a call with settings of its own sends
    /// through with them.
    transport: Arc<RetryingTransport>,
}

impl fmt::Debug for Whapi {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Whapi")
            .field("config", &self.builder)
            .finish_non_exhaustive()
    }
}

/// The result of a generated client's `send()`.
type RawResult<T> = std::result::Result<ResponseValue<T>, progenitor_client::Error<()>>;

impl Whapi {
    /// A client configured from `WHAPI_TOKEN` (required) and
    /// `WHAPI_BASE_URL` (default `https://gate.whapi.cloud`).
    pub fn from_env() -> Result<Self> {
        WhapiBuilder::from_env()?.build()
    }

    /// A builder for every setting.
    pub fn builder() -> WhapiBuilder {
        WhapiBuilder::new()
    }

    pub(crate) fn from_builder(builder: WhapiBuilder) -> Result<Self> {
        let token = builder
            .token
            .clone()
            .ok_or_else(|| Error::Config("no token: call .token(…) or set WHAPI_TOKEN".into()))?;
        if token.expose().trim().is_empty() {
            return Err(Error::Config("the token is empty".into()));
        }
        let base_url = checked_base_url(&builder.base_url)?;
        if builder.connect_timeout.is_zero() || builder.request_timeout.is_zero() {
            return Err(Error::Config("timeouts must be longer than zero".into()));
        }
        let mut authorization = HeaderValue::from_str(&format!("Bearer {}", token.expose()))
            .map_err(|_| {
                Error::Config("the token holds characters a header cannot carry".into())
            })?;
        authorization.set_sensitive(true);
        // A client of our own carries the token and the timeout itself, so
        // that requests do not: their copies for retries stay small. One
        // given to us gets both on each request.
        let (http, own) = match &builder.http {
            Some(client) => (client.clone(), false),
            None => {
                let mut headers = reqwest::header::HeaderMap::new();
                headers.insert(reqwest::header::AUTHORIZATION, authorization.clone());
                let client = http_client_builder()?
                    .default_headers(headers)
                    .timeout(builder.request_timeout)
                    .connect_timeout(builder.connect_timeout)
                    .pool_idle_timeout(builder.pool_idle_timeout)
                    .user_agent(builder.user_agent.clone())
                    .build()
                    .map_err(|e| Error::Config(format!("could not build the HTTP client: {e}")))?;
                (client, true)
            }
        };
        let builder = WhapiBuilder {
            base_url,
            ..builder
        };
        Ok(Self::assemble(Arc::new(builder), http, authorization, own))
    }

    /// Puts the generated client together with the transport the
    /// configuration asks for.
    fn assemble(
        builder: Arc<WhapiBuilder>,
        http: reqwest::Client,
        authorization: HeaderValue,
        own: bool,
    ) -> Self {
        let transport = RetryingTransport {
            authorization: (!own).then_some(authorization),
            request_timeout: builder.request_timeout,
            client_has_timeout: own,
            policy: builder.retry,
        };
        let transport = Arc::new(transport);
        let raw = Client::new_with_client(
            &builder.base_url,
            http,
            Hooks::with_transport(transport.clone()),
        );
        Self {
            raw,
            transport,
            builder,
        }
    }

    /// The generated client, configured like this one (auth, timeouts,
    /// retries, tracing): raw access to every operation.
    pub fn raw(&self) -> &Client {
        &self.raw
    }

    /// The API's address, without a trailing slash.
    pub fn base_url(&self) -> &str {
        &self.builder.base_url
    }

    /// The retry policy in force.
    pub fn retry_policy(&self) -> RetryPolicy {
        self.builder.retry
    }

    /// Calls an operation through the generated client and returns its
    /// decoded body, or this crate's [`Error`]: the escape hatch for what
    /// the methods of [`calls`](crate::calls) do not offer. Ids are checked
    /// as they are built, as everywhere; `ChatId::from_server(text)` wraps
    /// one the checks would refuse.
    ///
    /// ```no_run
    /// # async fn run(wa: whapi_ext::Whapi) -> whapi_ext::Result<()> {
    /// use whapi_ext::ids::ChatId;
    ///
    /// let id = ChatId::new("+1 (555) 010-0000")?;
    /// let chat = wa.call(|c| c.get_chat().chat_id(id).send()).await?;
    /// # let _ = chat;
    /// # Ok(())
    /// # }
    /// ```
    pub async fn call<'a, T, F, Fut>(&'a self, operation: F) -> Result<T>
    where
        T: DeserializeOwned,
        F: FnOnce(&'a Client) -> Fut,
        Fut: Future<Output = RawResult<T>> + 'a,
    {
        match operation(&self.raw).await {
            Ok(value) => Ok(value.into_inner()),
            Err(e) => Err(Error::from_raw(e).await),
        }
    }

    /// Hooks that send one call's request through the client's transport
    /// with `settings`, and the transport, which reports into them.
    pub(crate) fn call_hooks(&self, settings: CallSettings) -> (Hooks, Arc<CallTransport>) {
        let transport = Arc::new(CallTransport {
            base: self.transport.clone(),
            settings,
        });
        (Hooks::with_transport(transport.clone()), transport)
    }

    /// [`Whapi::call`] returning the whole [`ResponseValue`], status and
    /// headers included.
    pub async fn call_raw<'a, T, F, Fut>(&'a self, operation: F) -> Result<ResponseValue<T>>
    where
        F: FnOnce(&'a Client) -> Fut,
        Fut: Future<Output = RawResult<T>> + 'a,
    {
        match operation(&self.raw).await {
            Ok(value) => Ok(value),
            Err(e) => Err(Error::from_raw(e).await),
        }
    }
}

/// A `reqwest` client builder with the TLS this crate sets up: rustls with
/// ring's cryptography and the platform's certificate verifier, where the
/// `rustls` feature is on (reqwest's own choice otherwise). Build clients
/// for [`WhapiBuilder::http_client`](crate::WhapiBuilder::http_client) with
/// it: with only this crate's features, reqwest has no crypto provider of its
/// own, and `reqwest::Client::new()` panics (an application whose own
/// `reqwest` dependency keeps its default features has aws-lc's).
pub fn http_client_builder() -> Result<reqwest::ClientBuilder> {
    let builder = reqwest::Client::builder();
    #[cfg(feature = "rustls")]
    {
        use rustls_platform_verifier::BuilderVerifierExt;
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let config = rustls::ClientConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .and_then(|config| config.with_platform_verifier())
            .map_err(|e| Error::Config(format!("could not set up TLS: {e}")))?
            .with_no_client_auth();
        Ok(builder.tls_backend_preconfigured(config))
    }
    #[cfg(not(feature = "rustls"))]
    Ok(builder)
}
