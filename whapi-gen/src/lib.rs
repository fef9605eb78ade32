//! Generator for `whapi-client`, the low-level Rust client of the Whapi.Cloud
//! WhatsApp API.
//!
//! The pipeline is `load → normalize → generate`:
//! - [`load_spec`] reads the vendored YAML spec;
//! - [`normalize()`] applies named, counted rules that fix what progenitor
//!   cannot take or what the live service contradicts, and writes a [`Report`];
//! - [`generate_client`] runs progenitor on the normalized spec and formats
//!   the output with prettyplease, byte-for-byte deterministically.
//!
//! [`generate_all`] runs the whole pipeline and returns every file that
//! `cargo xtask regen` writes.

#![deny(missing_docs)]

mod accessors;
mod call_hooks;
mod calls;
mod contract;
mod error;
mod generate;
mod id_errors;
pub mod inventory;
mod json_forms;
mod lean_requests;
mod lenient_fields;
mod load;
mod multipart_sends;
pub mod normalize;
pub mod overlay;
mod raw_client;
mod record_decoders;
mod report;
mod resend;
mod sandbox_spec;
mod schemars_feature;
mod walk;

pub use error::GenError;
pub use generate::generate_client;
pub use load::{load_spec, to_openapi};
pub use normalize::normalize_with;
pub use normalize::{normalize, Normalized, Phase, Report, RuleOutcome};

/// Paths, relative to the workspace root, of the files the generator writes.
pub mod paths {
    /// The vendored spec, never edited.
    pub const SPEC: &str = "spec/whapi-1.8.7.yaml";
    /// The overlay on it: what the live service takes beyond spec 1.8.7.
    pub const OVERLAY: &str = "spec/overlay.yaml";
    /// The spec after normalization, as JSON (usable by mock servers).
    pub const NORMALIZED: &str = "spec/normalized.json";
    /// The normalization report.
    pub const REPORT: &str = "spec/NORMALIZATION.md";
    /// The generated client module.
    pub const CLIENT: &str = "whapi-client/src/generated.rs";
    /// The generated cases of the contract suite.
    pub const CONTRACT_CASES: &str = "tests/contract/cases.rs";
    /// The generated cases of `whapi-ext`'s calls, for the contract suite and
    /// the wire test.
    pub const CALL_CASES: &str = "tests/contract/call_cases.rs";
    /// The generated calls of `whapi-ext`: a method on `Whapi` per operation.
    pub const CALLS: &str = "whapi-ext/src/calls/generated.rs";
    /// The generated accessors that read answers in one step.
    pub const ACCESSORS: &str = "whapi-client/src/accessors.rs";
    /// The generated table of operations (name, operationId, method, path).
    pub const OPERATION_TABLE: &str = "whapi-client/src/operation_table.rs";
    /// The spec the sandbox embeds: the normalized one without its prose.
    pub const SANDBOX_SPEC: &str = "whapi-ext/src/sandbox/spec.json";
}

/// The spec's object of the operation at `method` (upper case) and `path`,
/// or `null`.
pub(crate) fn spec_operation<'a>(
    spec: &'a serde_json::Value,
    method: &str,
    path: &str,
) -> &'a serde_json::Value {
    &spec["paths"][path][method.to_ascii_lowercase()]
}

/// One output file: where it goes and what it holds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OutputFile {
    /// Path relative to the workspace root.
    pub path: &'static str,
    /// Full contents.
    pub contents: String,
}

/// Variants of the pipeline, for benchmarks that compare them. The checked-in
/// client is generated with `Options::default()`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Options {
    /// Rules to leave out, by name.
    pub skip_rules: Vec<String>,
    /// Extra derives for every generated type, e.g. `schemars::JsonSchema`.
    pub derives: Vec<String>,
    /// The overlay to apply to the spec before the rules (the YAML text of
    /// `spec/overlay.yaml`); `None` generates from the bare spec.
    pub overlay: Option<String>,
}

/// Runs the whole pipeline on the spec's YAML text and returns the files to
/// write, in a fixed order: generated client, operation table, normalized
/// spec, report.
pub fn generate_all(spec_yaml: &str) -> Result<Vec<OutputFile>, GenError> {
    generate_all_with(spec_yaml, &Options::default())
}

/// [`generate_all`] with non-default [`Options`].
pub fn generate_all_with(spec_yaml: &str, options: &Options) -> Result<Vec<OutputFile>, GenError> {
    let mut spec = load_spec(spec_yaml)?;
    let overlaid = match &options.overlay {
        Some(overlay) => overlay::apply(&mut spec, overlay)?,
        None => Vec::new(),
    };
    let normalized = normalize::normalize_with(spec, options)?;
    let (file, reached) = generate::generate_file(&normalized.codegen, options)?;
    let (rows, twins) = inventory::inventory_of_file(&file, &normalized.spec);
    let client = generate::render(&file);
    let expected = json_forms::twins(&normalized.codegen).len();
    if twins.len() != expected {
        return Err(GenError::Progenitor(format!(
            "{} of {expected} JSON-form twins have a row in the operation table",
            twins.len()
        )));
    }
    let mut table_rows = rows.clone();
    table_rows.extend(twins);
    let table = generate::operation_table(&table_rows, &normalized.spec)?;
    let accessors = accessors::generate(&file, &reached, &normalized.spec)?;
    let plans = calls::plans(&normalized.spec, &file, &rows)?;
    let calls = calls::generate_calls(&normalized.spec, &plans)?;
    let call_cases = contract::generate_call_cases(&normalized.spec, &plans)?;
    let cases = contract::generate_cases(&normalized.spec, &rows, &file)?;
    let mut report = report::render(&normalized.report, &overlaid);
    let decisions: Vec<(&str, &str, &str, resend::Resend)> = rows
        .iter()
        .map(|row| {
            let operation = spec_operation(&normalized.spec, &row.method, &row.path);
            let decided = resend::resend(&row.operation_id, &row.method, operation);
            (
                row.operation_id.as_str(),
                row.method.as_str(),
                row.path.as_str(),
                decided,
            )
        })
        .collect();
    report.push_str(&resend::report(&decisions));
    let sandbox_spec = sandbox_spec::render(&normalized.spec)?;
    let mut spec = serde_json::to_string_pretty(&normalized.spec)
        .map_err(|e| GenError::OpenApi(e.to_string()))?;
    spec.push('\n');
    Ok(vec![
        OutputFile {
            path: paths::CLIENT,
            contents: client,
        },
        OutputFile {
            path: paths::OPERATION_TABLE,
            contents: table,
        },
        OutputFile {
            path: paths::ACCESSORS,
            contents: accessors,
        },
        OutputFile {
            path: paths::CALLS,
            contents: calls,
        },
        OutputFile {
            path: paths::CONTRACT_CASES,
            contents: cases,
        },
        OutputFile {
            path: paths::CALL_CASES,
            contents: call_cases,
        },
        OutputFile {
            path: paths::NORMALIZED,
            contents: spec,
        },
        OutputFile {
            path: paths::SANDBOX_SPEC,
            contents: sandbox_spec,
        },
        OutputFile {
            path: paths::REPORT,
            contents: report,
        },
    ])
}
