//! `cargo xtask test`: every test of the workspace, each under a time limit
//! that fails it by name, then the slowest of the run.
//!
//! The tests run under cargo-nextest (installed when missing), each in a
//! process of its own, with the limits of `.config/nextest.toml`; the doc
//! tests, which nextest does not run, under `cargo test --doc` with a limit
//! for the whole of them. What the tests need from outside Rust (node and
//! npm for Prism, `redis-server`) is checked first, and Prism installed, so
//! that npm's time counts against no test's limit.
//!
//! `cargo xtask test <nextest arguments>` passes them on (a filter such as
//! `-E 'test(inbox)'`) and skips the doc tests.

use std::path::{Path, PathBuf};
use std::process::{Command, ExitStatus, Stdio};
use std::time::{Duration, Instant};

use crate::{cargo, run_cargo};

/// The doc tests together: a few minutes on a slow machine.
const DOC_TESTS_LIMIT: Duration = Duration::from_secs(30 * 60);

/// How many of the slowest tests the run lists.
const SLOWEST: usize = 10;

/// What the tests run besides Rust, and how to install it on Debian.
const PREREQUISITES: [(&str, &str); 5] = [
    ("node", "nodejs"),
    ("npm", "npm"),
    ("redis-server", "redis-server"),
    ("faketime", "faketime"),
    ("openssl", "openssl"),
];

pub(crate) fn run(root: &Path, nextest_args: &[String]) -> Result<(), String> {
    let started = Instant::now();
    check_prerequisites()?;
    ensure_nextest(root)?;
    run_cargo(
        root,
        &[
            "run",
            "--locked",
            "--quiet",
            "-p",
            "whapi-mock",
            "--bin",
            "install-prism",
        ],
        "installing Prism failed".to_string(),
    )?;

    let mut failed = Vec::new();
    let nextest = cargo()
        .args(["nextest", "run", "--workspace", "--locked"])
        .args(nextest_args)
        .current_dir(root)
        .status()
        .map_err(|e| format!("running cargo nextest: {e}"))?;
    if !nextest.success() {
        failed.push("tests (cargo nextest run)".to_string());
    }
    if nextest_args.is_empty() {
        println!("\n==> doc tests (cargo test --workspace --doc)");
        match doc_tests(root)? {
            DocTests::Passed => {}
            DocTests::Failed => failed.push("doc tests".to_string()),
            DocTests::TimedOut => failed.push(format!(
                "doc tests: stopped after {} minutes",
                DOC_TESTS_LIMIT.as_secs() / 60
            )),
        }
    } else {
        println!("\n(doc tests skipped: a filtered run)");
    }

    print_slowest(&junit_path(root));
    println!(
        "\ncargo xtask test took {:.0} s",
        started.elapsed().as_secs_f64()
    );
    if failed.is_empty() {
        Ok(())
    } else {
        Err(format!("failed: {}", failed.join("; ")))
    }
}

/// Fails with the install command when a tool the tests run is missing.
fn check_prerequisites() -> Result<(), String> {
    let missing: Vec<(&str, &str)> = PREREQUISITES
        .into_iter()
        .filter(|(tool, _)| !answers_version(tool))
        .collect();
    if missing.is_empty() {
        return Ok(());
    }
    let tools: Vec<&str> = missing.iter().map(|(tool, _)| *tool).collect();
    let packages: Vec<&str> = missing.iter().map(|(_, package)| *package).collect();
    Err(format!(
        "the tests need {} (Prism runs on node and installs with npm; the stores' tests start a \
real redis-server; a fault test sets a process's wall clock with faketime; the TLS tests serve \
with openssl s_server): install them \
(Debian: `sudo apt-get install {}`) and run again",
        tools.join(", "),
        packages.join(" ")
    ))
}

fn answers_version(tool: &str) -> bool {
    // openssl's subcommand, the others' flag.
    let asked = if tool == "openssl" {
        "version"
    } else {
        "--version"
    };
    Command::new(tool)
        .arg(asked)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success())
}

/// Installs cargo-nextest from crates.io when cargo does not have it.
fn ensure_nextest(root: &Path) -> Result<(), String> {
    let found = cargo()
        .args(["nextest", "--version"])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success());
    if found {
        return Ok(());
    }
    println!("cargo-nextest is missing: installing it (cargo install cargo-nextest --locked)");
    run_cargo(
        root,
        &["install", "cargo-nextest", "--locked"],
        "installing cargo-nextest failed".to_string(),
    )
}

enum DocTests {
    Passed,
    Failed,
    TimedOut,
}

/// `cargo test --workspace --doc`, stopped (with every process it started)
/// once it runs past [`DOC_TESTS_LIMIT`].
fn doc_tests(root: &Path) -> Result<DocTests, String> {
    let mut command = cargo();
    command
        .args(["test", "--workspace", "--doc", "--locked"])
        .current_dir(root);
    #[cfg(unix)]
    std::os::unix::process::CommandExt::process_group(&mut command, 0);
    let mut child = command
        .spawn()
        .map_err(|e| format!("running cargo test --doc: {e}"))?;
    let started = Instant::now();
    let status: ExitStatus = loop {
        if let Some(status) = child.try_wait().map_err(|e| e.to_string())? {
            break status;
        }
        if started.elapsed() > DOC_TESTS_LIMIT {
            stop_group(&mut child);
            return Ok(DocTests::TimedOut);
        }
        std::thread::sleep(Duration::from_millis(200));
    };
    Ok(if status.success() {
        DocTests::Passed
    } else {
        DocTests::Failed
    })
}

/// Kills a child and the processes it started (its process group).
fn stop_group(child: &mut std::process::Child) {
    #[cfg(unix)]
    let _ = Command::new("kill")
        .args(["-KILL", &format!("-{}", child.id())])
        .status();
    let _ = child.kill();
    let _ = child.wait();
}

/// Where nextest writes the run's JUnit report (`.config/nextest.toml`).
fn junit_path(root: &Path) -> PathBuf {
    let target = std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| root.join("target"));
    target.join("nextest/default/junit.xml")
}

/// Prints the slowest tests of the run from its JUnit report.
fn print_slowest(junit: &Path) {
    let Ok(report) = std::fs::read_to_string(junit) else {
        println!(
            "\n(no JUnit report at {}: no slowest tests)",
            junit.display()
        );
        return;
    };
    let mut cases = test_times(&report);
    cases.sort_by(|a, b| b.1.total_cmp(&a.1));
    println!("\n==> the {SLOWEST} slowest tests");
    for (name, seconds) in cases.iter().take(SLOWEST) {
        println!("{seconds:>9.3} s  {name}");
    }
}

/// Each `<testcase>` of a JUnit report: `binary test`, seconds.
fn test_times(report: &str) -> Vec<(String, f64)> {
    report
        .split("<testcase ")
        .skip(1)
        .filter_map(|case| {
            let head = &case[..case.find('>')?];
            let seconds = attribute(head, "time")?.parse().ok()?;
            let name = format!(
                "{} {}",
                attribute(head, "classname").unwrap_or_default(),
                attribute(head, "name")?
            );
            Some((name, seconds))
        })
        .collect()
}

/// The value of `name="…"` in an element's head.
fn attribute<'a>(head: &'a str, name: &str) -> Option<&'a str> {
    let pattern = format!("{name}=\"");
    let (at, _) = head
        .match_indices(&pattern)
        .find(|(at, _)| *at == 0 || head.as_bytes()[at - 1] == b' ')?;
    let start = at + pattern.len();
    let length = head[start..].find('"')?;
    Some(&head[start..start + length])
}

#[cfg(test)]
mod tests {
    use super::test_times;

    #[test]
    fn test_times_reads_each_case_of_a_junit_report() {
        let report = r#"<testsuites><testsuite name="whapi-tests::it">
<testcase name="calls::a" classname="whapi-tests::it" timestamp="2026-12-07T14:00:00Z" time="1.5"></testcase>
<testcase name="b" classname="xtask::bin/xtask" time="0.25"><failure/></testcase>
</testsuite></testsuites>"#;
        assert_eq!(
            test_times(report),
            vec![
                ("whapi-tests::it calls::a".to_string(), 1.5),
                ("xtask::bin/xtask b".to_string(), 0.25)
            ]
        );
    }
}
