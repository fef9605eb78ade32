//! `pattern_examples`

use serde_json::Value;

use super::{Phase, Rule};
use crate::walk::for_each_object_mut;
use crate::GenError;

pub const RULE: Rule = Rule {
    name: "pattern_examples",
    phase: Phase::Spec,
    why: "Most id schemas have a `pattern` but no example (`ChatID`, `MediaID`, `GroupID`), so a \
mock server answers them with a placeholder (`\"string\"`) that breaks the pattern: every id it \
hands out is refused when passed back (`GET /chats/string/messages` is a 400), and a client cannot \
be tried on a chain of calls. Each string schema with a pattern and no example gets one that \
matches it, from a table of samples; a pattern without a sample fails generation.",
    apply: pattern_examples,
};

/// A value matching each of the spec's patterns. Chat ids are groups, so a
/// created group's id can be used as a group as well as a chat.
pub const PATTERN_SAMPLES: &[(&str, &str)] = &[
    ("^#[0-9a-fA-F]{6,8}$", "#FFAA00"),
    ("^[\\d-]{10,31}(@[\\w\\.]{1,})?$", "120363025343298765@g.us"),
    ("^[\\d-]{9,31}(@[\\w\\.]{1,})?$", "120363025343298765@g.us"),
    ("^[\\d-]{10,31}@[\\w\\.]{1,}$", "120363025343298765@g.us"),
    ("^([\\d]{7,15})?$", "15550100000"),
    ("^([\\d]{7,15})?(@lid|@s.whatsapp.net)?$", "15550100000"),
    ("^[\\d-]{10,31}@g\\.us$", "120363025343298765@g.us"),
    ("^[A-Za-z0-9]{14,22}$", "AbCdEfGhIjKlMnOp"),
    ("^([\\d]{1,2})?$", "1"),
    ("^[a-zA-Z0-9]+-[0-9a-fA-F-]+$", "jpeg-0123abcd"),
    (
        "^[A-Za-z0-9._]{4,30}-[A-Za-z0-9._]{4,14}(-[A-Za-z0-9._]{4,10})?(-[A-Za-z0-9._]{2,10})?$",
        "PsobWy36679._7w-wKmB9tMeGQ",
    ),
    // The overlay's `caller_by_lid`.
    (r"^\d{7,15}(@lid)?$", "15550100000"),
    // The overlay's `settings_fields` (`ignored_presences`) and `applicant_any_chat`.
    (
        r"^(?:0@(?:c\.us|s\.whatsapp\.net)|[\d-]{10,31}@[\w\.]{1,})$",
        "1234567891@s.whatsapp.net",
    ),
    // The overlay's `widened_proxy` and `mentions_by_lid`.
    (
        r"^socks5h?:\/\/(\S+):(\S+)@(((?:[0-9]{1,3}\.){3}[0-9]{1,3})|[a-zA-Z0-9.-]+):([0-9]{1,5})$|^$",
        "socks5://user:pass@127.0.0.1:1080",
    ),
    (
        r"^\d{7,15}(@(s\.whatsapp\.net|lid))?$|^\d{10,31}@g\.us$",
        "15550100000",
    ),
    // The overlay's `longer_message_id_segments`.
    (
        "^[A-Za-z0-9._]{4,30}-[A-Za-z0-9._]{4,30}(-[A-Za-z0-9._]{2,30})?(-[A-Za-z0-9._]{2,30})?$",
        "PsobWy36679._7w-wKmB9tMeGQ",
    ),
    ("^[\\d]{10,18}@newsletter$", "120363000000000000@newsletter"),
    ("^[A-Za-z0-9]{24}$", "AbCdEfGhIjKlMnOpQrStUvWx"),
    ("^([\\d]{10,18})?$", "1234567890123"),
    ("^(?:[a-zA-Z0-9]{28}|me)$", "me"),
    ("^\\d{7,15}(@s\\.whatsapp\\.net)?$|^\\d{10,31}@g\\.us$", "15550100000"),
    (
        "^socks5h?:\\/\\/([!-\\/:-@[-`{-~a-zA-Z0-9_-]+):([a-zA-Z0-9_-]+)@(((?:[0-9]{1,3}\\.){3}[0-9]{1,3})|[a-zA-Z0-9.]+):([0-9]{1,5})$|^$",
        "socks5://user:pass@127.0.0.1:1080",
    ),
];

/// The sample for `pattern`, if the table has one.
pub fn sample_for(pattern: &str) -> Option<&'static str> {
    PATTERN_SAMPLES
        .iter()
        .find(|(p, _)| *p == pattern)
        .map(|(_, sample)| *sample)
}

/// Gives every string schema with a pattern and no example one that matches.
fn pattern_examples(spec: &mut Value) -> Result<Vec<String>, GenError> {
    let mut places = Vec::new();
    let mut unknown = None;
    for_each_object_mut(spec, &mut |pointer, map| {
        let Some(pattern) = map.get("pattern").and_then(Value::as_str) else {
            return;
        };
        if map.get("type").is_some_and(|t| t != "string")
            || map.contains_key("example")
            || map.contains_key("examples")
        {
            return;
        }
        match sample_for(pattern) {
            Some(sample) => {
                map.insert("example".into(), Value::from(sample));
                places.push(format!("{pointer}: {sample}"));
            }
            None => {
                unknown.get_or_insert_with(|| (pointer.to_string(), pattern.to_string()));
            }
        }
    });
    match unknown {
        Some((at, pattern)) => Err(GenError::Unhandled {
            rule: RULE.name,
            at,
            what: format!(
                "no sample for the pattern `{pattern}`: add one to PATTERN_SAMPLES in \
whapi-gen/src/normalize/rules/pattern_examples.rs"
            ),
        }),
        None => Ok(places),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn patterned_strings_without_examples_get_a_matching_one() {
        let mut spec = json!({"components": {"schemas": {
            "MediaID": {"type": "string", "pattern": "^[a-zA-Z0-9]+-[0-9a-fA-F-]+$"},
            "Color": {"type": "string", "pattern": "^#[0-9a-fA-F]{6,8}$", "example": "#000000"},
            "Plain": {"type": "string"}}}});
        let places = pattern_examples(&mut spec).unwrap();
        assert_eq!(places, ["/components/schemas/MediaID: jpeg-0123abcd"]);
        let schemas = &spec["components"]["schemas"];
        assert_eq!(schemas["MediaID"]["example"], "jpeg-0123abcd");
        assert_eq!(
            schemas["Color"]["example"], "#000000",
            "the spec's own example stays"
        );
        assert!(schemas["Plain"].get("example").is_none());
    }

    #[test]
    fn a_pattern_without_a_sample_fails_with_where_it_is() {
        let mut spec = json!({"paths": {"/x": {"get": {"parameters": [
            {"name": "id", "in": "query", "schema": {"type": "string", "pattern": "^new$"}}]}}}});
        let error = pattern_examples(&mut spec).unwrap_err().to_string();
        assert!(error.contains("pattern_examples"), "{error}");
        assert!(
            error.contains("/paths/~1x/get/parameters/0/schema"),
            "{error}"
        );
        assert!(error.contains("^new$"), "{error}");
    }

    #[test]
    fn every_sample_matches_its_pattern() {
        for (pattern, sample) in PATTERN_SAMPLES {
            let regex = regex::Regex::new(&crate::normalize::conform::from_ecma(pattern))
                .expect("the pattern compiles");
            assert!(regex.is_match(sample), "{sample} against {pattern}");
            // What the rule is for: a mock's placeholder breaks every pattern.
            assert!(!regex.is_match("string"), "`string` matches {pattern}");
        }
    }
}
