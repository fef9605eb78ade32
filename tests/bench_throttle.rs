//! Paced sending, by `cargo xtask bench`: the rate a throttle achieves over
//! the rate it is set to (a stand-in send, real time: each wait ends on
//! tokio's 1 ms timer, so a wait is late by up to 1 ms, and with one send
//! allowed at a time a late send delays the next), and the cost of the
//! paced path over an unpaced call when no wait is needed (a request to a
//! keep-alive server on loopback, median of per-round ratios).

use std::num::NonZeroU32;
use std::time::{Duration, Instant};

use tokio::net::TcpListener;
use whapi_ext::throttle::Limits;
use whapi_ext::Whapi;
use whapi_tests::loopback::{median, serve_json};

const BODY: &str = r#"{"chats":[{"id":"15550100000@s.whatsapp.net","name":"Alice","type":"contact"}],"count":1,"total":1,"offset":0}"#;

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let listener = TcpListener::bind("127.0.0.1:0").await?;
    let base = format!("http://{}", listener.local_addr()?);
    tokio::spawn(serve_json(listener, |_| BODY.to_string()));
    let wa = Whapi::builder().token("bench").base_url(&base).build()?;

    // The achieved rate, one send at a time: 60 at 10 a second (the
    // figure), and 200 at 100 a second, where tokio's 1 ms timer shows.
    for (name, sends, interval, goal) in [
        (
            "throttle_achieved_rate",
            60u32,
            Duration::from_millis(100),
            "goal 0.98x to 1.0x, never above",
        ),
        (
            "throttle_achieved_rate_at_100_per_second",
            200,
            Duration::from_millis(10),
            "goal: report, never above 1.0x",
        ),
    ] {
        let paced =
            wa.throttled(Limits::none().with_rate(NonZeroU32::MIN, interval, NonZeroU32::MIN));
        let mut first = None;
        let mut last = Instant::now();
        for i in 0..sends {
            let chat = format!("1555010{i:04}");
            last = paced
                .send(chat.as_str(), async {
                    Ok::<_, whapi_ext::Error>(Instant::now())
                })
                .await?;
            first.get_or_insert(last);
        }
        let elapsed = last - first.unwrap_or(last);
        let achieved = f64::from(sends - 1) / elapsed.as_secs_f64();
        let configured = 1.0 / interval.as_secs_f64();
        println!(
            "{name}: {:.3}x the configured rate ({achieved:.2} vs {configured:.0} sends/s) ({goal})",
            achieved / configured
        );
    }

    // The paced path without waits: the same request, paced and not.
    let free = wa.throttled(Limits::none());
    let mut ratios = Vec::new();
    for round in 0..=20 {
        let started = Instant::now();
        for _ in 0..200 {
            std::hint::black_box(wa.get_chats().await?);
        }
        let plain = started.elapsed();
        let started = Instant::now();
        for _ in 0..200 {
            std::hint::black_box(free.send("15550100000", wa.get_chats()).await?);
        }
        let paced = started.elapsed();
        if round > 0 {
            ratios.push(paced.as_secs_f64() / plain.as_secs_f64());
        }
    }
    println!(
        "throttle_overhead_without_waits: {:.3}x an unpaced call (goal: report)",
        median(&mut ratios)
    );
    Ok(())
}
