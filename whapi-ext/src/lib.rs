//! The Whapi.Cloud WhatsApp SDK for applications.
//!
//! [`Whapi`] is a configured client: bearer-token auth that never shows in
//! logs, timeouts, a user agent, retries that never send a message twice,
//! and one `tracing` span per request. Every one of the API's 167 operations
//! is reachable through [`Whapi::call`], which returns this crate's typed
//! [`Error`].
//!
//! ```no_run
//! # async fn run() -> whapi_ext::Result<()> {
//! use whapi_ext::Whapi;
//!
//! let wa = Whapi::from_env()?; // WHAPI_TOKEN, optional WHAPI_BASE_URL
//! let chats = wa.call(|c| c.get_chats().send()).await?;
//! println!("{} chats", chats.total.unwrap_or_default());
//! # Ok(())
//! # }
//! ```
//!
//! The generated low-level client is re-exported as [`raw`]; [`Whapi::raw`]
//! hands out one configured the same way (auth, timeouts, retries, tracing).

#![deny(missing_docs)]
// docs.rs (nightly) marks what needs a feature, such as the axum receiver.
#![cfg_attr(docsrs, feature(doc_cfg))]

mod client;
mod config;
mod error;
pub mod ids;
pub mod media;
pub mod messages;
pub mod pagination;
pub mod retry;
mod transport;
pub mod webhooks;

pub use client::Whapi;
pub use config::WhapiBuilder;
pub use error::{ApiError, Error};
pub use pagination::{Items, List, Page};
pub use retry::RetryPolicy;
pub use whapi_client as raw;

/// The result of every fallible call of this crate.
pub type Result<T, E = Error> = std::result::Result<T, E>;
