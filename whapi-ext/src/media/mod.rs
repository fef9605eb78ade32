//! Media: where it comes from, and streaming uploads and downloads.
//!
//! ```no_run
//! # async fn run(wa: whapi_ext::Whapi) -> whapi_ext::Result<()> {
//! use whapi_ext::media::MediaSource;
//!
//! // Streams the file from disk with its true media type (from the
//! // extension, else from the content).
//! let uploaded = wa.upload_media(MediaSource::path("invoice.pdf")).await?;
//! // Streams the download into a file, never holding it in memory.
//! let bytes = wa.get_media(uploaded.id()).await?.save("copy.pdf").await?;
//! println!("{bytes} bytes");
//! # Ok(())
//! # }
//! ```

mod download;

pub use download::Download;

use std::fmt;
use std::path::{Path, PathBuf};

use bytes::Bytes;
use tokio::io::{AsyncRead, AsyncReadExt};
use tokio_util::io::ReaderStream;

use crate::{Error, Result};

/// Bytes read from disk per chunk of a streamed upload or download: large
/// enough that the chunks cost little, small enough that memory stays flat.
pub(crate) const STREAM_CHUNK: usize = 256 * 1024;

/// Where a media file comes from. Local data (bytes, a path, a reader) is
/// uploaded; a URL or a media id is passed on for the server to fetch.
///
/// ```
/// use whapi_ext::media::MediaSource;
///
/// // The media type comes from the extension, else from the first bytes.
/// let photo = MediaSource::path("holiday.jpg");
/// // A voice note must say it is Opus, which `.ogg` alone does not.
/// let voice = MediaSource::path("note.ogg").mime("audio/ogg; codecs=opus");
/// let generated = MediaSource::bytes(b"%PDF-1.4".to_vec(), "report.pdf", "application/pdf");
/// let hosted = MediaSource::url("https://example.com/menu.pdf").file_name("menu.pdf");
/// let reused = MediaSource::media_id("jpeg-f0e1d2c3b4a59687");
/// # let _ = (photo, voice, generated, hosted, reused);
/// ```
pub struct MediaSource {
    kind: Kind,
    file_name: Option<String>,
    mime: Option<String>,
}

enum Kind {
    Url(String),
    MediaId(String),
    Bytes(Bytes),
    Path(PathBuf),
    Reader(Box<dyn AsyncRead + Send + Unpin>),
}

impl fmt::Debug for MediaSource {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let kind = match &self.kind {
            Kind::Url(url) => format!("url {url}"),
            Kind::MediaId(id) => format!("media id {id}"),
            Kind::Bytes(data) => format!("{} bytes", data.len()),
            Kind::Path(path) => format!("path {}", path.display()),
            Kind::Reader(_) => "reader".to_string(),
        };
        f.debug_struct("MediaSource")
            .field("kind", &kind)
            .field("file_name", &self.file_name)
            .field("mime", &self.mime)
            .finish()
    }
}

impl MediaSource {
    fn of(kind: Kind) -> Self {
        Self {
            kind,
            file_name: None,
            mime: None,
        }
    }

    /// A file the server downloads from this URL.
    pub fn url(url: impl Into<String>) -> Self {
        Self::of(Kind::Url(url.into()))
    }

    /// A file already uploaded (`POST /media`).
    pub fn media_id(id: impl Into<String>) -> Self {
        Self::of(Kind::MediaId(id.into()))
    }

    /// Data in memory, with its file name and media type.
    pub fn bytes(
        data: impl Into<Bytes>,
        file_name: impl Into<String>,
        mime: impl Into<String>,
    ) -> Self {
        Self {
            kind: Kind::Bytes(data.into()),
            file_name: Some(file_name.into()),
            mime: Some(mime.into()),
        }
    }

    /// A file on disk, streamed when sent. Its media type comes from the
    /// extension, else from its first bytes, unless [`MediaSource::mime`]
    /// sets it.
    pub fn path(path: impl Into<PathBuf>) -> Self {
        Self::of(Kind::Path(path.into()))
    }

    /// Data read from `reader` while it is sent.
    pub fn reader(
        reader: impl AsyncRead + Send + Unpin + 'static,
        file_name: impl Into<String>,
        mime: impl Into<String>,
    ) -> Self {
        Self {
            kind: Kind::Reader(Box::new(reader)),
            file_name: Some(file_name.into()),
            mime: Some(mime.into()),
        }
    }

    /// Sets the file name the recipient sees.
    #[must_use]
    pub fn file_name(mut self, name: impl Into<String>) -> Self {
        self.file_name = Some(name.into());
        self
    }

    /// Sets the media type (`image/png`, `audio/ogg; codecs=opus`).
    #[must_use]
    pub fn mime(mut self, mime: impl Into<String>) -> Self {
        self.mime = Some(mime.into());
        self
    }

    /// The string a JSON body carries for a URL or a media id; `None` for
    /// local data, which must be uploaded.
    pub(crate) fn reference(&self) -> Option<String> {
        match &self.kind {
            Kind::Url(s) | Kind::MediaId(s) => Some(s.clone()),
            _ => None,
        }
    }

    /// The media type, a request body and (for a file) the length of local
    /// data, streamed from disk for a path.
    pub(crate) async fn into_body(self) -> Result<(String, reqwest::Body, Option<u64>)> {
        let path = match &self.kind {
            Kind::Path(path) => Some(path.clone()),
            _ => None,
        };
        let mime = media_type(self.mime.clone(), path).await?;
        let (body, length) = match self.kind {
            Kind::Bytes(data) => (reqwest::Body::from(data), None),
            Kind::Path(path) => {
                let file = tokio::fs::File::open(&path)
                    .await
                    .map_err(|e| io_error(&path, e))?;
                let length = file.metadata().await.map_err(|e| io_error(&path, e))?.len();
                (
                    reqwest::Body::wrap_stream(ReaderStream::with_capacity(file, STREAM_CHUNK)),
                    Some(length),
                )
            }
            Kind::Reader(reader) => (
                reqwest::Body::wrap_stream(ReaderStream::with_capacity(reader, STREAM_CHUNK)),
                None,
            ),
            Kind::Url(_) | Kind::MediaId(_) => {
                return Err(Error::invalid("media", "a URL or media id is not uploaded"))
            }
        };
        Ok((mime, body, length))
    }

    /// The multipart part of local data, streamed from disk for a path.
    pub(crate) async fn into_part(self) -> Result<reqwest::multipart::Part> {
        let path = match &self.kind {
            Kind::Path(path) => Some(path.clone()),
            _ => None,
        };
        let mime = media_type(self.mime.clone(), path).await?;
        let file_name = self.file_name.clone();
        let part = match self.kind {
            Kind::Bytes(data) => reqwest::multipart::Part::bytes(data.to_vec()),
            Kind::Path(path) => {
                let file = tokio::fs::File::open(&path)
                    .await
                    .map_err(|e| io_error(&path, e))?;
                let length = file.metadata().await.map_err(|e| io_error(&path, e))?.len();
                let name = file_name
                    .clone()
                    .or_else(|| path.file_name().map(|n| n.to_string_lossy().into_owned()));
                let part = reqwest::multipart::Part::stream_with_length(
                    reqwest::Body::wrap_stream(ReaderStream::with_capacity(file, STREAM_CHUNK)),
                    length,
                );
                return part
                    .file_name(name.unwrap_or_else(|| "file".into()))
                    .mime_str(&mime)
                    .map_err(|e| Error::invalid("mime", e.to_string()));
            }
            Kind::Reader(reader) => reqwest::multipart::Part::stream(reqwest::Body::wrap_stream(
                ReaderStream::with_capacity(reader, STREAM_CHUNK),
            )),
            Kind::Url(_) | Kind::MediaId(_) => {
                return Err(Error::invalid("media", "a URL or media id is not uploaded"))
            }
        };
        part.file_name(file_name.unwrap_or_else(|| "file".into()))
            .mime_str(&mime)
            .map_err(|e| Error::invalid("mime", e.to_string()))
    }
}

/// The media type set, else the one of the file at `path`; checked.
async fn media_type(set: Option<String>, path: Option<PathBuf>) -> Result<String> {
    let chosen = match (set, path) {
        (Some(mime), _) => mime,
        (None, Some(path)) => guess_path_mime(&path).await?,
        (None, None) => "application/octet-stream".to_string(),
    };
    chosen
        .parse::<mime::Mime>()
        .map(|_| chosen.clone())
        .map_err(|_| Error::invalid("mime", format!("`{chosen}` is not a media type")))
}

/// The media type of a file: by extension, else by its first bytes.
async fn guess_path_mime(path: &Path) -> Result<String> {
    if let Some(mime) = mime_guess::from_path(path).first_raw() {
        return Ok(mime.to_string());
    }
    let mut head = vec![0u8; 8192];
    let mut file = tokio::fs::File::open(path)
        .await
        .map_err(|e| io_error(path, e))?;
    let read = file.read(&mut head).await.map_err(|e| io_error(path, e))?;
    Ok(infer::get(&head[..read])
        .map_or("application/octet-stream", |kind| kind.mime_type())
        .to_string())
}

fn io_error(path: &Path, error: std::io::Error) -> Error {
    Error::io("reading", path, error)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn mime_types_are_set_guessed_or_refused() {
        let set = Some("audio/ogg; codecs=opus".to_string());
        assert_eq!(
            media_type(set, None).await.unwrap(),
            "audio/ogg; codecs=opus"
        );
        assert_eq!(
            media_type(None, Some("x/report.pdf".into())).await.unwrap(),
            "application/pdf"
        );
        assert!(matches!(
            media_type(Some("not a type".into()), None).await,
            Err(Error::InvalidArgument(_))
        ));
    }
}
