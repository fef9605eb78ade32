//! Paces sends through a budget shared in Redis and prints, one line each,
//! the time (ms since the epoch) each send's turn came: the test of two
//! processes sharing one budget runs two of these at once.
//!
//! `throttle-worker <redis url> <channel> <sends> <interval ms> <chat prefix>`

use std::num::NonZeroU32;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use whapi_ext::throttle::{Limits, Throttle};
use whapi_ext::Whapi;

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [url, channel, sends, interval, prefix] = args.as_slice() else {
        return Err(
            "usage: throttle-worker <redis url> <channel> <sends> <interval ms> <chat prefix>"
                .into(),
        );
    };
    let sends: u32 = sends.parse()?;
    let interval = Duration::from_millis(interval.parse()?);
    // Nothing reaches this address: the sends are stand-ins.
    let wa = Whapi::builder()
        .token("worker")
        .base_url("http://127.0.0.1:9")
        .build()?;
    let limits = Limits::none().with_rate(NonZeroU32::MIN, interval, NonZeroU32::MIN);
    let paced = Throttle::shared(&wa, limits, url, channel).await?;
    for i in 0..sends {
        let chat = format!("{prefix}{i:04}");
        let at = paced
            .send(chat.as_str(), async {
                let now = SystemTime::now()
                    .duration_since(UNIX_EPOCH)
                    .unwrap_or_default();
                Ok::<_, whapi_ext::Error>(now.as_millis())
            })
            .await?;
        println!("{at}");
    }
    Ok(())
}
