//! External events (`openapi/external-events.yaml`): third-party results posted back to a
//! running agent, recorded so a test can read them.
//!
//! `event_id_location` (`headers`, `querystring` or `payload`), `event_id_path`,
//! `account_id` and `project_id` are required query parameters. The event id is read from
//! the header or query parameter named by `event_id_path`, or from the body: a dotted path
//! into JSON (`data.reference`), a form field, or the text of the XML element named by the
//! path's last part. A missing or empty id is 400; any other id is accepted (the mock has no
//! agent handing ids out). Accepted events answer 201 `{}` and are listed by
//! [`crate::MockServer::external_events`] (or `GET /_mock/external-events`). Errors are
//! `{error_message}` bodies.

use axum::http::StatusCode;
use axum::http::header::CONTENT_TYPE;
use serde_json::{Value, json};

use crate::envelope::{ApiError, json_response};
use crate::request::{Reply, Req, SECRET_HEADERS};
use crate::util::parse_query;

/// One external event the mock received.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExternalEvent {
    /// The event id found in the request.
    pub event_id: String,
    /// Where it was found: `headers`, `querystring` or `payload`.
    pub event_id_location: String,
    /// The `account_id` query parameter.
    pub account_id: String,
    /// The `project_id` query parameter.
    pub project_id: String,
    /// The request's `Content-Type`, if any.
    pub content_type: Option<String>,
    /// The raw body, as text (lossy UTF-8).
    pub body: String,
    /// The request number of the delivery (as in [`crate::RecordedRequest::seq`]).
    pub seq: u64,
}

fn bad(message: impl Into<String>) -> ApiError {
    ApiError::new(StatusCode::BAD_REQUEST, "BAD_REQUEST", message)
}

fn required<'r>(req: &'r Req<'_>, name: &str) -> Result<&'r str, ApiError> {
    req.query_first(name)
        .filter(|v| !v.is_empty())
        .ok_or_else(|| bad(format!("The {name} query parameter is required.")))
}

/// Reads the event id out of the body.
fn from_payload(content_type: &str, body: &[u8], path: &str) -> Option<String> {
    let text = String::from_utf8_lossy(body);
    if content_type.contains("x-www-form-urlencoded") {
        return parse_query(Some(&text))
            .into_iter()
            .find(|(n, _)| n == path)
            .map(|(_, v)| v);
    }
    if content_type.contains("xml") {
        let tag = path.rsplit('.').next().unwrap_or(path);
        let open = format!("<{tag}>");
        let start = text.find(&open)? + open.len();
        let len = text[start..].find(&format!("</{tag}>"))?;
        return Some(text[start..start + len].trim().to_owned());
    }
    let value: Value = serde_json::from_slice(body).ok()?;
    let mut at = &value;
    for part in path.split('.') {
        at = match at {
            Value::Object(map) => map.get(part)?,
            Value::Array(items) => items.get(part.parse::<usize>().ok()?)?,
            _ => return None,
        };
    }
    match at {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

/// `POST /v1/external-events/webhook`
pub(crate) fn post(req: &Req<'_>) -> Reply {
    let location = required(req, "event_id_location")?;
    let path = required(req, "event_id_path")?;
    let account_id = required(req, "account_id")?;
    let project_id = required(req, "project_id")?;
    let content_type = req.header(CONTENT_TYPE.as_str()).map(str::to_owned);
    let event_id = match location {
        "headers" => {
            if SECRET_HEADERS.contains(&path.to_ascii_lowercase().as_str()) {
                return Err(bad("event_id_path must not name a credential header."));
            }
            req.header(path).map(str::to_owned)
        }
        "querystring" => req.query_first(path).map(str::to_owned),
        "payload" => from_payload(content_type.as_deref().unwrap_or(""), req.body, path),
        other => {
            return Err(bad(format!(
                "event_id_location must be headers, querystring or payload; got {other:?}."
            )));
        }
    }
    .filter(|id| !id.is_empty())
    .ok_or_else(|| {
        bad(format!(
            "No event id at {location} {path:?} in the request."
        ))
    })?;
    let event = ExternalEvent {
        event_id,
        event_id_location: location.to_owned(),
        account_id: account_id.to_owned(),
        project_id: project_id.to_owned(),
        content_type,
        body: String::from_utf8_lossy(req.body).into_owned(),
        seq: req.seq,
    };
    req.app.store().external_events.push(event);
    Ok(json_response(StatusCode::CREATED, &json!({})))
}
