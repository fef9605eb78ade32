//! Every operation of the API as one call on [`Whapi`].
//!
//! ```no_run
//! # async fn run(wa: whapi_ext::Whapi) -> whapi_ext::Result<()> {
//! use std::time::Duration;
//! use whapi_ext::media::MediaSource;
//!
//! let sent = wa
//!     .send_message_text("+1 (555) 010-0000", "hi")
//!     .typing_time(Duration::from_secs(2))
//!     .await?;
//! println!("sent {}", sent.id());
//! wa.send_message_image("120363025343298765@g.us", MediaSource::path("cat.jpg"))
//!     .caption("a cat")
//!     .await?;
//! let group = wa.create_group("Lunch", ["+1 555 010 0000", "+44 20 7946 0000"]).await?;
//! println!("created {}", group.id());
//! # Ok(())
//! # }
//! ```
//!
//! Each method is named after its operationId (`createGroup` →
//! [`Whapi::create_group`]) and generated from the spec
//! (`whapi-gen/src/calls`): path parameters and required fields are its
//! arguments, optional ones setters of the builder it returns, and `.await`
//! sends it through the generated client, so auth, retries and tracing are
//! the client's. Nothing is sent before every value is checked: ids, the
//! spec's lengths, ranges, list sizes and patterns; the problems, all of
//! them, are one [`Error::InvalidArgument`](crate::Error::InvalidArgument).
//! Media from a URL or a media id goes as JSON; local data as
//! `multipart/form-data`, streamed from disk for a path.
//!
//! Each method carries its operation's description from the spec, and the
//! methods are grouped by the spec's tags (Messages, Chats, Groups, …), one
//! `impl` block each; the spec's deprecated operations are `#[deprecated]`.
//! A `HEAD` that asks whether something exists answers a `bool`
//! ([`Whapi::check_exist`]: 404 is `false`).
//!
//! [`with_options`](SendMessageText::with_options) changes a call's timeout,
//! retries or headers; [`send_with_meta`](SendMessageText::send_with_meta)
//! also returns its status, headers, attempts and latency.

mod call;
mod checks;
mod number;
#[allow(clippy::all)]
mod generated {
    include!("generated.rs");
}
pub(crate) mod options;
mod sending;
mod time;

pub use generated::*;
pub use number::IntoNumber;
pub use options::{Answer, CallOptions};

pub(crate) use call::Call;
pub(crate) use checks::Limit;
use time::TimeUnit;

// What the generated builders name.
use std::future::Future;
use std::num::NonZeroU64;

use futures_util::FutureExt;

use crate::ids::{self, IntoId};
use crate::media::{Download, MediaSource};
use crate::pagination::{List, Paged, Position, Sealed};
use crate::{Result, Whapi};
use whapi_client::{builder, types, BoxFuture};
