//! The operations of the API, as data: for tracing, metrics and tests.

/// One operation: the client method that calls it and where it goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Operation {
    /// The `Client` method, e.g. `get_chats` (also progenitor's
    /// `OperationInfo::operation_id`).
    pub name: &'static str,
    /// The spec's operationId, e.g. `getChats`.
    pub operation_id: &'static str,
    /// Upper-case HTTP method.
    pub method: &'static str,
    /// Path template, e.g. `/chats/{ChatID}`.
    pub path: &'static str,
    /// Whether sending it twice has the effect of sending it once, so that
    /// it may be sent again after a 502, 503 or 504 or a connection lost
    /// mid-way: reads, and the `PUT`s and `DELETE`s that set or remove a
    /// state; never a `POST` or `PATCH`, nor `copyStory` (a `PUT` that
    /// posts a story). `spec/NORMALIZATION.md` lists every exception to
    /// the method's rule.
    pub resend_safe: bool,
}

include!("operation_table.rs");

/// The operation whose client method is `name`.
pub fn operation(name: &str) -> Option<&'static Operation> {
    OPERATIONS
        .binary_search_by(|op| op.name.cmp(name))
        .ok()
        .map(|i| &OPERATIONS[i])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_operations_by_method_name() {
        let op = operation("send_message_text").expect("listed");
        assert_eq!(
            (op.operation_id, op.method, op.path),
            ("sendMessageText", "POST", "/messages/text")
        );
        assert!(operation("no_such_method").is_none());
        // The spec's 167 operations and the overlay's 22, and the JSON
        // forms of three raw uploads.
        assert_eq!(OPERATIONS.len(), 192);
        let ids: std::collections::BTreeSet<_> =
            OPERATIONS.iter().map(|op| op.operation_id).collect();
        assert_eq!(ids.len(), 189);
        assert_eq!(
            operation("upload_media_json").map(|op| op.operation_id),
            Some("uploadMedia")
        );
        assert!(operation("get_chats").is_some_and(|op| op.resend_safe));
        assert!(operation("star_message").is_some_and(|op| op.resend_safe));
        assert!(operation("copy_story").is_some_and(|op| !op.resend_safe));
        assert!(operation("send_message_text").is_some_and(|op| !op.resend_safe));
    }
}
