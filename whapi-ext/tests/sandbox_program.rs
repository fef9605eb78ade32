//! The `whapi-sandbox` program, as other tools and languages run it: over
//! raw HTTP, its own paths beside the service's.

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};

use serde_json::{json, Value};

/// The program on a free port, killed when dropped.
struct Program {
    child: Child,
    url: String,
}

impl Program {
    fn start(args: &[&str]) -> Program {
        let mut child = Command::new(env!("CARGO_BIN_EXE_whapi-sandbox"))
            .args(["--port", "0"])
            .args(args)
            .stdout(Stdio::piped())
            .spawn()
            .expect("the program starts");
        let stdout = child.stdout.take().expect("its output");
        // Its first line, within a limit: a program that never prints fails
        // the test instead of holding it.
        let (line, first_line) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            let mut first = String::new();
            let _ = BufReader::new(stdout).read_line(&mut first);
            let _ = line.send(first);
        });
        let first = match first_line.recv_timeout(std::time::Duration::from_secs(60)) {
            Ok(first) => first,
            Err(_) => {
                let _ = child.kill();
                panic!("whapi-sandbox printed nothing in 60 s");
            }
        };
        let url = first
            .split_whitespace()
            .find(|word| word.starts_with("http://"))
            .unwrap_or_else(|| panic!("no URL in its first line: {first}"))
            .to_string();
        Program { child, url }
    }
}

impl Drop for Program {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

#[tokio::test]
async fn the_program_serves_the_service_paths_and_its_own() {
    let program = Program::start(&[
        "--token",
        "secret",
        "--channel",
        "PROGRAM-1",
        "--add-channel",
        "PROGRAM-2=other",
    ]);
    let http = whapi_ext::http_client_builder().unwrap().build().unwrap();
    let url = &program.url;
    let get = |path: &str| http.get(format!("{url}{path}")).bearer_auth("secret");

    let health: Value = get("/health").send().await.unwrap().json().await.unwrap();
    assert_eq!(health["channel_id"], "PROGRAM-1");
    let second: Value = http
        .get(format!("{url}/health"))
        .bearer_auth("other")
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(
        second["channel_id"], "PROGRAM-2",
        "the token names the channel"
    );
    let stranger = http
        .get(format!("{url}/health"))
        .bearer_auth("sandbox-token")
        .send()
        .await
        .unwrap();
    assert_eq!(stranger.status(), 401, "only the token given");

    let sent: Value = http
        .post(format!("{url}/messages/text"))
        .bearer_auth("secret")
        .json(&json!({"to": "15550100000", "body": "hello"}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let id = sent["message"]["id"].as_str().unwrap();
    let recorded: Value = get("/_sandbox/sent/15550100000")
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(recorded["messages"][0]["id"], id);
    assert_eq!(recorded["messages"][0]["text"]["body"], "hello");

    let received: Value = http
        .post(format!("{url}/_sandbox/receive"))
        .bearer_auth("secret")
        .json(&json!({"from": "15550100000", "text": "hi back"}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let chat: Value = get("/messages/list/15550100000@s.whatsapp.net")
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(chat["total"], 2);
    assert_eq!(chat["messages"][0]["id"], received["id"], "newest first");

    let broken = http
        .post(format!("{url}/messages/text"))
        .bearer_auth("secret")
        .json(&json!({"to": "15550100000"}))
        .send()
        .await
        .unwrap();
    assert_eq!(broken.status(), 400);
    let reason: Value = broken.json().await.unwrap();
    assert!(
        reason["error"]["details"]
            .as_str()
            .unwrap()
            .contains("body"),
        "{reason}"
    );

    let example = get("/business").send().await.unwrap();
    assert_eq!(example.status(), 200);
    assert_eq!(example.headers()["x-sandbox-answer"], "example");
    let listed: Value = get("/_sandbox/operations")
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert!(listed["examples"]
        .as_array()
        .unwrap()
        .contains(&json!("getBusinessProfile")));
}

#[test]
fn a_bad_argument_is_an_error_naming_it() {
    let output = Command::new(env!("CARGO_BIN_EXE_whapi-sandbox"))
        .arg("--bogus")
        .output()
        .unwrap();
    assert!(!output.status.success());
    let said = String::from_utf8_lossy(&output.stderr);
    assert!(said.contains("--bogus") && said.contains("usage"), "{said}");
}

/// A webhook receiver on loopback keeping every body; its URL.
async fn receiver() -> (String, std::sync::Arc<std::sync::Mutex<Vec<Value>>>) {
    let kept = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
    let into = kept.clone();
    let router = axum::Router::new().route(
        "/hook",
        axum::routing::post(move |body: axum::body::Bytes| {
            let into = into.clone();
            async move {
                if let Ok(event) = serde_json::from_slice::<Value>(&body) {
                    into.lock().unwrap().push(event);
                }
                "ok"
            }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/hook", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, router).await });
    (url, kept)
}

#[tokio::test]
async fn the_program_pages_posts_statuses_and_injects_faults_over_raw_http() {
    let program = Program::start(&[]);
    let http = whapi_ext::http_client_builder().unwrap().build().unwrap();
    let url = &program.url;
    let call = |method: reqwest::Method, path: &str| {
        http.request(method, format!("{url}{path}"))
            .bearer_auth("sandbox-token")
    };
    let (hook, events) = receiver().await;
    let patched = call(reqwest::Method::PATCH, "/settings")
        .json(&json!({"webhooks": [{"url": hook, "events": [{"type": "statuses", "method": "post"}]}]}))
        .send()
        .await
        .unwrap();
    assert_eq!(patched.status(), 200);

    let mut first = None;
    for i in 0..5 {
        let sent: Value = call(reqwest::Method::POST, "/messages/text")
            .json(&json!({"to": format!("1555010000{}", i % 3), "body": format!("m{i}")}))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        first.get_or_insert(sent["message"]["id"].as_str().unwrap().to_string());
    }
    let first = first.unwrap();

    let mut seen = std::collections::HashSet::new();
    let mut offset = 0;
    loop {
        let page: Value = call(
            reqwest::Method::GET,
            &format!("/chats?count=2&offset={offset}"),
        )
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
        assert_eq!(page["total"], 3);
        let chats = page["chats"].as_array().unwrap();
        if chats.is_empty() {
            break;
        }
        for chat in chats {
            assert!(
                seen.insert(chat["id"].as_str().unwrap().to_string()),
                "each chat once"
            );
        }
        offset += chats.len();
    }
    assert_eq!(seen.len(), 3, "three chats over two pages");

    let mut statuses = Vec::new();
    for _ in 0..500 {
        statuses = events
            .lock()
            .unwrap()
            .iter()
            .filter(|e| e["statuses"][0]["id"] == first.as_str())
            .map(|e| {
                e["statuses"][0]["status"]
                    .as_str()
                    .unwrap_or_default()
                    .to_string()
            })
            .collect();
        if statuses.len() == 3 {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(10)).await;
    }
    assert_eq!(statuses, ["sent", "delivered", "read"]);

    let fault = call(reqwest::Method::POST, "/_sandbox/faults")
        .json(&json!({"operation": "checkHealth", "times": 1, "status": 503}))
        .send()
        .await
        .unwrap();
    assert_eq!(fault.status(), 200);
    let faulted = call(reqwest::Method::GET, "/health").send().await.unwrap();
    let healthy = call(reqwest::Method::GET, "/health").send().await.unwrap();
    assert_eq!(
        (faulted.status().as_u16(), healthy.status().as_u16()),
        (503, 200)
    );
}
