//! Checking that a webhook request comes from Whapi.
//!
//! Whapi sends the custom headers configured for a webhook with every call
//! (`Settings.webhooks[].headers`). Configure a secret there, and check it
//! here. The check compares SHA-256 digests in constant time, so its timing
//! reveals neither the secret's bytes nor its length.

use std::fmt;

use reqwest::header::{HeaderMap, HeaderName, HeaderValue};
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

/// Why a webhook request was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum VerifyError {
    /// The header is not there.
    #[error("the webhook request lacks the `{0}` header")]
    Missing(String),
    /// The header holds another value.
    #[error("the webhook request's `{0}` header does not match")]
    Mismatch(String),
}

/// Checks one configured header of incoming webhook requests.
///
/// ```
/// use whapi_ext::webhooks::WebhookVerifier;
///
/// let verifier = WebhookVerifier::new("x-webhook-secret", "s3cr3t")?;
/// // In your own tests: the headers a genuine request carries.
/// assert!(verifier.verify(&verifier.test_headers()).is_ok());
/// assert!(verifier.verify(&Default::default()).is_err());
/// # Ok::<(), whapi_ext::Error>(())
/// ```
#[derive(Clone)]
pub struct WebhookVerifier {
    name: HeaderName,
    expected: HeaderValue,
}

impl fmt::Debug for WebhookVerifier {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("WebhookVerifier")
            .field("header", &self.name)
            .field("expected", &"<redacted>")
            .finish()
    }
}

impl WebhookVerifier {
    /// Expects `header: value` on every request.
    pub fn new(header: &str, value: &str) -> crate::Result<Self> {
        let name = HeaderName::from_bytes(header.as_bytes()).map_err(|_| {
            crate::Error::invalid("header", format!("`{header}` is not a valid header name"))
        })?;
        let mut expected = HeaderValue::from_str(value).map_err(|_| {
            crate::Error::invalid("value", "the value holds characters a header cannot carry")
        })?;
        if value.is_empty() {
            return Err(crate::Error::invalid("value", "must not be empty"));
        }
        expected.set_sensitive(true);
        Ok(Self { name, expected })
    }

    /// The header name checked.
    pub fn header(&self) -> &HeaderName {
        &self.name
    }

    /// Accepts the request when its header holds the expected value.
    pub fn verify(&self, headers: &HeaderMap) -> Result<(), VerifyError> {
        let got = headers
            .get(&self.name)
            .ok_or_else(|| VerifyError::Missing(self.name.to_string()))?;
        let (got, expected) = (
            Sha256::digest(got.as_bytes()),
            Sha256::digest(self.expected.as_bytes()),
        );
        if bool::from(got.as_slice().ct_eq(expected.as_slice())) {
            Ok(())
        } else {
            Err(VerifyError::Mismatch(self.name.to_string()))
        }
    }

    /// The headers of a genuine request, for tests of your own handlers.
    pub fn test_headers(&self) -> HeaderMap {
        let mut headers = HeaderMap::new();
        headers.insert(self.name.clone(), self.expected.clone());
        headers
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_the_value_and_refuses_others() {
        let v = WebhookVerifier::new("X-Webhook-Secret", "s3cr3t").unwrap();
        assert_eq!(v.verify(&v.test_headers()), Ok(()));
        let mut wrong = HeaderMap::new();
        wrong.insert("x-webhook-secret", HeaderValue::from_static("s3cr3T"));
        assert_eq!(
            v.verify(&wrong),
            Err(VerifyError::Mismatch("x-webhook-secret".into()))
        );
        wrong.insert(
            "x-webhook-secret",
            HeaderValue::from_static("s3cr3t-and-more"),
        );
        assert!(
            v.verify(&wrong).is_err(),
            "a longer value with the right prefix"
        );
        assert_eq!(
            v.verify(&HeaderMap::new()),
            Err(VerifyError::Missing("x-webhook-secret".into()))
        );
    }

    #[test]
    fn refuses_bad_configuration_and_hides_the_secret() {
        assert!(WebhookVerifier::new("bad header", "x").is_err());
        assert!(WebhookVerifier::new("x-secret", "").is_err());
        assert!(WebhookVerifier::new("x-secret", "line\nbreak").is_err());
        let v = WebhookVerifier::new("x-secret", "s3cr3t").unwrap();
        assert!(!format!("{v:?}").contains("s3cr3t"));
    }
}
