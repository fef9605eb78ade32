//! The sandbox's speed: requests per second it serves (sends through the
//! SDK, 16 at once, each creating a message and its statuses). Run by
//! `cargo xtask bench`, which then times the main job on it and on Prism.

use std::time::{Duration, Instant};

use futures::StreamExt;
use whapi_ext::sandbox::Sandbox;

const SENDS: usize = 5_000;
const CLIENTS: usize = 16;

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    // Statuses far apart: the figure is the sends, not the webhooks.
    let sandbox = Sandbox::builder()
        .status_step(Duration::from_secs(3600))
        .start()
        .await?;
    let wa = sandbox.client();
    let started = Instant::now();
    let failed = futures::stream::iter(0..SENDS)
        .map(|i| {
            let wa = wa.clone();
            async move {
                let to = format!("1555010{:04}", i % 100);
                wa.send_message_text(to.as_str(), "a message")
                    .await
                    .is_err()
            }
        })
        .buffer_unordered(CLIENTS)
        .filter(|failed| std::future::ready(*failed))
        .count()
        .await;
    let rate = SENDS as f64 / started.elapsed().as_secs_f64();
    if failed > 0 {
        return Err(format!("{failed} of {SENDS} sends failed").into());
    }
    println!(
        "sandbox_sends_per_second: {rate:.0}/s with {CLIENTS} clients, through the SDK (goal: report)"
    );

    Ok(())
}
