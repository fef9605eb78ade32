//! The overlay on the vendored spec (`spec/overlay.yaml`, in the OpenAPI
//! Overlay 1.0 format): what the live service takes beyond spec 1.8.7,
//! applied after loading the spec and before the normalize rules.
//!
//! Each action names itself (`x-whapi-name`), says where its facts come
//! from in its `description` (repository, file, commit), selects its
//! targets with an RFC 9535 JSONPath, and either merges `update` into each
//! target (objects merge key by key, a list takes the update's items at its
//! end, anything else is replaced) or removes the targets (`remove: true`).
//! An action that matches nothing fails the generation with its name: the
//! spec it was written for has changed under it.

use serde::Deserialize;
use serde_json::Value;
use serde_json_path::JsonPath;

use crate::GenError;

/// An overlay document.
#[derive(Debug, Deserialize)]
struct Document {
    overlay: String,
    #[serde(default)]
    actions: Vec<Action>,
}

/// One action of the overlay.
#[derive(Debug, Deserialize)]
struct Action {
    #[serde(rename = "x-whapi-name")]
    name: String,
    target: String,
    #[serde(default)]
    description: String,
    #[serde(default)]
    update: Option<Value>,
    #[serde(default)]
    remove: bool,
}

/// What one action did: its name, its description, and the JSON pointer of
/// each place it changed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ActionOutcome {
    /// The action's `x-whapi-name`.
    pub name: String,
    /// Its `description`, naming the source.
    pub description: String,
    /// JSON pointers of the targets it changed.
    pub places: Vec<String>,
}

fn failed(action: &str, what: impl Into<String>) -> GenError {
    GenError::Overlay {
        action: action.to_string(),
        what: what.into(),
    }
}

/// Applies the overlay `yaml` to `spec`, action by action, in order.
pub fn apply(spec: &mut Value, yaml: &str) -> Result<Vec<ActionOutcome>, GenError> {
    let document: Document =
        serde_yaml_ng::from_str(yaml).map_err(|e| failed("(document)", e.to_string()))?;
    if !document.overlay.starts_with("1.") {
        return Err(failed(
            "(document)",
            format!("overlay version {} is not 1.x", document.overlay),
        ));
    }
    let mut outcomes = Vec::new();
    for action in &document.actions {
        outcomes.push(apply_action(spec, action)?);
    }
    Ok(outcomes)
}

fn apply_action(spec: &mut Value, action: &Action) -> Result<ActionOutcome, GenError> {
    let name = action.name.as_str();
    if !action.description.contains("commit") {
        return Err(failed(
            name,
            "its description must name its source: repository, file and commit",
        ));
    }
    if action.remove == action.update.is_some() {
        return Err(failed(name, "an action either updates or removes"));
    }
    let path = JsonPath::parse(&action.target)
        .map_err(|e| failed(name, format!("target `{}`: {e}", action.target)))?;
    let places: Vec<String> = path
        .query_located(spec)
        .locations()
        .map(|location| location.to_json_pointer())
        .collect();
    if places.is_empty() {
        return Err(failed(
            name,
            format!("its target `{}` matches nothing in the spec", action.target),
        ));
    }
    if let Some(update) = &action.update {
        for place in &places {
            if let Some(target) = spec.pointer_mut(place) {
                merge(target, update);
            }
        }
    } else {
        // The last first, so that removing an item of a list does not move
        // the ones still to remove.
        for place in places.iter().rev() {
            remove(spec, place);
        }
    }
    Ok(ActionOutcome {
        name: action.name.clone(),
        description: action.description.clone(),
        places,
    })
}

/// Merges `update` into `target` as the Overlay format says.
fn merge(target: &mut Value, update: &Value) {
    match (target, update) {
        (Value::Object(target), Value::Object(update)) => {
            for (key, value) in update {
                match target.get_mut(key) {
                    Some(existing) => merge(existing, value),
                    None => {
                        target.insert(key.clone(), value.clone());
                    }
                }
            }
        }
        (Value::Array(target), Value::Array(update)) => target.extend(update.iter().cloned()),
        (Value::Array(target), update) => target.push(update.clone()),
        (target, update) => *target = update.clone(),
    }
}

/// Removes the value at the JSON pointer `place`.
fn remove(spec: &mut Value, place: &str) {
    let Some((parent, last)) = place.rsplit_once('/') else {
        return;
    };
    let key = last.replace("~1", "/").replace("~0", "~");
    match spec.pointer_mut(parent) {
        Some(Value::Object(map)) => {
            map.remove(&key);
        }
        Some(Value::Array(items)) => {
            if let Ok(index) = key.parse::<usize>() {
                if index < items.len() {
                    items.remove(index);
                }
            }
        }
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn spec() -> Value {
        json!({
            "components": {
                "parameters": {"role": {"name": "user role", "in": "query"}},
                "schemas": {
                    "Webhook": {"properties": {"url": {"type": "string"}}, "required": ["url"]},
                    "Old": {"type": "string"}
                }
            }
        })
    }

    const SOURCE: &str = "Whapi-Cloud/whapi-mcp, B_manifest.json, commit 4d76797";

    fn overlay(actions: &str) -> String {
        format!("overlay: 1.0.0\ninfo: {{title: t, version: '1'}}\nactions:\n{actions}")
    }

    #[test]
    fn updates_merge_and_removals_remove_each_counted() {
        let mut spec = spec();
        let yaml = overlay(&format!(
            "- x-whapi-name: rename\n  target: $.components.parameters.role\n  description: {SOURCE}\n  update: {{name: user_role}}\n\
             - x-whapi-name: fields\n  target: $.components.schemas.Webhook\n  description: {SOURCE}\n  update: {{properties: {{age: {{type: number}}}}, required: [age]}}\n\
             - x-whapi-name: drop\n  target: $.components.schemas.Old\n  description: {SOURCE}\n  remove: true\n"
        ));
        let outcomes = apply(&mut spec, &yaml).unwrap();
        assert_eq!(
            outcomes
                .iter()
                .map(|o| (o.name.as_str(), o.places.len()))
                .collect::<Vec<_>>(),
            [("rename", 1), ("fields", 1), ("drop", 1)]
        );
        assert_eq!(outcomes[0].places, ["/components/parameters/role"]);
        assert_eq!(
            spec.pointer("/components/parameters/role/name"),
            Some(&json!("user_role"))
        );
        assert_eq!(
            spec.pointer("/components/schemas/Webhook"),
            Some(
                &json!({"properties": {"url": {"type": "string"}, "age": {"type": "number"}}, "required": ["url", "age"]})
            )
        );
        assert!(spec.pointer("/components/schemas/Old").is_none());
    }

    #[test]
    fn an_action_that_matches_nothing_fails_with_its_name() {
        let yaml = overlay(&format!(
            "- x-whapi-name: gone\n  target: $.components.schemas.Missing\n  description: {SOURCE}\n  update: {{type: string}}\n"
        ));
        let error = apply(&mut spec(), &yaml).unwrap_err().to_string();
        assert!(
            error.contains("`gone`") && error.contains("matches nothing"),
            "{error}"
        );
    }

    #[test]
    fn an_action_without_its_source_or_with_a_bad_target_is_refused() {
        let unsourced = overlay(
            "- x-whapi-name: vague\n  target: $.components\n  description: trust me\n  update: {}\n",
        );
        let error = apply(&mut spec(), &unsourced).unwrap_err().to_string();
        assert!(
            error.contains("`vague`") && error.contains("source"),
            "{error}"
        );
        let bad = overlay(&format!(
            "- x-whapi-name: bad\n  target: components[\n  description: {SOURCE}\n  update: {{}}\n"
        ));
        let error = apply(&mut spec(), &bad).unwrap_err().to_string();
        assert!(
            error.contains("`bad`") && error.contains("target"),
            "{error}"
        );
        let both = overlay(&format!(
            "- x-whapi-name: both\n  target: $.components\n  description: {SOURCE}\n  update: {{}}\n  remove: true\n"
        ));
        assert!(apply(&mut spec(), &both).is_err());
    }
}
