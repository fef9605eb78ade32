//! `cargo +nightly fuzz run parse_webhook` (from `whapi-ext/`): any bytes
//! must parse or fail cleanly, and what parses must serialize back to the
//! same JSON.
#![no_main]

use libfuzzer_sys::fuzz_target;
use whapi_ext::webhooks::WebhookEvent;

fuzz_target!(|data: &[u8]| {
    if let Ok(event) = WebhookEvent::parse(data) {
        let written = serde_json::to_value(&event).expect("a parsed event serializes");
        let read: serde_json::Value = serde_json::from_slice(data).expect("a parsed body is JSON");
        assert_eq!(written, read);
    }
});
