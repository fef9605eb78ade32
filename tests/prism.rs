//! Stoplight Prism, the spec-validating mock server: installed with npm
//! into `tests/.cache/prism` (reused when present), started on a free
//! loopback port, stopped by its PID when dropped, also when a test fails.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// The Prism release the suite is pinned to.
pub const PRISM_VERSION: &str = "5.16.0";

/// A running Prism; stopped on drop.
pub struct Prism {
    child: Child,
    /// `http://127.0.0.1:<port>`.
    pub url: String,
    log: PathBuf,
}

/// Where Prism and its logs live (ignored by git).
pub fn cache_dir() -> PathBuf {
    crate::workspace_root().join("tests/.cache/prism")
}

fn binary() -> PathBuf {
    cache_dir().join("node_modules/.bin/prism")
}

/// Installs Prism unless the cache has it; panics with what to do when npm
/// is missing.
fn ensure_installed() {
    if binary().exists() {
        return;
    }
    let npm = Command::new("npm").arg("--version").output();
    if !npm.is_ok_and(|o| o.status.success()) {
        panic!("the contract suite needs node and npm to install Prism: install them (Debian: `apt-get install nodejs npm`) and run again");
    }
    std::fs::create_dir_all(cache_dir()).expect("the cache folder can be made");
    let status = Command::new("npm")
        .args([
            "install",
            "--no-audit",
            "--no-fund",
            "--loglevel=error",
            "--prefix",
        ])
        .arg(cache_dir())
        .arg(format!("@stoplight/prism-cli@{PRISM_VERSION}"))
        .status()
        .expect("npm runs");
    assert!(
        status.success() && binary().exists(),
        "npm could not install @stoplight/prism-cli@{PRISM_VERSION}"
    );
}

impl Prism {
    /// Starts Prism on the normalized spec; `dynamic` makes it answer with
    /// random data within the schemas instead of the spec's examples.
    pub fn start(dynamic: bool) -> Prism {
        Self::serve(
            &crate::workspace_root().join(whapi_gen::paths::NORMALIZED),
            dynamic,
        )
    }

    /// Starts Prism on the spec at `spec`.
    pub fn serve(spec: &Path, dynamic: bool) -> Prism {
        ensure_installed();
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .expect("a free port")
            .port();
        let log = cache_dir().join(format!(
            "prism-{}-{port}.log",
            if dynamic { "dynamic" } else { "static" }
        ));
        let out = std::fs::File::create(&log).expect("the log can be written");
        let mut command = Command::new(binary());
        command.args(["mock", "-h", "127.0.0.1", "-p", &port.to_string()]);
        if dynamic {
            command.arg("-d");
        }
        let child = command
            .arg(spec)
            .stdin(Stdio::null())
            .stdout(out.try_clone().expect("the log can be shared"))
            .stderr(out)
            .spawn()
            .expect("prism starts");
        let prism = Prism {
            child,
            url: format!("http://127.0.0.1:{port}"),
            log,
        };
        prism.wait_until_ready();
        prism
    }

    fn wait_until_ready(&self) {
        let started = Instant::now();
        let address = self.url.trim_start_matches("http://").to_string();
        while started.elapsed() < Duration::from_secs(120) {
            if std::net::TcpStream::connect(&address).is_ok() {
                return;
            }
            std::thread::sleep(Duration::from_millis(200));
        }
        panic!(
            "Prism did not answer within 120 s; its log: {}",
            std::fs::read_to_string(&self.log).unwrap_or_default()
        );
    }
}

impl Drop for Prism {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
