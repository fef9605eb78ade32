//! Items per second of `.items()` over a local server, versus a hand-written
//! offset loop with the raw client of the same `Whapi`. Run by
//! `cargo xtask bench`.
//!
//! The server is a minimal keep-alive HTTP/1.1 responder on 127.0.0.1 that
//! serves a list of `TOTAL` chats by `offset` and `count`, from bodies
//! rendered once up front, so both walks pay the same server cost. Rounds
//! alternate between the walks; the figure is the median of per-round
//! ratios.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Instant;

use futures::TryStreamExt;
use tokio::net::TcpListener;
use whapi_ext::Whapi;
use whapi_tests::loopback::{median, serve_json};

const TOTAL: u64 = 10_000;
const PAGE: u64 = 500;
const ROUNDS: usize = 18;

fn page_body(offset: u64) -> String {
    let items: Vec<String> = (offset..TOTAL.min(offset + PAGE))
        .map(|i| format!(r#"{{"id":"{i:012}@s.whatsapp.net","name":"Chat {i}","type":"contact","timestamp":{},"unread":{}}}"#, 1_700_000_000 + i, i % 7))
        .collect();
    format!(
        r#"{{"chats":[{}],"count":{PAGE},"offset":{offset},"total":{TOTAL}}}"#,
        items.join(",")
    )
}

fn offset_of(head: &str) -> u64 {
    head.split(['?', '&', ' '])
        .find_map(|p| p.strip_prefix("offset="))
        .and_then(|v| v.parse().ok())
        .unwrap_or(0)
}

/// Walks every chat with `.items()`.
async fn stream_walk(wa: &Whapi) -> Result<std::time::Duration, Box<dyn std::error::Error>> {
    let started = Instant::now();
    let mut seen = 0u64;
    let mut items = wa.get_chats().list().page_size(PAGE).items();
    while let Some(chat) = items.try_next().await? {
        std::hint::black_box(chat);
        seen += 1;
    }
    assert_eq!(seen, TOTAL);
    Ok(started.elapsed())
}

/// Walks every chat with `.pages()`, iterating each page's items.
async fn pages_walk(wa: &Whapi) -> Result<std::time::Duration, Box<dyn std::error::Error>> {
    let started = Instant::now();
    let mut seen = 0u64;
    let mut pages = wa.get_chats().list().page_size(PAGE).pages();
    while let Some(page) = pages.try_next().await? {
        for chat in page.items {
            std::hint::black_box(chat);
            seen += 1;
        }
    }
    assert_eq!(seen, TOTAL);
    Ok(started.elapsed())
}

/// Walks every chat with a hand-written offset loop over the raw client.
async fn loop_walk(
    wa: &Whapi,
    page: std::num::NonZeroU64,
) -> Result<std::time::Duration, Box<dyn std::error::Error>> {
    let started = Instant::now();
    let mut seen = 0u64;
    let mut offset = 0i64;
    loop {
        let list = wa
            .raw()
            .get_chats()
            .offset(offset)
            .count(page)
            .send()
            .await?
            .into_inner();
        let chats = list.chats.map(|c| c.0).unwrap_or_default();
        if chats.is_empty() {
            break;
        }
        offset += chats.len() as i64;
        for chat in chats {
            std::hint::black_box(chat);
            seen += 1;
        }
        if list.total.is_some_and(|t| offset >= i64::from(t)) {
            break;
        }
    }
    assert_eq!(seen, TOTAL);
    Ok(started.elapsed())
}

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let pages: HashMap<u64, String> = (0..TOTAL)
        .step_by(PAGE as usize)
        .map(|o| (o, page_body(o)))
        .collect();
    let listener = TcpListener::bind("127.0.0.1:0").await?;
    let base = format!("http://{}", listener.local_addr()?);
    let pages = Arc::new(pages);
    tokio::spawn(serve_json(listener, move |head| {
        pages
            .get(&offset_of(head))
            .cloned()
            .unwrap_or_else(|| r#"{"chats":[],"total":0}"#.to_string())
    }));
    let wa = Whapi::builder()
        .token("bench-token")
        .base_url(&base)
        .build()?;
    let page = std::num::NonZeroU64::new(PAGE).ok_or("page size")?;

    let mut ratios = Vec::new();
    let mut page_ratios = Vec::new();
    let mut rates = Vec::new();
    for round in 0..=ROUNDS {
        // Alternate which walk goes first, so neither always runs on a warm
        // or a cold allocator.
        // Rotate which walk goes first, second and third, so none always
        // runs on a warm or a cold allocator.
        let mut times = [std::time::Duration::ZERO; 3];
        for step in 0..3 {
            let walk = (round + step) % 3;
            times[walk] = match walk {
                0 => stream_walk(&wa).await?,
                1 => loop_walk(&wa, page).await?,
                _ => pages_walk(&wa).await?,
            };
        }
        let [stream_time, loop_time, pages_time] = times;
        if round > 0 {
            ratios.push(loop_time.as_secs_f64() / stream_time.as_secs_f64());
            page_ratios.push(loop_time.as_secs_f64() / pages_time.as_secs_f64());
            rates.push(TOTAL as f64 / stream_time.as_secs_f64());
        }
    }
    println!(
        "pagination_items_per_second: {:.3}x a hand-written offset loop with the raw client ({:.0} items/s) (goal >= 0.95x)",
        median(&mut ratios),
        median(&mut rates)
    );
    println!(
        "pagination_pages_items_per_second: {:.3}x a hand-written offset loop with the raw client (goal >= 0.95x)",
        median(&mut page_ratios)
    );
    Ok(())
}
