//! External events (platform host): deliver a third-party provider's result (a payment page,
//! a form tool, ...) into a live conversation. The agent handed out an event id earlier; the
//! event carries it back in a header, a query parameter or the body, and PolyAI finds it there
//! as the `event_id_location` and `event_id_path` query parameters say.
//!
//! `POST /v1/external-events/webhook` takes its body in the provider's own format, which the
//! code generator cannot express, so it is written by hand in the generated builders' style.
//! [`ExternalEventBody`] picks the format and with it the `Content-Type`:
//!
//! | variant | `Content-Type` | bytes sent |
//! |---|---|---|
//! | [`Json`](ExternalEventBody::Json) | `application/json` | the value, serialized |
//! | [`Form`](ExternalEventBody::Form) | `application/x-www-form-urlencoded` | `name=value&...`, form-encoded |
//! | [`Xml`](ExternalEventBody::Xml) | `application/xml` | the text, UTF-8 |
//! | [`Text`](ExternalEventBody::Text) | `text/plain` | the text, UTF-8 |
//!
//! ```no_run
//! use polyai_sdk::external_events::{ExternalEventBody, ExternalEventIdLocation};
//! use serde_json::json;
//! # async fn demo(client: polyai_sdk::Client) -> Result<(), polyai_sdk::Error> {
//! // The event id is in the body, at `cid`.
//! client
//!     .post_external_event("ws-1a2b3c4d", "PROJECT-9f8e7d6c")
//!     .event_id(ExternalEventIdLocation::Payload, "cid")
//!     .body(ExternalEventBody::Json(json!({"cid": "evt_01HF2", "status": "succeeded"})))
//!     .send()
//!     .await?;
//!
//! // The event id is in a header named `cid`.
//! client
//!     .post_external_event("ws-1a2b3c4d", "PROJECT-9f8e7d6c")
//!     .event_id(ExternalEventIdLocation::Headers, "cid")
//!     .header("cid", "evt_01HF2")
//!     .body(ExternalEventBody::form([("status", "succeeded")]))
//!     .send()
//!     .await?;
//! # Ok(()) }
//! ```
//!
//! Errors of this family are `{"error_message": "..."}` bodies rather than PolyAI's usual
//! envelope; the message is read into [`ApiError::error_message`](crate::ApiError) and shown
//! in the error's `Display` all the same.

use std::fmt;

use bytes::Bytes;
use reqwest::Method;
use reqwest::header::{CONTENT_TYPE, HeaderName, HeaderValue};

use crate::region::HostFamily;
use crate::transport::{Operation, OperationTraits, send_hand_written};
use crate::{Client, Error, validate};

/// Where PolyAI looks for the event id: a header, a query parameter or the body (the generated
/// External events type), for [`PostExternalEvent::event_id`].
///
/// ```
/// use polyai_sdk::external_events::ExternalEventIdLocation;
///
/// assert_eq!(ExternalEventIdLocation::Querystring.to_string(), "querystring");
/// ```
pub use crate::generated::external_events::types::ExternalEventIdLocation;

/// `POST /v1/external-events/webhook`: it queues an event for a conversation, so it is not
/// repeated once the server may have seen it.
static POST_EXTERNAL_EVENT: Operation = Operation {
    id: "post_external_event",
    method: Method::POST,
    path: "/v1/external-events/webhook",
    host: HostFamily::Platform,
    traits: OperationTraits {
        idempotent: false,
        streaming: None,
    },
};

/// Query parameters the SDK sets itself; [`PostExternalEvent::query`] refuses them.
const RESERVED_QUERY: [&str; 4] = [
    "event_id_location",
    "event_id_path",
    "account_id",
    "project_id",
];

/// Headers the SDK or the HTTP layer sets; [`PostExternalEvent::header`] refuses them.
const RESERVED_HEADERS: [&str; 8] = [
    "x-api-key",
    "x-token",
    "x-polyai-auth-token",
    "content-type",
    "content-length",
    "transfer-encoding",
    "host",
    "connection",
];

/// The body of an external event, in the provider's format. The variant sets the
/// `Content-Type`; see the [module documentation](self) for the table.
///
/// ```
/// use polyai_sdk::external_events::ExternalEventBody;
///
/// let json = ExternalEventBody::Json(serde_json::json!({"cid": "evt_1"}));
/// let form = ExternalEventBody::form([("cid", "evt_1"), ("status", "paid in full")]);
/// let xml = ExternalEventBody::Xml("<root><cid>evt_1</cid></root>".into());
/// let text = ExternalEventBody::Text("cid=evt_1".into());
/// assert_eq!(form.content_type(), "application/x-www-form-urlencoded");
/// assert_eq!(&form.to_bytes().unwrap()[..], b"cid=evt_1&status=paid+in+full");
/// # let _ = (json, xml, text);
/// ```
#[derive(Clone, Debug, PartialEq)]
#[non_exhaustive]
pub enum ExternalEventBody {
    /// A JSON document, sent as `application/json`.
    Json(serde_json::Value),
    /// Form fields in order, sent as `application/x-www-form-urlencoded`.
    Form(Vec<(String, String)>),
    /// An XML document, sent as `application/xml`.
    Xml(String),
    /// Plain text, sent as `text/plain`.
    Text(String),
}

impl ExternalEventBody {
    /// Form fields from any list of name/value pairs.
    ///
    /// ```
    /// use polyai_sdk::external_events::ExternalEventBody;
    ///
    /// let body = ExternalEventBody::form([("cid", "evt_1")]);
    /// assert_eq!(body, ExternalEventBody::Form(vec![("cid".into(), "evt_1".into())]));
    /// ```
    pub fn form<N, V>(pairs: impl IntoIterator<Item = (N, V)>) -> Self
    where
        N: Into<String>,
        V: Into<String>,
    {
        ExternalEventBody::Form(
            pairs
                .into_iter()
                .map(|(name, value)| (name.into(), value.into()))
                .collect(),
        )
    }

    /// The `Content-Type` this body is sent with.
    ///
    /// ```
    /// use polyai_sdk::external_events::ExternalEventBody;
    ///
    /// assert_eq!(ExternalEventBody::Xml(String::new()).content_type(), "application/xml");
    /// ```
    pub fn content_type(&self) -> &'static str {
        match self {
            ExternalEventBody::Json(_) => "application/json",
            ExternalEventBody::Form(_) => "application/x-www-form-urlencoded",
            ExternalEventBody::Xml(_) => "application/xml",
            ExternalEventBody::Text(_) => "text/plain",
        }
    }

    /// The bytes this body is sent as. Fails only for JSON that cannot be serialized.
    ///
    /// ```
    /// use polyai_sdk::external_events::ExternalEventBody;
    ///
    /// let body = ExternalEventBody::Json(serde_json::json!({"cid": "evt_1"}));
    /// assert_eq!(&body.to_bytes()?[..], br#"{"cid":"evt_1"}"#);
    /// # Ok::<(), polyai_sdk::Error>(())
    /// ```
    pub fn to_bytes(&self) -> Result<Bytes, Error> {
        Ok(match self {
            ExternalEventBody::Json(value) => {
                Bytes::from(serde_json::to_vec(value).map_err(|e| {
                    Error::InvalidInput(format!("cannot serialize the event body as JSON: {e}"))
                })?)
            }
            ExternalEventBody::Form(pairs) => Bytes::from(
                form_urlencoded::Serializer::new(String::new())
                    .extend_pairs(pairs)
                    .finish(),
            ),
            ExternalEventBody::Xml(text) | ExternalEventBody::Text(text) => {
                Bytes::from(text.clone().into_bytes())
            }
        })
    }

    /// The variant's name, for `Debug` output that does not show the content.
    fn kind(&self) -> &'static str {
        match self {
            ExternalEventBody::Json(_) => "Json",
            ExternalEventBody::Form(_) => "Form",
            ExternalEventBody::Xml(_) => "Xml",
            ExternalEventBody::Text(_) => "Text",
        }
    }
}

impl Client {
    /// Delivers an external event to a live conversation (platform host,
    /// `POST /v1/external-events/webhook`). Set where the event id is with
    /// [`event_id`](PostExternalEvent::event_id) and the body with
    /// [`body`](PostExternalEvent::body); both are required. Answers 201 once the event is
    /// queued; 400 (with PolyAI's `error_message`) when the event id is missing or unknown.
    ///
    /// Not idempotent: the request is not repeated once it may have reached the server (a
    /// connection that never opened is retried), unless the retry policy says
    /// [`retry_non_idempotent`](crate::RetryPolicy::retry_non_idempotent).
    ///
    /// ```no_run
    /// use polyai_sdk::external_events::{ExternalEventBody, ExternalEventIdLocation};
    /// # async fn demo(client: polyai_sdk::Client) -> Result<(), polyai_sdk::Error> {
    /// client
    ///     .post_external_event("ws-1a2b3c4d", "PROJECT-9f8e7d6c")
    ///     .event_id(ExternalEventIdLocation::Querystring, "cid")
    ///     .query("cid", "evt_01HF2")
    ///     .body(ExternalEventBody::Text("status=succeeded".into()))
    ///     .send()
    ///     .await?;
    /// # Ok(()) }
    /// ```
    pub fn post_external_event(
        &self,
        account_id: impl Into<String>,
        project_id: impl Into<String>,
    ) -> PostExternalEvent {
        PostExternalEvent {
            client: self.clone(),
            account_id: account_id.into(),
            project_id: project_id.into(),
            event_id: None,
            body: None,
            headers: Vec::new(),
            query: Vec::new(),
        }
    }
}

/// An external event delivery; see [`Client::post_external_event`].
///
/// Nothing is checked until [`send`](Self::send), which refuses with [`Error::InvalidInput`],
/// before any request: blank account or project ids, a missing event id location or body, an
/// empty `event_id_path`, header names or values that cannot be sent, headers and query
/// parameters the SDK sets itself, and an event id said to be in a header (or query parameter)
/// that was not added with [`header`](Self::header) (or [`query`](Self::query)).
///
/// `Debug` shows header and query parameter names and the body's kind and length, never their
/// values.
///
/// ```no_run
/// use polyai_sdk::external_events::{ExternalEventBody, ExternalEventIdLocation};
/// # async fn demo(client: polyai_sdk::Client) -> Result<(), polyai_sdk::Error> {
/// let event = client
///     .post_external_event("acme-uk", "booking-bot")
///     .event_id(ExternalEventIdLocation::Payload, "data.reference")
///     .body(ExternalEventBody::Xml("<data><reference>evt_9</reference></data>".into()));
/// println!("{event:?}");
/// event.send().await?;
/// # Ok(()) }
/// ```
#[derive(Clone)]
#[must_use = "nothing is sent until send() is called"]
pub struct PostExternalEvent {
    client: Client,
    account_id: String,
    project_id: String,
    event_id: Option<(ExternalEventIdLocation, String)>,
    body: Option<ExternalEventBody>,
    headers: Vec<(String, String)>,
    query: Vec<(String, String)>,
}

impl fmt::Debug for PostExternalEvent {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let names = |pairs: &[(String, String)]| -> Vec<String> {
            pairs.iter().map(|(name, _)| name.clone()).collect()
        };
        let body = self.body.as_ref().map(|body| {
            let len = body.to_bytes().map(|b| b.len()).ok();
            format!(
                "{} ({} bytes)",
                body.kind(),
                len.map_or("?".to_string(), |l| l.to_string())
            )
        });
        f.debug_struct("PostExternalEvent")
            .field("account_id", &self.account_id)
            .field("project_id", &self.project_id)
            .field("event_id", &self.event_id)
            .field("body", &body)
            .field("header_names", &names(&self.headers))
            .field("query_names", &names(&self.query))
            .finish_non_exhaustive()
    }
}

impl PostExternalEvent {
    /// Where PolyAI finds the event id (`event_id_location`) and its name there or dotted path
    /// into the body (`event_id_path`, for example `cid` or `data.reference`). Required.
    ///
    /// ```no_run
    /// use polyai_sdk::external_events::{ExternalEventBody, ExternalEventIdLocation};
    /// # async fn demo(client: polyai_sdk::Client) -> Result<(), polyai_sdk::Error> {
    /// client
    ///     .post_external_event("acme-uk", "booking-bot")
    ///     .event_id(ExternalEventIdLocation::Payload, "answers.cid")
    ///     .body(ExternalEventBody::Json(serde_json::json!({"answers": {"cid": "evt_9"}})))
    ///     .send()
    ///     .await?;
    /// # Ok(()) }
    /// ```
    pub fn event_id(mut self, location: ExternalEventIdLocation, path: impl Into<String>) -> Self {
        self.event_id = Some((location, path.into()));
        self
    }

    /// The event's body; its variant sets the `Content-Type`. Required.
    ///
    /// ```no_run
    /// use polyai_sdk::external_events::{ExternalEventBody, ExternalEventIdLocation};
    /// # async fn demo(client: polyai_sdk::Client) -> Result<(), polyai_sdk::Error> {
    /// client
    ///     .post_external_event("acme-uk", "booking-bot")
    ///     .event_id(ExternalEventIdLocation::Payload, "cid")
    ///     .body(ExternalEventBody::form([("cid", "evt_9"), ("status", "succeeded")]))
    ///     .send()
    ///     .await?;
    /// # Ok(()) }
    /// ```
    pub fn body(mut self, body: ExternalEventBody) -> Self {
        self.body = Some(body);
        self
    }

    /// Adds a request header, for example the one carrying the event id when the location is
    /// [`ExternalEventIdLocation::Headers`]. A later header of the same name replaces an
    /// earlier one. Credential and framing headers (`x-api-key`, `content-type`, ...) are
    /// refused at [`send`](Self::send). Values are marked sensitive in the HTTP layer.
    ///
    /// ```no_run
    /// use polyai_sdk::external_events::{ExternalEventBody, ExternalEventIdLocation};
    /// # async fn demo(client: polyai_sdk::Client) -> Result<(), polyai_sdk::Error> {
    /// client
    ///     .post_external_event("acme-uk", "booking-bot")
    ///     .event_id(ExternalEventIdLocation::Headers, "x-event-id")
    ///     .header("x-event-id", "evt_9")
    ///     .body(ExternalEventBody::Json(serde_json::json!({"status": "succeeded"})))
    ///     .send()
    ///     .await?;
    /// # Ok(()) }
    /// ```
    pub fn header(mut self, name: impl Into<String>, value: impl Into<String>) -> Self {
        self.headers.push((name.into(), value.into()));
        self
    }

    /// Adds a query parameter after the four the SDK sets, for example the one carrying the
    /// event id when the location is [`ExternalEventIdLocation::Querystring`]. The SDK's own
    /// names (`event_id_location`, `event_id_path`, `account_id`, `project_id`) are refused at
    /// [`send`](Self::send).
    ///
    /// ```no_run
    /// use polyai_sdk::external_events::{ExternalEventBody, ExternalEventIdLocation};
    /// # async fn demo(client: polyai_sdk::Client) -> Result<(), polyai_sdk::Error> {
    /// client
    ///     .post_external_event("acme-uk", "booking-bot")
    ///     .event_id(ExternalEventIdLocation::Querystring, "ref")
    ///     .query("ref", "evt_9")
    ///     .body(ExternalEventBody::Text("paid".into()))
    ///     .send()
    ///     .await?;
    /// # Ok(()) }
    /// ```
    pub fn query(mut self, name: impl Into<String>, value: impl Into<String>) -> Self {
        self.query.push((name.into(), value.into()));
        self
    }

    /// Checks the input and sends the event once (see [`Client::post_external_event`] on
    /// retries); `Ok(())` once PolyAI answers 201.
    ///
    /// ```no_run
    /// use polyai_sdk::external_events::{ExternalEventBody, ExternalEventIdLocation};
    /// # async fn demo(client: polyai_sdk::Client) -> Result<(), polyai_sdk::Error> {
    /// let sent = client
    ///     .post_external_event("acme-uk", "booking-bot")
    ///     .event_id(ExternalEventIdLocation::Payload, "cid")
    ///     .body(ExternalEventBody::Json(serde_json::json!({"cid": "evt_9"})))
    ///     .send()
    ///     .await;
    /// if let Err(error) = sent {
    ///     // For example: "PolyAI answered 400 Bad Request: External event id not valid".
    ///     eprintln!("{error}");
    /// }
    /// # Ok(()) }
    /// ```
    pub async fn send(self) -> Result<(), Error> {
        validate::path_segment("account_id", &self.account_id)?;
        validate::path_segment("project_id", &self.project_id)?;
        let Some((location, path)) = &self.event_id else {
            return Err(Error::InvalidInput(
                "no event id location: call .event_id(location, path)".to_string(),
            ));
        };
        if path.trim().is_empty() {
            return Err(Error::InvalidInput("event_id_path is empty".to_string()));
        }
        let Some(body) = &self.body else {
            return Err(Error::InvalidInput(
                "no event body: call .body(..)".to_string(),
            ));
        };
        let headers = self
            .headers
            .iter()
            .map(|(name, value)| checked_header(name, value))
            .collect::<Result<Vec<_>, _>>()?;
        for (name, _) in &self.query {
            if name.is_empty() {
                return Err(Error::InvalidInput(
                    "a query parameter name is empty".to_string(),
                ));
            }
            if RESERVED_QUERY.contains(&name.as_str()) {
                return Err(Error::InvalidInput(format!(
                    "query parameter {name:?} is set by the SDK; use .event_id(..) and the \
                     account and project ids given to post_external_event"
                )));
            }
        }
        match location {
            ExternalEventIdLocation::Headers
                if !headers
                    .iter()
                    .any(|(name, _)| name.as_str().eq_ignore_ascii_case(path)) =>
            {
                return Err(Error::InvalidInput(format!(
                    "the event id is said to be in header {path:?}, but no such header was \
                     added: call .header({path:?}, event_id)"
                )));
            }
            ExternalEventIdLocation::Querystring
                if !self.query.iter().any(|(name, _)| name == path) =>
            {
                return Err(Error::InvalidInput(format!(
                    "the event id is said to be in query parameter {path:?}, but no such \
                     parameter was added: call .query({path:?}, event_id)"
                )));
            }
            _ => {}
        }
        let content_type = HeaderValue::from_static(body.content_type());
        let bytes = body.to_bytes()?;
        let location = location.to_string();
        let mut query: Vec<(&str, &str)> = vec![
            ("event_id_location", location.as_str()),
            ("event_id_path", path.as_str()),
            ("account_id", self.account_id.as_str()),
            ("project_id", self.project_id.as_str()),
        ];
        query.extend(self.query.iter().map(|(n, v)| (n.as_str(), v.as_str())));
        send_hand_written(
            self.client.external_events(),
            &POST_EXTERNAL_EVENT,
            &[],
            |mut request| {
                request = request.query(&query);
                for (name, value) in headers {
                    request = request.header(name, value);
                }
                request.header(CONTENT_TYPE, content_type).body(bytes)
            },
        )
        .await
        .map(drop)
    }
}

/// Parses a caller's header, refusing what cannot be sent and what the SDK sets itself.
fn checked_header(name: &str, value: &str) -> Result<(HeaderName, HeaderValue), Error> {
    let parsed = HeaderName::from_bytes(name.as_bytes())
        .map_err(|_| Error::InvalidInput(format!("{name:?} is not a valid header name")))?;
    if RESERVED_HEADERS.contains(&parsed.as_str()) {
        return Err(Error::InvalidInput(format!(
            "header {name:?} is set by the SDK and cannot be given"
        )));
    }
    // The value is not echoed: it may be a provider's token.
    let mut value = HeaderValue::from_str(value).map_err(|_| {
        Error::InvalidInput(format!(
            "the value of header {name:?} cannot be sent in HTTP (control or non-ASCII characters)"
        ))
    })?;
    value.set_sensitive(true);
    Ok((parsed, value))
}
