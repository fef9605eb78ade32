//! Workspace tasks. Run as `cargo xtask <task>`:
//!
//! - `regen`: regenerate the client, the normalized spec and the report;
//! - `check`: regenerate in memory and fail if any checked-in file differs;
//! - `bench`: print every performance figure (`bench regen`, `bench build`
//!   or `bench <example>`, e.g. `bench bench_overhead`, for one group);
//! - `contract`: run the contract suite against Prism;
//! - `test`: every test of the workspace, each under a time limit, and the
//!   slowest of them (`test <nextest arguments>` for some of them).

use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Instant;

mod bench;
mod bench_hello;
mod drift;
mod test;

fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .map(Path::to_path_buf)
        .unwrap_or_default()
}

fn generate(root: &Path) -> Result<Vec<whapi_gen::OutputFile>, String> {
    let spec_path = root.join(whapi_gen::paths::SPEC);
    let yaml = std::fs::read_to_string(&spec_path)
        .map_err(|e| format!("reading {}: {e}", spec_path.display()))?;
    let overlay_path = root.join(whapi_gen::paths::OVERLAY);
    let overlay = std::fs::read_to_string(&overlay_path)
        .map_err(|e| format!("reading {}: {e}", overlay_path.display()))?;
    let options = whapi_gen::Options {
        overlay: Some(overlay),
        ..Default::default()
    };
    whapi_gen::generate_all_with(&yaml, &options).map_err(|e| e.to_string())
}

fn regen(root: &Path) -> Result<(), String> {
    let started = Instant::now();
    for file in generate(root)? {
        let path = root.join(file.path);
        let unchanged = std::fs::read_to_string(&path).is_ok_and(|old| old == file.contents);
        if !unchanged {
            std::fs::write(&path, &file.contents)
                .map_err(|e| format!("writing {}: {e}", path.display()))?;
        }
        println!(
            "{} {}",
            if unchanged { "unchanged" } else { "wrote    " },
            file.path
        );
    }
    println!("regen took {:.2} s", started.elapsed().as_secs_f64());
    Ok(())
}

fn check(root: &Path) -> Result<(), String> {
    let mut drifted = 0;
    for file in generate(root)? {
        let on_disk = std::fs::read_to_string(root.join(file.path)).unwrap_or_default();
        if let Some(summary) = drift::summarize(file.path, &on_disk, &file.contents) {
            eprintln!("{summary}");
            drifted += 1;
        }
    }
    if drifted > 0 {
        return Err(format!("{drifted} generated file(s) differ from a fresh generation: run `cargo xtask regen` and commit"));
    }
    println!("generated files are up to date");
    Ok(())
}

/// The cargo that runs this xtask (`CARGO`), else the one on the path.
pub(crate) fn cargo() -> std::process::Command {
    std::process::Command::new(std::env::var("CARGO").unwrap_or_else(|_| "cargo".into()))
}

/// Runs cargo with `args` in the workspace; `failure` says what failed.
pub(crate) fn run_cargo(root: &Path, args: &[&str], failure: String) -> Result<(), String> {
    let status = cargo()
        .args(args)
        .current_dir(root)
        .status()
        .map_err(|e| e.to_string())?;
    status.success().then_some(()).ok_or(failure)
}

/// Runs the contract suite alone, printing its table, under the time limit
/// of `.config/nextest.toml`.
fn contract(root: &Path) -> Result<(), String> {
    run_cargo(
        root,
        &[
            "nextest",
            "run",
            "--locked",
            "-p",
            "whapi-tests",
            "--test",
            "contract",
            "--no-capture",
        ],
        "the contract suite failed".to_string(),
    )
}

fn main() -> ExitCode {
    let root = workspace_root();
    let task = std::env::args().nth(1).unwrap_or_default();
    let result = match task.as_str() {
        "regen" => regen(&root),
        "check" => check(&root),
        "bench" => bench::run(&root, std::env::args().nth(2).as_deref()),
        "contract" => contract(&root),
        "test" => test::run(&root, &std::env::args().skip(2).collect::<Vec<_>>()),
        _ => Err(format!(
            "unknown task `{task}`; tasks: regen, check, bench, contract, test"
        )),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("xtask: {message}");
            ExitCode::FAILURE
        }
    }
}
