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

/// Why the mock could not start, with what to do about it.
pub struct MockError(String);

impl std::fmt::Display for MockError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

// Plain, as `main` returning an error prints it with `Debug`.
impl std::fmt::Debug for MockError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for MockError {}

fn fail<T>(what: impl Into<String>) -> Result<T, MockError> {
    Err(MockError(what.into()))
}

/// Installs Prism unless the cache has it (`cargo xtask test` does it
/// before the tests, so that no test's time limit includes npm).
pub fn ensure_installed() -> Result<(), MockError> {
    let _guard = INSTALL
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner());
    // Prism runs on node and is installed with npm: both must be there,
    // also when the cache already holds Prism.
    let found = |tool: &str| {
        Command::new(tool)
            .arg("--version")
            .output()
            .is_ok_and(|o| o.status.success())
    };
    let needed = if binary().exists() {
        &["node"][..]
    } else {
        &["node", "npm"][..]
    };
    if let Some(missing) = needed.iter().find(|tool| !found(tool)) {
        return fail(format!(
            "the local mock (Prism) needs node and npm, and `{missing}` is missing: install them \
(Debian: `apt-get install nodejs npm`) and run again, or set WHAPI_TOKEN to use the real service"
        ));
    }
    if binary().exists() {
        return Ok(());
    }
    let staging = cache_dir().join(format!(".staging-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&staging);
    std::fs::create_dir_all(&staging)
        .or_else(|e| fail(format!("creating {}: {e}", staging.display())))?;
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
        .status();
    if !status.is_ok_and(|s| s.success()) {
        let _ = std::fs::remove_dir_all(&staging);
        return fail(format!(
            "npm could not install @stoplight/prism-cli@{PRISM_VERSION} (is the npm registry reachable?)"
        ));
    }
    if install_dir().exists() && !binary().exists() {
        // Left half-made by an interrupted older run.
        let _ = std::fs::remove_dir_all(install_dir());
    }
    if std::fs::rename(&staging, install_dir()).is_err() {
        // Another process finished first; its install is as good as ours.
        let _ = std::fs::remove_dir_all(&staging);
    }
    if !binary().exists() {
        return fail(format!(
            "npm installed @stoplight/prism-cli@{PRISM_VERSION} but {} is missing",
            binary().display()
        ));
    }
    Ok(())
}

impl Prism {
    /// Starts Prism on the normalized spec; `dynamic` makes it answer with
    /// random data within the schemas instead of the spec's examples.
    /// Panics on failure, for tests; see [`Prism::try_start`].
    pub fn start(dynamic: bool) -> Prism {
        Self::try_start(dynamic).unwrap_or_else(|e| panic!("{e}"))
    }

    /// [`Prism::start`], with the reason when it cannot start (no npm, no
    /// registry, Prism not answering).
    pub fn try_start(dynamic: bool) -> Result<Prism, MockError> {
        Self::try_serve(&normalized_spec(), dynamic)
    }

    /// Starts Prism on the spec at `spec`; panics on failure, for tests.
    pub fn serve(spec: &Path, dynamic: bool) -> Prism {
        Self::try_serve(spec, dynamic).unwrap_or_else(|e| panic!("{e}"))
    }

    /// [`Prism::serve`], with the reason when it cannot start.
    pub fn try_serve(spec: &Path, dynamic: bool) -> Result<Prism, MockError> {
        ensure_installed()?;
        // A free port is only free until someone else takes it (another
        // Prism of a parallel test, say): on a clash, try another.
        let mut clash = String::new();
        for _ in 0..5 {
            let mut prism = Self::launch(spec, dynamic)?;
            match prism.wait_until_ready()? {
                Ready::Listening => return Ok(prism),
                Ready::PortTaken => clash = prism.url.clone(),
            }
        }
        fail(format!("Prism found every port taken, the last {clash}"))
    }

    /// Starts Prism on a port that was free a moment ago.
    fn launch(spec: &Path, dynamic: bool) -> Result<Prism, MockError> {
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .or_else(|e| fail(format!("no free loopback port: {e}")))?
            .port();
        Self::launch_on(spec, dynamic, port)
    }

    fn launch_on(spec: &Path, dynamic: bool, port: u16) -> Result<Prism, MockError> {
        let log = cache_dir().join(format!(
            "prism-{}-{port}.log",
            if dynamic { "dynamic" } else { "static" }
        ));
        let out = std::fs::File::create(&log)
            .and_then(|out| Ok((out.try_clone()?, out)))
            .or_else(|e| fail(format!("creating {}: {e}", log.display())))?;
        let mut command = Command::new(binary());
        command.args(["mock", "-h", "127.0.0.1", "-p", &port.to_string()]);
        if dynamic {
            command.arg("-d");
        }
        let child = command
            .arg(spec)
            .stdin(Stdio::null())
            .stdout(out.0)
            .stderr(out.1)
            .spawn()
            .or_else(|e| fail(format!("starting {}: {e}", binary().display())))?;
        Ok(Prism {
            child,
            url: format!("http://127.0.0.1:{port}"),
            log,
        })
    }

    /// Waits for this Prism to say it listens on its port: an answer on the
    /// port alone could come from another process that took it.
    fn wait_until_ready(&mut self) -> Result<Ready, MockError> {
        let listening = format!("Prism is listening on {}", self.url);
        let started = Instant::now();
        while started.elapsed() < Duration::from_secs(120) {
            let log = std::fs::read_to_string(&self.log).unwrap_or_default();
            if log.contains(&listening) {
                return Ok(Ready::Listening);
            }
            if log.contains("EADDRINUSE") {
                return Ok(Ready::PortTaken);
            }
            if let Ok(Some(status)) = self.child.try_wait() {
                return fail(format!("Prism stopped ({status}); its log: {log}"));
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        fail(format!(
            "Prism did not start within 120 s; its log: {}",
            std::fs::read_to_string(&self.log).unwrap_or_default()
        ))
    }
}

/// How a launch ended.
enum Ready {
    /// Prism listens on its port.
    Listening,
    /// Another process took the port first.
    PortTaken,
}

impl Drop for Prism {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        // The log explains a failing test; after a clean run it is noise.
        if !std::thread::panicking() {
            let _ = std::fs::remove_file(&self.log);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_port_someone_else_holds_is_reported_not_taken_for_ours() {
        ensure_installed().expect("Prism installs");
        let holder = std::net::TcpListener::bind("127.0.0.1:0").expect("a port");
        let port = holder.local_addr().expect("its address").port();
        let mut prism = Prism::launch_on(&normalized_spec(), false, port).expect("launches");
        assert!(matches!(prism.wait_until_ready(), Ok(Ready::PortTaken)));
    }

    #[test]
    fn two_mocks_at_once_listen_on_ports_of_their_own() {
        let (a, b) = std::thread::scope(|s| {
            let a = s.spawn(|| Prism::try_start(false));
            let b = s.spawn(|| Prism::try_start(true));
            (a.join().expect("no panic"), b.join().expect("no panic"))
        });
        let (a, b) = (a.expect("first starts"), b.expect("second starts"));
        assert_ne!(a.url, b.url);
    }
}
