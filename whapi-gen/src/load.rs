//! Reading the YAML spec.
//!
//! The spec is read into a `serde_json::Value` first: normalization rules walk
//! it generically and name each place they touch by its JSON pointer. The
//! value is then checked to be a well-formed [`openapiv3::OpenAPI`] document,
//! so a spec the generator cannot understand fails here, not halfway through.

use serde_json::Value;

use crate::GenError;

/// Parses YAML (or JSON, a YAML subset) into a JSON value and checks that it
/// is a valid OpenAPI 3.0 document.
pub fn load_spec(yaml: &str) -> Result<Value, GenError> {
    let value: Value = serde_yaml_ng::from_str(yaml).map_err(|e| GenError::Yaml(e.to_string()))?;
    to_openapi(&value)?;
    Ok(value)
}

/// Converts a JSON spec into the typed OpenAPI model progenitor takes.
pub fn to_openapi(value: &Value) -> Result<openapiv3::OpenAPI, GenError> {
    // Deserializing from a reference spares copying the whole document.
    use serde::Deserialize;
    openapiv3::OpenAPI::deserialize(value).map_err(|e| GenError::OpenApi(e.to_string()))
}
