//! How the generated operations read a JSON answer: what progenitor's
//! `ResponseValue::from_response` does, but moving the answer's headers out
//! instead of copying them (a header map's allocations on every call).

use progenitor_client::{Error, ResponseValue};
use serde::de::DeserializeOwned;

/// The answer's status and headers, and its body decoded as `T`.
pub(crate) async fn json<T: DeserializeOwned, E>(
    mut response: reqwest::Response,
) -> Result<ResponseValue<T>, Error<E>> {
    let status = response.status();
    let headers = std::mem::take(response.headers_mut());
    let body = response.bytes().await.map_err(Error::ResponseBodyError)?;
    match serde_json::from_slice(&body) {
        Ok(value) => Ok(ResponseValue::new(value, status, headers)),
        Err(e) => Err(Error::InvalidResponsePayload(body, e)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn answer(body: &'static str) -> reqwest::Response {
        http::Response::builder()
            .status(201)
            .header("x-request-id", "42")
            .body(body)
            .unwrap()
            .into()
    }

    #[tokio::test]
    async fn keeps_the_status_and_headers_with_the_value() {
        let value: ResponseValue<serde_json::Value> =
            json::<_, ()>(answer(r#"{"id":"a"}"#)).await.unwrap();
        assert_eq!(value.status(), 201);
        assert_eq!(value.headers()["x-request-id"], "42");
        assert_eq!(value.into_inner()["id"], "a");
    }

    #[tokio::test]
    async fn a_body_that_is_not_the_type_keeps_its_bytes() {
        let error = json::<u32, ()>(answer("not json")).await.unwrap_err();
        assert!(
            matches!(&error, Error::InvalidResponsePayload(body, _) if body.as_ref() == b"not json"),
            "{error:?}"
        );
    }
}
