//! How every example connects: to Whapi when `WHAPI_TOKEN` is set, else to
//! the sandbox (with the `sandbox` feature: a stateful local Whapi in this
//! process), else to a local spec-validating mock (Prism, installed with
//! npm on first use) that the example starts and stops itself.

// Each example uses part of this module.
#![allow(dead_code)]

use whapi_ext::Whapi;
use whapi_mock::Prism;

/// What `main` returns on failure.
pub type Failure = Box<dyn std::error::Error + Send + Sync>;

/// A real 192×192 PNG (a green disc), for sends and group icons.
pub const PNG: &[u8] = include_bytes!("../assets/icon.png");

/// Phone numbers the mock accepts as recipients.
pub const MOCK_RECIPIENTS: [&str; 2] = ["15550100000", "15550100001"];

/// Where an example talks to, and whom it may message.
pub struct Session {
    /// The configured client.
    pub wa: Whapi,
    /// Whom to message: `WHAPI_TO` against the real service (nothing is sent
    /// to anyone without it), a sample number on the mock.
    pub to: Option<String>,
    /// Whether this is local (the sandbox or the mock), not the service.
    pub mock: bool,
    /// The sandbox, when the session runs on it.
    #[cfg(feature = "sandbox")]
    pub sandbox: Option<whapi_ext::sandbox::Sandbox>,
    // Keeps the mock running until the session is dropped.
    _prism: Option<Prism>,
}

impl Session {
    /// Whether the session runs on the sandbox, which pages for real (the
    /// mock repeats one example page).
    pub fn on_sandbox(&self) -> bool {
        #[cfg(feature = "sandbox")]
        return self.sandbox.is_some();
        #[cfg(not(feature = "sandbox"))]
        return false;
    }
}

/// Connects to Whapi with `WHAPI_TOKEN` (and optional `WHAPI_BASE_URL`,
/// `WHAPI_TO`), else to a freshly started sandbox or mock, and says which.
pub async fn connect() -> Result<Session, Failure> {
    if std::env::var("WHAPI_TOKEN").is_ok_and(|t| !t.trim().is_empty()) {
        let wa = Whapi::from_env()?;
        println!("WHAPI_TOKEN is set: talking to {}", shown(wa.base_url()));
        let to = std::env::var("WHAPI_TO").ok().filter(|t| !t.is_empty());
        if to.is_none() {
            println!("WHAPI_TO is not set: nothing will be sent to anyone");
        }
        return Ok(Session {
            wa,
            to,
            mock: false,
            #[cfg(feature = "sandbox")]
            sandbox: None,
            _prism: None,
        });
    }
    #[cfg(feature = "sandbox")]
    {
        let sandbox = whapi_ext::sandbox::Sandbox::start().await?;
        println!(
            "WHAPI_TOKEN is not set: talking to the local sandbox at {}",
            sandbox.url()
        );
        Ok(Session {
            wa: sandbox.client(),
            to: Some(MOCK_RECIPIENTS[0].to_string()),
            mock: true,
            sandbox: Some(sandbox),
            _prism: None,
        })
    }
    #[cfg(not(feature = "sandbox"))]
    on_prism()
}

/// A freshly started Prism, answering from the spec (the examples without
/// the `sandbox` feature, and the main job with `WHAPI_MOCK=prism`).
pub fn on_prism() -> Result<Session, Failure> {
    let prism = Prism::try_start(false)?;
    println!(
        "talking to a local spec-validating mock (Prism) at {}",
        prism.url
    );
    let wa = Whapi::builder()
        .token("mock-token")
        .base_url(&prism.url)
        .build()?;
    Ok(Session {
        wa,
        to: Some(MOCK_RECIPIENTS[0].to_string()),
        mock: true,
        #[cfg(feature = "sandbox")]
        sandbox: None,
        _prism: Some(prism),
    })
}

/// A URL without the credentials it may carry (`https://user:pass@…`).
fn shown(url: &str) -> String {
    match reqwest::Url::parse(url) {
        Ok(mut url) => {
            let _ = url.set_username("");
            let _ = url.set_password(None);
            url.to_string()
        }
        Err(_) => "the configured base URL".to_string(),
    }
}

/// An SQLite file in the temporary folder, removed (with its WAL) when
/// dropped.
pub struct TempFile(pub std::path::PathBuf);

impl TempFile {
    pub fn new(name: &str) -> Self {
        Self(std::env::temp_dir().join(format!("{name}-{}.db", std::process::id())))
    }
}

impl Drop for TempFile {
    fn drop(&mut self) {
        for suffix in ["", "-wal", "-shm"] {
            let mut path = self.0.clone().into_os_string();
            path.push(suffix);
            let _ = std::fs::remove_file(path);
        }
    }
}
