//! Installs Prism into the workspace's cache unless it is there: `cargo
//! xtask test` runs it before the tests, so that npm's time counts against
//! no test's time limit.

fn main() -> Result<(), whapi_mock::MockError> {
    whapi_mock::ensure_installed()?;
    println!("Prism {} is installed", whapi_mock::PRISM_VERSION);
    Ok(())
}
