//! Per-request overhead of a `Whapi` call against a local server, versus the
//! same request with a bare `reqwest::Client`. Run by `cargo xtask bench`.
//!
//! The server is a minimal keep-alive HTTP/1.1 responder on 127.0.0.1 that
//! answers every request with one fixed chat list, so both clients pay the
//! same server cost. The bare client sends the same request: the same
//! headers (a `User-Agent`, `Accept: application/json`, `api-version`, the
//! bearer token), each value built once, as the generated code does; the
//! bench checks the heads are the same on the first requests the server
//! receives before it measures. Like `Whapi`, the bare client carries the
//! token as a default header and a request and a connect timeout (which no
//! head shows). Each round runs the
//! three clients in a rotated order to cancel drift; the figure is the
//! median of the per-round ratios.
//!
//! `bench_overhead count <whapi|bare|raw> <n>` instead sends `n` requests
//! with one client and exits: `cargo xtask bench` runs it under valgrind's
//! callgrind for the instructions per request, which wall time on a shared
//! machine cannot give steadily.

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use reqwest::header::{HeaderName, HeaderValue, ACCEPT, AUTHORIZATION};
use tokio::net::TcpListener;
use whapi_client::{types, ClientInfo};
use whapi_ext::{RetryPolicy, Whapi};
use whapi_tests::loopback::{median, serve_json};

const ROUNDS: usize = 100;
const PER_ROUND: usize = 300;
const BODY: &str = r#"{"chats":[{"id":"15550100000@s.whatsapp.net","name":"Alice","type":"contact","timestamp":1700000000,"unread":2},{"id":"120363025343298765@g.us","name":"Team","type":"group","timestamp":1699990000}],"count":2,"total":2,"offset":0}"#;

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let count = match args.as_slice() {
        [mode, client, n] if mode == "count" => Some((
            ["whapi", "bare", "raw"]
                .iter()
                .position(|c| c == client)
                .ok_or("the client is whapi, bare or raw")?,
            n.parse::<usize>()?,
        )),
        [] => None,
        _ => return Err("usage: bench_overhead [count <whapi|bare|raw> <n>]".into()),
    };
    let listener = TcpListener::bind("127.0.0.1:0").await?;
    let base = format!("http://{}", listener.local_addr()?);
    // The heads of the first three requests, to check the clients send the same.
    let heads = Arc::new(Mutex::new(Vec::new()));
    let recorded = heads.clone();
    tokio::spawn(serve_json(listener, move |head| {
        let mut heads = recorded.lock().unwrap();
        if heads.len() < 3 {
            heads.push(head.to_string());
        }
        BODY.to_string()
    }));

    let user_agent = concat!("whapi-rs/", env!("CARGO_PKG_VERSION"));
    let wa = Whapi::builder()
        .token("bench-token")
        .base_url(&base)
        .user_agent(user_agent)
        .retry_policy(RetryPolicy::default())
        .build()?;
    // The token and the timeouts on the client, as `Whapi` sets them.
    let mut defaults = reqwest::header::HeaderMap::new();
    defaults.insert(
        AUTHORIZATION,
        HeaderValue::from_static("Bearer bench-token"),
    );
    let bare = reqwest::Client::builder()
        .default_headers(defaults)
        .user_agent(user_agent)
        .timeout(Duration::from_secs(60))
        .connect_timeout(Duration::from_secs(10))
        .build()?;
    let url = format!("{base}/chats");
    let accept = HeaderValue::from_static("application/json");
    let api_version = HeaderName::from_static("api-version");
    let version = HeaderValue::from_static(whapi_client::Client::api_version());
    let bare_get = || {
        bare.get(&url)
            .header(ACCEPT, accept.clone())
            .header(api_version.clone(), version.clone())
    };
    let mut headers = reqwest::header::HeaderMap::new();
    headers.insert(
        reqwest::header::AUTHORIZATION,
        "Bearer bench-token".parse()?,
    );
    let raw = whapi_client::Client::new_with_client(
        &base,
        reqwest::Client::builder()
            .default_headers(headers)
            .user_agent(user_agent)
            .connect_timeout(Duration::from_secs(10))
            .timeout(Duration::from_secs(60))
            .build()?,
        whapi_client::Hooks::default(),
    );

    std::hint::black_box(wa.get_chats().await?);
    bare_get().send().await?.error_for_status()?;
    raw.get_chats().send().await.map_err(|e| e.to_string())?;
    let heads = heads.lock().unwrap().clone();
    let lines = |head: &str| {
        let mut lines: Vec<String> = head.lines().map(str::to_ascii_lowercase).collect();
        lines.sort();
        lines
    };
    if heads.len() != 3 || heads.iter().any(|h| lines(h) != lines(&heads[0])) {
        return Err(format!("the clients send different requests: {heads:#?}").into());
    }

    let mut whapi_ratios = Vec::new();
    let mut raw_ratios = Vec::new();
    let (mut whapi_time, mut bare_time, mut raw_time) =
        (Duration::ZERO, Duration::ZERO, Duration::ZERO);
    // One round of one client: 0 is Whapi, 1 the bare client, 2 the raw one.
    let round_of = async |client: usize| -> Result<Duration, Box<dyn std::error::Error>> {
        let started = Instant::now();
        for _ in 0..PER_ROUND {
            match client {
                0 => {
                    std::hint::black_box(wa.get_chats().await?);
                }
                1 => {
                    let list: types::ChatsList =
                        bare_get().send().await?.error_for_status()?.json().await?;
                    std::hint::black_box(list);
                }
                _ => {
                    let list = raw.get_chats().send().await.map_err(|e| e.to_string())?;
                    std::hint::black_box(list);
                }
            }
        }
        Ok(started.elapsed())
    };
    if let Some((client, n)) = count {
        for _ in 0..n {
            match client {
                0 => drop(std::hint::black_box(wa.get_chats().await?)),
                1 => {
                    let list: types::ChatsList =
                        bare_get().send().await?.error_for_status()?.json().await?;
                    std::hint::black_box(list);
                }
                _ => drop(std::hint::black_box(
                    raw.get_chats().send().await.map_err(|e| e.to_string())?,
                )),
            }
        }
        return Ok(());
    }
    for round in 0..=ROUNDS {
        let mut times = [Duration::ZERO; 3];
        for step in 0..3 {
            let client = (round + step) % 3;
            times[client] = round_of(client).await?;
        }
        let [whapi_round, bare_round, raw_round] = times;
        if round > 0 {
            // Round 0 warms up connections and caches.
            whapi_time += whapi_round;
            bare_time += bare_round;
            raw_time += raw_round;
            whapi_ratios.push(whapi_round.as_secs_f64() / bare_round.as_secs_f64());
            raw_ratios.push(raw_round.as_secs_f64() / bare_round.as_secs_f64());
        }
    }
    let n = (ROUNDS * PER_ROUND) as f64;
    println!(
        "request_overhead: {:.3}x a bare reqwest::Client ({:.1} µs vs {:.1} µs per request) (goal <= 1.05x)",
        median(&mut whapi_ratios),
        whapi_time.as_secs_f64() * 1e6 / n,
        bare_time.as_secs_f64() * 1e6 / n
    );
    println!(
        "request_overhead_generated_client: {:.3}x a bare reqwest::Client ({:.1} µs per request; the share of progenitor's code, no retries or tracing) (goal: report)",
        median(&mut raw_ratios),
        raw_time.as_secs_f64() * 1e6 / n
    );
    Ok(())
}
