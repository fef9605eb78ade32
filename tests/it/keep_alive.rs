//! What a send does when the server closes its pooled connection under it.
//!
//! A server closes a keep-alive connection it considers idle (Node.js after
//! 5 s, Apache after 5 s, load balancers at their own timeouts). A request
//! that meets the close either was never written (the client sees the close
//! first: safe to send again on a fresh connection) or was written into a
//! connection the server is tearing down (it may have been read: a send must
//! not be repeated). The server here makes the meeting deterministic: a
//! request arriving on a connection idle for `idle_close` or longer is the
//! request that crossed the close, and the connection is reset under it.

use std::collections::HashMap;
use std::io::{Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::sync::mpsc;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use whapi_ext::{Error, Whapi};

/// A request as the server saw it.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Seen {
    /// The connection's number, in the order the server accepted them.
    connection: usize,
    /// `POST /messages/text`.
    request: String,
    /// Whether it was answered (or met the idle close).
    answered: bool,
}

/// A keep-alive HTTP/1.1 server on its own threads, independent of the
/// client's runtime, closing idle connections as described above.
struct ClosingServer {
    addr: SocketAddr,
    seen: Arc<Mutex<Vec<Seen>>>,
    /// Asks every idle connection to close (FIN, not reset); answered once
    /// all of them are closed.
    close_idle: mpsc::Sender<mpsc::Sender<()>>,
}

impl ClosingServer {
    fn start(idle_close: Duration) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = listener.local_addr().unwrap();
        let seen = Arc::new(Mutex::new(Vec::new()));
        let idle: Arc<Mutex<HashMap<usize, TcpStream>>> = Arc::default();
        let (close_idle, requests) = mpsc::channel::<mpsc::Sender<()>>();
        {
            let idle = idle.clone();
            std::thread::spawn(move || {
                for done in requests {
                    for (_, socket) in idle.lock().unwrap().drain() {
                        let _ = socket.shutdown(std::net::Shutdown::Both);
                    }
                    let _ = done.send(());
                }
            });
        }
        {
            let seen = seen.clone();
            std::thread::spawn(move || {
                for (connection, socket) in listener.incoming().enumerate() {
                    let Ok(socket) = socket else { return };
                    let (seen, idle) = (seen.clone(), idle.clone());
                    std::thread::spawn(move || {
                        serve(socket, connection, idle_close, &seen, &idle);
                        // Closed for good, also the copy kept while idle.
                        idle.lock().unwrap().remove(&connection);
                    });
                }
            });
        }
        Self {
            addr,
            seen,
            close_idle,
        }
    }

    fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    fn seen(&self) -> Vec<Seen> {
        self.seen.lock().unwrap().clone()
    }

    /// Closes every idle connection and returns once they are closed.
    fn close_idle_connections(&self) {
        let (done, wait) = mpsc::channel();
        self.close_idle.send(done).unwrap();
        wait.recv().unwrap();
    }
}

/// Serves one connection until it closes.
fn serve(
    mut socket: TcpStream,
    connection: usize,
    idle_close: Duration,
    seen: &Mutex<Vec<Seen>>,
    idle: &Mutex<HashMap<usize, TcpStream>>,
) {
    let mut last_answer: Option<Instant> = None;
    loop {
        let Some(line) = peek_request_line(&socket) else {
            return;
        };
        idle.lock().unwrap().remove(&connection);
        let request = line.rsplit_once(' ').map_or(line.as_str(), |(r, _)| r);
        let crossed_the_close = last_answer.is_some_and(|at| at.elapsed() >= idle_close);
        seen.lock().unwrap().push(Seen {
            connection,
            request: request.to_string(),
            answered: !crossed_the_close,
        });
        if crossed_the_close {
            // Closed with the request unread in it: the client sees a reset.
            return;
        }
        if read_request(&mut socket).is_none() {
            return;
        }
        let body = r#"{"sent":true,"message":{"id":"PsobWy36679._7w-wKmB9tMeGQ"},"status":{"code":4,"text":"AUTH"}}"#;
        let response = format!(
            "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: keep-alive\r\n\r\n{body}",
            body.len()
        );
        // Idle from the moment its answer leaves: registered before the
        // write, or a client that has read the answer could ask for the
        // close before the connection is known to be idle.
        if let Ok(copy) = socket.try_clone() {
            idle.lock().unwrap().insert(connection, copy);
        }
        if socket.write_all(response.as_bytes()).is_err() {
            return;
        }
        last_answer = Some(Instant::now());
    }
}

/// Waits for the next request's first line without reading it; `None` when
/// the connection closes first.
fn peek_request_line(socket: &TcpStream) -> Option<String> {
    let mut buf = [0u8; 1024];
    loop {
        let n = socket.peek(&mut buf).ok().filter(|n| *n > 0)?;
        if let Some(end) = buf[..n].windows(2).position(|w| w == b"\r\n") {
            return Some(String::from_utf8_lossy(&buf[..end]).into_owned());
        }
        if n == buf.len() {
            return None;
        }
        std::thread::sleep(Duration::from_millis(1));
    }
}

/// Reads one request (head and `content-length` body); `None` when the
/// connection closes first.
fn read_request(socket: &mut TcpStream) -> Option<()> {
    let mut bytes = Vec::new();
    let mut byte = [0u8; 1];
    while !bytes.ends_with(b"\r\n\r\n") {
        match socket.read(&mut byte) {
            Ok(1) => bytes.push(byte[0]),
            _ => return None,
        }
    }
    let head = String::from_utf8_lossy(&bytes).into_owned();
    let length = head
        .lines()
        .find_map(|line| {
            let (name, value) = line.split_once(':')?;
            name.eq_ignore_ascii_case("content-length")
                .then(|| value.trim().parse::<usize>().ok())?
        })
        .unwrap_or(0);
    let mut body = vec![0u8; length];
    socket.read_exact(&mut body).ok()
}

fn seen(connection: usize, request: &str, answered: bool) -> Seen {
    Seen {
        connection,
        request: request.to_string(),
        answered,
    }
}

const SEND: &str = "POST /messages/text";
const HEALTH: &str = "GET /health";

async fn send(wa: &Whapi) -> whapi_ext::Result<()> {
    wa.send_message_text("15550100000", "hi").await.map(drop)
}

async fn health(wa: &Whapi) -> whapi_ext::Result<()> {
    wa.call(|c| c.check_health().send()).await.map(drop)
}

/// Node.js closes a keep-alive connection after 5 s without a request (its
/// `keepAliveTimeout`). A send after exactly that long must not land on the
/// connection being closed: the client lets idle connections go first.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_send_after_a_gap_as_long_as_nodes_keep_alive_timeout_goes_on_a_fresh_connection() {
    let server = ClosingServer::start(Duration::from_secs(5));
    let wa = Whapi::builder()
        .token("t0k")
        .base_url(server.url())
        .build()
        .unwrap();

    send(&wa).await.unwrap();
    tokio::time::sleep(Duration::from_secs(5)).await;
    let second = send(&wa).await;

    assert!(second.is_ok(), "the send after the gap failed: {second:?}");
    assert_eq!(
        server.seen(),
        [seen(0, SEND, true), seen(1, SEND, true)],
        "the second send went on a new connection"
    );
}

/// A connection kept longer than the server keeps it (here by the caller's
/// choice) and reset under a request: the send is not repeated, as the
/// server may have read it; a read is repeated on a fresh connection.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_request_reset_after_it_was_written_is_sent_again_only_if_idempotent() {
    let server = ClosingServer::start(Duration::from_millis(300));
    let wa = Whapi::builder()
        .token("t0k")
        .base_url(server.url())
        .pool_idle_timeout(Duration::from_secs(60))
        .retry_policy(crate::fast_retries())
        .build()
        .unwrap();

    send(&wa).await.unwrap();
    tokio::time::sleep(Duration::from_millis(400)).await;
    let reset = send(&wa).await;
    health(&wa).await.unwrap();
    tokio::time::sleep(Duration::from_millis(400)).await;
    let retried = health(&wa).await;

    let error = reset.expect_err("the send met the reset");
    assert!(matches!(error, Error::Transport(_)), "{error:?}");
    assert!(!error.is_safe_to_resend(&reqwest::Method::POST));
    assert!(retried.is_ok(), "{retried:?}");
    assert_eq!(
        server.seen(),
        [
            seen(0, SEND, true),
            seen(0, SEND, false), // read by nobody, and not sent again
            seen(1, HEALTH, true),
            seen(1, HEALTH, false),
            seen(2, HEALTH, true), // the read, again on a fresh connection
        ]
    );
}

/// The server closes the pooled connection while it waits, and the client's
/// runtime sees the close before the next send: the send goes out once, on a
/// fresh connection.
#[test]
fn a_send_after_the_server_closed_its_pooled_connection_goes_on_a_fresh_one() {
    let (server, runtime, wa) = closing_server_and_client();

    runtime.block_on(send(&wa)).unwrap();
    server.close_idle_connections();
    let second = runtime.block_on(async {
        // The runtime reads its sockets' events (the FIN) before the send;
        // the yield lets the connection's task handle it first, should the
        // timer and the FIN have come in one turn of a loaded machine.
        tokio::time::sleep(Duration::from_millis(50)).await;
        tokio::task::yield_now().await;
        send(&wa).await
    });

    assert!(second.is_ok(), "{second:?}");
    assert_eq!(server.seen(), [seen(0, SEND, true), seen(1, SEND, true)]);
}

/// The one case a send fails without reaching the server: its connection
/// was closed a moment before, and the close is still unread in the client's
/// socket when the request is written into it. hyper cannot tell that from a
/// request the server read before closing, so the send is not repeated
/// (`Error::Transport`); the pool's idle timeout keeps this from happening
/// when servers close idle connections.
#[test]
fn a_send_written_into_a_connection_already_closed_fails_without_being_resent() {
    let (server, runtime, wa) = closing_server_and_client();

    runtime.block_on(send(&wa)).unwrap();
    server.close_idle_connections();
    // The runtime is not running: the FIN waits unread in the socket.
    std::thread::sleep(Duration::from_millis(50));
    let second = runtime.block_on(send(&wa));

    assert!(matches!(second, Err(Error::Transport(_))), "{second:?}");
    assert_eq!(server.seen(), [seen(0, SEND, true)], "nothing reached it");
}

/// A server on its own threads, a one-thread runtime the test drives, and a
/// client without retries.
fn closing_server_and_client() -> (ClosingServer, tokio::runtime::Runtime, Whapi) {
    let server = ClosingServer::start(Duration::from_secs(60));
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let wa = Whapi::builder()
        .token("t0k")
        .base_url(server.url())
        .retry_policy(whapi_ext::RetryPolicy::none())
        .build()
        .unwrap();
    (server, runtime, wa)
}
