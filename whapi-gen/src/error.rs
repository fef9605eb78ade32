//! The generator's error type.

/// Why generation failed. Each message says what and where.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum GenError {
    /// The spec is not valid YAML.
    #[error("spec is not valid YAML: {0}")]
    Yaml(String),
    /// The spec is YAML but not a valid OpenAPI 3.0 document.
    #[error("spec is not a valid OpenAPI 3.0 document: {0}")]
    OpenApi(String),
    /// The spec holds something no normalization rule knows how to handle.
    #[error("rule `{rule}` cannot handle {at}: {what}")]
    Unhandled {
        /// The rule that found it.
        rule: &'static str,
        /// JSON pointer into the spec.
        at: String,
        /// What it found.
        what: String,
    },
    /// An action of the overlay cannot be applied (or matches nothing).
    #[error("overlay action `{action}`: {what}")]
    Overlay {
        /// The action's name (`x-whapi-name`).
        action: String,
        /// What went wrong.
        what: String,
    },
    /// progenitor rejected the normalized spec.
    #[error("progenitor failed: {0}")]
    Progenitor(String),
    /// progenitor's output is not valid Rust.
    #[error("generated code does not parse: {0}")]
    Syntax(String),
}
