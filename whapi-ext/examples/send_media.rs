//! Sends every kind of media message, each from a file on disk; uploads
//! one and sends it again by its media id; downloads it back.
//!
//! ```sh
//! cargo run -p whapi-ext --features sandbox --example send_media [FILE...]
//! ```
//!
//! Without `WHAPI_TOKEN` it runs on the sandbox (`--features sandbox`, a
//! stateful local Whapi), else against a local spec-validating mock
//! (Prism, installed with npm on the first run), and says so: without files
//! it sends a small sample of each kind, then shows the other ways in (a
//! URL the server fetches, a raw body with the caption in the query).
//!
//! With `WHAPI_TOKEN` it talks to Whapi and needs `WHAPI_TO` and the files
//! to send (real media: WhatsApp checks them). Each file goes once, as the
//! kind its extension suggests, and the first a second time by media id.

mod common;

use std::path::{Path, PathBuf};

use whapi_ext::media::MediaSource;
use whapi_ext::types::{MediaMessageType, SentMessage};
use whapi_ext::{Error, Whapi};

/// The media kinds of WhatsApp, each with a sample file for the mock: its
/// name and the first bytes of that format (how a type is told apart when
/// the extension does not say). Only the image is a whole file.
const SAMPLES: &[(&str, &str, &[u8])] = &[
    (
        "image",
        "photo.png",
        b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01",
    ),
    (
        "video",
        "clip.mp4",
        b"\x00\x00\x00\x18ftypmp42\x00\x00\x00\x00mp42isom",
    ),
    (
        "short",
        "short.mp4",
        b"\x00\x00\x00\x18ftypmp42\x00\x00\x00\x00mp42isom",
    ),
    // WhatsApp plays GIFs as looping MP4 videos.
    (
        "gif",
        "loop.mp4",
        b"\x00\x00\x00\x18ftypmp42\x00\x00\x00\x00mp42isom",
    ),
    ("audio", "song.mp3", b"ID3\x03\x00\x00\x00\x00\x00\x00"),
    (
        "voice",
        "note.ogg",
        b"OggS\x00\x02\x00\x00\x00\x00\x00\x00\x00\x00OpusHead",
    ),
    ("document", "invoice.pdf", b"%PDF-1.4\n%%EOF\n"),
    ("sticker", "sticker.webp", b"RIFF\x0c\x00\x00\x00WEBPVP8 "),
];

/// The kind a file is sent as, from its extension.
fn kind_of(path: &Path) -> &'static str {
    let extension = path
        .extension()
        .and_then(|e| e.to_str())
        .unwrap_or_default()
        .to_ascii_lowercase();
    match extension.as_str() {
        "png" | "jpg" | "jpeg" => "image",
        "mp4" | "mov" | "3gp" => "video",
        "mp3" | "m4a" | "aac" | "wav" => "audio",
        "ogg" | "opus" => "voice",
        "webp" => "sticker",
        _ => "document",
    }
}

/// Sends one file as `kind`, with the builder of that kind.
async fn send(wa: &Whapi, to: &str, kind: &str, path: &Path) -> whapi_ext::Result<SentMessage> {
    let file = MediaSource::path(path);
    match kind {
        "image" => wa.send_message_image(to, file).caption("an image").await,
        "video" => wa.send_message_video(to, file).caption("a video").await,
        "short" => wa.send_message_short(to, file).await,
        "gif" => wa.send_message_gif(to, file).await,
        "audio" => wa.send_message_audio(to, file).await,
        // A voice note is Opus in Ogg, and must say so.
        "voice" => {
            wa.send_message_voice(to, file.mime("audio/ogg; codecs=opus"))
                .await
        }
        "sticker" => wa.send_message_sticker(to, file).await,
        _ => {
            wa.send_message_document(to, file)
                .caption("a document")
                .await
        }
    }
}

/// The files to send: the arguments, else (on the mock) the samples
/// written to `folder`.
fn files(folder: &Path, mock: bool) -> Result<Vec<(&'static str, PathBuf)>, common::Failure> {
    let given: Vec<PathBuf> = std::env::args_os().skip(1).map(PathBuf::from).collect();
    if !given.is_empty() {
        return Ok(given.into_iter().map(|p| (kind_of(&p), p)).collect());
    }
    if !mock {
        return Err("with WHAPI_TOKEN set, name the files to send: \
cargo run -p whapi-ext --example send_media photo.jpg clip.mp4 …"
            .into());
    }
    std::fs::create_dir_all(folder)?;
    SAMPLES
        .iter()
        .map(|(kind, name, bytes)| {
            let path = folder.join(name);
            std::fs::write(&path, bytes)?;
            Ok((*kind, path))
        })
        .collect()
}

#[tokio::main]
async fn main() -> Result<(), common::Failure> {
    let session = common::connect().await?;
    let Some(to) = session.to.as_deref() else {
        return Ok(());
    };
    let folder = std::env::temp_dir().join(format!("whapi-send-media-{}", std::process::id()));
    let result = run(&session.wa, to, &folder, session.mock).await;
    let _ = std::fs::remove_dir_all(&folder);
    result
}

async fn run(wa: &Whapi, to: &str, folder: &Path, mock: bool) -> Result<(), common::Failure> {
    let files = files(folder, mock)?;
    let mut refused = 0;
    for (kind, path) in &files {
        match send(wa, to, kind, path).await {
            Ok(sent) => println!("{kind:>8} {}: sent {}", path.display(), sent.id()),
            // Keep going: one refused file says nothing about the next.
            Err(Error::Api(refusal)) => {
                refused += 1;
                println!("{kind:>8} {}: refused: {refusal}", path.display());
            }
            Err(other) => return Err(other.into()),
        }
    }

    // Upload once, send by id as often as needed.
    let (kind, first) = files.first().ok_or("no file to send")?;
    let uploaded = wa.upload_media(MediaSource::path(first)).await?;
    let id = uploaded.id();
    if id.is_empty() {
        return Err("the upload returned no media id".into());
    }
    let sent = send_by_id(wa, to, kind, id).await?;
    println!("uploaded {id}, sent by id: {}", sent.id());

    let copy = folder.join("download");
    std::fs::create_dir_all(folder)?;
    let bytes = wa.get_media(id).await?.save(&copy).await?;
    println!("downloaded {id}: {bytes} bytes to {}", copy.display());

    if mock {
        // The server fetches a URL itself; nothing is uploaded from here.
        let by_url = wa
            .send_message_document(to, MediaSource::url("https://example.com/invoice.pdf"))
            .await?;
        println!("document by URL: sent {}", by_url.id());
        // The raw endpoint: the bytes as the body, the caption in the query.
        let sent = wa
            .send_media_message(MediaMessageType::Image, to, MediaSource::path(first))
            .caption("raw")
            .await?;
        println!("raw image body: sent {}", sent.id());
        if refused > 0 {
            return Err(format!("the mock refused {refused} media messages").into());
        }
    }
    Ok(())
}

/// Sends an uploaded file again, as the kind it was sent as.
async fn send_by_id(wa: &Whapi, to: &str, kind: &str, id: &str) -> whapi_ext::Result<SentMessage> {
    let media = MediaSource::media_id(id);
    match kind {
        "image" => wa.send_message_image(to, media).await,
        "video" | "short" => wa.send_message_video(to, media).await,
        "gif" => wa.send_message_gif(to, media).await,
        "audio" => wa.send_message_audio(to, media).await,
        "voice" => wa.send_message_voice(to, media).await,
        "sticker" => wa.send_message_sticker(to, media).await,
        _ => wa.send_message_document(to, media).await,
    }
}
