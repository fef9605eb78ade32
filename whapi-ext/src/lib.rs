//! The Whapi.Cloud WhatsApp SDK for applications.
//!
//! This crate grows into configuration, typed errors, retries, message
//! builders, media, pagination and webhooks on top of [`whapi_client`]. For
//! now it re-exports the complete generated client, so raw access to every
//! operation is one import away.

#![deny(missing_docs)]

pub use whapi_client as raw;
