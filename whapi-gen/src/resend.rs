//! Which operations a client may send again after a failure that leaves it
//! unknown whether the service acted (a 502, 503 or 504, a connection lost
//! mid-way), decided per operation from the spec rather than by its method
//! alone: `PUT /stories/{MessageID}` (copyStory) posts a story each time.
//!
//! The decision goes into the operation table (`Operation::resend_safe`),
//! which `whapi-ext`'s retries read, and each operation whose decision
//! differs from its method's is listed with its reason in the report.

use std::fmt::Write;

use serde_json::Value;

/// Whether an operation may be sent again, and why.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Resend {
    /// Sending it twice has the effect of sending it once.
    pub safe: bool,
    /// Why, in a few words.
    pub reason: &'static str,
}

/// Operations whose effect the spec's shape does not tell, by operationId:
/// none today. An entry overrides the rules below.
const BY_OPERATION: &[(&str, Resend)] = &[];

/// The decision for an operation of `method` (upper case) whose spec
/// object is `operation`.
pub fn resend(operation_id: &str, method: &str, operation: &Value) -> Resend {
    if let Some((_, decided)) = BY_OPERATION.iter().find(|(id, _)| *id == operation_id) {
        return *decided;
    }
    let creates = operation
        .get("responses")
        .and_then(Value::as_object)
        .is_some_and(|responses| responses.contains_key("201"));
    match method {
        "GET" | "HEAD" | "OPTIONS" => Resend {
            safe: true,
            reason: "reads",
        },
        "PUT" | "DELETE" if creates => Resend {
            safe: false,
            reason: "answers 201 Created: each call creates something anew",
        },
        "PUT" | "DELETE" => Resend {
            safe: true,
            reason: "sets or removes a state: twice has the effect of once",
        },
        _ => Resend {
            safe: false,
            reason: "sends or creates something each time",
        },
    }
}

/// Whether `method` alone would allow a resend (HTTP's idempotent methods).
fn method_allows(method: &str) -> bool {
    matches!(method, "GET" | "HEAD" | "OPTIONS" | "PUT" | "DELETE")
}

/// The report's section: how many operations each rule decided, and every
/// operation decided against its method, with the reason.
pub fn report(operations: &[(&str, &str, &str, Resend)]) -> String {
    let safe = operations.iter().filter(|(.., r)| r.safe).count();
    let mut out = format!(
        "\n## Resending after an unknown outcome ({} operations)\n\n\
         After a 502, 503 or 504, or a connection lost mid-way, the service may have acted: \
         `whapi-ext` retries only the operations for which sending twice has the effect of \
         sending once (`Operation::resend_safe`, decided by `whapi-gen/src/resend.rs`). A 429 and \
         a connection never made are retried for every operation.\n\n\
         | decision | operations |\n|---|---|\n| may be resent | {safe} |\n| never resent | {} |\n\n\
         Decided against their method:\n\n",
        operations.len(),
        operations.len() - safe,
    );
    let mut exceptions = 0;
    for (id, method, path, decided) in operations {
        if decided.safe != method_allows(method) {
            exceptions += 1;
            let verdict = if decided.safe {
                "may be resent"
            } else {
                "never resent"
            };
            let _ = writeln!(
                out,
                "- `{id}` ({method} `{path}`): {verdict}; {}",
                decided.reason
            );
        }
    }
    if exceptions == 0 {
        out.push_str("- none\n");
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn a_put_that_answers_201_is_never_resent() {
        let copy = json!({"responses": {"201": {}, "400": {}}});
        assert!(!resend("copyStory", "PUT", &copy).safe);
        let set = json!({"responses": {"200": {}}});
        assert!(resend("starMessage", "PUT", &set).safe);
        assert!(resend("deleteChat", "DELETE", &set).safe);
    }

    #[test]
    fn reads_are_resent_and_sends_are_not() {
        let ok = json!({"responses": {"200": {}}});
        assert!(resend("getChats", "GET", &ok).safe);
        assert!(!resend("sendMessageText", "POST", &ok).safe);
        assert!(!resend("patchChat", "PATCH", &ok).safe);
    }

    #[test]
    fn the_report_lists_each_decision_against_the_method() {
        let copy = Resend {
            safe: false,
            reason: "answers 201 Created: each call creates something anew",
        };
        let read = Resend {
            safe: true,
            reason: "reads",
        };
        let report = report(&[
            ("copyStory", "PUT", "/stories/{MessageID}", copy),
            ("getChats", "GET", "/chats", read),
        ]);
        assert!(report.contains("| may be resent | 1 |"), "{report}");
        assert!(
            report
                .contains("- `copyStory` (PUT `/stories/{MessageID}`): never resent; answers 201"),
            "{report}"
        );
        assert!(!report.contains("`getChats`"), "{report}");
    }
}
