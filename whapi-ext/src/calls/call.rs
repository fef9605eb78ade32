//! A call being built: its client, its options, what is wrong with it so
//! far, and local media to upload; then its sending.

use std::future::Future;
use std::num::NonZeroU64;
use std::time::Duration;

use futures_util::future::Either;
use futures_util::FutureExt;
use progenitor_client::{ByteStream, ResponseValue};
use reqwest::header::{HeaderMap, HeaderValue};
use reqwest::StatusCode;
use serde::de::DeserializeOwned;

use super::checks::{self, Limit};
use super::number::IntoNumber;
use super::options::{Answer, CallOptions, CallSettings};
use super::sending::Sending;
use crate::error::{Invalid, Problem};
use crate::ids::{Id, IntoId, InvalidId};
use crate::media::{Download, MediaSource};
use crate::{Error, Result, Whapi};
use whapi_client::{BoxFuture, Hooks};

/// The result of a generated client's `send()`.
type RawResult<T> = std::result::Result<ResponseValue<T>, progenitor_client::Error<()>>;

/// The state every generated builder holds besides the client's builder.
pub(crate) struct Call<'a> {
    pub(crate) wa: &'a Whapi,
    options: Option<Box<CallOptions>>,
    problems: Vec<Problem>,
    /// Local media, sent as a multipart form instead of JSON.
    upload: Option<Box<MediaSource>>,
    /// Fields set that only media by reference carries (a raw upload's
    /// JSON twin's).
    json_only: Vec<&'static str>,
    /// The media type and length of a raw upload's body.
    content: Option<(HeaderValue, Option<u64>)>,
}

impl<'a> Call<'a> {
    pub(crate) fn new(wa: &'a Whapi) -> Self {
        Self {
            wa,
            options: None,
            problems: Vec::new(),
            upload: None,
            json_only: Vec::new(),
            content: None,
        }
    }

    /// The same call again, for the next page of a list: its options and
    /// its problems; a list's call has no media to upload.
    pub(crate) fn for_another_page(&self) -> Self {
        Self {
            wa: self.wa,
            options: self.options.clone(),
            problems: self.problems.clone(),
            upload: None,
            json_only: self.json_only.clone(),
            content: self.content.clone(),
        }
    }

    pub(crate) fn set_options(&mut self, options: CallOptions) {
        self.options = Some(Box::new(options));
    }

    pub(crate) fn problem(&mut self, field: &str, rule: impl Into<String>) {
        self.problems.push(Problem::new(field, rule));
    }

    fn note(&mut self, field: &str, broken: Option<String>) {
        if let Some(rule) = broken {
            self.problem(field, rule);
        }
    }

    /// The problem of an id, under this call's name for the field.
    fn id_problem(&mut self, field: &str, error: InvalidId) {
        self.problem(field, error.rule());
    }

    /// A checked id as the server writes it; `None` (and a problem) if it
    /// is not one.
    pub(crate) fn id<I: Id>(&mut self, field: &str, value: impl IntoId<I>) -> Option<String> {
        match value.into_id() {
            Ok(id) => Some(id.into()),
            Err(error) => {
                self.id_problem(field, error);
                None
            }
        }
    }

    /// Checked ids; the ones that are not ids are left out, as problems.
    pub(crate) fn ids<I: Id>(
        &mut self,
        field: &str,
        values: impl IntoIterator<Item = impl IntoId<I>>,
        limits: &[Limit],
    ) -> Vec<String> {
        let (mut ids, mut given) = (Vec::new(), 0);
        for value in values {
            given += 1;
            match value.into_id() {
                Ok(id) => ids.push(id.into()),
                Err(error) => self.id_problem(field, error),
            }
        }
        // The count limits are the caller's list's: an id refused above is
        // its own problem, not also a list too short.
        let broken = checks::items(given, limits);
        self.note(field, broken);
        ids
    }

    /// A path segment: not empty, no slash, no white space.
    pub(crate) fn token(&mut self, field: &str, value: impl Into<String>) -> String {
        let value = value.into();
        if value.trim().is_empty() {
            self.problem(field, "must not be empty");
        } else if value.contains('/') || value.chars().any(char::is_whitespace) {
            self.problem(field, format!("`{value}` holds a slash or white space"));
        }
        value
    }

    pub(crate) fn text(
        &mut self,
        field: &str,
        value: impl Into<String>,
        limits: &[Limit],
    ) -> String {
        let value = value.into();
        let broken = checks::text(&value, limits);
        self.note(field, broken);
        value
    }

    /// Text for a newtype of the client (a name, an emoji): checked, then
    /// converted; a value the type refuses is a problem of the call.
    pub(crate) fn text_as<T>(
        &mut self,
        field: &str,
        value: impl Into<String>,
        limits: &[Limit],
    ) -> Option<T>
    where
        T: TryFrom<String>,
        T::Error: std::fmt::Display,
    {
        let text = self.text(field, value, limits);
        match T::try_from(text) {
            Ok(value) => Some(value),
            Err(refused) => {
                self.problem(field, refused.to_string());
                None
            }
        }
    }

    pub(crate) fn texts(
        &mut self,
        field: &str,
        values: impl IntoIterator<Item = impl Into<String>>,
        limits: &[Limit],
    ) -> Vec<String> {
        let values: Vec<String> = values.into_iter().map(Into::into).collect();
        let broken = checks::items(values.len(), limits);
        self.note(field, broken);
        values
    }

    pub(crate) fn check_number(&mut self, field: &str, value: f64, limits: &[Limit]) {
        let broken = checks::number(value, limits);
        self.note(field, broken);
    }

    /// A number of any type that converts exactly, checked.
    pub(crate) fn number(
        &mut self,
        field: &str,
        value: impl IntoNumber,
        limits: &[Limit],
    ) -> Option<f64> {
        match value.into_number() {
            Ok(value) => {
                self.check_number(field, value, limits);
                Some(value)
            }
            Err(rule) => {
                self.problem(field, rule);
                None
            }
        }
    }

    /// An integer of any type, in the field's type if it fits there,
    /// checked; `None` (and a problem) if it does not fit.
    pub(crate) fn integer<T>(
        &mut self,
        field: &str,
        value: impl TryInto<T> + std::fmt::Display + Copy,
        limits: &[Limit],
    ) -> Option<T>
    where
        T: Copy + Into<i128>,
    {
        match value.try_into() {
            Ok(converted) => {
                let wide: i128 = converted.into();
                self.check_number(field, wide as f64, limits);
                Some(converted)
            }
            Err(_) => {
                let ty = std::any::type_name::<T>();
                self.problem(field, format!("{value} does not fit in {ty}"));
                None
            }
        }
    }

    pub(crate) fn count(
        &mut self,
        field: &str,
        value: u64,
        limits: &[Limit],
    ) -> Option<NonZeroU64> {
        self.check_number(field, value as f64, limits);
        let count = NonZeroU64::new(value);
        if count.is_none() {
            self.problem(field, "must be at least 1, is 0");
        }
        count
    }

    /// The JSON value of media given by reference; local data is kept to
    /// be uploaded, where the operation takes a multipart form.
    pub(crate) fn media(
        &mut self,
        field: &str,
        source: MediaSource,
        uploads: bool,
    ) -> Option<String> {
        if let Some(reference) = source.reference() {
            return Some(reference);
        }
        if uploads {
            self.upload = Some(Box::new(source));
        } else {
            self.problem(
                field,
                "this operation takes media as a URL or a media id, not local data: upload it first (`Whapi::upload_media`)",
            );
        }
        None
    }

    /// Records a field that only goes with media by reference.
    pub(crate) fn json_only(&mut self, field: &'static str) {
        self.json_only.push(field);
    }

    /// Whether the call goes as a multipart form with local media.
    pub(crate) fn uploads(&self) -> bool {
        self.upload.is_some()
    }

    pub(crate) fn take_upload(&mut self) -> Option<MediaSource> {
        self.upload.take().map(|source| *source)
    }

    /// Every problem found, as one error.
    pub(crate) fn checked(&mut self) -> Result<()> {
        match Invalid::of(std::mem::take(&mut self.problems)) {
            Some(invalid) => Err(Error::InvalidArgument(invalid)),
            None => Ok(()),
        }
    }

    /// Sends the request `make` builds, through hooks of the call's own
    /// when it has options, a raw upload's media type or wants to learn its
    /// attempts and latency (`meta`), which it then reports.
    pub(crate) async fn sent<F: Future>(
        &mut self,
        make: impl FnOnce(Option<Hooks>) -> F,
        meta: bool,
    ) -> (F::Output, u32, Duration) {
        if self.is_plain(meta) {
            return (make(None).await, 1, Duration::ZERO);
        }
        let options = self.options.take().map(|o| *o).unwrap_or_default();
        let settings = CallSettings::new(options, self.content.take());
        let (hooks, transport) = self.wa.call_hooks(settings);
        let output = make(Some(hooks)).await;
        let (attempts, latency) = transport.settings.reported();
        (output, attempts, latency)
    }

    /// Checks, sends and decodes a JSON call.
    ///
    /// Not an `async fn`: without options or metadata the future is the
    /// client's, polled where it lies, and the rarer paths are boxed, so
    /// that a call is no bigger than the client's request (every `.await`
    /// of a call moves it into a box).
    pub(crate) fn run<T, F>(
        mut self,
        make: impl FnOnce(Option<Hooks>) -> F + Send + 'a,
        meta: bool,
    ) -> impl Future<Output = Result<Answer<T>>> + Send + 'a
    where
        T: DeserializeOwned + Send + 'a,
        F: Future<Output = RawResult<T>> + Send + 'a,
    {
        let checked = self.checked();
        if checked.is_ok() && self.is_plain(meta) {
            return Either::Left(make(None).then(move |result| async move {
                match result {
                    Ok(value) => Ok(answer(value, false, 1, Duration::ZERO)),
                    Err(e) => Err(Box::pin(Error::from_raw(e)).await),
                }
            }));
        }
        Either::Right(Box::pin(async move {
            checked?;
            let (result, attempts, latency) = self.sent(make, meta).await;
            match result {
                Ok(value) => Ok(answer(value, meta, attempts, latency)),
                Err(e) => Err(Error::from_raw(e).await),
            }
        }))
    }

    /// Checks, sends and decodes a JSON call, its value only: the common
    /// case, polled in place ([`Sending`]) unless the call has options.
    pub(crate) fn send<T, F>(
        mut self,
        make: impl FnOnce(Option<Hooks>) -> F + Send + 'a,
    ) -> impl Future<Output = Result<T>> + Send + 'a
    where
        T: DeserializeOwned + Send + 'a,
        F: Future<Output = RawResult<T>> + Send + 'a,
    {
        let checked = self.checked();
        if checked.is_ok() && self.is_plain(false) {
            return Either::Left(Sending::new(make(None)));
        }
        Either::Right(Box::pin(async move {
            checked?;
            Ok(self.run(make, false).await?.value)
        }))
    }

    /// [`Call::send`], boxed, for `.await`. The client's future is made
    /// by `make` in its box: made first and then moved, a couple of
    /// kilobytes would be copied on every call.
    pub(crate) fn boxed_send<T, F>(
        self,
        make: impl FnOnce(Option<Hooks>) -> F + Send + 'a,
    ) -> BoxFuture<'a, Result<T>>
    where
        T: DeserializeOwned + Send + 'a,
        F: Future<Output = RawResult<T>> + Send + 'a,
    {
        if self.problems.is_empty() && self.is_plain(false) {
            let slot = Box::<Sending<'a, F>>::new_uninit();
            let sending: Box<Sending<'a, F>> = Box::write(slot, Sending::new(make(None)));
            return Box::into_pin(sending);
        }
        Box::pin(self.send(make))
    }

    /// Whether the call needs no hooks of its own: no options, no raw
    /// upload, no metadata asked for.
    fn is_plain(&self, meta: bool) -> bool {
        self.options.is_none() && self.content.is_none() && !meta
    }

    /// [`Call::run`] for operations that answer 204 when there is nothing.
    pub(crate) async fn run_optional<T, F>(
        self,
        make: impl FnOnce(Option<Hooks>) -> F + Send + 'a,
        meta: bool,
    ) -> Result<Answer<Option<T>>>
    where
        T: DeserializeOwned + Send + 'a,
        F: Future<Output = RawResult<T>> + Send + 'a,
    {
        self.run_or_status(make, meta, StatusCode::NO_CONTENT, Some, None)
            .await
    }

    /// Checks and sends a call that asks whether something exists: 200 is
    /// yes, 404 no, anything else an error.
    pub(crate) async fn run_exists<F>(
        self,
        make: impl FnOnce(Option<Hooks>) -> F + Send + 'a,
        meta: bool,
    ) -> Result<Answer<bool>>
    where
        F: Future<Output = RawResult<()>> + Send + 'a,
    {
        self.run_or_status(make, meta, StatusCode::NOT_FOUND, |()| true, false)
            .await
    }

    /// Checks and sends a call whose answer `status`, an error to the
    /// client, is an answer too: a success reads as `found(value)`,
    /// `status` as `otherwise`.
    async fn run_or_status<T, F, U>(
        self,
        make: impl FnOnce(Option<Hooks>) -> F + Send + 'a,
        meta: bool,
        status: StatusCode,
        found: impl FnOnce(T) -> U,
        otherwise: U,
    ) -> Result<Answer<U>>
    where
        T: DeserializeOwned + Send + 'a,
        F: Future<Output = RawResult<T>> + Send + 'a,
    {
        match self.run(make, meta).await {
            Ok(answer) => Ok(answer.map(found)),
            Err(Error::Api(api)) if api.status == status => Ok(Answer {
                value: otherwise,
                status: api.status,
                headers: HeaderMap::new(),
                attempts: 1,
                latency: Duration::ZERO,
            }),
            Err(other) => Err(other),
        }
    }

    /// Checks and sends a call that answers bytes; they are read as the
    /// [`Download`] is.
    pub(crate) async fn download<F>(
        mut self,
        make: impl FnOnce(Option<Hooks>) -> F,
        meta: bool,
    ) -> Result<Answer<Download>>
    where
        F: Future<Output = RawResult<ByteStream>>,
    {
        self.checked()?;
        let (result, attempts, latency) = Box::pin(self.sent(make, meta)).await;
        match result {
            Ok(value) => {
                let (status, headers) = (value.status(), value.headers().clone());
                let download = Download::new(status, &headers, value.into_inner());
                Ok(Answer {
                    status: download.status(),
                    headers: HeaderMap::new(),
                    value: download,
                    attempts,
                    latency,
                })
            }
            Err(e) => Err(Box::pin(Error::from_raw(e)).await),
        }
    }

    /// Checks and sends local media as the raw body of a generated
    /// operation (`send` puts it into the client's builder), with its true
    /// media type, which must be one of `accept`.
    pub(crate) async fn raw_upload<T, F, Fut>(
        mut self,
        media: MediaSource,
        accept: &[&str],
        send: F,
        meta: bool,
    ) -> Result<Answer<T>>
    where
        T: DeserializeOwned + Send + 'a,
        F: FnOnce(reqwest::Body, Option<Hooks>) -> Fut + Send + 'a,
        Fut: Future<Output = RawResult<T>> + Send + 'a,
    {
        for field in std::mem::take(&mut self.json_only) {
            self.problem(
                field,
                "goes only with media by URL or media id; local data is sent as raw bytes",
            );
        }
        self.checked()?;
        let (mime, body, length) = media.into_body().await?;
        let essence = |t: &str| {
            t.split(';')
                .next()
                .unwrap_or("")
                .trim()
                .to_ascii_lowercase()
        };
        if !accept.is_empty() && !accept.iter().any(|a| essence(a) == essence(&mime)) {
            return Err(Error::invalid(
                "media",
                format!("this operation takes {}, not {mime}", accept.join(", ")),
            ));
        }
        let mime = HeaderValue::from_str(&mime)
            .map_err(|_| Error::invalid("media", format!("`{mime}` is not a media type")))?;
        // With a media type of its own, the call is sent through its own
        // hooks, which put it on the request.
        self.content = Some((mime, length));
        self.run(move |hooks| send(body, hooks), meta).await
    }

    /// Checks and sends the call as a multipart form, by the raw builder's
    /// `send_multipart` that `send` calls with the local media as its file
    /// part.
    pub(crate) async fn upload<T, F, Fut>(mut self, send: F, meta: bool) -> Result<Answer<T>>
    where
        T: DeserializeOwned + Send + 'a,
        F: FnOnce(reqwest::multipart::Part, Option<Hooks>) -> Fut + Send + 'a,
        Fut: Future<Output = RawResult<T>> + Send + 'a,
    {
        self.checked()?;
        let media = self
            .take_upload()
            .ok_or_else(|| Error::invalid("media", "no local media to upload"))?;
        let part = media.into_part().await?;
        self.run(move |hooks| send(part, hooks), meta).await
    }
}

/// An answer's value with its metadata, the headers only when asked for.
fn answer<T>(value: ResponseValue<T>, meta: bool, attempts: u32, latency: Duration) -> Answer<T> {
    let status = value.status();
    let headers = if meta {
        value.headers().clone()
    } else {
        HeaderMap::new()
    };
    Answer {
        value: value.into_inner(),
        status,
        headers,
        attempts,
        latency,
    }
}
