//! The declared `rust-version` is honest: no dependency needs a newer Rust,
//! and CI builds the workspace with it.

use std::process::Command;

/// `1.88` → `[1, 88, 0]`, so that `1.88.0` and `1.88` compare equal.
fn parse(version: &str) -> [u64; 3] {
    let mut parts = version.split('.').map(|p| p.parse().unwrap_or(0));
    [
        parts.next().unwrap_or(0),
        parts.next().unwrap_or(0),
        parts.next().unwrap_or(0),
    ]
}

#[test]
fn versions_compare_by_number() {
    assert_eq!(parse("1.88"), parse("1.88.0"));
    assert!(parse("1.89") > parse("1.88.1"));
    assert!(parse("1.100") > parse("1.99"));
}

#[test]
fn no_dependency_needs_a_newer_rust_than_the_workspace_declares() {
    let output = Command::new(env!("CARGO"))
        .args(["metadata", "--format-version", "1", "--locked"])
        .current_dir(whapi_tests::workspace_root())
        .output()
        .expect("cargo metadata runs");
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let meta: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    let declared = meta["packages"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["name"] == "whapi-client")
        .and_then(|p| p["rust_version"].as_str())
        .expect("whapi-client declares rust-version")
        .to_string();
    let resolved: Vec<&str> = meta["resolve"]["nodes"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|n| n["id"].as_str())
        .collect();
    let too_new: Vec<String> = meta["packages"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|p| resolved.contains(&p["id"].as_str().unwrap_or_default()))
        .filter_map(|p| {
            Some((
                p["name"].as_str()?,
                p["version"].as_str()?,
                p["rust_version"].as_str()?,
            ))
        })
        .filter(|(_, _, needs)| parse(needs) > parse(&declared))
        .map(|(name, version, needs)| format!("{name} {version} needs {needs}"))
        .collect();
    assert!(
        too_new.is_empty(),
        "rust-version {declared} is too low: {too_new:?}"
    );
}

#[test]
fn everything_builds_with_the_declared_rust_version() {
    // The dependency check above cannot see our own code using newer Rust:
    // build the workspace with the toolchain `rust-version` names, as CI's
    // first step does (into the same folder, so after it this is quick).
    let manifest = whapi_tests::read("Cargo.toml");
    let declared = manifest
        .lines()
        .find_map(|l| l.strip_prefix("rust-version = \""))
        .and_then(|l| l.strip_suffix('"'))
        .expect("the workspace declares rust-version");
    let root = whapi_tests::workspace_root();
    let installed = Command::new("rustup")
        .args([
            "toolchain",
            "install",
            declared,
            "--profile",
            "minimal",
            "--no-self-update",
        ])
        .output()
        .expect("rustup runs");
    assert!(
        installed.status.success(),
        "installing Rust {declared}: {}",
        String::from_utf8_lossy(&installed.stderr)
    );
    let check = Command::new("cargo")
        .arg(format!("+{declared}"))
        .args([
            "check",
            "--workspace",
            "--all-targets",
            "--all-features",
            "--locked",
            "--quiet",
        ])
        .env("CARGO_TARGET_DIR", root.join("target/msrv"))
        // The toolchain's own cargo and rustc, not the ones running this test.
        .env_remove("RUSTC")
        .env_remove("CARGO")
        .env_remove("RUSTUP_TOOLCHAIN")
        .current_dir(&root)
        .output()
        .expect("cargo runs");
    assert!(
        check.status.success(),
        "the workspace does not build with Rust {declared}:\n{}",
        String::from_utf8_lossy(&check.stderr)
    );
}

/// The examples of whapi-ext, by name.
fn ext_examples() -> Vec<String> {
    let folder = whapi_tests::workspace_root().join("whapi-ext/examples");
    let mut names: Vec<String> = std::fs::read_dir(&folder)
        .expect("whapi-ext has examples")
        .filter_map(|entry| {
            let name = entry.ok()?.file_name().into_string().ok()?;
            name.strip_suffix(".rs").map(str::to_string)
        })
        .collect();
    names.sort();
    names
}

#[test]
fn ci_runs_every_example_of_whapi_ext_and_the_readme_lists_it() {
    let ci = whapi_tests::read(".ci/run");
    let readme = whapi_tests::read("README.md");
    let examples = ext_examples();
    assert!(examples.len() >= 5, "{examples:?}");
    for name in examples {
        let in_loop = ci.lines().any(|l| {
            l.starts_with("for example in ")
                && l.split_whitespace()
                    .any(|w| w.trim_end_matches(';') == name)
        });
        assert!(in_loop, ".ci/run does not run the example `{name}`");
        let shown = readme.lines().any(|l| {
            l.contains("cargo run -p whapi-ext ")
                && l.split_whitespace().any(|w| w.trim_matches('`') == name)
                && l.contains(&format!("--example {name}"))
        });
        assert!(
            shown,
            "README.md does not show how to run the whapi-ext example `{name}`"
        );
    }
}

#[test]
fn no_two_crates_share_an_example_name() {
    // Cargo writes every example to `target/<profile>/examples/<name>`: two
    // of one name overwrite each other (cargo issue 6313).
    let root = whapi_tests::workspace_root();
    let mut names: Vec<String> = Vec::new();
    for folder in ["whapi-client/examples", "whapi-ext/examples"] {
        for entry in std::fs::read_dir(root.join(folder)).expect("the folder exists") {
            let name = entry.expect("readable").file_name().into_string().unwrap();
            if let Some(stem) = name.strip_suffix(".rs") {
                names.push(stem.to_string());
            }
        }
    }
    let manifest = whapi_tests::read("tests/Cargo.toml");
    names.extend(
        manifest
            .lines()
            .filter_map(|l| l.strip_prefix("name = \""))
            .map(|n| n.trim_end_matches('"').to_string())
            .filter(|n| n != "whapi-tests"),
    );
    let mut sorted = names.clone();
    sorted.sort();
    sorted.dedup();
    assert_eq!(
        sorted.len(),
        names.len(),
        "an example name repeats: {names:?}"
    );
    assert!(names.iter().any(|n| n == "main_job"), "{names:?}");
}
