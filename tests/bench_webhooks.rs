//! Typed webhook parsing throughput against `serde_json::Value` parsing of
//! the same corpus (the fixtures of every event type). Run by
//! `cargo xtask bench`.

use std::time::Instant;

use whapi_ext::webhooks::WebhookEvent;
use whapi_tests::loopback::median;

const ROUNDS: usize = 25;
const REPEAT: usize = 40;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/webhooks");
    let mut corpus = Vec::new();
    for entry in std::fs::read_dir(dir)? {
        let path = entry?.path();
        if path.extension().is_some_and(|e| e == "json") {
            corpus.push(std::fs::read(path)?);
        }
    }
    let bytes: usize = corpus.iter().map(Vec::len).sum::<usize>() * REPEAT;

    let mut ratios = Vec::new();
    let mut typed_rates = Vec::new();
    for round in 0..=ROUNDS {
        let typed = || {
            let started = Instant::now();
            for _ in 0..REPEAT {
                for body in &corpus {
                    std::hint::black_box(WebhookEvent::parse(body).expect("fixtures parse"));
                }
            }
            started.elapsed()
        };
        let value = || {
            let started = Instant::now();
            for _ in 0..REPEAT {
                for body in &corpus {
                    std::hint::black_box(
                        serde_json::from_slice::<serde_json::Value>(body)
                            .expect("fixtures are JSON"),
                    );
                }
            }
            started.elapsed()
        };
        let (typed_time, value_time) = if round % 2 == 0 {
            let t = typed();
            (t, value())
        } else {
            let v = value();
            (typed(), v)
        };
        if round > 0 {
            ratios.push(value_time.as_secs_f64() / typed_time.as_secs_f64());
            typed_rates.push(bytes as f64 / typed_time.as_secs_f64() / 1e6);
        }
    }
    println!(
        "webhook_parse_throughput: {:.2}x serde_json::Value on the same corpus ({:.0} MB/s typed) (goal >= 1.0x)",
        median(&mut ratios),
        median(&mut typed_rates)
    );
    Ok(())
}
