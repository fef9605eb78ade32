//! Media uploads and downloads against an in-process mock: the exact bytes
//! and headers the server receives, and downloads compared byte for byte.

use std::path::PathBuf;
use std::sync::atomic::{AtomicUsize, Ordering};

use serde_json::json;
use whapi_ext::ids::MediaId;
use whapi_ext::media::MediaSource;
use whapi_ext::Error;
use whapi_tests::MockServer;
use wiremock::matchers::{method, path};
use wiremock::{Mock, Request, ResponseTemplate};

use crate::whapi;

/// A fresh path in the system's temporary folder.
fn temp_path(name: &str) -> PathBuf {
    static NEXT: AtomicUsize = AtomicUsize::new(0);
    let dir = std::env::temp_dir().join(format!(
        "whapi-media-{}-{}",
        std::process::id(),
        NEXT.fetch_add(1, Ordering::Relaxed)
    ));
    std::fs::create_dir_all(&dir).unwrap();
    dir.join(name)
}

async fn upload_server() -> MockServer {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/media"))
        .respond_with(
            ResponseTemplate::new(200).set_body_json(json!({"media": [{"id": "png-0123abcd"}]})),
        )
        .mount(&server)
        .await;
    server
}

async fn only_request(server: &MockServer) -> Request {
    let mut requests = server.received_requests().await.unwrap();
    assert_eq!(requests.len(), 1);
    requests.remove(0)
}

#[tokio::test]
async fn a_file_is_streamed_with_its_true_media_type() {
    let server = upload_server().await;
    let file = temp_path("cat.png");
    let data: Vec<u8> = b"\x89PNG\r\n\x1a\n"
        .iter()
        .copied()
        .chain((0..200_000u32).map(|i| (i % 251) as u8))
        .collect();
    std::fs::write(&file, &data).unwrap();

    let uploaded = whapi(&server)
        .upload_media(MediaSource::path(&file))
        .await
        .unwrap();

    assert_eq!(
        uploaded.media[0]
            .id
            .as_ref()
            .map(|i| i.to_string())
            .as_deref(),
        Some("png-0123abcd")
    );
    let request = only_request(&server).await;
    assert_eq!(request.headers.get("content-type").unwrap(), "image/png");
    assert_eq!(
        request.headers.get("content-length").unwrap(),
        data.len().to_string().as_str()
    );
    assert_eq!(
        request.headers.get("authorization").unwrap(),
        format!("Bearer {}", crate::TEST_TOKEN).as_str()
    );
    assert!(request.body == data, "the bytes arrive unchanged");
}

#[tokio::test]
async fn a_file_without_extension_gets_its_type_from_its_content() {
    let server = upload_server().await;
    let file = temp_path("scan");
    std::fs::write(
        &file,
        b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<<>>\nendobj\n",
    )
    .unwrap();

    whapi(&server)
        .upload_media(MediaSource::path(&file))
        .await
        .unwrap();

    assert_eq!(
        only_request(&server)
            .await
            .headers
            .get("content-type")
            .unwrap(),
        "application/pdf"
    );
}

#[tokio::test]
async fn bytes_and_readers_go_with_the_media_type_given() {
    let server = upload_server().await;
    let voice = vec![0x4f, 0x67, 0x67, 0x53, 1, 2, 3];

    whapi(&server)
        .upload_media(MediaSource::bytes(
            voice.clone(),
            "note.ogg",
            "audio/ogg; codecs=opus",
        ))
        .await
        .unwrap();
    whapi(&server)
        .upload_media(MediaSource::reader(
            std::io::Cursor::new(voice.clone()),
            "note.ogg",
            "audio/ogg; codecs=opus",
        ))
        .await
        .unwrap();

    let requests = server.received_requests().await.unwrap();
    for request in &requests {
        assert_eq!(
            request.headers.get("content-type").unwrap(),
            "audio/ogg; codecs=opus",
            "not octet-stream, not application/pdf"
        );
        assert_eq!(request.body, voice);
    }
    assert_eq!(requests.len(), 2);
}

#[tokio::test]
async fn a_url_goes_as_json_for_the_server_to_fetch() {
    let server = upload_server().await;

    whapi(&server)
        .upload_media(MediaSource::url("https://example.com/cat.png"))
        .await
        .unwrap();

    let request = only_request(&server).await;
    assert_eq!(
        request.headers.get("content-type").unwrap(),
        "application/json"
    );
    assert_eq!(
        serde_json::from_slice::<serde_json::Value>(&request.body).unwrap(),
        json!({"media": "https://example.com/cat.png"})
    );
}

#[tokio::test]
async fn bad_media_input_is_refused_before_sending() {
    let server = upload_server().await;
    let missing = whapi(&server)
        .upload_media(MediaSource::path(temp_path("nope.bin")).mime("application/octet-stream"))
        .await
        .unwrap_err();
    let bad_type = whapi(&server)
        .upload_media(MediaSource::bytes(vec![1], "x", "no-slash"))
        .await
        .unwrap_err();

    let Error::Io { source, what } = &missing else {
        panic!("a missing file is an I/O error: {missing:?}")
    };
    assert_eq!(source.kind(), std::io::ErrorKind::NotFound);
    assert!(what.contains("nope.bin"), "{what}");
    assert!(
        matches!(&bad_type, Error::InvalidArgument(i) if i.field() == "mime"),
        "{bad_type:?}"
    );
    assert!(server.received_requests().await.unwrap().is_empty());
}

#[tokio::test]
async fn a_multi_megabyte_download_arrives_byte_for_byte() {
    let server = MockServer::start().await;
    let data: Vec<u8> = (0..6 * 1024 * 1024u32)
        .map(|i| (i.wrapping_mul(2_654_435_761) >> 24) as u8)
        .collect();
    Mock::given(method("GET"))
        .and(path("/media/jpeg-abc123"))
        .respond_with(ResponseTemplate::new(200).set_body_raw(data.clone(), "image/jpeg"))
        .mount(&server)
        .await;
    let wa = whapi(&server);
    let id = MediaId::new("jpeg-abc123").unwrap();

    let mut memory = Vec::new();
    let written = wa.download_media(&id, &mut memory).await.unwrap();
    let file = temp_path("download.jpg");
    let to_file = wa.download_media_to_path(&id, &file).await.unwrap();

    assert_eq!((written, to_file), (data.len() as u64, data.len() as u64));
    assert!(memory == data);
    assert!(std::fs::read(&file).unwrap() == data);
}

#[tokio::test]
async fn a_failed_download_is_an_api_error_and_leaves_no_file() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .respond_with(
            ResponseTemplate::new(404)
                .set_body_json(json!({"error": {"code": 404, "message": "Media not found"}})),
        )
        .mount(&server)
        .await;
    let file = temp_path("missing.jpg");

    let err = whapi(&server)
        .download_media_to_path(&MediaId::new("jpeg-gone").unwrap(), &file)
        .await
        .unwrap_err();

    assert_eq!(err.status().map(|s| s.as_u16()), Some(404));
    assert!(!file.exists());
}

#[tokio::test]
async fn a_group_icon_goes_raw_as_png_and_other_types_are_refused() {
    let server = MockServer::start().await;
    Mock::given(method("PUT"))
        .and(path("/groups/120363025343298765@g.us/icon"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"success": true})))
        .mount(&server)
        .await;
    let wa = whapi(&server);
    let group = whapi_ext::ids::GroupId::new("120363025343298765@g.us").unwrap();
    let png = b"\x89PNG\r\n\x1a\nicon".to_vec();

    wa.set_group_icon(
        &group,
        MediaSource::bytes(png.clone(), "icon.png", "image/png"),
    )
    .await
    .unwrap();
    let gif = wa
        .set_group_icon(&group, MediaSource::bytes(vec![1], "x.gif", "image/gif"))
        .await
        .unwrap_err();

    assert!(
        matches!(&gif, Error::InvalidArgument(i) if i.field() == "media" && i.rule().contains("image/jpeg, image/png")),
        "{gif:?}"
    );
    let request = only_request(&server).await;
    assert_eq!(request.headers.get("content-type").unwrap(), "image/png");
    assert_eq!(request.body, png);
}
