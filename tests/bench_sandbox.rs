//! The sandbox's speed: requests per second it serves (sends through the
//! SDK, 16 at once, each creating a message and its statuses), and the
//! main job's wall time on it from a warm build. Run by `cargo xtask bench`.

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

    let main_job = whapi_tests::workspace_root().join("target/release/examples/main_job");
    if main_job.exists() {
        let mut times = Vec::new();
        for _ in 0..3 {
            let started = Instant::now();
            let output = std::process::Command::new(&main_job)
                .env_remove("WHAPI_TOKEN")
                .output()?;
            if !output.status.success() {
                return Err(format!(
                    "the main job failed: {}",
                    String::from_utf8_lossy(&output.stderr)
                )
                .into());
            }
            times.push(started.elapsed().as_secs_f64());
        }
        let mut sorted = times.clone();
        sorted.sort_by(f64::total_cmp);
        println!(
            "main_job_on_the_sandbox: {:.2} s from start to its last line, warm build (goal: report)",
            sorted[1]
        );
    }
    Ok(())
}
