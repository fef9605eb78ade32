//! `cargo xtask bench`: every performance figure, one line each, as a ratio
//! against a baseline measured in the same run.
//!
//! Build times come from throwaway crates under `target/xtask-bench/`, one per
//! variant of the generated client, sharing one target folder so that the
//! dependencies are built once: each variant is built, touched and built
//! again, and the second build is timed (the crate alone).

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use whapi_gen::Options;

/// A variant of the generated client to build.
struct Variant {
    name: &'static str,
    options: Options,
    extra_deps: &'static str,
    /// The body of the variant crate's `[features]`.
    features: &'static str,
}

fn variants() -> [Variant; 3] {
    [
        Variant {
            name: "shipped",
            options: Options::default(),
            extra_deps: "",
            features: "schemars = []\n",
        },
        Variant {
            name: "unshared",
            options: Options {
                skip_rules: vec![
                    "shared_inline_types".into(),
                    "no_client_side_patterns".into(),
                ],
                ..Options::default()
            },
            extra_deps: "regress = \"0.12\"\n",
            features: "schemars = []\n",
        },
        // The shipped code with its `schemars` feature on: every type of
        // `types` and the client's ids derive `JsonSchema`.
        Variant {
            name: "schemars",
            options: Options::default(),
            extra_deps: "schemars = { version = \"0.8\", optional = true }\n",
            features: "default = [\"schemars\"]\nschemars = [\"dep:schemars\"]\n",
        },
    ]
}

fn median(mut samples: Vec<Duration>) -> Duration {
    samples.sort();
    samples[samples.len() / 2]
}

fn time<T>(mut f: impl FnMut() -> Result<T, String>) -> Result<(Duration, T), String> {
    let started = Instant::now();
    let value = f()?;
    Ok((started.elapsed(), value))
}

/// The benchmark examples of `whapi-tests`.
const EXAMPLES: [&str; 7] = [
    "bench_overhead",
    "bench_pagination",
    "bench_webhooks",
    "bench_media",
    "bench_throttle",
    "bench_inbox",
    "bench_sandbox",
];

/// Runs every benchmark, or only the group `only` names (`regen`, `build`,
/// `hello` or an example), and prints one line per figure.
pub fn run(root: &Path, only: Option<&str>) -> Result<(), String> {
    if let Some(group) = only {
        if !["regen", "build", "hello"].contains(&group) && !EXAMPLES.contains(&group) {
            return Err(format!(
                "unknown benchmark `{group}`; groups: regen, build, hello, {}",
                EXAMPLES.join(", ")
            ));
        }
    }
    let wanted = |group: &str| only.is_none_or(|o| o == group);
    let yaml =
        std::fs::read_to_string(root.join(whapi_gen::paths::SPEC)).map_err(|e| e.to_string())?;
    let overlay =
        std::fs::read_to_string(root.join(whapi_gen::paths::OVERLAY)).map_err(|e| e.to_string())?;
    if wanted("regen") {
        regen_figures(&yaml, &overlay)?;
    }
    if wanted("build") {
        build_figures(root, &yaml)?;
    }
    if wanted("hello") {
        crate::bench_hello::figures(root, &root.join("target/xtask-bench"))?;
    }
    for example in EXAMPLES.into_iter().filter(|e| wanted(e)) {
        run_bench_example(root, example)?;
        if example == "bench_overhead" {
            instruction_figures(root)?;
        }
    }
    Ok(())
}

/// Instructions per request of a `Whapi` call and of the same request with
/// a bare `reqwest::Client`, counted by callgrind: the difference between
/// runs of 600 and 200 requests, so start-up cancels out.
fn instruction_figures(root: &Path) -> Result<(), String> {
    let binary = root.join("target/release/examples/bench_overhead");
    let count = |client: &str, n: usize| -> Result<u64, String> {
        let output = std::process::Command::new("valgrind")
            .args(["--tool=callgrind", "--callgrind-out-file=/dev/null"])
            .arg(&binary)
            .args(["count", client, &n.to_string()])
            .output()
            .map_err(|e| format!("valgrind (apt-get install valgrind): {e}"))?;
        let stderr = String::from_utf8_lossy(&output.stderr);
        if !output.status.success() {
            return Err(format!("callgrind of {client} failed: {stderr}"));
        }
        stderr
            .lines()
            .find_map(|l| l.split("Collected :").nth(1))
            .and_then(|n| n.trim().parse().ok())
            .ok_or_else(|| format!("no instruction count from callgrind: {stderr}"))
    };
    let per_request = |client: &str| -> Result<f64, String> {
        Ok((count(client, 600)? as f64 - count(client, 200)? as f64) / 400.0)
    };
    let (whapi, bare) = (per_request("whapi")?, per_request("bare")?);
    println!(
        "request_overhead_instructions: {:.3}x a bare reqwest::Client ({whapi:.0} vs {bare:.0} instructions per request, server included) (goal <= 1.05x)",
        whapi / bare
    );
    Ok(())
}

/// Runs a benchmark example of the `whapi-tests` crate in release mode; it
/// prints its own figure lines.
fn run_bench_example(root: &Path, example: &str) -> Result<(), String> {
    release_example(root, "run", example, &format!("benchmark {example} failed"))?;
    if example == "bench_sandbox" {
        main_job_figures(root)?;
    }
    Ok(())
}

/// The main job's time from `cargo run` to its last line (`done`) on a
/// warm build (the median of three), on the sandbox and on Prism
/// (`WHAPI_MOCK=prism`; there it skips the webhook step, which needs the
/// sandbox).
fn main_job_figures(root: &Path) -> Result<(), String> {
    use std::io::BufRead;
    let args = |verb| {
        [
            verb,
            "--quiet",
            "--release",
            "--locked",
            "-p",
            "whapi-tests",
            "--example",
            "main_job",
        ]
    };
    crate::run_cargo(root, &args("build"), "building the main job failed".into())?;
    let timed = |mock: &str| -> Result<Duration, String> {
        let mut samples = Vec::new();
        for _ in 0..3 {
            let started = Instant::now();
            let mut child = crate::cargo()
                .args(args("run"))
                .current_dir(root)
                .env_remove("WHAPI_TOKEN")
                .env("WHAPI_MOCK", mock)
                .stdout(std::process::Stdio::piped())
                .spawn()
                .map_err(|e| e.to_string())?;
            let out = child.stdout.take().ok_or("the main job's output")?;
            let mut last_line = None;
            for line in std::io::BufReader::new(out).lines() {
                if line.map_err(|e| e.to_string())? == "done" {
                    last_line = Some(started.elapsed());
                }
            }
            let status = child.wait().map_err(|e| e.to_string())?;
            match last_line {
                Some(took) if status.success() => samples.push(took),
                _ => return Err(format!("the main job failed (WHAPI_MOCK={mock})")),
            }
        }
        Ok(median(samples))
    };
    let sandbox = timed("")?;
    let prism = timed("prism")?;
    println!(
        "main_job_on_the_sandbox: {:.2} s from `cargo run` to its last line, warm build (goal: report)",
        sandbox.as_secs_f64()
    );
    println!(
        "main_job_on_prism: {:.2} s from `cargo run` to its last line, warm build, {:.1}x the sandbox's, without the webhook step (goal: report)",
        prism.as_secs_f64(),
        prism.as_secs_f64() / sandbox.as_secs_f64()
    );
    Ok(())
}

/// `cargo <verb>` of an example of `whapi-tests` in release mode.
fn release_example(root: &Path, verb: &str, example: &str, failure: &str) -> Result<(), String> {
    crate::run_cargo(
        root,
        &[
            verb,
            "--quiet",
            "--release",
            "--locked",
            "-p",
            "whapi-tests",
            "--example",
            example,
        ],
        failure.to_string(),
    )
}

/// The whole generation as `cargo xtask regen` runs it (the overlay
/// included), against progenitor alone on the normalized spec.
fn regen_figures(yaml: &str, overlay: &str) -> Result<(), String> {
    let mut whole = Vec::new();
    let mut bare = Vec::new();
    let mut progenitor = Vec::new();
    let options = Options {
        overlay: Some(overlay.to_string()),
        ..Options::default()
    };
    for _ in 0..3 {
        whole.push(
            time(|| whapi_gen::generate_all_with(yaml, &options).map_err(|e| e.to_string()))?.0,
        );
        bare.push(time(|| whapi_gen::generate_all(yaml).map_err(|e| e.to_string()))?.0);
        let spec = whapi_gen::normalize(whapi_gen::load_spec(yaml).map_err(|e| e.to_string())?)
            .map_err(|e| e.to_string())?;
        progenitor
            .push(time(|| whapi_gen::generate_client(&spec.codegen).map_err(|e| e.to_string()))?.0);
    }
    let (whole, bare, progenitor) = (median(whole), median(bare), median(progenitor));
    println!(
        "regen_wall_time: {:.2} s, {:.2}x progenitor+prettyplease alone (goal < 5 s, < 1.5x)",
        whole.as_secs_f64(),
        whole.as_secs_f64() / progenitor.as_secs_f64()
    );
    // The overlay adds operations: per operation is what it costs beyond them.
    let operations = |spec: &serde_json::Value| {
        let paths = spec.get("paths").and_then(|p| p.as_object());
        paths.map_or(0, |paths| {
            paths
                .values()
                .filter_map(|item| item.as_object())
                .flat_map(|item| item.values())
                .filter(|op| op.get("operationId").is_some())
                .count()
        }) as f64
    };
    let mut spec = whapi_gen::load_spec(yaml).map_err(|e| e.to_string())?;
    let without = operations(&spec);
    whapi_gen::overlay::apply(&mut spec, overlay).map_err(|e| e.to_string())?;
    let with = operations(&spec);
    println!(
        "regen_overlay_cost: {:.2}x the bare spec's regen ({:.2} s), {:.2}x per operation ({with} against {without}) (goal <= 1.05x)",
        whole.as_secs_f64() / bare.as_secs_f64(),
        bare.as_secs_f64(),
        (whole.as_secs_f64() / with) / (bare.as_secs_f64() / without),
    );
    Ok(())
}

fn build_figures(root: &Path, yaml: &str) -> Result<(), String> {
    let bench_dir = root.join("target/xtask-bench");
    let target = bench_dir.join("target");
    let _ = std::fs::remove_dir_all(&target);
    let mut lines = Vec::new();
    let mut alone = Vec::new();
    let mut clean = None;
    for variant in variants() {
        let dir = write_crate(root, &bench_dir, &variant, yaml)?;
        lines.push(
            std::fs::read_to_string(dir.join("src/generated.rs"))
                .map_err(|e| e.to_string())?
                .lines()
                .count(),
        );
        let first = cargo_build(&dir, &target)?;
        clean.get_or_insert(first);
        let lib = dir.join("src/lib.rs");
        let text = std::fs::read_to_string(&lib).map_err(|e| e.to_string())?;
        std::fs::write(&lib, format!("{text}\n")).map_err(|e| e.to_string())?;
        alone.push(cargo_build(&dir, &target)?);
    }
    let secs = |d: &Duration| d.as_secs_f64();
    println!(
        "generated_lines: {}, {:.2}x without shared_inline_types and no_client_side_patterns ({} lines) (goal < 1.0x)",
        lines[0],
        lines[0] as f64 / lines[1] as f64,
        lines[1]
    );
    println!(
        "client_debug_build_alone: {:.1} s, {:.2}x without shared_inline_types and no_client_side_patterns ({:.1} s) (goal < 1.0x)",
        secs(&alone[0]),
        secs(&alone[0]) / secs(&alone[1]),
        secs(&alone[1])
    );
    let clean = clean.unwrap_or_default();
    println!(
        "client_debug_build_with_deps: {:.1} s clean, {:.1}x the crate alone (goal: report)",
        secs(&clean),
        secs(&clean) / secs(&alone[0])
    );
    println!(
        "schemars_derive_build_cost: {:.2}x the build without JsonSchema derives ({:.1} s) (goal: derives stay off while > 1.1x)",
        secs(&alone[2]) / secs(&alone[0]),
        secs(&alone[2])
    );
    ext_build_figure(root, &bench_dir)
}

/// The commit of whapi-ext 0.1, the last before the calls of every
/// operation: the baseline of the crate's own build time.
const EXT_BASELINE: &str = "b73c231";

/// `whapi-ext`'s own debug build (the crate alone, its dependencies built)
/// against 0.1's, both built in this run into one target folder.
fn ext_build_figure(root: &Path, bench_dir: &Path) -> Result<(), String> {
    let old = bench_dir.join("ext-0.1");
    if !old.join("Cargo.toml").exists() {
        std::fs::create_dir_all(&old).map_err(|e| e.to_string())?;
        let archive = std::process::Command::new("git")
            .args(["archive", "--format=tar", EXT_BASELINE])
            .current_dir(root)
            .output()
            .map_err(|e| e.to_string())?;
        if !archive.status.success() {
            return Err(format!(
                "git archive {EXT_BASELINE}: {}",
                String::from_utf8_lossy(&archive.stderr)
            ));
        }
        let mut tar = std::process::Command::new("tar")
            .args(["-x", "-C"])
            .arg(&old)
            .stdin(std::process::Stdio::piped())
            .spawn()
            .map_err(|e| e.to_string())?;
        use std::io::Write;
        tar.stdin
            .take()
            .ok_or("tar has no stdin")?
            .write_all(&archive.stdout)
            .map_err(|e| e.to_string())?;
        tar.wait().map_err(|e| e.to_string())?;
    }
    let target = bench_dir.join("ext-target");
    let mut alone = Vec::new();
    for workspace in [&old, &root.to_path_buf()] {
        let build = || {
            time(|| {
                crate::cargo()
                    .args(["build", "--quiet", "--locked", "-p", "whapi-ext"])
                    .env("CARGO_TARGET_DIR", &target)
                    .env("CARGO_INCREMENTAL", "0")
                    .current_dir(workspace)
                    .output()
                    .map_err(|e| e.to_string())
            })
        };
        let (_, first) = build()?;
        if !first.status.success() {
            return Err(format!(
                "building whapi-ext in {}: {}",
                workspace.display(),
                String::from_utf8_lossy(&first.stderr)
            ));
        }
        // A newer modification time rebuilds the crate alone.
        std::fs::File::options()
            .write(true)
            .open(workspace.join("whapi-ext/src/lib.rs"))
            .and_then(|f| f.set_modified(std::time::SystemTime::now()))
            .map_err(|e| e.to_string())?;
        alone.push(build()?.0);
    }
    println!(
        "ext_debug_build_alone: {:.1} s, {:.2}x whapi-ext 0.1's ({:.1} s; now 189 operations, then 41 builders) (goal <= 1.5x)",
        alone[1].as_secs_f64(),
        alone[1].as_secs_f64() / alone[0].as_secs_f64(),
        alone[0].as_secs_f64()
    );
    Ok(())
}

/// Writes a standalone crate holding the variant's generated client next to
/// whapi-client's hand-written modules.
fn write_crate(
    root: &Path,
    bench_dir: &Path,
    variant: &Variant,
    yaml: &str,
) -> Result<PathBuf, String> {
    let dir = bench_dir.join(variant.name);
    let src = dir.join("src");
    std::fs::create_dir_all(&src).map_err(|e| e.to_string())?;
    let write = |path: PathBuf, text: &str| {
        std::fs::write(&path, text).map_err(|e| format!("{}: {e}", path.display()))
    };
    let client_src = root.join("whapi-client/src");
    for entry in std::fs::read_dir(&client_src).map_err(|e| e.to_string())? {
        let path = entry.map_err(|e| e.to_string())?.path();
        let name = path.file_name().unwrap_or_default().to_owned();
        std::fs::copy(&path, src.join(name)).map_err(|e| format!("{}: {e}", path.display()))?;
    }
    // The accessors and constructors name the shipped variant's types; the
    // variants compare generated code, so every variant leaves them out.
    let lib = src.join("lib.rs");
    let text = std::fs::read_to_string(&lib).map_err(|e| e.to_string())?;
    let text: String = text
        .lines()
        .filter(|l| !matches!(l.trim(), "mod answers;" | "mod values;"))
        .map(|l| format!("{l}\n"))
        .collect();
    write(lib, &text)?;
    // Each variant on the spec as `cargo xtask regen` sees it: the overlay on.
    let overlay =
        std::fs::read_to_string(root.join(whapi_gen::paths::OVERLAY)).map_err(|e| e.to_string())?;
    let options = Options {
        overlay: Some(overlay),
        ..variant.options.clone()
    };
    for file in whapi_gen::generate_all_with(yaml, &options).map_err(|e| e.to_string())? {
        if let Some(name) = file.path.strip_prefix("whapi-client/src/") {
            write(src.join(name), &file.contents)?;
        }
    }
    let manifest = format!(
        "[package]\nname = \"whapi-client-{name}\"\nversion = \"0.0.0\"\nedition = \"2021\"\npublish = false\n\n[workspace]\n\n[features]\n{features}\n\
         [dependencies]\nbytes = \"1\"\nprogenitor-client = \"0.15.1\"\nreqwest = {{ version = \"0.13.4\", default-features = false, features = [\"json\", \"query\", \"stream\", \"rustls\", \"multipart\"] }}\n\
         serde = {{ version = \"1\", features = [\"derive\"] }}\nserde_json = \"1\"\n{extra}",
        name = variant.name,
        extra = variant.extra_deps,
        features = variant.features
    );
    write(dir.join("Cargo.toml"), &manifest)?;
    std::fs::copy(root.join("Cargo.lock"), dir.join("Cargo.lock")).map_err(|e| e.to_string())?;
    Ok(dir)
}

fn cargo_build(dir: &Path, target: &Path) -> Result<Duration, String> {
    cargo_in(dir, &["build", "--quiet"], target)
}

/// Runs cargo with `args` in `dir`, building into `target` without
/// incremental compilation; how long it took, or the end of what it said.
pub(crate) fn cargo_in(dir: &Path, args: &[&str], target: &Path) -> Result<Duration, String> {
    let (elapsed, output) = time(|| {
        crate::cargo()
            .args(args)
            .env("CARGO_TARGET_DIR", target)
            .env("CARGO_INCREMENTAL", "0")
            .current_dir(dir)
            .output()
            .map_err(|e| e.to_string())
    })?;
    if !output.status.success() {
        let stderr = String::from_utf8_lossy(&output.stderr);
        let tail: Vec<&str> = stderr
            .lines()
            .rev()
            .take(20)
            .collect::<Vec<_>>()
            .into_iter()
            .rev()
            .collect();
        return Err(format!(
            "cargo {} in {} failed:\n{}",
            args.join(" "),
            dir.display(),
            tail.join("\n")
        ));
    }
    Ok(elapsed)
}
