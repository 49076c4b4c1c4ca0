//! PolyAI's error envelope and JSON response helpers.

use axum::body::Body;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::Response;
use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::request::{ErrorShape, parse_json};

/// An error answer: rendered as PolyAI's envelope
/// `{"success": false, "error", "error_id", "error_code", "error_message", "data": null}`
/// where `error_id` is the response's correlation id.
#[derive(Debug, Clone)]
pub(crate) struct ApiError {
    pub status: StatusCode,
    pub code: &'static str,
    pub message: String,
    /// Extra headers (for example `Allow` on 405 or `Content-Range` on 416).
    pub headers: Vec<(header::HeaderName, HeaderValue)>,
    /// The envelope's `data` (null unless set, for example to list merge conflicts).
    pub data: Option<serde_json::Value>,
}

impl ApiError {
    pub fn new(status: StatusCode, code: &'static str, message: impl Into<String>) -> Self {
        Self {
            status,
            code,
            message: message.into(),
            headers: Vec::new(),
            data: None,
        }
    }

    /// 400 `CONVERSATIONS_VALIDATION_FAILED`.
    pub fn validation(message: impl Into<String>) -> Self {
        Self::new(
            StatusCode::BAD_REQUEST,
            "CONVERSATIONS_VALIDATION_FAILED",
            message,
        )
    }

    /// 400 `GET_CONVERSATIONS_FILTER_PARSE_ERROR`.
    pub fn filter(message: impl Into<String>) -> Self {
        Self::new(
            StatusCode::BAD_REQUEST,
            "GET_CONVERSATIONS_FILTER_PARSE_ERROR",
            message,
        )
    }

    /// 404 `CONVERSATIONS_NOT_FOUND`.
    pub fn conversation_not_found() -> Self {
        Self::new(
            StatusCode::NOT_FOUND,
            "CONVERSATIONS_NOT_FOUND",
            "Conversation ID does not exist.",
        )
    }

    /// Sets the envelope's `data` member.
    pub fn with_data(mut self, data: serde_json::Value) -> Self {
        self.data = Some(data);
        self
    }

    pub fn with_header(mut self, name: header::HeaderName, value: HeaderValue) -> Self {
        self.headers.push((name, value));
        self
    }

    /// Renders the envelope with `error_id` set to the correlation id.
    pub fn into_response(self, correlation_id: &str) -> Response {
        let body = Envelope {
            success: false,
            error: &self.message,
            error_id: correlation_id,
            error_code: self.code,
            error_message: &self.message,
            data: self.data.as_ref(),
        };
        let mut response = json_response(self.status, &body);
        for (name, value) in self.headers {
            response.headers_mut().insert(name, value);
        }
        response
    }
}

impl ApiError {
    /// Renders the error in a family's shape (see [`ErrorShape`]); headers are kept in
    /// every shape.
    pub fn render(self, shape: ErrorShape, correlation_id: &str) -> Response {
        let body = match shape {
            ErrorShape::Envelope => return self.into_response(correlation_id),
            ErrorShape::EnvelopeWithDetail422 => {
                if self.status != StatusCode::UNPROCESSABLE_ENTITY {
                    return self.into_response(correlation_id);
                }
                let detail = match &self.data {
                    Some(serde_json::Value::Array(items)) => {
                        serde_json::Value::Array(items.clone())
                    }
                    _ => serde_json::json!([
                        { "loc": ["body"], "msg": self.message, "type": "value_error" }
                    ]),
                };
                serde_json::json!({ "detail": detail })
            }
            ErrorShape::ErrorMessage => serde_json::json!({ "error_message": self.message }),
            ErrorShape::Dni => serde_json::json!({
                "success": false,
                "error": self.code,
                "message": self.message,
            }),
            ErrorShape::Outbound => serde_json::json!({
                "error": self.message,
                "code": self.code,
            }),
        };
        let mut response = json_response(self.status, &body);
        for (name, value) in self.headers {
            response.headers_mut().insert(name, value);
        }
        response
    }
}

#[derive(Serialize)]
struct Envelope<'a> {
    success: bool,
    error: &'a str,
    error_id: &'a str,
    error_code: &'a str,
    error_message: &'a str,
    data: Option<&'a serde_json::Value>,
}

/// Serialises `value` with `serde_json::to_vec` into an `application/json` response.
pub(crate) fn json_response<T: Serialize + ?Sized>(status: StatusCode, value: &T) -> Response {
    match serde_json::to_vec(value) {
        Ok(bytes) => {
            let mut response = Response::new(Body::from(bytes));
            *response.status_mut() = status;
            response.headers_mut().insert(
                header::CONTENT_TYPE,
                HeaderValue::from_static("application/json"),
            );
            response
        }
        Err(_) => {
            let mut response = Response::new(Body::from(
                r#"{"success":false,"error":"serialisation failed","error_id":"","error_code":"INTERNAL_ERROR","error_message":"serialisation failed","data":null}"#,
            ));
            *response.status_mut() = StatusCode::INTERNAL_SERVER_ERROR;
            response.headers_mut().insert(
                header::CONTENT_TYPE,
                HeaderValue::from_static("application/json"),
            );
            response
        }
    }
}

/// A response with no body (for example 204).
pub(crate) fn empty_response(status: StatusCode) -> Response {
    let mut response = Response::new(Body::empty());
    *response.status_mut() = status;
    response
}

/// Parses a JSON request body with one error for every kind of bad body (a thin call of the
/// one parser, [`parse_json`]). A blank body is `optional` when the body may be left out.
pub(crate) fn json_body<T: DeserializeOwned>(
    body: &[u8],
    optional: Option<T>,
    invalid: fn(String) -> ApiError,
) -> Result<T, ApiError> {
    parse_json(body, optional, invalid, invalid)
}
