//! `cargo +nightly fuzz run parse_webhook` (from `whapi-ext/`): any bytes
//! must parse or fail cleanly, and what parses must serialize back to the
//! same JSON text.
#![no_main]

use libfuzzer_sys::fuzz_target;
use whapi_ext::webhooks::WebhookEvent;

fuzz_target!(|data: &[u8]| {
    if let Ok(event) = WebhookEvent::parse(data) {
        let written = serde_json::to_string(&event).expect("a parsed event serializes");
        let read = std::str::from_utf8(data).expect("a parsed body is UTF-8");
        assert_eq!(written, read.trim());
    }
});
