//! The Whapi.Cloud WhatsApp SDK for applications.
//!
//! [`Whapi`] is a configured client: bearer-token auth that never shows in
//! logs, timeouts, a user agent, retries that never send a message twice,
//! and one `tracing` span per request. Each of the API's 189 operations (spec
//! 1.8.7's 167, and 22 the live service has beyond it) is
//! one method on it, named after its operationId ([`calls`]), checked
//! before it is sent and answered as this crate's typed [`Error`] when it
//! fails.
//!
//! ```no_run
//! # async fn run() -> whapi_ext::Result<()> {
//! use whapi_ext::Whapi;
//!
//! let wa = Whapi::from_env()?; // WHAPI_TOKEN, optional WHAPI_BASE_URL
//! let health = wa.check_health().await?;
//! println!("channel status: {}", health.status_text());
//! let sent = wa.send_message_text("+1 (555) 010-0000", "Hello from Rust").await?;
//! println!("sent {}", sent.id());
//! # Ok(())
//! # }
//! ```
//!
//! The generated low-level client is re-exported as [`raw`] (its types as
//! [`types`]); [`Whapi::raw`] hands out one configured the same way (auth,
//! timeouts, retries, tracing).

#![deny(missing_docs)]
// docs.rs (nightly) marks what needs a feature, such as the axum receiver.
#![cfg_attr(docsrs, feature(doc_cfg))]

pub mod calls;
mod client;
mod config;
mod error;
pub mod media;
pub mod pagination;
#[cfg(feature = "redis")]
mod redis_connection;
pub mod retry;
#[cfg(feature = "sandbox")]
#[cfg_attr(docsrs, doc(cfg(feature = "sandbox")))]
pub mod sandbox;
#[cfg(feature = "throttle")]
#[cfg_attr(docsrs, doc(cfg(feature = "throttle")))]
pub mod throttle;
mod transport;
pub mod webhooks;

pub use calls::{Answer, CallOptions};
pub use client::{http_client_builder, Whapi};
pub use config::WhapiBuilder;
pub use error::{ApiError, Error, HttpError, Invalid, Problem};
pub use pagination::{Items, List, Page};
pub use retry::RetryPolicy;
pub use whapi_client as raw;
/// Typed ids: checked when built from what people type, read as sent
/// from answers and webhooks; the same types the raw client's requests and
/// answers use.
///
/// ```
/// use whapi_ext::ids::{ChatId, ContactId};
///
/// let alice: ContactId = "+1 (555) 010-0000".parse()?;
/// assert_eq!(ChatId::from(alice).as_str(), "15550100000@s.whatsapp.net");
/// assert!("not a chat".parse::<ChatId>().is_err());
/// # Ok::<(), whapi_ext::ids::InvalidId>(())
/// ```
pub use whapi_client::ids;
pub use whapi_client::types;

/// The result of every fallible call of this crate.
pub type Result<T, E = Error> = std::result::Result<T, E>;
