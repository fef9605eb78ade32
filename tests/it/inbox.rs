//! The durable inbox on a real SQLite file and a real `redis-server`:
//! retries, dead letters, deduplication, per-chat order, capacity and
//! shutdown. The fault tests with killed processes are in `inbox_faults`.

use std::future::Future;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use serde_json::json;
use whapi_ext::webhooks::inbox::Acceptance;
use whapi_ext::webhooks::{Inbox, InboxBuilder, Payload, WebhookEvent};
use whapi_tests::redis_server::RedisServer;

/// Where an inbox of a test keeps its events.
pub(crate) enum Backend {
    Sqlite(tempfile::TempDir),
    Redis(RedisServer),
}

impl Backend {
    pub(crate) fn both() -> [Backend; 2] {
        [
            Backend::Sqlite(tempfile::tempdir().unwrap()),
            Backend::Redis(RedisServer::start()),
        ]
    }

    pub(crate) fn name(&self) -> &'static str {
        match self {
            Backend::Sqlite(_) => "sqlite",
            Backend::Redis(_) => "redis",
        }
    }

    /// An inbox on this backend; inboxes opened with one `name` share it.
    pub(crate) async fn open<H, Fut>(&self, builder: InboxBuilder, name: &str, handler: H) -> Inbox
    where
        H: Fn(WebhookEvent) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = Result<(), String>> + Send + 'static,
    {
        match self {
            Backend::Sqlite(dir) => builder
                .sqlite(dir.path().join(format!("{name}.db")), handler)
                .await
                .unwrap(),
            Backend::Redis(redis) => builder.redis(&redis.url, name, handler).await.unwrap(),
        }
    }
}

/// A message event of `chat` with message id `id`.
pub(crate) fn message(id: &str, chat: &str) -> Vec<u8> {
    serde_json::to_vec(&json!({
        "messages": [{"id": id, "chat_id": chat, "type": "text", "text": {"body": "hi"}}],
        "event": {"type": "messages", "event": "post"},
        "channel_id": "TEST-CHANNEL"
    }))
    .unwrap()
}

fn id_of(event: &WebhookEvent) -> String {
    match &event.payload {
        Payload::Messages(messages) => messages[0].id().to_string(),
        other => panic!("not a message: {other:?}"),
    }
}

/// What handlers did: every attempt, and every success, in order.
#[derive(Clone, Default)]
struct Log {
    attempts: Arc<Mutex<Vec<String>>>,
    successes: Arc<Mutex<Vec<String>>>,
}

impl Log {
    fn attempt(&self, id: &str) -> usize {
        let mut attempts = self.attempts.lock().unwrap();
        attempts.push(id.to_string());
        attempts.iter().filter(|a| *a == id).count()
    }

    fn succeed(&self, id: &str) {
        self.successes.lock().unwrap().push(id.to_string());
    }

    fn attempts_of(&self, id: &str) -> usize {
        self.attempts
            .lock()
            .unwrap()
            .iter()
            .filter(|a| *a == id)
            .count()
    }

    fn successes(&self) -> Vec<String> {
        self.successes.lock().unwrap().clone()
    }

    /// Waits until `done` holds of the successes (10 s at most).
    async fn wait_for(&self, what: &str, done: impl Fn(&[String]) -> bool) {
        let started = Instant::now();
        while !done(&self.successes()) {
            assert!(
                started.elapsed() < Duration::from_secs(10),
                "waited 10 s for {what}; successes: {:?}, attempts: {:?}",
                self.successes(),
                self.attempts.lock().unwrap()
            );
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    }
}

/// Quick retries and polls, for tests.
fn quick() -> InboxBuilder {
    Inbox::builder()
        .without_verification()
        .backoff(Duration::from_millis(10), Duration::from_millis(50))
        .poll_interval(Duration::from_millis(20))
}

async fn wait_until_empty(inbox: &Inbox) {
    let started = Instant::now();
    while inbox.waiting().await.unwrap() > 0 {
        assert!(
            started.elapsed() < Duration::from_secs(10),
            "the inbox did not empty"
        );
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}

#[tokio::test]
async fn a_handler_failing_twice_is_handled_on_its_third_attempt() {
    for backend in Backend::both() {
        let log = Log::default();
        let handler_log = log.clone();
        let inbox = backend
            .open(quick().max_attempts(5), "retry", move |event| {
                let log = handler_log.clone();
                async move {
                    let id = id_of(&event);
                    if log.attempt(&id) < 3 {
                        return Err("attempt failed on purpose".to_string());
                    }
                    log.succeed(&id);
                    Ok(())
                }
            })
            .await;

        assert!(matches!(
            inbox.accept(&message("m1", "1@s.whatsapp.net")).await,
            Acceptance::Stored
        ));
        log.wait_for("m1", |done| done == ["m1"]).await;
        wait_until_empty(&inbox).await;

        assert_eq!(log.attempts_of("m1"), 3, "{}", backend.name());
        assert!(
            inbox.dead_letters(10).await.unwrap().is_empty(),
            "{}",
            backend.name()
        );
    }
}

#[tokio::test]
async fn a_handler_failing_always_leaves_a_dead_letter_that_can_be_replayed() {
    for backend in Backend::both() {
        let log = Log::default();
        let healthy = Arc::new(AtomicBool::new(false));
        let (handler_log, handler_healthy) = (log.clone(), healthy.clone());
        let inbox = backend
            .open(quick().max_attempts(3), "dead", move |event| {
                let (log, healthy) = (handler_log.clone(), handler_healthy.clone());
                async move {
                    let id = id_of(&event);
                    log.attempt(&id);
                    if !healthy.load(Ordering::SeqCst) {
                        return Err("the database is down".to_string());
                    }
                    log.succeed(&id);
                    Ok(())
                }
            })
            .await;
        let name = backend.name();

        assert!(inbox
            .accept(&message("m1", "1@s.whatsapp.net"))
            .await
            .is_acknowledged());
        let started = Instant::now();
        let dead = loop {
            let dead = inbox.dead_letters(10).await.unwrap();
            if !dead.is_empty() {
                break dead;
            }
            assert!(
                started.elapsed() < Duration::from_secs(10),
                "{name}: no dead letter"
            );
            tokio::time::sleep(Duration::from_millis(10)).await;
        };

        assert_eq!(dead.len(), 1, "{name}");
        assert_eq!(dead[0].attempts, 3, "{name}");
        assert_eq!(log.attempts_of("m1"), 3, "{name}");
        assert_eq!(dead[0].last_error, "the database is down", "{name}");
        assert_eq!(
            dead[0].event.as_ref().map(id_of).as_deref(),
            Some("m1"),
            "{name}"
        );
        assert_eq!(
            inbox.waiting().await.unwrap(),
            0,
            "{name}: a dead letter is not waiting"
        );

        healthy.store(true, Ordering::SeqCst);
        assert!(inbox.replay(&dead[0].key).await.unwrap(), "{name}");
        log.wait_for("the replay", |done| done == ["m1"]).await;
        wait_until_empty(&inbox).await;
        assert!(inbox.dead_letters(10).await.unwrap().is_empty(), "{name}");
        assert!(
            !inbox.replay(&dead[0].key).await.unwrap(),
            "{name}: nothing left to replay"
        );
        assert_eq!(log.attempts_of("m1"), 4, "{name}");
    }
}

#[tokio::test]
async fn an_event_delivered_again_is_acknowledged_and_not_handled_again() {
    for backend in Backend::both() {
        let log = Log::default();
        let handler_log = log.clone();
        let inbox = backend
            .open(quick(), "dedupe", move |event| {
                let log = handler_log.clone();
                async move {
                    let id = id_of(&event);
                    log.attempt(&id);
                    log.succeed(&id);
                    Ok(())
                }
            })
            .await;
        let name = backend.name();
        let body = message("m1", "1@s.whatsapp.net");

        // Twice at once, then again once handled.
        let (a, b) = tokio::join!(inbox.accept(&body), inbox.accept(&body));
        let mut firsts = [format!("{a:?}"), format!("{b:?}")];
        firsts.sort();
        assert_eq!(firsts, ["Duplicate", "Stored"], "{name}");
        log.wait_for("m1", |done| done == ["m1"]).await;
        let again = inbox.accept(&body).await;

        assert!(matches!(again, Acceptance::Duplicate), "{name}: {again:?}");
        assert_eq!(again.status(), 200);
        tokio::time::sleep(Duration::from_millis(100)).await;
        assert_eq!(log.attempts_of("m1"), 1, "{name}");
    }
}

/// Two receivers (each its own inbox, its own connections, its own port)
/// behind one Redis, as two instances behind a load balancer: every event
/// is posted to both at once, and each is handled once.
#[tokio::test]
async fn one_event_posted_to_two_receivers_sharing_redis_at_once_is_handled_once() {
    let backend = Backend::Redis(RedisServer::start());
    let log = Log::default();
    let mut addresses = Vec::new();
    for _ in 0..2 {
        let handler_log = log.clone();
        let inbox = backend
            .open(quick(), "shared", move |event| {
                let log = handler_log.clone();
                async move {
                    let id = id_of(&event);
                    log.attempt(&id);
                    tokio::time::sleep(Duration::from_millis(5)).await;
                    log.succeed(&id);
                    Ok(())
                }
            })
            .await;
        addresses.push(crate::serve(inbox.router("/hook")).await);
    }
    let http = reqwest::Client::new();
    let post = |address: std::net::SocketAddr, body: Vec<u8>| {
        let request = http
            .post(format!("http://{address}/hook"))
            .body(body)
            .send();
        async move { request.await.unwrap().status().as_u16() }
    };

    for i in 0..20 {
        let body = message(&format!("m{i}"), &format!("{i}@s.whatsapp.net"));
        let answers = tokio::join!(post(addresses[0], body.clone()), post(addresses[1], body));
        assert_eq!(answers, (200, 200), "both acknowledge event {i}");
    }
    log.wait_for("20 events", |done| done.len() >= 20).await;
    tokio::time::sleep(Duration::from_millis(300)).await;

    let mut handled = log.successes();
    handled.sort();
    let mut expected: Vec<String> = (0..20).map(|i| format!("m{i}")).collect();
    expected.sort();
    assert_eq!(handled, expected, "each event handled once");
    assert_eq!(log.attempts.lock().unwrap().len(), 20);
}

#[tokio::test]
async fn one_chats_events_are_handled_in_order_when_asked() {
    for backend in Backend::both() {
        let log = Log::default();
        let handler_log = log.clone();
        let inbox = backend
            .open(
                quick().keep_chat_order(true).concurrency(4),
                "ordered",
                move |event| {
                    let log = handler_log.clone();
                    async move {
                        let id = id_of(&event);
                        // Every chat's first event fails once: the later
                        // ones wait for its retry.
                        if log.attempt(&id) == 1 && id.ends_with("-0") {
                            return Err("first attempt fails".to_string());
                        }
                        tokio::time::sleep(Duration::from_millis(3)).await;
                        log.succeed(&id);
                        Ok(())
                    }
                },
            )
            .await;
        let name = backend.name();

        for i in 0..5 {
            for chat in ["a", "b", "c"] {
                let acceptance = inbox
                    .accept(&message(
                        &format!("{chat}-{i}"),
                        &format!("{chat}@s.whatsapp.net"),
                    ))
                    .await;
                assert!(acceptance.is_acknowledged(), "{name}: {acceptance:?}");
            }
        }
        log.wait_for("15 events", |done| done.len() == 15).await;

        let successes = log.successes();
        for chat in ["a", "b", "c"] {
            let of_chat: Vec<&String> = successes.iter().filter(|s| s.starts_with(chat)).collect();
            let expected: Vec<String> = (0..5).map(|i| format!("{chat}-{i}")).collect();
            assert_eq!(
                of_chat,
                expected.iter().collect::<Vec<_>>(),
                "{name}: {successes:?}"
            );
            // No later event was even tried before the first succeeded.
            let attempts = log.attempts.lock().unwrap().clone();
            let first_done = attempts
                .iter()
                .rposition(|a| *a == format!("{chat}-0"))
                .unwrap();
            let first_later = attempts
                .iter()
                .position(|a| a.starts_with(chat) && !a.ends_with("-0"))
                .unwrap();
            assert!(first_later > first_done, "{name}: {attempts:?}");
        }
    }
}

#[tokio::test]
async fn past_its_capacity_the_inbox_answers_503_with_retry_after() {
    for backend in Backend::both() {
        let release = Arc::new(tokio::sync::Semaphore::new(0));
        let handler_release = release.clone();
        let inbox = backend
            .open(quick().capacity(3), "capacity", move |_event| {
                let release = handler_release.clone();
                async move {
                    release.acquire().await.map_err(|e| e.to_string())?.forget();
                    Ok(())
                }
            })
            .await;
        let name = backend.name();
        let address = crate::serve(inbox.router("/hook")).await;
        let http = reqwest::Client::new();
        let post = |id: String| {
            let request = http
                .post(format!("http://{address}/hook"))
                .body(message(&id, "1@s.whatsapp.net"))
                .send();
            async move { request.await.unwrap() }
        };

        let mut statuses = Vec::new();
        for i in 0..5 {
            statuses.push(post(format!("m{i}")).await.status().as_u16());
        }
        let refused = post("m5".to_string()).await;

        assert_eq!(statuses, [200, 200, 200, 503, 503], "{name}");
        assert_eq!(refused.status(), 503);
        assert_eq!(refused.headers()["retry-after"], "5", "{name}");
        assert_eq!(inbox.waiting().await.unwrap(), 3, "{name}");

        release.add_permits(3);
        wait_until_empty(&inbox).await;
        release.add_permits(1);
        assert_eq!(
            post("m3".to_string()).await.status(),
            200,
            "{name}: room again"
        );
    }
}

#[tokio::test]
async fn shutdown_lets_running_handlers_finish_and_refuses_new_events() {
    for backend in Backend::both() {
        let log = Log::default();
        let handler_log = log.clone();
        let inbox = backend
            .open(quick(), "shutdown", move |event| {
                let log = handler_log.clone();
                async move {
                    let id = id_of(&event);
                    log.attempt(&id);
                    tokio::time::sleep(Duration::from_millis(300)).await;
                    log.succeed(&id);
                    Ok(())
                }
            })
            .await;
        let name = backend.name();

        for id in ["m1", "m2"] {
            assert!(inbox
                .accept(&message(id, "1@s.whatsapp.net"))
                .await
                .is_acknowledged());
        }
        let started = Instant::now();
        while log.attempts.lock().unwrap().len() < 2 {
            assert!(
                started.elapsed() < Duration::from_secs(10),
                "{name}: not started"
            );
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
        let drained = inbox.shutdown(Duration::from_secs(10)).await;

        assert!(drained, "{name}");
        let mut done = log.successes();
        done.sort();
        assert_eq!(
            done,
            ["m1", "m2"],
            "{name}: both finished before shutdown returned"
        );
        assert_eq!(
            inbox.waiting().await.unwrap(),
            0,
            "{name}: their outcomes are recorded"
        );
        let late = inbox.accept(&message("m3", "1@s.whatsapp.net")).await;
        assert!(matches!(late, Acceptance::Busy), "{name}: {late:?}");
        assert_eq!(late.status(), 503);
    }
}

#[tokio::test]
async fn a_store_that_is_down_gets_the_sender_503_and_nothing_is_acknowledged() {
    let mut redis = RedisServer::start();
    let backend_url = redis.url.clone();
    let inbox = Inbox::builder()
        .redis(&backend_url, "down", |_event: WebhookEvent| async {
            Ok::<(), String>(())
        })
        .await
        .unwrap();
    redis.kill();

    let acceptance = inbox.accept(&message("m1", "1@s.whatsapp.net")).await;

    assert!(
        matches!(acceptance, Acceptance::Unavailable(_)),
        "{acceptance:?}"
    );
    assert!(!acceptance.is_acknowledged());
    assert_eq!(acceptance.status(), 503);
    assert_eq!(acceptance.retry_after(), Some(Duration::from_secs(5)));
}

#[tokio::test]
async fn an_unreadable_body_is_refused_with_400_and_not_stored() {
    let dir = tempfile::tempdir().unwrap();
    let inbox = Inbox::builder()
        .sqlite(dir.path().join("inbox.db"), |_event: WebhookEvent| async {
            Ok::<(), String>(())
        })
        .await
        .unwrap();

    let refused = inbox.accept(b"{\"not\": \"an event\"}").await;

    assert!(matches!(refused, Acceptance::Unreadable(_)), "{refused:?}");
    assert_eq!(refused.status(), 400);
    assert_eq!(inbox.waiting().await.unwrap(), 0);
}

/// A Redis restarted without its data (no append-only file) loses what it
/// held, but the inbox goes on: its consumer group is made again and new
/// events are handled.
#[tokio::test]
async fn an_inbox_goes_on_after_redis_lost_its_data() {
    let mut redis = RedisServer::start();
    let log = Log::default();
    let handler_log = log.clone();
    let handler = move |event: WebhookEvent| {
        let log = handler_log.clone();
        async move {
            log.succeed(&id_of(&event));
            Ok::<(), String>(())
        }
    };
    let inbox = quick().redis(&redis.url, "amnesia", handler).await.unwrap();
    assert!(inbox
        .accept(&message("m1", "1@s.whatsapp.net"))
        .await
        .is_acknowledged());
    log.wait_for("m1", |done| done == ["m1"]).await;

    redis.restart();
    let started = Instant::now();
    while !inbox
        .accept(&message("m2", "1@s.whatsapp.net"))
        .await
        .is_acknowledged()
    {
        assert!(
            started.elapsed() < Duration::from_secs(10),
            "Redis never came back"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }

    log.wait_for("m2 after the restart", |done| done == ["m1", "m2"])
        .await;
}

/// A handler that panics, in its future or before it returns one, fails
/// that attempt like an error: the event is retried, not lost or stuck.
#[tokio::test]
async fn a_panicking_handler_is_retried_like_a_failing_one() {
    let dir = tempfile::tempdir().unwrap();
    let log = Log::default();
    let handler_log = log.clone();
    let inbox = quick()
        .sqlite(dir.path().join("panics.db"), move |event: WebhookEvent| {
            let id = id_of(&event);
            let attempt = handler_log.attempt(&id);
            if attempt == 1 {
                panic!("a bug before the handler's future");
            }
            let log = handler_log.clone();
            async move {
                if attempt == 2 {
                    panic!("a bug inside the handler's future");
                }
                log.succeed(&id);
                Ok::<(), String>(())
            }
        })
        .await
        .unwrap();

    assert!(inbox
        .accept(&message("m1", "1@s.whatsapp.net"))
        .await
        .is_acknowledged());
    log.wait_for("m1", |done| done == ["m1"]).await;
    wait_until_empty(&inbox).await;

    assert_eq!(log.attempts_of("m1"), 3);
}

/// A `groups_participants` event: `member` joins (`add`) or leaves
/// (`remove`) the group. The spec's shape carries no id and no time.
fn membership(member: &str, action: &str) -> Vec<u8> {
    serde_json::to_vec(&json!({
        "groups_participants": [{"group_id": "120363025343298765@g.us", "participants": [member], "action": action}],
        "event": {"type": "groups", "event": "put"},
        "channel_id": "TEST-CHANNEL"
    }))
    .unwrap()
}

/// Join, leave and join again are three events, though the two joins have
/// the same body; a redelivery of the last is not a fourth.
#[tokio::test]
async fn a_change_that_happens_again_is_handled_again_and_its_redelivery_is_not() {
    for backend in Backend::both() {
        let keys = Arc::new(Mutex::new(Vec::new()));
        let seen = keys.clone();
        let inbox = backend
            .open(quick(), "changes", move |event| {
                let seen = seen.clone();
                async move {
                    let action = match &event.payload {
                        Payload::GroupParticipants(events) => events[0].action.clone(),
                        _ => None,
                    };
                    seen.lock()
                        .unwrap()
                        .push((action.unwrap_or_default(), event.key()));
                    Ok(())
                }
            })
            .await;
        let name = backend.name();
        let (join, leave) = (
            membership("15550100004", "add"),
            membership("15550100004", "remove"),
        );

        let answers = [
            inbox.accept(&join).await,
            inbox.accept(&leave).await,
            inbox.accept(&join).await,
            inbox.accept(&join).await,
        ];
        let answers: Vec<String> = answers.iter().map(|a| format!("{a:?}")).collect();
        assert_eq!(
            answers,
            ["Stored", "Stored", "Stored", "Duplicate"],
            "{name}"
        );
        wait_until_empty(&inbox).await;
        // Handled in any order (the inbox does not keep order here).
        let mut keys = keys.lock().unwrap().clone();
        keys.sort();
        let actions: Vec<&str> = keys.iter().map(|(a, _)| a.as_str()).collect();
        assert_eq!(actions, ["add", "add", "remove"], "{name}: once each");
        assert_ne!(keys[0].1, keys[1].1, "{name}: each join its own key");
    }
}

/// What a person does on their phone, through the sandbox's webhooks into
/// an inbox: joining a group, leaving it and joining again runs the
/// handler three times.
#[tokio::test]
async fn on_the_sandbox_join_leave_join_runs_the_handler_three_times() {
    let sandbox = whapi_ext::sandbox::Sandbox::start().await.unwrap();
    let wa = sandbox.client();
    let dir = tempfile::tempdir().unwrap();
    let actions = Arc::new(Mutex::new(Vec::new()));
    let seen = actions.clone();
    let inbox = quick()
        .sqlite(dir.path().join("inbox.db"), move |event: WebhookEvent| {
            let seen = seen.clone();
            async move {
                if let Payload::GroupParticipants(events) = &event.payload {
                    seen.lock()
                        .unwrap()
                        .push(events[0].action.clone().unwrap_or_default());
                }
                Ok::<(), String>(())
            }
        })
        .await
        .unwrap();
    let address = crate::serve(inbox.router("/hook")).await;
    let groups_put = whapi_ext::types::Event {
        type_: Some(whapi_ext::types::WebhookEventTypeType::Groups),
        method: Some(whapi_ext::types::EventMethod::Put),
    };
    wa.ensure_webhook(format!("http://{address}/hook"), [groups_put])
        .await
        .unwrap();
    let group = wa.create_group("club", ["15550100001"]).await.unwrap();

    sandbox.join_group(group.id(), "15550100007").unwrap();
    sandbox.leave_group(group.id(), "15550100007").unwrap();
    sandbox.join_group(group.id(), "15550100007").unwrap();

    let started = Instant::now();
    while actions.lock().unwrap().len() < 3 {
        assert!(
            started.elapsed() < Duration::from_secs(20),
            "handled: {:?}",
            actions.lock().unwrap()
        );
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    let mut actions = actions.lock().unwrap().clone();
    actions.sort();
    assert_eq!(actions, ["add", "add", "remove"]);
}

/// This process's threads named `name`.
fn threads_named(name: &str) -> usize {
    std::fs::read_dir("/proc/self/task")
        .unwrap()
        .filter_map(|task| std::fs::read_to_string(task.ok()?.path().join("comm")).ok())
        .filter(|comm| comm.trim() == name)
        .count()
}

/// Waits (20 s at most) until `done`, saying `what` if it never is.
async fn eventually(what: &str, done: impl Fn() -> bool) {
    let started = Instant::now();
    while !done() {
        assert!(started.elapsed() < Duration::from_secs(20), "{what}");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// An inbox whose every handle is dropped stops: its workers end, and with
/// them the SQLite writer's thread and the Redis connections.
#[tokio::test]
async fn dropping_every_handle_of_an_inbox_stops_its_workers_and_its_store() {
    const WRITER: &str = "whapi-inbox-sql";
    let dir = tempfile::tempdir().unwrap();
    let before = threads_named(WRITER);
    let inbox = quick()
        .sqlite(dir.path().join("inbox.db"), |_: WebhookEvent| async {
            Ok::<(), String>(())
        })
        .await
        .unwrap();
    let clone = inbox.clone();
    // The thread names itself once it runs.
    eventually("its writer runs", || threads_named(WRITER) == before + 1).await;
    drop(inbox);
    tokio::time::sleep(Duration::from_millis(100)).await;
    assert_eq!(threads_named(WRITER), before + 1, "a clone keeps it");
    drop(clone);
    eventually("the SQLite writer's thread ended", || {
        threads_named(WRITER) == before
    })
    .await;

    let redis = RedisServer::start();
    let idle = redis.clients();
    let inbox = quick()
        .redis(&redis.url, "dropped", |_: WebhookEvent| async {
            Ok::<(), String>(())
        })
        .await
        .unwrap();
    assert!(redis.clients() > idle, "it connected");
    drop(inbox);
    eventually("its Redis connections closed", || redis.clients() == idle).await;
}

/// Each start of a process adds a consumer to the Redis group: those that
/// hold nothing and sat idle past a lease are deleted when an inbox opens,
/// so restarts do not pile them up.
#[tokio::test]
async fn restarts_do_not_pile_up_consumers_in_the_redis_group() {
    let redis = RedisServer::start();
    // A lease of 1.2 s: consumers idle longer are forgotten.
    let builder = || quick().handler_timeout(Duration::from_millis(200));
    let consumers = || async {
        let client = redis::Client::open(redis.url.as_str()).unwrap();
        let mut connection = client.get_multiplexed_async_connection().await.unwrap();
        let info: redis::streams::StreamInfoConsumersReply = redis::AsyncCommands::xinfo_consumers(
            &mut connection,
            "{whapi-inbox:restarts}:events",
            "workers",
        )
        .await
        .unwrap();
        info.consumers.len()
    };
    for start in 0..4 {
        let inbox = builder()
            .redis(&redis.url, "restarts", |_: WebhookEvent| async {
                Ok::<(), String>(())
            })
            .await
            .unwrap();
        // Its worker takes an event from the group (which makes its
        // consumer).
        let body = message(&format!("m{start}"), "1@s.whatsapp.net");
        assert!(inbox.accept(&body).await.is_acknowledged());
        wait_until_empty(&inbox).await;
        drop(inbox);
    }
    assert_eq!(consumers().await, 4, "one consumer per start");
    // Idle well past the lease (1.2 s).
    tokio::time::sleep(Duration::from_secs(3)).await;

    let _inbox = builder()
        .redis(&redis.url, "restarts", |_: WebhookEvent| async {
            Ok::<(), String>(())
        })
        .await
        .unwrap();
    assert_eq!(consumers().await, 0, "the idle ones forgotten");
}
