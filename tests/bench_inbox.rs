//! The durable inbox's throughput, acknowledgement latency and memory. Run
//! by `cargo xtask bench`.
//!
//! Throughput: events posted by 32 clients at once over loopback, until
//! every one is acknowledged and handled, through the SQLite inbox and the
//! Redis inbox (`appendfsync always`), each as a ratio to the store-less
//! `WebhookReceiver` in the same round. Memory: the peak RSS of a process
//! serving the SQLite inbox while 100,000 events are posted to it.

use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use futures::StreamExt;
use whapi_ext::webhooks::{Inbox, WebhookEvent, WebhookReceiver};
use whapi_tests::loopback::median;
use whapi_tests::redis_server::RedisServer;

const EVENTS: usize = 5_000;
const ROUNDS: usize = 3;
const CLIENTS: usize = 32;
const FLOOD: usize = 100_000;

type Failure = Box<dyn std::error::Error>;

#[tokio::main]
async fn main() -> Result<(), Failure> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if let [mode, arg] = args.as_slice() {
        if mode == "serve" {
            return serve_sqlite(arg).await;
        }
    }
    let dir = tempfile::tempdir()?;
    let redis = RedisServer::start_durable(dir.path());
    let mut ratios = [Vec::new(), Vec::new()];
    let mut rates = [Vec::new(), Vec::new(), Vec::new()];
    let mut latencies = [Vec::new(), Vec::new()];
    for round in 0..ROUNDS {
        let ids = |store: &'static str| (0..EVENTS).map(move |i| format!("{store}-{round}-{i}"));
        let memory = run(Receiver::Memory, ids("memory")).await?;
        let sqlite = run(
            Receiver::Sqlite(dir.path().join(format!("r{round}.db"))),
            ids("sqlite"),
        )
        .await?;
        let redis = run(
            Receiver::Redis(redis.url.clone(), format!("bench{round}")),
            ids("redis"),
        )
        .await?;
        for (i, store) in [&sqlite, &redis].into_iter().enumerate() {
            ratios[i].push(store.rate / memory.rate);
            latencies[i].extend(store.latencies.iter().copied());
        }
        for (i, r) in [&memory, &sqlite, &redis].into_iter().enumerate() {
            rates[i].push(r.rate);
        }
    }
    for (i, name) in ["sqlite", "redis"].into_iter().enumerate() {
        println!(
            "inbox_{name}_events_per_second: {:.0}/s, {:.2}x the store-less receiver ({:.0}/s) (goal >= 0.1x, a floor: each event is on disk before its 200)",
            median(&mut rates[i + 1]),
            median(&mut ratios[i]),
            median(&mut rates[0]),
        );
    }
    for (i, name) in ["sqlite", "redis"].into_iter().enumerate() {
        println!(
            "inbox_{name}_p99_ack_latency: {:.1} ms with {CLIENTS} clients posting (goal < 50 ms)",
            percentile(&mut latencies[i], 0.99) * 1e3
        );
    }
    let (peak, acknowledged) = flood_peak_rss(dir.path()).await?;
    println!(
        "inbox_peak_rss_100k_flood: {peak} MiB serving the SQLite inbox while {FLOOD} events were posted ({acknowledged} acknowledged) (goal < 64 MiB)"
    );
    Ok(())
}

enum Receiver {
    Memory,
    Sqlite(std::path::PathBuf),
    Redis(String, String),
}

struct Figures {
    rate: f64,
    latencies: Vec<f64>,
}

/// Serves `receiver` on loopback, posts the events, and waits until each is
/// handled.
async fn run(receiver: Receiver, ids: impl Iterator<Item = String>) -> Result<Figures, Failure> {
    let handled = Arc::new(AtomicUsize::new(0));
    let counter = handled.clone();
    let handler = move |_event: WebhookEvent| {
        counter.fetch_add(1, Ordering::Relaxed);
        async { Ok::<(), String>(()) }
    };
    let builder = Inbox::builder().concurrency(16).without_verification();
    let (router, inbox) = match receiver {
        Receiver::Memory => (
            WebhookReceiver::new(handler)
                .without_verification()
                .router("/hook"),
            None,
        ),
        Receiver::Sqlite(path) => {
            let inbox = builder.sqlite(path, handler).await?;
            (inbox.router("/hook"), Some(inbox))
        }
        Receiver::Redis(url, name) => {
            let inbox = builder.redis(&url, &name, handler).await?;
            (inbox.router("/hook"), Some(inbox))
        }
    };
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let port = listener.local_addr()?.port();
    let server = tokio::spawn(async move { axum::serve(listener, router).await });
    let bodies: Vec<Vec<u8>> = ids.map(|id| body(&id)).collect();
    let n = bodies.len();

    let started = Instant::now();
    let (answers, latencies) = post_all(port, bodies, CLIENTS).await;
    while handled.load(Ordering::Relaxed) < n {
        tokio::time::sleep(Duration::from_micros(200)).await;
    }
    let elapsed = started.elapsed();

    if answers != n {
        return Err(format!("{answers} of {n} events acknowledged").into());
    }
    if let Some(inbox) = inbox {
        inbox.shutdown(Duration::from_secs(5)).await;
    }
    server.abort();
    Ok(Figures {
        rate: n as f64 / elapsed.as_secs_f64(),
        latencies,
    })
}

/// Posts every body, `clients` at a time; the `200`s and each answer's
/// latency in seconds.
async fn post_all(port: u16, bodies: Vec<Vec<u8>>, clients: usize) -> (usize, Vec<f64>) {
    let http = reqwest::Client::new();
    let url = format!("http://127.0.0.1:{port}/hook");
    let answers: Vec<(bool, f64)> = futures::stream::iter(bodies)
        .map(|body| {
            let request = http.post(&url).body(body).send();
            async move {
                let started = Instant::now();
                let ok = request.await.is_ok_and(|r| r.status().as_u16() == 200);
                (ok, started.elapsed().as_secs_f64())
            }
        })
        .buffer_unordered(clients)
        .collect()
        .await;
    let acknowledged = answers.iter().filter(|(ok, _)| *ok).count();
    (acknowledged, answers.into_iter().map(|(_, l)| l).collect())
}

fn body(id: &str) -> Vec<u8> {
    serde_json::to_vec(&serde_json::json!({
        "messages": [{"id": id, "chat_id": "15550100000@s.whatsapp.net", "type": "text",
                      "text": {"body": "a message of ordinary length, as a person would write it"},
                      "from_me": false, "timestamp": 1700000000}],
        "event": {"type": "messages", "event": "post"},
        "channel_id": "BENCH-1"
    }))
    .expect("JSON")
}

fn percentile(values: &mut [f64], p: f64) -> f64 {
    values.sort_by(f64::total_cmp);
    values[((values.len() as f64 * p) as usize).min(values.len() - 1)]
}

/// This program again, serving an SQLite inbox; the flood goes to it, and
/// its peak RSS (`VmHWM`) is read before it is stopped.
async fn flood_peak_rss(dir: &std::path::Path) -> Result<(u64, usize), Failure> {
    let port = std::net::TcpListener::bind("127.0.0.1:0")?
        .local_addr()?
        .port();
    let mut child = Command::new(std::env::current_exe()?)
        .args([
            "serve",
            &format!("{}|{port}", dir.join("flood.db").display()),
        ])
        .stdout(Stdio::piped())
        .spawn()?;
    let stdout = child.stdout.take().ok_or("no stdout")?;
    let ready = tokio::task::spawn_blocking(move || {
        use std::io::BufRead;
        std::io::BufReader::new(stdout).lines().next()
    });
    match tokio::time::timeout(Duration::from_secs(30), ready).await {
        Ok(Ok(Some(Ok(line)))) if line == "ready" => {}
        other => {
            let _ = child.kill();
            return Err(format!("the flood's server did not start: {other:?}").into());
        }
    }
    let bodies: Vec<Vec<u8>> = (0..FLOOD).map(|i| body(&format!("flood-{i}"))).collect();
    let (acknowledged, _) = post_all(port, bodies, 64).await;
    let kib = whapi_tests::proc_status_kib(&child.id().to_string(), "VmHWM:");
    let _ = child.kill();
    let _ = child.wait();
    Ok((kib.ok_or("no VmHWM")? / 1024, acknowledged))
}

/// `serve <db>|<port>`: an SQLite inbox with a handler that does nothing.
async fn serve_sqlite(arg: &str) -> Result<(), Failure> {
    let (db, port) = arg.rsplit_once('|').ok_or("serve <db>|<port>")?;
    let inbox = Inbox::builder()
        .without_verification()
        .sqlite(db, |_event: WebhookEvent| async { Ok::<(), String>(()) })
        .await?;
    let listener = tokio::net::TcpListener::bind(("127.0.0.1", port.parse::<u16>()?)).await?;
    println!("ready");
    axum::serve(listener, inbox.router("/hook")).await?;
    Ok(())
}
