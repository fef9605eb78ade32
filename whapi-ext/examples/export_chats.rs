//! Exports every chat and every message to a JSON Lines file, with a
//! progress bar: one `{"chat": …}` line per chat, followed by one
//! `{"message": …}` line per message of that chat, as the server sent them.
//!
//! ```sh
//! cargo run -p whapi-ext --example export_chats [OUT.jsonl]
//! ```
//!
//! The output defaults to `whapi-export.jsonl` in the temporary folder. A
//! walk holds one page in memory, so any number of chats and messages fit.
//!
//! Without `WHAPI_TOKEN` it runs against a local spec-validating mock
//! (Prism, installed with npm on the first run) and says so. The mock
//! answers every offset with the same example page, which a full walk
//! rightly refuses as a loop, so there it reads one page of each list.
//! With a token it exports your real account.

mod common;

use std::io::{BufWriter, Write};
use std::path::PathBuf;

use futures_util::TryStreamExt;
use indicatif::{ProgressBar, ProgressStyle};
use serde_json::json;

/// Chats and messages per request: the largest page the API serves.
const PAGE: u64 = whapi_ext::pagination::MAX_PAGE_SIZE;

#[tokio::main]
async fn main() -> Result<(), common::Failure> {
    let session = common::connect()?;
    let wa = &session.wa;
    let out = std::env::args_os()
        .nth(1)
        .map(PathBuf::from)
        .unwrap_or_else(|| std::env::temp_dir().join("whapi-export.jsonl"));
    // The mock repeats its one example page: read just that.
    let (chat_limit, message_limit) = if session.mock {
        (Some(20), Some(20))
    } else {
        (None, None)
    };
    let mut file = BufWriter::new(std::fs::File::create(&out)?);

    let progress = ProgressBar::no_length().with_style(ProgressStyle::with_template(
        "{spinner} chats {pos}/{len} {wide_bar} {msg}",
    )?);
    let mut chats = wa.chats().page_size(PAGE);
    if let Some(limit) = chat_limit {
        chats = chats.page_size(limit).limit(limit);
    }
    let mut pages = chats.pages();
    let (mut chat_count, mut message_count) = (0u64, 0u64);
    while let Some(page) = pages.try_next().await? {
        // The first page says how many chats there are in all.
        if let Some(total) = page.hint.total {
            progress.set_length(chat_limit.map_or(total, |l| l.min(total)));
        }
        for chat in page.items {
            writeln!(file, "{}", json!({ "chat": chat }))?;
            chat_count += 1;
            progress.inc(1);
            // Leniency: a chat the server sent without an id is kept, but
            // its messages cannot be asked for.
            let Some(id) = chat.id.as_deref() else {
                continue;
            };
            let mut messages = wa.messages_in_chat(id).page_size(PAGE);
            if let Some(limit) = message_limit {
                messages = messages.page_size(limit).limit(limit);
            }
            let mut messages = messages.items();
            while let Some(message) = messages.try_next().await? {
                writeln!(file, "{}", json!({ "message": message }))?;
                message_count += 1;
                progress.set_message(format!("{message_count} messages"));
            }
        }
    }
    file.flush()?;
    progress.finish_with_message(format!("{message_count} messages"));
    println!(
        "exported {chat_count} chats and {message_count} messages to {}",
        out.display()
    );
    Ok(())
}
