//! Bytes a call answers, read the way the caller chooses: whole, into a
//! writer, or into a file, a chunk at a time.

use std::fmt;
use std::path::{Path, PathBuf};

use bytes::Bytes;
use futures_util::{Stream, TryStreamExt};
use progenitor_client::ByteStream;
use reqwest::header::{HeaderMap, CONTENT_LENGTH, CONTENT_TYPE};
use reqwest::StatusCode;
use tokio::io::{AsyncWrite, AsyncWriteExt};

use super::STREAM_CHUNK;
use crate::ids::{IntoId, MediaId};
use crate::{Error, Result, Whapi};

/// The bytes of an answer (a media file, a QR code image, a group icon),
/// not yet read.
///
/// ```no_run
/// # async fn run(wa: whapi_ext::Whapi) -> whapi_ext::Result<()> {
/// let icon = wa.get_group_icon("120363025343298765@g.us").await?;
/// println!("{:?}, {:?} bytes", icon.content_type(), icon.content_length());
/// let bytes = icon.bytes().await?; // or .write_to(writer), .save(path)
/// # let _ = bytes;
/// # Ok(())
/// # }
/// ```
pub struct Download {
    status: StatusCode,
    content_type: Option<String>,
    content_length: Option<u64>,
    stream: ByteStream,
}

impl fmt::Debug for Download {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Download")
            .field("status", &self.status)
            .field("content_type", &self.content_type)
            .field("content_length", &self.content_length)
            .finish_non_exhaustive()
    }
}

impl Download {
    pub(crate) fn new(status: StatusCode, headers: &HeaderMap, stream: ByteStream) -> Self {
        let header = |name| headers.get(name).and_then(|v| v.to_str().ok());
        Self {
            status,
            content_type: header(CONTENT_TYPE).map(String::from),
            content_length: header(CONTENT_LENGTH).and_then(|v| v.parse().ok()),
            stream,
        }
    }

    /// The answer's status (a 204 has no bytes: no icon is set).
    pub fn status(&self) -> StatusCode {
        self.status
    }

    /// The media type the server gave.
    pub fn content_type(&self) -> Option<&str> {
        self.content_type.as_deref()
    }

    /// The length the server announced.
    pub fn content_length(&self) -> Option<u64> {
        self.content_length
    }

    /// The bytes as they arrive.
    pub fn into_stream(self) -> impl Stream<Item = Result<Bytes>> {
        self.stream.into_inner().map_err(Error::from_transport)
    }

    /// Every byte, in memory.
    pub async fn bytes(self) -> Result<Bytes> {
        let mut all = Vec::with_capacity(self.content_length.unwrap_or(0).min(1 << 24) as usize);
        let mut stream = self.stream.into_inner();
        while let Some(chunk) = stream.try_next().await.map_err(Error::from_transport)? {
            all.extend_from_slice(&chunk);
        }
        Ok(Bytes::from(all))
    }

    /// Writes the bytes into `writer` as they arrive; how many it wrote.
    pub async fn write_to(self, writer: &mut (impl AsyncWrite + Unpin)) -> Result<u64> {
        let mut stream = self.stream.into_inner();
        let mut written = 0u64;
        let failed = |e| Error::Io {
            what: format!("writing the download: {e}"),
            source: e,
        };
        while let Some(chunk) = stream.try_next().await.map_err(Error::from_transport)? {
            writer.write_all(&chunk).await.map_err(failed)?;
            written += chunk.len() as u64;
        }
        writer.flush().await.map_err(failed)?;
        Ok(written)
    }

    /// Writes the bytes into a file: into a temporary file beside it,
    /// renamed into place once complete, so a failed download leaves
    /// neither a partial file nor a damaged old one.
    pub async fn save(self, path: impl AsRef<Path>) -> Result<u64> {
        let path = path.as_ref();
        let mut partial = path.as_os_str().to_owned();
        partial.push(".part");
        let partial = PathBuf::from(partial);
        let file = tokio::fs::File::create(&partial)
            .await
            .map_err(|e| Error::io("creating", &partial, e))?;
        // Fewer, larger writes than the network's chunks.
        let mut file = tokio::io::BufWriter::with_capacity(STREAM_CHUNK, file);
        let result = self.write_to(&mut file).await;
        drop(file);
        match result {
            Ok(written) => {
                tokio::fs::rename(&partial, path)
                    .await
                    .map_err(|e| Error::io("renaming the download to", path, e))?;
                Ok(written)
            }
            Err(error) => {
                let _ = tokio::fs::remove_file(&partial).await;
                Err(error)
            }
        }
    }
}

impl Whapi {
    /// Downloads a media file into `writer`, a chunk at a time
    /// ([`Whapi::get_media`], then [`Download::write_to`]).
    ///
    /// ```no_run
    /// # async fn run(wa: whapi_ext::Whapi) -> whapi_ext::Result<()> {
    /// // Into memory; any `AsyncWrite` will do (a socket, a hasher, …).
    /// let mut bytes = Vec::new();
    /// wa.download_media("jpeg-f0e1d2c3b4a59687", &mut bytes).await?;
    /// # Ok(())
    /// # }
    /// ```
    pub async fn download_media(
        &self,
        id: impl IntoId<MediaId>,
        writer: &mut (impl AsyncWrite + Unpin),
    ) -> Result<u64> {
        self.get_media(id).await?.write_to(writer).await
    }

    /// Downloads a media file into a file ([`Download::save`]).
    pub async fn download_media_to_path(
        &self,
        id: impl IntoId<MediaId>,
        path: impl AsRef<Path>,
    ) -> Result<u64> {
        self.get_media(id).await?.save(path).await
    }
}
