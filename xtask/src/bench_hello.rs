//! What a user's first application costs to build: a hello world on
//! whapi-ext (one send, one group created, ids printed) against the same
//! application on teloxide 0.17 (rustls), both fetched from one registry
//! before either is timed, each built clean into a target folder of its
//! own, then rebuilt after an edit of its `main.rs`.

use std::path::{Path, PathBuf};
use std::time::Duration;

use crate::bench::cargo_in;

const WHAPI_MAIN: &str = r#"#[tokio::main]
async fn main() -> whapi_ext::Result<()> {
    let wa = whapi_ext::Whapi::from_env()?;
    let sent = wa.send_message_text("+1 (555) 010-0000", "hello").await?;
    println!("sent {}", sent.id());
    let group = wa.create_group("Hello", ["+1 555 010 0001"]).await?;
    println!("group {}", group.id());
    Ok(())
}
"#;

const TELOXIDE_MAIN: &str = r#"use teloxide::prelude::*;

#[tokio::main]
async fn main() -> Result<(), teloxide::RequestError> {
    let bot = Bot::from_env();
    let chat = ChatId(-1_001_234_567_890);
    let sent = bot.send_message(chat, "hello").await?;
    println!("sent {}", sent.id.0);
    let link = bot.create_chat_invite_link(chat).await?;
    println!("invite {}", link.invite_link);
    Ok(())
}
"#;

/// One application: its folder and what it depends on.
struct App {
    name: &'static str,
    dependencies: String,
    main: &'static str,
}

fn apps(root: &Path) -> [App; 2] {
    let tokio = r#"tokio = { version = "1", features = ["macros", "rt-multi-thread"] }"#;
    [
        App {
            name: "hello-whapi",
            dependencies: format!(
                "whapi-ext = {{ path = {:?} }}\n{tokio}\n",
                root.join("whapi-ext")
            ),
            main: WHAPI_MAIN,
        },
        App {
            name: "hello-teloxide",
            dependencies: format!(
                "teloxide = {{ version = \"0.17\", default-features = false, features = [\"rustls\", \"ctrlc_handler\"] }}\n{tokio}\n"
            ),
            main: TELOXIDE_MAIN,
        },
    ]
}

/// Edition 2024 resolves with the MSRV-aware resolver, as `cargo new` makes
/// an application today: teloxide 0.17 resolves `takecell` 0.1.1 then, as
/// 0.1.2 needs a newer rustc than these machines have.
fn write_app(dir: &Path, app: &App) -> Result<(), String> {
    std::fs::create_dir_all(dir.join("src")).map_err(|e| e.to_string())?;
    let manifest = format!(
        "[package]\nname = \"{}\"\nversion = \"0.0.0\"\nedition = \"2024\"\npublish = false\n\n[workspace]\n\n[dependencies]\n{}",
        app.name, app.dependencies
    );
    std::fs::write(dir.join("Cargo.toml"), manifest).map_err(|e| e.to_string())?;
    std::fs::write(dir.join("src/main.rs"), app.main).map_err(|e| e.to_string())
}

/// How many packages the application builds (itself included).
fn crates(dir: &Path) -> Result<usize, String> {
    let output = crate::cargo()
        .args(["tree", "--quiet", "--prefix", "none", "-e", "normal,build"])
        .current_dir(dir)
        .output()
        .map_err(|e| e.to_string())?;
    let text = String::from_utf8_lossy(&output.stdout);
    let unique: std::collections::BTreeSet<&str> = text
        .lines()
        .map(|l| l.trim_end_matches(" (*)").trim())
        .filter(|l| !l.is_empty())
        .collect();
    Ok(unique.len())
}

/// A clean debug build and a rebuild after an edit of `main.rs`.
struct Cost {
    clean: Duration,
    rebuild: Duration,
    crates: usize,
}

fn cost(dir: &Path, target: &Path) -> Result<Cost, String> {
    let _ = std::fs::remove_dir_all(target);
    let clean = cargo_in(dir, &["build", "--quiet"], target)?;
    let main = dir.join("src/main.rs");
    let text = std::fs::read_to_string(&main).map_err(|e| e.to_string())?;
    std::fs::write(&main, text.replace("hello", "hello again")).map_err(|e| e.to_string())?;
    let rebuild = cargo_in(dir, &["build", "--quiet"], target);
    std::fs::write(&main, text).map_err(|e| e.to_string())?;
    Ok(Cost {
        clean,
        rebuild: rebuild?,
        crates: crates(dir)?,
    })
}

/// Prints `hello_world_clean_build` and `hello_world_rebuild`, whapi-ext's
/// against teloxide's, each the median of `ROUNDS` rounds that alternate
/// which application goes first.
pub(crate) fn figures(root: &Path, bench_dir: &Path) -> Result<(), String> {
    const ROUNDS: usize = 3;
    let apps = apps(root);
    let dirs: Vec<PathBuf> = apps.iter().map(|a| bench_dir.join(a.name)).collect();
    for (app, dir) in apps.iter().zip(&dirs) {
        write_app(dir, app)?;
        // Resolve and download before any clock runs: both from the one
        // registry, neither timed fetching.
        cargo_in(dir, &["fetch", "--quiet"], &dir.join("target"))?;
    }
    let mut costs: [Vec<Cost>; 2] = [Vec::new(), Vec::new()];
    for round in 0..ROUNDS {
        let order: [usize; 2] = if round % 2 == 0 { [0, 1] } else { [1, 0] };
        for i in order {
            costs[i].push(cost(&dirs[i], &dirs[i].join("target"))?);
        }
    }
    let median = |costs: &[Cost], pick: fn(&Cost) -> Duration| {
        let mut values: Vec<Duration> = costs.iter().map(pick).collect();
        values.sort();
        values[values.len() / 2].as_secs_f64()
    };
    let (ours, theirs) = (&costs[0], &costs[1]);
    let clean = (median(ours, |c| c.clean), median(theirs, |c| c.clean));
    let rebuild = (median(ours, |c| c.rebuild), median(theirs, |c| c.rebuild));
    println!(
        "hello_world_clean_build: {:.1} s, {:.2}x teloxide 0.17's ({:.1} s; {} crates against {}) (goal <= 1.0x)",
        clean.0,
        clean.0 / clean.1,
        clean.1,
        ours[0].crates,
        theirs[0].crates
    );
    println!(
        "hello_world_rebuild: {:.2} s, {:.2}x teloxide 0.17's ({:.2} s) after an edit of main.rs (goal <= 1.0x)",
        rebuild.0,
        rebuild.0 / rebuild.1,
        rebuild.1
    );
    Ok(())
}
