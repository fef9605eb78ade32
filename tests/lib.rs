//! Support shared by the integration tests, the contract suite and the main
//! job: where the workspace is, how to read its files, and Prism.

/// The generated cases of `whapi-ext`'s calls: the wire test and the
/// contract suite send them. Deprecated operations are cases too.
#[allow(deprecated)]
pub mod call_cases {
    include!("contract/call_cases.rs");
}
pub mod loopback;
#[path = "mock_server.rs"]
mod mock_server;
pub use mock_server::MockServer;
#[path = "redis_server.rs"]
pub mod redis_server;
pub use whapi_mock as prism;

use std::path::{Path, PathBuf};

/// A figure of a process's `/proc/<process>/status` in KiB (`VmHWM:` the
/// peak resident memory, `VmRSS:` the current one); `process` is a pid or
/// `self`. `None` where there is no such file or line.
pub fn proc_status_kib(process: &str, key: &str) -> Option<u64> {
    std::fs::read_to_string(format!("/proc/{process}/status"))
        .ok()?
        .lines()
        .find_map(|line| line.strip_prefix(key))
        .and_then(|v| v.split_whitespace().next()?.parse().ok())
}

/// Waits for a child process and collects its output, killing it and
/// failing (with what it wrote so far) past `limit`.
pub fn output_within(
    mut child: std::process::Child,
    limit: std::time::Duration,
) -> std::process::Output {
    use std::io::Read;
    let drain = |pipe: Option<Box<dyn Read + Send>>| {
        std::thread::spawn(move || {
            let mut bytes = Vec::new();
            if let Some(mut pipe) = pipe {
                let _ = pipe.read_to_end(&mut bytes);
            }
            bytes
        })
    };
    let stdout = drain(
        child
            .stdout
            .take()
            .map(|p| Box::new(p) as Box<dyn Read + Send>),
    );
    let stderr = drain(
        child
            .stderr
            .take()
            .map(|p| Box::new(p) as Box<dyn Read + Send>),
    );
    let started = std::time::Instant::now();
    let status = loop {
        if let Some(status) = child.try_wait().expect("waiting for a child") {
            break status;
        }
        if started.elapsed() > limit {
            let _ = child.kill();
            let _ = child.wait();
            let out = stdout.join().unwrap_or_default();
            panic!(
                "the child did not finish in {limit:?}; it wrote: {}",
                String::from_utf8_lossy(&out)
            );
        }
        std::thread::sleep(std::time::Duration::from_millis(20));
    };
    std::process::Output {
        status,
        stdout: stdout.join().unwrap_or_default(),
        stderr: stderr.join().unwrap_or_default(),
    }
}

/// The workspace root (the parent of this crate's folder).
pub fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .map(Path::to_path_buf)
        .unwrap_or_default()
}

/// Reads a file of the workspace, by its path relative to the root.
pub fn read(relative: &str) -> String {
    let path = workspace_root().join(relative);
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("reading {}: {e}", path.display()))
}

/// The vendored spec with the overlay applied (what the checked-in files
/// are generated from), loaded and checked as OpenAPI.
pub fn spec() -> serde_json::Value {
    let mut spec =
        whapi_gen::load_spec(&read(whapi_gen::paths::SPEC)).expect("the vendored spec loads");
    whapi_gen::overlay::apply(&mut spec, &read(whapi_gen::paths::OVERLAY))
        .expect("the overlay applies");
    spec
}

/// The options `cargo xtask regen` generates the checked-in files with:
/// the overlay on the vendored spec.
pub fn generation_options() -> whapi_gen::Options {
    whapi_gen::Options {
        overlay: Some(read(whapi_gen::paths::OVERLAY)),
        ..Default::default()
    }
}

/// The README's Rust examples, compiled as doctests so they cannot rot.
#[doc = include_str!("../README.md")]
#[cfg(doctest)]
pub struct ReadmeDoctests;
