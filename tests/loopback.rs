//! What the benchmarks share: a minimal keep-alive HTTP/1.1 server on
//! loopback for requests without bodies, and the median of per-round
//! ratios.

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;

/// Answers every request on every connection with the JSON body
/// `respond(head)` returns, `head` being the request line and headers.
pub async fn serve_json(
    listener: TcpListener,
    respond: impl Fn(&str) -> String + Clone + Send + 'static,
) {
    loop {
        let Ok((mut socket, _)) = listener.accept().await else {
            return;
        };
        let respond = respond.clone();
        tokio::spawn(async move {
            let mut buf = vec![0u8; 8192];
            let mut pending = Vec::new();
            loop {
                let Ok(n) = socket.read(&mut buf).await else {
                    return;
                };
                if n == 0 {
                    return;
                }
                pending.extend_from_slice(&buf[..n]);
                while let Some(end) = pending.windows(4).position(|w| w == b"\r\n\r\n") {
                    let head = String::from_utf8_lossy(&pending[..end]).into_owned();
                    pending.drain(..end + 4);
                    let body = respond(&head);
                    let response = format!("HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: {}\r\n\r\n{body}", body.len());
                    if socket.write_all(response.as_bytes()).await.is_err() {
                        return;
                    }
                }
            }
        });
    }
}

/// The median of `values` (sorts them).
pub fn median(values: &mut [f64]) -> f64 {
    values.sort_by(f64::total_cmp);
    values[values.len() / 2]
}
