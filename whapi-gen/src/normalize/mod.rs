//! Named rules that rewrite the spec before code generation.
//!
//! Each rule is one function with a doc comment saying what it fixes and
//! why, a unit test on a small inline fragment, and an entry in the
//! [`Report`] listing every place it changed. No rule drops an operation, a
//! parameter or a field. A rule that meets something it does not know how to
//! handle fails with [`GenError::Unhandled`] naming the place.

mod conform;
mod rules;

pub(crate) use rules::{sample_for, BOXED, ONE_OF};

use serde_json::Value;

use crate::GenError;

/// Which output a rule's rewrite reaches.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Phase {
    /// Fixes what the spec gets wrong about the service. Reaches both the
    /// normalized spec (served by mock servers) and the generated client.
    Spec,
    /// Works around what progenitor cannot take, where the spec itself is
    /// right (several request content types, say). Reaches only the generated
    /// client, so mock servers keep validating the service's real contract.
    Codegen,
}

/// A normalization rule: its name, why it exists, and the rewrite.
pub struct Rule {
    /// Short, stable name (shown in the report and in errors).
    pub name: &'static str,
    /// Which output the rewrite reaches.
    pub phase: Phase,
    /// One paragraph: what the spec says, why that does not work, what changes.
    pub why: &'static str,
    /// Rewrites the spec; returns one line per place changed.
    pub apply: fn(&mut Value) -> Result<Vec<String>, GenError>,
}

/// What one rule did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RuleOutcome {
    /// The rule's name.
    pub name: &'static str,
    /// Which output the rewrite reaches.
    pub phase: Phase,
    /// Why the rule exists.
    pub why: &'static str,
    /// One line per place changed (JSON pointer and detail).
    pub places: Vec<String>,
}

/// What normalization did, rule by rule, in the order the rules ran.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Report {
    /// Outcomes, one per rule.
    pub rules: Vec<RuleOutcome>,
}

impl Report {
    /// Total number of places changed by all rules.
    pub fn total(&self) -> usize {
        self.rules.iter().map(|r| r.places.len()).sum()
    }

    /// The outcome of the rule with this name.
    pub fn rule(&self, name: &str) -> Option<&RuleOutcome> {
        self.rules.iter().find(|r| r.name == name)
    }
}

/// All rules, in the order they run. Order matters where one rule's output
/// is another's input (e.g. string unions collapse before name collisions are
/// looked for).
pub fn rules() -> &'static [Rule] {
    rules::ALL
}

/// The spec after normalization, in its two forms.
#[derive(Debug, Clone)]
pub struct Normalized {
    /// After the [`Phase::Spec`] rules: the service's contract as it really
    /// is, for mock servers and readers (`spec/normalized.json`).
    pub spec: Value,
    /// After every rule: what progenitor generates the client from.
    pub codegen: Value,
    /// What each rule did.
    pub report: Report,
}

/// Applies every rule, the [`Phase::Spec`] ones first.
pub fn normalize(spec: Value) -> Result<Normalized, GenError> {
    normalize_with(spec, &crate::Options::default())
}

/// Applies every rule but those `options` skips.
pub fn normalize_with(spec: Value, options: &crate::Options) -> Result<Normalized, GenError> {
    let mut report = Report::default();
    let mut current = spec;
    let mut spec_phase = None;
    let wanted = |rule: &&Rule| !options.skip_rules.iter().any(|s| s == rule.name);
    for phase in [Phase::Spec, Phase::Codegen] {
        for rule in rules().iter().filter(|r| r.phase == phase).filter(wanted) {
            let places = (rule.apply)(&mut current)?;
            report.rules.push(RuleOutcome {
                name: rule.name,
                phase,
                why: rule.why,
                places,
            });
        }
        crate::to_openapi(&current)?;
        if phase == Phase::Spec {
            spec_phase = Some(current.clone());
        }
    }
    let spec = spec_phase.unwrap_or_else(|| current.clone());
    Ok(Normalized {
        spec,
        codegen: current,
        report,
    })
}
