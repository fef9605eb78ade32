//! The sandbox as a program, for tools and languages other than Rust:
//! a stateful local Whapi on 127.0.0.1.
//!
//! `whapi-sandbox [--port 8080] [--token TOKEN] [--channel ID] [--add-channel ID=TOKEN]…`
//!
//! Requests carry `Authorization: Bearer <token>` (default
//! `sandbox-token`), which names their channel; `/_sandbox/…` injects
//! messages and faults and tells what was sent (see `whapi_ext::sandbox`).

use std::io::Write;
use std::process::ExitCode;

use whapi_ext::sandbox::Sandbox;

const USAGE: &str =
    "usage: whapi-sandbox [--port 8080] [--token TOKEN] [--channel ID] [--add-channel ID=TOKEN]...";

fn main() -> ExitCode {
    match run() {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("whapi-sandbox: {error}");
            ExitCode::FAILURE
        }
    }
}

fn run() -> Result<(), String> {
    let mut builder = Sandbox::builder().port(8080);
    let mut args = std::env::args().skip(1);
    let mut custom_token = false;
    while let Some(flag) = args.next() {
        let mut value = || {
            args.next()
                .ok_or_else(|| format!("{flag} needs a value\n{USAGE}"))
        };
        builder = match flag.as_str() {
            "--port" => builder.port(value()?.parse().map_err(|e| format!("--port: {e}"))?),
            "--token" => {
                custom_token = true;
                builder.token(value()?)
            }
            "--channel" => builder.channel_id(value()?),
            "--add-channel" => {
                let pair = value()?;
                let (id, token) = pair.split_once('=').ok_or_else(|| {
                    format!("--add-channel takes ID=TOKEN, not `{pair}`\n{USAGE}")
                })?;
                builder.add_channel(id, token)
            }
            "--help" | "-h" => {
                println!("{USAGE}");
                return Ok(());
            }
            other => return Err(format!("unknown argument `{other}`\n{USAGE}")),
        };
    }
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| e.to_string())?;
    runtime.block_on(async {
        let sandbox = builder.start().await.map_err(|e| e.to_string())?;
        let token = if custom_token {
            "the one given"
        } else {
            "sandbox-token"
        };
        // Whoever started it may stop reading its output: that is no
        // reason to stop serving.
        let mut out = std::io::stdout();
        let _ = writeln!(
            out,
            "whapi sandbox listening on {} (bearer token: {token})",
            sandbox.url()
        );
        let _ = writeln!(
            out,
            "{} operations emulated; {} more answer the spec's examples (GET /_sandbox/operations lists them)",
            whapi_ext::sandbox::emulated_operations().len(),
            whapi_ext::sandbox::example_operations().len()
        );
        let _ = out.flush();
        std::future::pending::<()>().await;
        Ok(())
    })
}
