//! The request pipeline: resolve the route, check the family's credentials, apply the fault
//! plan, run the handler, render errors in the family's shape, add the correlation id and
//! record the request.

use std::sync::Arc;

use axum::extract::{Request, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::Response;

use crate::admin::{self, ADMIN_PREFIX};
use crate::envelope::ApiError;
use crate::faults::{self, Fault};
use crate::log::{ApiKeyCheck, RecordedRequest};
use crate::request::{Auth, ErrorShape, Reply, Route, SECRET_HEADERS};
use crate::routes::{self, Resolution};
use crate::state::{App, lock};

/// The correlation-id response header PolyAI sends on every response.
pub const CORRELATION_HEADER: &str = "x-polyai-correlation-id";

/// Largest request body accepted (bigger bodies get 413): room for the audio cache's 6 MiB
/// uploads plus their multipart framing, so that the route itself answers PolyAI's 400 for a
/// file over the limit.
pub(crate) const MAX_BODY: usize = 8 * 1024 * 1024;

// ---------------------------------------------------------------------------------------------
// The request pipeline

fn header_value(text: &str) -> HeaderValue {
    HeaderValue::from_str(text).unwrap_or(HeaderValue::from_static("invalid"))
}

fn fault_error(fault: &Fault) -> Option<ApiError> {
    match fault {
        Fault::ServiceUnavailable => Some(ApiError::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "SERVICE_UNAVAILABLE",
            "The service is temporarily unavailable. Please retry.",
        )),
        Fault::RateLimited { retry_after_secs } => Some(
            ApiError::new(
                StatusCode::TOO_MANY_REQUESTS,
                "RATE_LIMITED",
                "Too many requests. Retry after the indicated period.",
            )
            .with_header(header::RETRY_AFTER, HeaderValue::from(*retry_after_secs)),
        ),
        Fault::Status(code) => {
            let status = StatusCode::from_u16(*code)
                .ok()
                .filter(|s| s.is_client_error() || s.is_server_error())
                .unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
            let code = match status.as_u16() {
                400 => "BAD_REQUEST",
                401 => "AUTH_USER_UNAUTHORISED",
                403 => "USER_ACCESS_FORBIDDEN",
                404 => "NOT_FOUND",
                408 => "REQUEST_TIMEOUT",
                409 => "CONFLICT",
                429 => "RATE_LIMITED",
                502 => "BAD_GATEWAY",
                503 => "SERVICE_UNAVAILABLE",
                504 => "GATEWAY_TIMEOUT",
                _ => "INTERNAL_ERROR",
            };
            Some(ApiError::new(
                status,
                code,
                format!("Injected fault: HTTP {}.", status.as_u16()),
            ))
        }
        _ => None,
    }
}

/// Checks the family's credentials; `Err` is the 401 to answer.
fn check_auth(
    app: &App,
    auth: Auth,
    headers: &HeaderMap,
    key: ApiKeyCheck,
) -> Result<(), ApiError> {
    let api_key = || match key {
        ApiKeyCheck::Matched => Ok(()),
        ApiKeyCheck::Missing => Err(ApiError::new(
            StatusCode::UNAUTHORIZED,
            "AUTH_USER_UNAUTHORISED",
            "Missing API key: send it in the x-api-key header.",
        )),
        ApiKeyCheck::Mismatched => Err(ApiError::new(
            StatusCode::UNAUTHORIZED,
            "AUTH_USER_INVALID_TOKEN",
            "Invalid API key.",
        )),
    };
    let token = |name: &str, expected: &str, what: &str| match headers.get(name) {
        None => Err(ApiError::new(
            StatusCode::UNAUTHORIZED,
            "AUTH_USER_UNAUTHORISED",
            format!("Missing {what}: send it in the {name} header."),
        )),
        Some(v) if v.as_bytes() == expected.as_bytes() => Ok(()),
        Some(_) => Err(ApiError::new(
            StatusCode::UNAUTHORIZED,
            "AUTH_USER_INVALID_TOKEN",
            format!("Invalid {what}."),
        )),
    };
    match auth {
        Auth::ApiKey => api_key(),
        Auth::ApiKeyAndConnectorToken => {
            api_key()?;
            token("x-token", &app.connector_token, "connector token")
        }
        Auth::OutboundToken => token(
            "x-polyai-auth-token",
            &app.outbound_token,
            "outbound auth token",
        ),
    }
}

/// Answers an admin request: no fault plan, no request log.
async fn admin_request(
    app: &App,
    parts: &axum::http::request::Parts,
    body: Result<axum::body::Bytes, axum::Error>,
) -> Response {
    let correlation_id = app.admin_correlation_id();
    let outcome = match body {
        Err(_) => Err(ApiError::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            "PAYLOAD_TOO_LARGE",
            format!("Request bodies are limited to {MAX_BODY} bytes."),
        )),
        Ok(bytes) => {
            admin::handle(app, &parts.method, parts.uri.path(), &parts.headers, &bytes).await
        }
    };
    let mut response = outcome.unwrap_or_else(|e| e.into_response(&correlation_id));
    response
        .headers_mut()
        .insert(CORRELATION_HEADER, header_value(&correlation_id));
    response
}

/// Answers one request: every request, on every path, goes through here.
pub(crate) async fn handle(State(app): State<Arc<App>>, request: Request) -> Response {
    let (parts, body) = request.into_parts();
    let body = axum::body::to_bytes(body, MAX_BODY).await;
    if parts.uri.path().starts_with(ADMIN_PREFIX) {
        return admin_request(&app, &parts, body).await;
    }
    let seq = app.next_seq();
    let correlation_id = app.correlation_id(seq);
    let path = parts.uri.path().to_owned();
    let raw_query = parts.uri.query().map(str::to_owned);
    let key_check = match parts.headers.get("x-api-key") {
        None => ApiKeyCheck::Missing,
        Some(v) if v.as_bytes() == app.api_key.as_bytes() => ApiKeyCheck::Matched,
        Some(_) => ApiKeyCheck::Mismatched,
    };
    let resolution = routes::resolve(&parts.method, &path);
    let (route, shape) = match &resolution {
        Resolution::Found(m) => (Some(Route(m.row().operation_id)), m.row().family.errors),
        _ => (None, ErrorShape::Envelope),
    };
    let fault = lock(&app.faults).decide(seq, route);

    let outcome: Reply = match (fault.as_ref().and_then(fault_error), &body) {
        (Some(injected), _) => Err(injected),
        (None, Err(_)) => Err(ApiError::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            "PAYLOAD_TOO_LARGE",
            format!("Request bodies are limited to {MAX_BODY} bytes."),
        )),
        (None, Ok(bytes)) => {
            if let Some(Fault::Stall(d)) = &fault {
                tokio::time::sleep(*d).await;
            }
            match resolution {
                Resolution::NotFound => Err(routes::not_found(&parts.method, &path)),
                Resolution::MethodNotAllowed(allow) => Err(ApiError::new(
                    StatusCode::METHOD_NOT_ALLOWED,
                    "METHOD_NOT_ALLOWED",
                    format!("{} is not allowed on {path}; use {allow}.", parts.method),
                )
                .with_header(header::ALLOW, header_value(&allow))),
                Resolution::Found(m) => {
                    let row = m.row();
                    match check_auth(&app, row.family.auth, &parts.headers, key_check) {
                        Err(e) => Err(e),
                        Ok(()) => {
                            let req = m.request(
                                &app,
                                seq,
                                &parts.method,
                                &path,
                                raw_query.as_deref(),
                                &parts.headers,
                                bytes,
                            );
                            (row.handler)(&req)
                        }
                    }
                }
            }
        }
    };
    let mut response = match outcome {
        Ok(r) => r,
        Err(e) => e.render(shape, &correlation_id),
    };

    match &fault {
        Some(Fault::Reset { after_bytes }) => {
            let (p, b) = response.into_parts();
            response = Response::from_parts(p, faults::wrap_body(b, *after_bytes, None));
        }
        Some(Fault::Truncate { after_bytes }) => {
            let (mut p, b) = response.into_parts();
            if let Some(len) = faults::exact_len(&b) {
                p.headers
                    .insert(header::CONTENT_LENGTH, HeaderValue::from(len));
            }
            response = Response::from_parts(p, faults::wrap_body(b, *after_bytes, None));
        }
        Some(Fault::StallBody { after_bytes, pause }) => {
            let (mut p, b) = response.into_parts();
            if let Some(len) = faults::exact_len(&b) {
                p.headers
                    .insert(header::CONTENT_LENGTH, HeaderValue::from(len));
            }
            response = Response::from_parts(p, faults::wrap_body(b, *after_bytes, Some(*pause)));
        }
        _ => {}
    }
    response
        .headers_mut()
        .insert(CORRELATION_HEADER, header_value(&correlation_id));

    if app.record {
        let headers = parts
            .headers
            .iter()
            .map(|(name, value)| {
                let value = if SECRET_HEADERS.contains(&name.as_str()) {
                    "<redacted>".to_owned()
                } else {
                    String::from_utf8_lossy(value.as_bytes()).into_owned()
                };
                (name.as_str().to_owned(), value)
            })
            .collect();
        let entry = RecordedRequest {
            seq,
            method: parts.method.as_str().to_owned(),
            path,
            query: raw_query,
            headers,
            api_key: key_check,
            body: body.unwrap_or_default(),
            route,
            correlation_id,
            status: response.status().as_u16(),
            fault,
        };
        lock(&app.log).push(entry);
    }
    response
}
