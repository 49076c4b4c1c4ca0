//! The body of a streamed answer (audio, cached audio files, synthesized speech), whose
//! failures are [`Error`]s like every other failure of the SDK.

use std::fmt;
use std::pin::Pin;
use std::task::{Context, Poll};

use bytes::Bytes;
use futures::{Stream, StreamExt};

use crate::Error;

type Inner = Pin<Box<dyn Stream<Item = Result<Bytes, Error>> + Send + Sync>>;

/// The body of a streamed answer, chunk by chunk, as the generated operations that answer
/// with bytes return it (inside a [`ResponseValue`](crate::ResponseValue), with the status
/// and headers).
///
/// Each item is a chunk or an [`Error`]: a connection that breaks mid-body is an
/// [`Error::Transport`] or [`Error::Timeout`] (retryable, the URL in it without its query),
/// a body over the client's size limit [`Error::ResponseTooLarge`]. After an error the
/// stream should not be read further.
///
/// ```no_run
/// # async fn demo(client: polyai_sdk::Client) -> Result<(), polyai_sdk::Error> {
/// use futures::TryStreamExt;
///
/// let answer = client
///     .data()
///     .get_conversation_audio()
///     .agent_id("AGENT-ID")
///     .conversation_id("CONVERSATION-ID")
///     .send()
///     .await?;
/// let mut body = answer.into_inner();
/// let mut received = 0;
/// while let Some(chunk) = body.try_next().await? {
///     received += chunk.len();
/// }
/// println!("{received} bytes");
/// # Ok(())
/// # }
/// ```
pub struct ByteStream(Inner);

impl ByteStream {
    /// Wraps a stream whose failures are already [`Error`]s.
    pub fn new(stream: impl Stream<Item = Result<Bytes, Error>> + Send + Sync + 'static) -> Self {
        ByteStream(Box::pin(stream))
    }

    /// The stream progenitor hands out, its `reqwest` errors made the SDK's own through the
    /// same mapping as every other network failure (the URL keeps only its path).
    pub(crate) fn from_progenitor(stream: progenitor_client::ByteStream) -> Self {
        ByteStream::new(
            stream
                .into_inner()
                .map(|item| item.map_err(Error::from_reqwest)),
        )
    }

    /// The inner stream, for code that wants the boxed `Stream` itself.
    pub fn into_inner(self) -> Inner {
        self.0
    }
}

impl Stream for ByteStream {
    type Item = Result<Bytes, Error>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        self.0.as_mut().poll_next(cx)
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        self.0.size_hint()
    }
}

impl fmt::Debug for ByteStream {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("ByteStream")
    }
}

/// What the generated `send()` of an operation answering with bytes returns through: like
/// [`crate::error::sdk_result`], and the body's stream made a [`ByteStream`] of SDK errors.
pub(crate) async fn sdk_stream_result(
    result: Result<
        progenitor_client::ResponseValue<progenitor_client::ByteStream>,
        progenitor_client::Error<()>,
    >,
) -> Result<progenitor_client::ResponseValue<ByteStream>, Error> {
    let value = crate::error::sdk_result(result).await?;
    let status = value.status();
    let headers = value.headers().clone();
    Ok(progenitor_client::ResponseValue::new(
        ByteStream::from_progenitor(value.into_inner()),
        status,
        headers,
    ))
}
