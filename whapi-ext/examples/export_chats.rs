//! Exports every chat and every message to a JSON Lines file, with a
//! progress bar: one `{"chat": …}` line per chat, followed by one
//! `{"message": …}` line per message of that chat, as the SDK decodes them.
//!
//! ```sh
//! cargo run -p whapi-ext --features sandbox --example export_chats [OUT.jsonl]
//! ```
//!
//! The output defaults to `whapi-export.jsonl` in the current folder; an
//! existing file is never overwritten, and a new one is readable by its
//! owner only (it holds private conversations). A walk holds one page in
//! memory, so any number of chats and messages fit.
//!
//! Without `WHAPI_TOKEN` it runs on the sandbox (`--features sandbox`, a
//! stateful local Whapi), else against a local spec-validating mock
//! (Prism, installed with npm on the first run), and says so. The mock
//! answers every offset with the same example page, which a full walk
//! rightly refuses as a loop, so there it reads one page of each list.
//! With a token it exports your real account.

mod common;

use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};

use futures_util::TryStreamExt;
use indicatif::{ProgressBar, ProgressStyle};
use serde_json::json;

/// Chats and messages per request: the largest page the API serves.
const PAGE: u64 = whapi_ext::pagination::MAX_PAGE_SIZE;

/// Creates `path` for its owner alone; refuses to replace what exists, or
/// to follow a link planted there.
fn create_private(path: &Path) -> Result<std::fs::File, common::Failure> {
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    options.open(path).map_err(|e| match e.kind() {
        std::io::ErrorKind::AlreadyExists => {
            format!("{} exists: name another file to export to", path.display()).into()
        }
        _ => format!("creating {}: {e}", path.display()).into(),
    })
}

#[tokio::main]
async fn main() -> Result<(), common::Failure> {
    let session = common::connect().await?;
    let wa = &session.wa;
    let out = match std::env::args_os().nth(1) {
        Some(path) => PathBuf::from(path),
        // A fresh name per run on the mock, so runs never collide.
        None if session.mock => {
            std::env::temp_dir().join(format!("whapi-export-{}.jsonl", std::process::id()))
        }
        None => PathBuf::from("whapi-export.jsonl"),
    };
    // The mock repeats its one example page: read just that. The sandbox
    // pages for real; three people have written to it first.
    #[cfg(feature = "sandbox")]
    if let Some(sandbox) = &session.sandbox {
        for (i, from) in ["15550100001", "15550100002", "15550100003"]
            .iter()
            .enumerate()
        {
            for n in 0..=i {
                sandbox.receive_text(from, &format!("message {n}")).await?;
            }
        }
    }
    let limit = (session.mock && !session.on_sandbox()).then_some(20);
    let mut file = BufWriter::new(create_private(&out)?);

    let progress = ProgressBar::no_length().with_style(ProgressStyle::with_template(
        "{spinner} chats {pos}/{len} {wide_bar} {msg}",
    )?);
    let mut chats = wa.get_chats().list().page_size(PAGE);
    if let Some(limit) = limit {
        chats = chats.page_size(limit).limit(limit);
    }
    let mut pages = chats.pages();
    let (mut chat_count, mut message_count) = (0u64, 0u64);
    while let Some(page) = pages.try_next().await? {
        // The first page says how many chats there are in all.
        if let Some(total) = page.total() {
            progress.set_length(limit.map_or(total, |l| l.min(total)));
        }
        for chat in page.items {
            writeln!(file, "{}", json!({ "chat": chat }))?;
            chat_count += 1;
            progress.inc(1);
            // Leniency: a chat the server sent without an id is kept, but
            // its messages cannot be asked for.
            if chat.id().is_empty() {
                continue;
            }
            let mut messages = wa.get_messages_by_chat_id(chat.id()).list().page_size(PAGE);
            if let Some(limit) = limit {
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
