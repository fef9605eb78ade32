//! The spec's limits on a value, and what breaks them.

use std::collections::HashMap;
use std::sync::{Mutex, OnceLock};

/// A limit from the spec: the kinds its request schemas use (a kind the
/// generator meets and this enum lacks stops the build, to be added here).
#[derive(Debug, Clone, Copy)]
pub(crate) enum Limit {
    MinLength(u64),
    MaxLength(u64),
    Minimum(f64),
    Maximum(f64),
    MinItems(u64),
    MaxItems(u64),
    Pattern(&'static str),
}

/// Why a text breaks one of `limits`, if it does.
pub(crate) fn text(value: &str, limits: &[Limit]) -> Option<String> {
    let chars = value.chars().count() as u64;
    limits.iter().find_map(|limit| match *limit {
        Limit::MinLength(n) if chars < n => {
            Some(format!("must hold at least {n} characters, holds {chars}"))
        }
        Limit::MaxLength(n) if chars > n => {
            Some(format!("must hold at most {n} characters, holds {chars}"))
        }
        Limit::Pattern(pattern) if !matches(pattern, value) => {
            Some(format!("`{value}` does not match `{pattern}`"))
        }
        _ => None,
    })
}

/// Why a number breaks one of `limits`, if it does.
pub(crate) fn number(value: f64, limits: &[Limit]) -> Option<String> {
    if !value.is_finite() {
        return Some(format!("{value} is not a finite number"));
    }
    limits.iter().find_map(|limit| match *limit {
        Limit::Minimum(n) if value < n => Some(format!("must be at least {n}, is {value}")),
        Limit::Maximum(n) if value > n => Some(format!("must be at most {n}, is {value}")),
        _ => None,
    })
}

/// Why a list of `count` items breaks one of `limits`, if it does.
pub(crate) fn items(count: usize, limits: &[Limit]) -> Option<String> {
    let count = count as u64;
    limits.iter().find_map(|limit| match *limit {
        Limit::MinItems(n) if count < n => {
            Some(format!("must hold at least {n} items, holds {count}"))
        }
        Limit::MaxItems(n) if count > n => {
            Some(format!("must hold at most {n} items, holds {count}"))
        }
        _ => None,
    })
}

/// Whether `value` matches the spec's `pattern`; each pattern is compiled
/// once. A pattern the engine cannot take checks nothing (the server still
/// does).
fn matches(pattern: &'static str, value: &str) -> bool {
    static COMPILED: OnceLock<Mutex<HashMap<&'static str, Option<regex_lite::Regex>>>> =
        OnceLock::new();
    let mut compiled = COMPILED
        .get_or_init(Default::default)
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner());
    compiled
        .entry(pattern)
        .or_insert_with(|| regex_lite::Regex::new(pattern).ok())
        .as_ref()
        .is_none_or(|re| re.is_match(value))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn limits_name_what_they_expect() {
        assert_eq!(
            items(3, &[Limit::MaxItems(2)]).as_deref(),
            Some("must hold at most 2 items, holds 3")
        );
        assert_eq!(items(2, &[Limit::MaxItems(2)]), None);
        assert!(number(61.0, &[Limit::Maximum(60.0)]).is_some());
        assert!(number(f64::NAN, &[]).is_some());
        assert!(text("", &[Limit::MinLength(1)]).is_some());
        assert!(text("abcd", &[Limit::MaxLength(3)]).is_some());
        assert_eq!(
            text("hé", &[Limit::MinLength(2)]),
            None,
            "characters, not bytes"
        );
    }

    #[test]
    fn patterns_are_checked() {
        let color = [Limit::Pattern("^#[0-9a-fA-F]{6}$")];
        assert_eq!(text("#00ff00", &color), None);
        assert!(text("green", &color).unwrap().contains("does not match"));
    }
}
