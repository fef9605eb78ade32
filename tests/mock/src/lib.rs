//! Stoplight Prism, the spec-validating mock server: installed with npm
//! into `tests/.cache/prism/prism-cli-<version>` (reused when present), started on a free
//! loopback port, stopped by its PID when dropped, also when a test fails.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::Mutex;
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
    workspace_root().join("tests/.cache/prism")
}

/// The workspace root, two levels above this crate.
fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .ancestors()
        .nth(2)
        .map(Path::to_path_buf)
        .unwrap_or_default()
}

/// The spec Prism serves by default: the vendored spec after the
/// normalization rules of the *spec* phase (`whapi_gen::paths::NORMALIZED`).
pub fn normalized_spec() -> PathBuf {
    workspace_root().join("spec/normalized.json")
}

/// The pinned install, in a folder named by version so a bump reinstalls.
fn install_dir() -> PathBuf {
    cache_dir().join(format!("prism-cli-{PRISM_VERSION}"))
}

fn binary() -> PathBuf {
    install_dir().join("node_modules/.bin/prism")
}

/// Serializes installs between the tests of one binary; installs of
/// separate processes are kept apart by installing into a private staging
/// folder and renaming it into place, which is atomic.
static INSTALL: Mutex<()> = Mutex::new(());

/// Installs Prism unless the cache has it; panics with what to do when npm
/// is missing.
fn ensure_installed() {
    let _guard = INSTALL
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner());
    if binary().exists() {
        return;
    }
    let npm = Command::new("npm").arg("--version").output();
    if !npm.is_ok_and(|o| o.status.success()) {
        panic!("the contract suite needs node and npm to install Prism: install them (Debian: `apt-get install nodejs npm`) and run again");
    }
    let staging = cache_dir().join(format!(".staging-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&staging);
    std::fs::create_dir_all(&staging).expect("the cache folder can be made");
    let status = Command::new("npm")
        .args([
            "install",
            "--no-audit",
            "--no-fund",
            "--loglevel=error",
            "--prefix",
        ])
        .arg(&staging)
        .arg(format!("@stoplight/prism-cli@{PRISM_VERSION}"))
        .status()
        .expect("npm runs");
    assert!(
        status.success(),
        "npm could not install @stoplight/prism-cli@{PRISM_VERSION}"
    );
    if install_dir().exists() && !binary().exists() {
        // Left half-made by an interrupted older run.
        let _ = std::fs::remove_dir_all(install_dir());
    }
    if std::fs::rename(&staging, install_dir()).is_err() {
        // Another process finished first; its install is as good as ours.
        let _ = std::fs::remove_dir_all(&staging);
    }
    assert!(
        binary().exists(),
        "npm installed @stoplight/prism-cli@{PRISM_VERSION} but {} is missing",
        binary().display()
    );
}

impl Prism {
    /// Starts Prism on the normalized spec; `dynamic` makes it answer with
    /// random data within the schemas instead of the spec's examples.
    pub fn start(dynamic: bool) -> Prism {
        Self::serve(&normalized_spec(), dynamic)
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
