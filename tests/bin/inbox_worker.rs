//! A webhook receiver with a durable inbox, for the fault tests that kill
//! it (`kill -9`) mid-flood and start it again.
//!
//! `inbox-worker <sqlite | redis url> <port> <dir> <handler ms> <capacity>`
//!
//! It serves the inbox on `/hook`, the number of waiting events on
//! `/waiting` and the dead letters on `/dead` (a line each: key, attempts,
//! error), and prints `ready` once it listens. Its handler sleeps
//! `handler ms`, appends the message's id to `<dir>/invocations` (a line
//! per call) and then makes the event's effect: the file
//! `<dir>/effects/<id>`, created only if missing, as an idempotent effect
//! is written. The SQLite file is `<dir>/inbox.db`.
//!
//! Optional, from the environment: `ABORT_ON=<id>` makes the handler abort
//! the process (`std::process::abort`) on that message, `MAX_ATTEMPTS` sets
//! the inbox's, `HANDLER_TIMEOUT_MS` its handler timeout (the lease is
//! twice that), `KEEP_CHAT_ORDER=1` keeps each chat's order, `MAX_INTAKE`
//! and `BODY_LIMIT` (bytes) set the inbox's, `FILE_SIZE_LIMIT` (bytes)
//! limits every file it writes (`RLIMIT_FSIZE`): past it a write fails, as
//! on a full disk.

use std::io::Write;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use axum::extract::State;
use axum::routing::get;
use whapi_ext::webhooks::{Inbox, Payload, WebhookEvent};

/// Past `bytes`, every write to a file fails (`EFBIG`) instead of killing
/// the process (`SIGXFSZ` ignored): a full disk.
fn limit_file_size(bytes: u64) -> std::io::Result<()> {
    let limit = libc::rlimit {
        rlim_cur: bytes as libc::rlim_t,
        rlim_max: bytes as libc::rlim_t,
    };
    // SAFETY: plain system calls with valid arguments.
    unsafe {
        libc::signal(libc::SIGXFSZ, libc::SIG_IGN);
        if libc::setrlimit(libc::RLIMIT_FSIZE, &limit) != 0 {
            return Err(std::io::Error::last_os_error());
        }
    }
    Ok(())
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    if let Some(bytes) = std::env::var("FILE_SIZE_LIMIT")
        .ok()
        .and_then(|v| v.parse().ok())
    {
        limit_file_size(bytes)?;
    }
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [store, port, dir, handler_ms, capacity] = args.as_slice() else {
        return Err(
            "usage: inbox-worker <sqlite | redis url> <port> <dir> <handler ms> <capacity>".into(),
        );
    };
    let dir = PathBuf::from(dir);
    let handler_time = Duration::from_millis(handler_ms.parse()?);
    std::fs::create_dir_all(dir.join("effects"))?;
    let invocations = Arc::new(
        std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(dir.join("invocations"))?,
    );
    let effects = dir.join("effects");
    let abort_on = std::env::var("ABORT_ON").ok();
    let handler = move |event: WebhookEvent| {
        let (invocations, effects) = (invocations.clone(), effects.clone());
        let abort_on = abort_on.clone();
        async move {
            tokio::time::sleep(handler_time).await;
            let id = message_id(&event).ok_or("not a message event")?;
            if abort_on.as_deref() == Some(id.as_str()) {
                std::process::abort();
            }
            // One write of one line: appends from several tasks never mix.
            (&*invocations)
                .write_all(format!("{id}\n").as_bytes())
                .map_err(|e| e.to_string())?;
            match std::fs::OpenOptions::new()
                .write(true)
                .create_new(true)
                .open(effects.join(&id))
            {
                Ok(_) => Ok(()),
                Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => Ok(()),
                Err(e) => Err(e.to_string()),
            }
        }
    };
    let from_env = |name: &str| std::env::var(name).ok().and_then(|v| v.parse::<u64>().ok());
    // Long enough that a slow commit on a loaded machine never lets a lease
    // run out under a running handler (the lease is this twice).
    let handler_timeout = from_env("HANDLER_TIMEOUT_MS")
        .map(Duration::from_millis)
        .unwrap_or((handler_time * 2).max(Duration::from_secs(5)));
    let builder = Inbox::builder()
        .without_verification()
        .concurrency(8)
        .capacity(capacity.parse()?)
        .backoff(Duration::from_millis(50), Duration::from_millis(500))
        .handler_timeout(handler_timeout)
        .max_attempts(from_env("MAX_ATTEMPTS").map_or(8, |n| n as u32))
        .keep_chat_order(std::env::var("KEEP_CHAT_ORDER").as_deref() == Ok("1"))
        .max_intake(from_env("MAX_INTAKE").map_or(256, |n| n as usize))
        .body_limit(from_env("BODY_LIMIT").map_or(5 * 1024 * 1024, |n| n as usize))
        .poll_interval(Duration::from_millis(50));
    let inbox = if store.starts_with("redis://") {
        builder.redis(store, "faults", handler).await?
    } else {
        builder.sqlite(dir.join("inbox.db"), handler).await?
    };
    let router = inbox.router("/hook").merge(
        axum::Router::new()
            .route("/waiting", get(waiting))
            .route("/dead", get(dead))
            .with_state(inbox.clone()),
    );
    let listener = tokio::net::TcpListener::bind(("127.0.0.1", port.parse::<u16>()?)).await?;
    println!("ready");
    axum::serve(listener, router).await?;
    Ok(())
}

fn message_id(event: &WebhookEvent) -> Option<String> {
    match &event.payload {
        Payload::Messages(messages) => messages.first()?.id.clone().map(String::from),
        _ => None,
    }
}

/// The inbox's waiting events, or `503` with the store's error.
async fn waiting(State(inbox): State<Inbox>) -> Result<String, (axum::http::StatusCode, String)> {
    inbox
        .waiting()
        .await
        .map(|n| n.to_string())
        .map_err(|e| (axum::http::StatusCode::SERVICE_UNAVAILABLE, e.to_string()))
}

/// The dead letters, a line each: key, attempts, error.
async fn dead(State(inbox): State<Inbox>) -> Result<String, (axum::http::StatusCode, String)> {
    let letters = inbox
        .dead_letters(1000)
        .await
        .map_err(|e| (axum::http::StatusCode::SERVICE_UNAVAILABLE, e.to_string()))?;
    Ok(letters
        .iter()
        .map(|d| format!("{} {} {}\n", d.key, d.attempts, d.last_error))
        .collect())
}
