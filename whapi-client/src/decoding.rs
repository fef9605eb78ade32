//! How the generated operations read a JSON answer: what progenitor's
//! `ResponseValue::from_response` does, but moving the answer's headers out
//! instead of copying them (a header map's allocations on every call), and
//! reading the body chunk by chunk: reqwest's `bytes()` future is over half
//! a kilobyte, and every operation's future holds this one.

use bytes::{Bytes, BytesMut};
use progenitor_client::{Error, ResponseValue};
use serde::de::DeserializeOwned;

/// The answer's status and headers, and its body decoded as `T`.
pub(crate) async fn json<T: DeserializeOwned, E>(
    mut response: reqwest::Response,
) -> Result<ResponseValue<T>, Error<E>> {
    let status = response.status();
    let headers = std::mem::take(response.headers_mut());
    let body = whole_body(&mut response)
        .await
        .map_err(Error::ResponseBodyError)?;
    // An empty body is JSON's `null`: an answer kept as JSON
    // (`UndocumentedAnswer`) reads it, a record still refuses it.
    let text: &[u8] = if body.trim_ascii().is_empty() {
        b"null"
    } else {
        &body
    };
    match serde_json::from_slice(text) {
        Ok(value) => Ok(ResponseValue::new(value, status, headers)),
        Err(e) => Err(Error::InvalidResponsePayload(body, e)),
    }
}

/// The body in one piece: a small answer's one chunk as it came, larger
/// ones joined.
async fn whole_body(response: &mut reqwest::Response) -> reqwest::Result<Bytes> {
    let Some(first) = response.chunk().await? else {
        return Ok(Bytes::new());
    };
    let Some(second) = response.chunk().await? else {
        return Ok(first);
    };
    // What the server says is left, trusted up to a mebibyte: a false
    // length must not make one huge allocation.
    let left = response.content_length().unwrap_or(0).min(1 << 20) as usize;
    let mut joined = BytesMut::with_capacity(first.len() + second.len() + left);
    joined.extend_from_slice(&first);
    joined.extend_from_slice(&second);
    while let Some(next) = response.chunk().await? {
        joined.extend_from_slice(&next);
    }
    Ok(joined.freeze())
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
    async fn a_body_in_many_chunks_is_read_whole() {
        let chunks = ["{\"id\":", "\"a\"", ",\"n\":1", "}"].map(Ok::<_, std::io::Error>);
        let body = reqwest::Body::wrap_stream(futures_util::stream::iter(chunks));
        let response: reqwest::Response = http::Response::new(body).into();
        let value: ResponseValue<serde_json::Value> = json::<_, ()>(response).await.unwrap();
        assert_eq!(value.into_inner(), serde_json::json!({"id": "a", "n": 1}));
    }

    #[tokio::test]
    async fn an_empty_body_is_null_which_only_a_json_answer_reads() {
        let value = json::<serde_json::Value, ()>(answer("")).await.unwrap();
        assert_eq!(value.into_inner(), serde_json::Value::Null);
        #[derive(serde::Deserialize, Debug)]
        struct Record {
            #[allow(dead_code)]
            id: Option<String>,
        }
        let error = json::<Record, ()>(answer(" ")).await.unwrap_err();
        assert!(
            matches!(&error, Error::InvalidResponsePayload(body, _) if body.as_ref() == b" "),
            "{error:?}"
        );
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
