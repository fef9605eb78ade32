//! Integration tests of the whapi-rs workspace, as one binary (one link).

mod client_wire;
mod generation;
mod spec_file;
mod toolchain;
