//! Paced sending: the schedule each limit makes (on tokio's paused clock,
//! so hours pass at once), order, cancellation, the freeze after a 429, the
//! channel's own limits, typing, and two processes sharing a Redis budget.

use std::num::NonZeroU32;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use serde_json::json;
use tokio::time::Instant;
use whapi_ext::throttle::{Cap, Limits, Throttle, WarmUp};
use whapi_ext::{ApiError, Error, Whapi};
use whapi_tests::{output_within, MockServer};
use wiremock::matchers::{method, path};
use wiremock::{Mock, ResponseTemplate};

const SECOND: Duration = Duration::from_secs(1);
const DAY: Duration = Duration::from_secs(24 * 3600);

/// A client whose sends here are stand-ins: nothing reaches this address.
fn wa() -> Whapi {
    Whapi::builder()
        .token("t0k")
        .base_url("http://127.0.0.1:9")
        .build()
        .unwrap()
}

fn n(value: u32) -> NonZeroU32 {
    NonZeroU32::new(value).unwrap()
}

/// Sends one after another, each to its chat; when each one's turn came,
/// from the start.
async fn schedule(paced: &Throttle, chats: &[&str]) -> Vec<Duration> {
    let start = Instant::now();
    let mut at = Vec::new();
    for chat in chats {
        let turn = paced
            .send(*chat, async { Ok::<_, Error>(Instant::now()) })
            .await
            .unwrap();
        at.push(turn - start);
    }
    at
}

fn secs(values: &[u64]) -> Vec<Duration> {
    values.iter().map(|s| Duration::from_secs(*s)).collect()
}

const A: &str = "15550100001";
const B: &str = "15550100002";
const C: &str = "15550100003";

#[tokio::test(start_paused = true)]
async fn one_chat_waits_its_gap() {
    let paced = wa().throttled(Limits::none().with_per_chat_gap(10 * SECOND));
    assert_eq!(
        schedule(&paced, &[A, A, B, A]).await,
        secs(&[0, 10, 10, 20])
    );
}

#[tokio::test(start_paused = true)]
async fn the_channel_keeps_its_rate_and_burst() {
    let every_five = wa().throttled(Limits::none().with_rate(n(1), 5 * SECOND, n(1)));
    assert_eq!(
        schedule(&every_five, &[A, B, C, A]).await,
        secs(&[0, 5, 10, 15])
    );
    let bursts = wa().throttled(Limits::none().with_rate(n(1), 10 * SECOND, n(3)));
    assert_eq!(
        schedule(&bursts, &[A, B, C, A, B]).await,
        secs(&[0, 0, 0, 10, 20])
    );
}

#[tokio::test(start_paused = true)]
async fn caps_hold_over_their_windows() {
    let paced = wa().throttled(Limits::none().with_cap(Cap {
        sends: 3,
        window: 60 * SECOND,
    }));
    assert_eq!(
        schedule(&paced, &[A, B, C, A, B, C, A]).await,
        secs(&[0, 0, 0, 60, 60, 60, 120])
    );
    let hourly = wa().throttled(Limits::none().with_hourly_cap(2).with_daily_cap(3));
    assert_eq!(
        schedule(&hourly, &[A, B, C, A]).await,
        secs(&[0, 0, 3600, 86400])
    );
}

#[tokio::test(start_paused = true)]
async fn new_chats_are_capped_per_day_and_known_ones_are_not() {
    let paced = wa().throttled(Limits::none().with_new_chats_per_day(2));
    assert_eq!(
        schedule(&paced, &[A, B, A, B, C]).await,
        secs(&[0, 0, 0, 0, 86400])
    );
}

#[tokio::test(start_paused = true)]
async fn a_new_number_warms_up_day_by_day() {
    let warm = WarmUp {
        start: 0.25,
        days: 3,
        elapsed_days: 0,
    };
    let paced = wa().throttled(Limits::none().with_daily_cap(8).with_warm_up(warm));
    let chats = [A; 14];
    let at = schedule(&paced, &chats).await;
    let per_day: Vec<usize> = (0..4)
        .map(|d| {
            at.iter()
                .filter(|t| t.as_secs() / DAY.as_secs() == d)
                .count()
        })
        .collect();
    // 2 on day 0 (a quarter of 8), then 4 and 6 (the window keeps a day), 8 from day 3.
    assert_eq!(per_day, [2, 4, 6, 2], "{at:?}");
}

#[tokio::test(start_paused = true)]
async fn jitter_adds_to_every_gap_within_its_bound() {
    let limits = Limits::none()
        .with_per_chat_gap(10 * SECOND)
        .with_jitter(3 * SECOND);
    let paced = wa().throttled(limits).with_seed(7);
    let at = schedule(&paced, &[A; 20]).await;
    let gaps: Vec<Duration> = at.windows(2).map(|w| w[1] - w[0]).collect();
    assert!(
        gaps.iter().all(|g| *g >= 10 * SECOND && *g <= 13 * SECOND),
        "{gaps:?}"
    );
    assert!(
        gaps.iter().any(|g| *g > 10 * SECOND + SECOND),
        "jitter varies: {gaps:?}"
    );
    let again = schedule(
        &wa()
            .throttled(
                Limits::none()
                    .with_per_chat_gap(10 * SECOND)
                    .with_jitter(3 * SECOND),
            )
            .with_seed(7),
        &[A; 20],
    )
    .await;
    assert_eq!(at, again, "one seed, one schedule");
}

#[tokio::test(start_paused = true)]
async fn sends_to_one_chat_keep_their_order_and_a_dropped_one_leaves_the_rest() {
    let paced = Arc::new(wa().throttled(Limits::none().with_per_chat_gap(10 * SECOND)));
    let sent = Arc::new(Mutex::new(Vec::new()));
    let mut tasks = Vec::new();
    for i in 0..5u32 {
        let (paced, sent) = (paced.clone(), sent.clone());
        tasks.push(tokio::spawn(async move {
            paced
                .send(A, async move {
                    sent.lock().unwrap().push((i, Instant::now()));
                    Ok::<_, Error>(())
                })
                .await
        }));
        // Each waits in line before the next is made.
        tokio::task::yield_now().await;
    }
    tokio::time::sleep(SECOND).await;
    tasks.remove(2).abort(); // the third, still waiting, is dropped
    for task in tasks {
        task.await.unwrap().unwrap();
    }
    let sent = sent.lock().unwrap().clone();
    let order: Vec<u32> = sent.iter().map(|(i, _)| *i).collect();
    assert_eq!(order, [0, 1, 3, 4]);
    let start = sent[0].1;
    let at: Vec<Duration> = sent.iter().map(|(_, t)| *t - start).collect();
    assert_eq!(at, secs(&[0, 10, 20, 30]), "the dropped send left no gap");
}

#[tokio::test(start_paused = true)]
async fn a_429_freezes_every_send_until_its_retry_after() {
    let paced = wa().throttled(Limits::none());
    let refused = paced
        .send(A, async {
            let mut headers = reqwest::header::HeaderMap::new();
            headers.insert("retry-after", "30".parse().unwrap());
            let api = ApiError::from_parts(
                reqwest::StatusCode::TOO_MANY_REQUESTS,
                &headers,
                bytes::Bytes::new(),
            );
            Err::<(), _>(Error::Api(Box::new(api)))
        })
        .await;
    assert!(matches!(refused, Err(Error::Api(_))));
    assert_eq!(schedule(&paced, &[B, C]).await, secs(&[30, 30]));
}

#[tokio::test(start_paused = true)]
async fn a_deadline_turns_a_long_wait_into_an_error_and_nothing_is_sent() {
    let paced = wa().throttled(Limits::none().with_per_chat_gap(60 * SECOND));
    schedule(&paced, &[A]).await;
    let sent = Arc::new(Mutex::new(false));
    let flag = sent.clone();
    let asked = Instant::now();
    let late = paced
        .send(A, async move {
            *flag.lock().unwrap() = true;
            Ok::<_, Error>(())
        })
        .within(10 * SECOND)
        .await;
    assert!(matches!(late, Err(Error::Throttled { .. })), "{late:?}");
    assert!(!*sent.lock().unwrap());
    // The budget said its turn comes after the deadline: it gave up at once.
    assert_eq!(Instant::now() - asked, Duration::ZERO);
    // Its place in line is freed: the next send of the chat waits only the gap.
    let start = Instant::now();
    schedule(&paced, &[A]).await;
    assert_eq!(Instant::now() - start, 60 * SECOND);
}

#[tokio::test]
async fn the_channels_own_limits_restrict_chats_and_messages() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/limits"))
        .respond_with(ResponseTemplate::new(200).set_body_json(
            json!({"messages": 2, "chats": ["15550100001@s.whatsapp.net"], "checks": 10, "requests": 100}),
        ))
        .mount(&server)
        .await;
    let wa = crate::whapi(&server);
    let paced = wa.throttled(Limits::none());
    paced.use_channel_limits().await.unwrap();

    let other = paced.send(B, async { Ok::<_, Error>(()) }).await;
    assert!(
        matches!(&other, Err(Error::Throttled { reason }) if reason.contains(B)),
        "{other:?}"
    );
    for _ in 0..2 {
        paced.send(A, async { Ok::<_, Error>(()) }).await.unwrap();
    }
    let third = paced.send(A, async { Ok::<_, Error>(()) }).await;
    assert!(
        matches!(&third, Err(Error::Throttled { reason }) if reason.contains("used up")),
        "{third:?}"
    );
}

#[tokio::test]
async fn texts_show_typing_for_their_length() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/messages/text"))
        .respond_with(
            ResponseTemplate::new(200).set_body_json(
                json!({"sent": true, "message": {"id": "PsobWy36679._7w-wKmB9tMeGQ"}}),
            ),
        )
        .mount(&server)
        .await;
    let wa = crate::whapi(&server);
    let paced = wa.throttled(Limits::conversational().with_jitter(Duration::ZERO));

    let sent = paced.send_text(A, &"x".repeat(40)).await.unwrap();

    assert_eq!(sent.id(), "PsobWy36679._7w-wKmB9tMeGQ");
    let request = &server.received_requests().await.unwrap()[0];
    let body: serde_json::Value = serde_json::from_slice(&request.body).unwrap();
    assert_eq!(body["typing_time"], 5.0, "40 characters at 8 a second");
}

#[test]
fn two_processes_sharing_a_redis_budget_never_exceed_it_together() {
    let redis = whapi_tests::redis_server::RedisServer::start();
    // Two uncoordinated processes would send 40 in about 20 intervals.
    let interval = 100u64;
    let workers: Vec<std::process::Child> = ["x", "y"]
        .iter()
        .enumerate()
        .map(|(i, _)| {
            std::process::Command::new(env!("CARGO_BIN_EXE_throttle-worker"))
                .args([
                    &redis.url,
                    "channel-1",
                    "20",
                    &interval.to_string(),
                    &format!("1555010{i}"),
                ])
                .stdout(std::process::Stdio::piped())
                .spawn()
                .expect("the worker starts")
        })
        .collect();
    let mut turns: Vec<u64> = Vec::new();
    for worker in workers {
        let output = output_within(worker, Duration::from_secs(60));
        assert!(
            output.status.success(),
            "{}",
            String::from_utf8_lossy(&output.stderr)
        );
        turns.extend(
            String::from_utf8_lossy(&output.stdout)
                .lines()
                .map(|l| l.parse::<u64>().unwrap()),
        );
    }
    turns.sort();
    assert_eq!(turns.len(), 40);
    // Each time is when a process woke for its turn: Redis grants the
    // turns `interval` apart, and a process busy on a loaded machine wakes
    // late (CI saw 23 ms; three times that on a slower one). So between
    // any two sends, k turns apart, at least k intervals less one late
    // wake, allowed a whole interval: two processes pacing on their own
    // would send twice as fast, and fail this from three turns apart.
    let late_wake = interval;
    for (i, earlier) in turns.iter().enumerate() {
        for (k, later) in turns[i + 1..].iter().enumerate() {
            let apart = (k as u64 + 1) * interval;
            assert!(
                later - earlier + late_wake >= apart,
                "sends {i} and {} came {} ms apart, their turns {apart} ms: {turns:?}",
                i + k + 1,
                later - earlier
            );
        }
    }
}

#[tokio::test]
async fn a_redis_budget_keeps_gaps_caps_and_new_chats_across_clients() {
    let redis = whapi_tests::redis_server::RedisServer::start();
    // A gap long enough to tell "waited the gap" from "woke late on a loaded
    // machine" (tens of milliseconds).
    let limits = Limits::none()
        .with_per_chat_gap(Duration::from_millis(1000))
        .with_cap(Cap {
            sends: 3,
            window: Duration::from_millis(2000),
        })
        .with_new_chats_per_day(2);
    // Two clients, one budget: as two processes would have.
    let first = Throttle::shared(&wa(), limits.clone(), &redis.url, "channel-2")
        .await
        .unwrap();
    let second = Throttle::shared(&wa(), limits, &redis.url, "channel-2")
        .await
        .unwrap();
    let start = std::time::Instant::now();
    let elapsed = |t: std::time::Instant| (t - start).as_millis() as u64;

    let a1 = first
        .send(A, async { Ok::<_, Error>(std::time::Instant::now()) })
        .await
        .unwrap();
    let a2 = second
        .send(A, async { Ok::<_, Error>(std::time::Instant::now()) })
        .await
        .unwrap();
    let b1 = second
        .send(B, async { Ok::<_, Error>(std::time::Instant::now()) })
        .await
        .unwrap();
    let b2 = first
        .send(B, async { Ok::<_, Error>(std::time::Instant::now()) })
        .await
        .unwrap();
    let third_new = first
        .send(C, async { Ok::<_, Error>(()) })
        .within(Duration::from_millis(500))
        .await;

    assert!(
        elapsed(a2) >= 1000,
        "the gap of one chat across clients: {}",
        elapsed(a2)
    );
    assert!(
        elapsed(b1) < elapsed(a2) + 700,
        "another chat need not wait the gap: {} after the second send to A",
        elapsed(b1) - elapsed(a2)
    );
    assert!(
        elapsed(b2) >= 2000,
        "the cap of 3 in 2 s across clients: {}",
        elapsed(b2)
    );
    assert!(
        matches!(third_new, Err(Error::Throttled { .. })),
        "a third new chat waits a day: {third_new:?}"
    );
    let _ = (a1, b1);
}

/// A warm-up that starts at 0 is refused with an error naming it, before
/// anything is sent, in process and through Redis; it never panics.
#[tokio::test]
async fn a_warm_up_from_0_is_an_error_not_a_panic() {
    let limits = Limits::conversational().with_warm_up(WarmUp {
        start: 0.0,
        days: 4,
        elapsed_days: 0,
    });
    let in_process = wa()
        .throttled(limits.clone())
        .send(A, async { Ok::<_, Error>(()) })
        .await;
    assert!(
        matches!(&in_process, Err(Error::InvalidArgument(i)) if i.field() == "warm_up.start"),
        "{in_process:?}"
    );
    let redis = whapi_tests::redis_server::RedisServer::start();
    let shared = Throttle::shared(&wa(), limits, &redis.url, "warm-0").await;
    assert!(
        matches!(&shared, Err(Error::InvalidArgument(i)) if i.field() == "warm_up.start"),
        "{:?}",
        shared.err()
    );
}

/// Limits of every kind, with windows and intervals of seconds or more:
/// a test's sends, all within a second, meet them as a schedule would.
fn any_limits() -> impl proptest::strategy::Strategy<Value = Limits> {
    use proptest::prelude::*;
    let seconds =
        |choices: Vec<u64>| proptest::sample::select(choices).prop_map(Duration::from_secs);
    let cap = (1u32..6, seconds(vec![60, 3600])).prop_map(|(sends, window)| Cap { sends, window });
    let warm_up =
        (0.05f64..=1.0, 1u32..10, 0u32..12).prop_map(|(start, days, elapsed_days)| WarmUp {
            start,
            days,
            elapsed_days,
        });
    (
        seconds(vec![0, 5, 60]),
        seconds(vec![0, 2, 60]),
        1u32..4,
        proptest::collection::vec(cap, 0..3),
        proptest::option::of(1u32..4),
        proptest::option::of(warm_up),
    )
        .prop_map(|(gap, interval, burst, caps, new_chats, warm_up)| {
            let mut limits = Limits::none().with_per_chat_gap(gap);
            limits.min_interval = interval;
            limits.burst = n(burst);
            for cap in caps {
                limits = limits.with_cap(cap);
            }
            if let Some(chats) = new_chats {
                limits = limits.with_new_chats_per_day(chats);
            }
            if let Some(warm_up) = warm_up {
                limits = limits.with_warm_up(warm_up);
            }
            limits
        })
}

/// The budget in process and the one shared through Redis give the same
/// schedule: on the same limits, of the same sends made one after another,
/// they let the same ones go now and hold back the same others.
#[test]
fn the_budget_in_process_and_the_one_in_redis_allow_the_same_sends() {
    use proptest::prelude::*;
    let redis = whapi_tests::redis_server::RedisServer::start();
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let channel = std::sync::atomic::AtomicUsize::new(0);
    let config = ProptestConfig {
        cases: 48,
        failure_persistence: None,
        ..ProptestConfig::default()
    };
    proptest!(config, |(limits in any_limits(), chats in proptest::collection::vec(0usize..4, 1..14))| {
        let channel = format!("same-{}", channel.fetch_add(1, std::sync::atomic::Ordering::Relaxed));
        let (here, shared) = runtime.block_on(async {
            let here = wa().throttled(limits.clone());
            let shared = Throttle::shared(&wa(), limits.clone(), &redis.url, &channel).await.unwrap();
            let mut allowed = (Vec::new(), Vec::new());
            for chat in &chats {
                let to = [A, B, C, "15550100004"][*chat];
                // Held back: its turn is seconds away, past the deadline.
                let go = |paced: &Throttle| {
                    let paced = paced.clone();
                    async move {
                        paced
                            .send(to, async { Ok::<_, Error>(()) })
                            .within(Duration::from_millis(500))
                            .await
                            .is_ok()
                    }
                };
                allowed.0.push(go(&here).await);
                allowed.1.push(go(&shared).await);
            }
            allowed
        });
        prop_assert_eq!(here, shared, "limits {:?}, chats {:?}", limits, chats);
    });
}

/// A day passing gives the channel's rate no fresh burst: sends kept
/// coming at the rate across midnight stay `interval` apart.
#[tokio::test(start_paused = true)]
async fn the_rate_gives_no_fresh_burst_when_a_day_passes() {
    let interval = Duration::from_secs(600);
    let paced = wa().throttled(Limits::none().with_rate(n(1), interval, n(5)));
    // The first send starts the budget's clock; the next come to it half
    // an hour before the end of its first day.
    paced.send(A, async { Ok::<_, Error>(()) }).await.unwrap();
    tokio::time::advance(DAY - 30 * 60 * SECOND).await;
    let chats: Vec<String> = (0..12).map(|i| format!("155501001{i:02}")).collect();
    let chats: Vec<&str> = chats.iter().map(String::as_str).collect();
    let at = schedule(&paced, &chats).await;
    // The burst (5) at once, then one every interval, past midnight too.
    for pair in at[5..].windows(2) {
        assert!(
            pair[1] - pair[0] >= interval,
            "{:?} apart across the day's end: {at:?}",
            pair[1] - pair[0]
        );
    }
}

/// A 429 during a shared throttle's send reaches the caller as the 429,
/// even when freezing the budget in Redis fails.
#[tokio::test]
async fn a_429_reaches_the_caller_even_when_the_freeze_fails() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(ResponseTemplate::new(429).insert_header("retry-after", "7"))
        .mount(&server)
        .await;
    let wa = Whapi::builder()
        .token("t0k")
        .base_url(server.uri())
        .retry_policy(whapi_ext::RetryPolicy::none())
        .build()
        .unwrap();
    let redis = Arc::new(Mutex::new(whapi_tests::redis_server::RedisServer::start()));
    let url = redis.lock().unwrap().url.clone();
    let paced = Throttle::shared(&wa, Limits::none(), &url, "freeze-fails")
        .await
        .unwrap();
    let down = redis.clone();
    let sent = paced
        .send(A, async move {
            // Redis goes away after the send's turn came, before the freeze.
            down.lock().unwrap().kill();
            wa.send_message_text(A, "hi").await
        })
        .await;
    assert!(
        matches!(&sent, Err(Error::Api(api)) if api.status.as_u16() == 429),
        "{sent:?}"
    );
}
