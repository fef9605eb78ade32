//! A 256 MiB upload and download through `whapi-ext` against a local server:
//! peak RSS growth, and throughput relative to copying the same file
//! locally. Run by `cargo xtask bench`.
//!
//! Peak RSS is read from `/proc/self/status` (`VmHWM`) after resetting it
//! through `/proc/self/clear_refs`, so each figure is the growth during that
//! one transfer. The server (in the same process) reads and writes with
//! 64 KiB buffers.

use std::path::PathBuf;
use std::time::{Duration, Instant};

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;
use whapi_ext::ids::MediaId;
use whapi_ext::media::MediaSource;
use whapi_ext::Whapi;

const SIZE: u64 = 256 * 1024 * 1024;
const CHUNK: usize = 64 * 1024;

fn status_kib(key: &str) -> u64 {
    whapi_tests::proc_status_kib("self", key).unwrap_or(0)
}

/// Runs `work`, returning its time and the peak RSS growth in MiB.
async fn measured<F: std::future::Future<Output = Result<(), Box<dyn std::error::Error>>>>(
    work: F,
) -> Result<(Duration, f64), Box<dyn std::error::Error>> {
    let _ = std::fs::write("/proc/self/clear_refs", "5");
    let before = status_kib("VmRSS:");
    let started = Instant::now();
    work.await?;
    let elapsed = started.elapsed();
    let peak = status_kib("VmHWM:");
    Ok((elapsed, peak.saturating_sub(before) as f64 / 1024.0))
}

/// Reads a request's head; returns its content length.
async fn read_head(
    socket: &mut tokio::net::TcpStream,
    pending: &mut Vec<u8>,
) -> Option<(String, u64)> {
    let mut buf = vec![0u8; CHUNK];
    loop {
        if let Some(end) = pending.windows(4).position(|w| w == b"\r\n\r\n") {
            let head = String::from_utf8_lossy(&pending[..end]).to_string();
            pending.drain(..end + 4);
            let length = head
                .lines()
                .find_map(|l| {
                    l.to_ascii_lowercase()
                        .strip_prefix("content-length:")
                        .map(|v| v.trim().parse().unwrap_or(0))
                })
                .unwrap_or(0);
            return Some((head, length));
        }
        let n = socket.read(&mut buf).await.ok()?;
        if n == 0 {
            return None;
        }
        pending.extend_from_slice(&buf[..n]);
    }
}

/// Accepts uploads (reads and drops the body) and serves `SIZE`-byte
/// downloads.
async fn serve(listener: TcpListener) {
    loop {
        let Ok((mut socket, _)) = listener.accept().await else {
            return;
        };
        tokio::spawn(async move {
            let mut pending = Vec::new();
            let mut buf = vec![0u8; CHUNK];
            while let Some((head, length)) = read_head(&mut socket, &mut pending).await {
                let mut left = length.saturating_sub(pending.len() as u64);
                pending.clear();
                while left > 0 {
                    match socket.read(&mut buf).await {
                        Ok(0) | Err(_) => return,
                        Ok(n) => left = left.saturating_sub(n as u64),
                    }
                }
                if head.starts_with("GET") {
                    let header = format!("HTTP/1.1 200 OK\r\ncontent-type: application/octet-stream\r\ncontent-length: {SIZE}\r\n\r\n");
                    if socket.write_all(header.as_bytes()).await.is_err() {
                        return;
                    }
                    let chunk = vec![7u8; CHUNK];
                    for _ in 0..SIZE / CHUNK as u64 {
                        if socket.write_all(&chunk).await.is_err() {
                            return;
                        }
                    }
                } else {
                    let body = r#"{"media":[{"id":"bench-0123"}]}"#;
                    let answer = format!("HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: {}\r\n\r\n{body}", body.len());
                    if socket.write_all(answer.as_bytes()).await.is_err() {
                        return;
                    }
                }
            }
        });
    }
}

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let dir: PathBuf =
        std::env::temp_dir().join(format!("whapi-bench-media-{}", std::process::id()));
    std::fs::create_dir_all(&dir)?;
    let source = dir.join("upload.bin");
    {
        let mut file = tokio::fs::File::create(&source).await?;
        let chunk: Vec<u8> = (0..CHUNK).map(|i| (i % 251) as u8).collect();
        for _ in 0..SIZE / CHUNK as u64 {
            file.write_all(&chunk).await?;
        }
        file.flush().await?;
    }
    let listener = TcpListener::bind("127.0.0.1:0").await?;
    let base = format!("http://{}", listener.local_addr()?);
    tokio::spawn(serve(listener));
    let wa = Whapi::builder()
        .token("bench")
        .base_url(&base)
        .request_timeout(Duration::from_secs(600))
        .build()?;

    let copy_target = dir.join("copy.bin");
    let (copy_time, _) = measured(async {
        tokio::fs::copy(&source, &copy_target).await?;
        Ok(())
    })
    .await?;
    let (upload_time, upload_rss) = measured(async {
        wa.upload_media(MediaSource::path(&source).mime("video/mp4"))
            .await?;
        Ok(())
    })
    .await?;
    let download_target = dir.join("download.bin");
    let (download_time, download_rss) = measured(async {
        let written = wa
            .download_media_to_path(&MediaId::new("bench-0123")?, &download_target)
            .await?;
        assert_eq!(written, SIZE);
        Ok(())
    })
    .await?;
    let _ = std::fs::remove_dir_all(&dir);

    let mbps = |t: Duration| SIZE as f64 / t.as_secs_f64() / 1e6;
    println!(
        "media_upload_256mib: peak RSS +{upload_rss:.1} MiB, {:.0} MB/s, {:.2}x a local file copy (goal RSS growth < 32 MiB)",
        mbps(upload_time),
        copy_time.as_secs_f64() / upload_time.as_secs_f64()
    );
    println!(
        "media_download_256mib: peak RSS +{download_rss:.1} MiB, {:.0} MB/s, {:.2}x a local file copy (goal RSS growth < 32 MiB)",
        mbps(download_time),
        copy_time.as_secs_f64() / download_time.as_secs_f64()
    );
    Ok(())
}
