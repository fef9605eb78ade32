//! The vendored spec is the source document, byte for byte.

use sha2::{Digest, Sha256};

/// sha256 of `../shared/spec/whapi-1.8.7.yaml`, the Whapi.Cloud 1.8.7 spec.
const SPEC_SHA256: &str = "f81fae656250dcb505660c16db144120f679548436a5ade7c9ab554277b05134";

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

#[test]
fn vendored_spec_has_the_source_documents_sha256() {
    let path = whapi_tests::workspace_root().join(whapi_gen::paths::SPEC);
    let bytes = std::fs::read(&path).expect("spec is vendored");
    assert_eq!(
        hex(&Sha256::digest(&bytes)),
        SPEC_SHA256,
        "{} was edited",
        path.display()
    );
}

#[test]
fn vendored_spec_equals_the_shared_copy() {
    // The shared folder sits beside the project in CI and development.
    let path = whapi_tests::workspace_root().join("../shared/spec/whapi-1.8.7.yaml");
    let shared = std::fs::read(&path).unwrap_or_else(|e| {
        panic!(
            "{}: {e}; the project expects ../shared beside it",
            path.display()
        )
    });
    let vendored =
        std::fs::read(whapi_tests::workspace_root().join(whapi_gen::paths::SPEC)).unwrap();
    assert!(
        vendored == shared,
        "spec/whapi-1.8.7.yaml differs from ../shared/spec/whapi-1.8.7.yaml"
    );
}

#[test]
fn the_mock_serves_the_normalized_spec_that_whapi_gen_writes() {
    assert_eq!(
        whapi_mock::normalized_spec(),
        whapi_tests::workspace_root().join(whapi_gen::paths::NORMALIZED)
    );
    assert!(whapi_mock::normalized_spec().is_file());
}
