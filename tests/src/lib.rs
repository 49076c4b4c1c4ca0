//! Shared support for the integration tests: a loopback HTTP server that records every request
//! exactly as it arrived (raw path, raw query, headers, body) and answers with whatever the
//! test's responder returns.

use std::sync::{Arc, Mutex};

use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::{HeaderMap, Method, Response, StatusCode};
use bytes::Bytes;
use tokio::net::TcpListener;

/// A request as the server saw it.
#[derive(Clone, Debug)]
pub struct RecordedRequest {
    /// The HTTP method.
    pub method: Method,
    /// The path exactly as sent (still percent-encoded).
    pub path: String,
    /// The raw query string, if any.
    pub query: Option<String>,
    /// Every header.
    pub headers: HeaderMap,
    /// The whole body.
    pub body: Bytes,
}

impl RecordedRequest {
    /// A header's value as text (first occurrence).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }

    /// The decoded query pairs, in order (repeated names appear repeatedly).
    pub fn query_pairs(&self) -> Vec<(String, String)> {
        let Some(query) = &self.query else {
            return Vec::new();
        };
        query
            .split('&')
            .filter(|pair| !pair.is_empty())
            .map(|pair| {
                let (name, value) = pair.split_once('=').unwrap_or((pair, ""));
                (decode_component(name), decode_component(value))
            })
            .collect()
    }

    /// The body parsed as JSON.
    pub fn json(&self) -> serde_json::Value {
        serde_json::from_slice(&self.body).expect("request body is JSON")
    }
}

/// A query name or value as a form decoder reads it: `+` is a space, then percent-decoding;
/// bytes that are not UTF-8 become U+FFFD.
fn decode_component(text: &str) -> String {
    let spaced = text.replace('+', " ");
    percent_encoding::percent_decode_str(&spaced)
        .decode_utf8_lossy()
        .into_owned()
}

/// The response a responder wants sent.
pub struct Reply {
    /// Status code.
    pub status: StatusCode,
    /// Extra headers.
    pub headers: Vec<(String, String)>,
    /// Body.
    pub body: Bytes,
}

impl Reply {
    /// A JSON reply.
    pub fn json(status: u16, value: serde_json::Value) -> Reply {
        Reply {
            status: StatusCode::from_u16(status).expect("valid status"),
            headers: vec![("content-type".into(), "application/json".into())],
            body: Bytes::from(serde_json::to_vec(&value).expect("serializable")),
        }
    }

    /// A reply with raw bytes and a content type.
    pub fn bytes(status: u16, content_type: &str, body: impl Into<Bytes>) -> Reply {
        Reply {
            status: StatusCode::from_u16(status).expect("valid status"),
            headers: vec![("content-type".into(), content_type.into())],
            body: body.into(),
        }
    }

    /// Adds a header.
    pub fn header(mut self, name: &str, value: &str) -> Reply {
        self.headers.push((name.into(), value.into()));
        self
    }
}

type Responder = dyn Fn(&RecordedRequest) -> Reply + Send + Sync;

#[derive(Clone)]
struct Shared {
    log: Arc<Mutex<Vec<RecordedRequest>>>,
    responder: Arc<Responder>,
}

/// A loopback server that records requests and answers through a closure.
pub struct RecordingServer {
    base_url: String,
    log: Arc<Mutex<Vec<RecordedRequest>>>,
    task: tokio::task::JoinHandle<()>,
}

impl RecordingServer {
    /// Starts a server on 127.0.0.1 with an ephemeral port.
    pub async fn start(
        responder: impl Fn(&RecordedRequest) -> Reply + Send + Sync + 'static,
    ) -> RecordingServer {
        let listener = TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind loopback");
        let address = listener.local_addr().expect("local address");
        let shared = Shared {
            log: Arc::default(),
            responder: Arc::new(responder),
        };
        let log = Arc::clone(&shared.log);
        let app = axum::Router::new().fallback(handle).with_state(shared);
        let task = tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
        RecordingServer {
            base_url: format!("http://{address}"),
            log,
            task,
        }
    }

    /// `http://127.0.0.1:PORT`.
    pub fn base_url(&self) -> &str {
        &self.base_url
    }

    /// Every request received so far.
    pub fn requests(&self) -> Vec<RecordedRequest> {
        self.log.lock().expect("log lock").clone()
    }

    /// The only request received; panics if there were more or none.
    pub fn single_request(&self) -> RecordedRequest {
        let requests = self.requests();
        assert_eq!(
            requests.len(),
            1,
            "expected exactly one request, got {requests:#?}"
        );
        requests.into_iter().next().expect("one request")
    }
}

impl Drop for RecordingServer {
    fn drop(&mut self) {
        self.task.abort();
    }
}

async fn handle(State(shared): State<Shared>, request: Request) -> Response<Body> {
    let (parts, body) = request.into_parts();
    let body = axum::body::to_bytes(body, usize::MAX)
        .await
        .unwrap_or_default();
    let recorded = RecordedRequest {
        method: parts.method,
        path: parts.uri.path().to_string(),
        query: parts.uri.query().map(str::to_owned),
        headers: parts.headers,
        body,
    };
    let reply = (shared.responder)(&recorded);
    shared.log.lock().expect("log lock").push(recorded);
    let mut response = Response::builder().status(reply.status);
    for (name, value) in &reply.headers {
        response = response.header(name, value);
    }
    response
        .body(Body::from(reply.body))
        .expect("valid response")
}

/// A [`RecordingServer`] answering through `reply`, and a client whose both host families
/// point at it, with retries off.
pub async fn recording_client(
    reply: impl Fn(&RecordedRequest) -> Reply + Send + Sync + 'static,
) -> (RecordingServer, polyai_sdk::Client) {
    let server = RecordingServer::start(reply).await;
    let client = polyai_sdk::Client::builder()
        .api_key("k")
        .base_url(server.base_url())
        .retry_policy(polyai_sdk::RetryPolicy::disabled())
        .build()
        .expect("client");
    (server, client)
}

/// Two [`RecordingServer`]s, one per host family, and a client whose Agents family points at
/// one and whose Platform family points at the other: a request sent to the wrong family
/// shows up on the wrong server.
pub struct TwoHosts {
    /// Where the Agents family (`api.{region}.poly.ai`) is sent.
    pub agents: RecordingServer,
    /// Where the Platform family (`api.{region}-1.platform.polyai.app`) is sent.
    pub platform: RecordingServer,
    /// The client, built by the test's `configure` from a builder that already has both base
    /// URLs.
    pub client: polyai_sdk::Client,
}

impl TwoHosts {
    /// Starts both servers, each answering through `reply`, and builds the client: `configure`
    /// adds the credentials and any other setting (retries are the SDK's defaults unless it
    /// sets them).
    pub async fn start(
        reply: impl Fn(&RecordedRequest) -> Reply + Send + Sync + 'static,
        configure: impl FnOnce(polyai_sdk::ClientBuilder) -> polyai_sdk::ClientBuilder,
    ) -> TwoHosts {
        let reply = Arc::new(reply);
        let shared = Arc::clone(&reply);
        let agents = RecordingServer::start(move |request| shared(request)).await;
        let platform = RecordingServer::start(move |request| reply(request)).await;
        let builder = polyai_sdk::Client::builder()
            .agents_base_url(agents.base_url())
            .platform_base_url(platform.base_url());
        let client = configure(builder).build().expect("client");
        TwoHosts {
            agents,
            platform,
            client,
        }
    }
}

/// `http://127.0.0.1:PORT` for a loopback port nothing listens on (bound, then released), so
/// that a connection attempt is refused: a request there provably never reached a server.
pub fn closed_port_url() -> String {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind loopback");
    let address = listener.local_addr().expect("local address");
    drop(listener);
    format!("http://{address}")
}

/// The SHA-256 of some bytes, as lowercase hex.
pub fn sha256_hex(bytes: &[u8]) -> String {
    use sha2::Digest;
    sha2::Sha256::digest(bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// A request as read by [`RawServer`]: request line and lower-cased headers.
#[derive(Clone, Debug)]
pub struct RawRequest {
    /// `GET`, `POST`, ...
    pub method: String,
    /// The request target (path and query) as sent.
    pub target: String,
    /// Headers, names lower-cased.
    pub headers: Vec<(String, String)>,
    /// The body.
    pub body: Vec<u8>,
}

impl RawRequest {
    /// A header's value.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }

    /// The start of an open-ended `Range: bytes=N-` request, if that is what was sent.
    pub fn range_start(&self) -> Option<usize> {
        self.header("range")?
            .strip_prefix("bytes=")?
            .strip_suffix('-')?
            .parse()
            .ok()
    }
}

/// What [`RawServer`] writes back.
pub struct RawReply {
    /// Status code and reason, e.g. `200 OK`.
    pub status: String,
    /// Headers (Content-Length is not added automatically).
    pub headers: Vec<(String, String)>,
    /// The body to send.
    pub body: Vec<u8>,
    /// Close the connection after this many body bytes (a dropped connection mid-body).
    pub cut_after: Option<usize>,
    /// Wait this long before answering (a stalled server).
    pub stall: Option<std::time::Duration>,
}

impl RawReply {
    /// A complete JSON answer.
    pub fn json(status: &str, value: &serde_json::Value) -> RawReply {
        let body = serde_json::to_vec(value).expect("serializable");
        RawReply {
            status: status.into(),
            headers: vec![
                ("Content-Type".into(), "application/json".into()),
                ("Content-Length".into(), body.len().to_string()),
            ],
            body,
            cut_after: None,
            stall: None,
        }
    }

    /// Adds a header.
    pub fn header(mut self, name: &str, value: &str) -> RawReply {
        self.headers.push((name.into(), value.into()));
        self
    }
    /// A whole `audio/wav` recording with a strong `ETag`, cut after `cut_after` body bytes
    /// when given (a connection dropped mid-body).
    pub fn audio(body: &[u8], etag: &str, cut_after: Option<usize>) -> RawReply {
        RawReply {
            status: "200 OK".into(),
            headers: vec![
                ("Content-Type".into(), "audio/wav".into()),
                ("Content-Length".into(), body.len().to_string()),
                ("ETag".into(), etag.into()),
                ("Accept-Ranges".into(), "bytes".into()),
            ],
            body: body.to_vec(),
            cut_after,
            stall: None,
        }
    }

    /// A `206 Partial Content` answer with the recording's bytes from `start` on.
    pub fn audio_from(body: &[u8], start: usize, etag: &str) -> RawReply {
        RawReply {
            status: "206 Partial Content".into(),
            headers: vec![
                ("Content-Type".into(), "audio/wav".into()),
                ("Content-Length".into(), (body.len() - start).to_string()),
                (
                    "Content-Range".into(),
                    format!("bytes {start}-{}/{}", body.len() - 1, body.len()),
                ),
                ("ETag".into(), etag.into()),
            ],
            body: body[start..].to_vec(),
            cut_after: None,
            stall: None,
        }
    }
}

type RawHandler = dyn Fn(usize, &RawRequest) -> RawReply + Send + Sync;

/// A minimal HTTP/1.1 server over raw TCP that can misbehave on purpose: cut a body short,
/// declare a length it does not send. Requests are numbered from 0.
pub struct RawServer {
    base_url: String,
    log: Arc<Mutex<Vec<RawRequest>>>,
    task: tokio::task::JoinHandle<()>,
}

impl RawServer {
    /// Starts on 127.0.0.1 with an ephemeral port.
    pub async fn start(
        handler: impl Fn(usize, &RawRequest) -> RawReply + Send + Sync + 'static,
    ) -> RawServer {
        use std::sync::atomic::{AtomicUsize, Ordering};
        let listener = TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind loopback");
        let address = listener.local_addr().expect("address");
        let handler: Arc<RawHandler> = Arc::new(handler);
        let log: Arc<Mutex<Vec<RawRequest>>> = Arc::default();
        let counter = Arc::new(AtomicUsize::new(0));
        let task_log = Arc::clone(&log);
        let task = tokio::spawn(async move {
            while let Ok((socket, _)) = listener.accept().await {
                let (handler, log, counter) = (
                    Arc::clone(&handler),
                    Arc::clone(&task_log),
                    Arc::clone(&counter),
                );
                tokio::spawn(async move {
                    let _ = serve_raw(socket, handler, log, counter.as_ref(), |c| {
                        c.fetch_add(1, Ordering::SeqCst)
                    })
                    .await;
                });
            }
        });
        RawServer {
            base_url: format!("http://{address}"),
            log,
            task,
        }
    }

    /// `http://127.0.0.1:PORT`.
    pub fn base_url(&self) -> &str {
        &self.base_url
    }

    /// Every request so far.
    pub fn requests(&self) -> Vec<RawRequest> {
        self.log.lock().expect("log").clone()
    }
}

impl Drop for RawServer {
    fn drop(&mut self) {
        self.task.abort();
    }
}

async fn serve_raw<C>(
    mut socket: tokio::net::TcpStream,
    handler: Arc<RawHandler>,
    log: Arc<Mutex<Vec<RawRequest>>>,
    counter: &C,
    next: impl Fn(&C) -> usize,
) -> std::io::Result<()> {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let mut buffer = Vec::new();
    loop {
        // Read one request head (bodies are not expected on these routes, but skip them if sent).
        let head_end = loop {
            if let Some(end) = buffer.windows(4).position(|w| w == b"\r\n\r\n") {
                break end;
            }
            let mut chunk = [0u8; 4096];
            let n = socket.read(&mut chunk).await?;
            if n == 0 {
                return Ok(());
            }
            buffer.extend_from_slice(&chunk[..n]);
        };
        let head = String::from_utf8_lossy(&buffer[..head_end]).into_owned();
        let mut lines = head.split("\r\n");
        let mut request_line = lines.next().unwrap_or("").split(' ');
        let mut request = RawRequest {
            method: request_line.next().unwrap_or("").to_string(),
            target: request_line.next().unwrap_or("").to_string(),
            headers: lines
                .filter_map(|line| line.split_once(':'))
                .map(|(n, v)| (n.trim().to_ascii_lowercase(), v.trim().to_string()))
                .collect(),
            body: Vec::new(),
        };
        let body_length: usize = request
            .header("content-length")
            .and_then(|v| v.parse().ok())
            .unwrap_or(0);
        buffer.drain(..head_end + 4);
        while buffer.len() < body_length {
            let mut chunk = [0u8; 4096];
            let n = socket.read(&mut chunk).await?;
            if n == 0 {
                return Ok(());
            }
            buffer.extend_from_slice(&chunk[..n]);
        }
        request.body = buffer.drain(..body_length).collect();
        let number = next(counter);
        let reply = handler(number, &request);
        log.lock().expect("log").push(request);
        if let Some(stall) = reply.stall {
            tokio::time::sleep(stall).await;
        }
        let mut out = format!("HTTP/1.1 {}\r\n", reply.status);
        for (name, value) in &reply.headers {
            out.push_str(&format!("{name}: {value}\r\n"));
        }
        out.push_str("\r\n");
        socket.write_all(out.as_bytes()).await?;
        match reply.cut_after {
            Some(cut) => {
                socket
                    .write_all(&reply.body[..cut.min(reply.body.len())])
                    .await?;
                socket.flush().await?;
                return Ok(()); // dropping the socket closes it mid-body
            }
            None => socket.write_all(&reply.body).await?,
        }
    }
}
pub mod capture;
pub mod faults;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn query_pairs_decode_like_a_form_decoder() {
        let request = RecordedRequest {
            method: Method::GET,
            path: "/".into(),
            query: Some(
                "q=a+b%20c%2B&&euro=%E2%82%AC&bad=%ZZ%4&flag&channel=voice&channel=chat".into(),
            ),
            headers: HeaderMap::new(),
            body: Bytes::new(),
        };
        let pairs = request.query_pairs();
        let pairs: Vec<_> = pairs
            .iter()
            .map(|(name, value)| (name.as_str(), value.as_str()))
            .collect();
        assert_eq!(
            pairs,
            [
                ("q", "a b c+"),
                ("euro", "€"),
                ("bad", "%ZZ%4"),
                ("flag", ""),
                ("channel", "voice"),
                ("channel", "chat"),
            ]
        );
    }
}
