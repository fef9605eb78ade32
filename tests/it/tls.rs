//! TLS as `Whapi` sets it up (rustls with ring's cryptography, the
//! platform's certificate verifier) against a real TLS server,
//! `openssl s_server`, with a certificate authority made for the test.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use whapi_ext::{Error, RetryPolicy, Whapi};

/// An `openssl s_server` on a loopback port, serving a certificate for
/// `localhost` issued by the test's own authority; killed when dropped.
struct TlsServer {
    child: Child,
    port: u16,
    dir: PathBuf,
}

impl Drop for TlsServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

fn openssl(dir: &Path, args: &[&str]) {
    let output = Command::new("openssl")
        .args(args)
        .current_dir(dir)
        .output()
        .expect("openssl runs (the CLI of Debian's openssl package)");
    assert!(
        output.status.success(),
        "openssl {args:?}: {}",
        String::from_utf8_lossy(&output.stderr)
    );
}

impl TlsServer {
    fn start(name: &str) -> Self {
        let dir = std::env::temp_dir().join(format!("whapi-tls-{name}-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        openssl(
            &dir,
            &[
                "req",
                "-x509",
                "-newkey",
                "rsa:2048",
                "-nodes",
                "-days",
                "1",
                "-keyout",
                "ca.key",
                "-out",
                "ca.pem",
                "-subj",
                "/CN=whapi test authority",
                "-addext",
                "basicConstraints=critical,CA:TRUE",
                "-addext",
                "keyUsage=critical,keyCertSign",
            ],
        );
        openssl(
            &dir,
            &[
                "req",
                "-newkey",
                "rsa:2048",
                "-nodes",
                "-keyout",
                "server.key",
                "-out",
                "server.csr",
                "-subj",
                "/CN=localhost",
            ],
        );
        std::fs::write(
            dir.join("server.ext"),
            "subjectAltName=DNS:localhost,IP:127.0.0.1\nbasicConstraints=CA:FALSE\nextendedKeyUsage=serverAuth\n",
        )
        .unwrap();
        openssl(
            &dir,
            &[
                "x509",
                "-req",
                "-in",
                "server.csr",
                "-CA",
                "ca.pem",
                "-CAkey",
                "ca.key",
                "-CAcreateserial",
                "-days",
                "1",
                "-out",
                "server.pem",
                "-extfile",
                "server.ext",
            ],
        );
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let child = Command::new("openssl")
            .args([
                "s_server",
                "-quiet",
                "-www",
                "-cert",
                "server.pem",
                "-key",
                "server.key",
            ])
            .args(["-accept", &format!("127.0.0.1:{port}")])
            .current_dir(&dir)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("openssl s_server starts");
        let server = TlsServer { child, port, dir };
        // Slow machines: a generous limit, and it fails loudly.
        let deadline = Instant::now() + Duration::from_secs(60);
        while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(
                Instant::now() < deadline,
                "openssl s_server did not listen in 60 s"
            );
            std::thread::sleep(Duration::from_millis(50));
        }
        server
    }

    fn client(&self) -> Whapi {
        Whapi::builder()
            .token("t0k")
            .base_url(format!("https://localhost:{}", self.port))
            .retry_policy(RetryPolicy::none())
            .build()
            .unwrap()
    }

    fn authority(&self) -> PathBuf {
        self.dir.join("ca.pem")
    }
}

/// The whole chain of an error's sources, as text.
fn chain(error: &dyn std::error::Error) -> String {
    let mut text = error.to_string();
    let mut source = error.source();
    while let Some(inner) = source {
        text.push_str(": ");
        text.push_str(&inner.to_string());
        source = inner.source();
    }
    text
}

#[tokio::test]
async fn a_server_whose_authority_is_trusted_is_reached_over_tls() {
    let server = TlsServer::start("trusted");
    // The platform verifier reads the roots named here (rustls-native-certs);
    // each test runs in a process of its own.
    unsafe { std::env::set_var("SSL_CERT_FILE", server.authority()) };

    let answer = server.client().check_health().await;

    // s_server answers every request with an HTML page of its own: the TLS
    // session was made and an HTTP answer read through it.
    match answer {
        Err(Error::Decode { body, .. }) => {
            let page = String::from_utf8_lossy(&body);
            assert!(page.contains("s_server"), "{page}");
        }
        other => panic!("expected s_server's HTML page, got {other:?}"),
    }
}

#[tokio::test]
async fn a_certificate_of_an_unknown_authority_is_refused() {
    let server = TlsServer::start("unknown");

    let error = server.client().check_health().await.unwrap_err();

    let text = chain(&error);
    assert!(
        matches!(error, Error::Connect(_) | Error::Transport(_)),
        "{error:?}"
    );
    assert!(text.to_lowercase().contains("certificate"), "{text}");
}
