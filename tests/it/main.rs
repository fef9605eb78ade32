//! Integration tests of the whapi-rs workspace, as one binary (one link).

mod client_wire;
mod ext_client;
mod generation;
mod media;
mod messages;
mod pagination;
mod spec_file;
mod toolchain;
mod webhook_receiver;
mod webhooks;
