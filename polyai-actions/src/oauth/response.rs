//! Reading a token endpoint's answer (RFC 6749 §5.1 success, §5.2 error).

use std::time::Duration;

use http::StatusCode;
use serde_json::Value;

use super::{OAuthErrorCode, TokenError};

/// The parts of a successful token response this crate uses.
pub(crate) struct Granted {
    pub(crate) access_token: String,
    pub(crate) token_type: Option<String>,
    /// `None`: the response had no `expires_in`.
    pub(crate) expires_in: Option<Duration>,
    pub(crate) scope: Option<String>,
}

/// Turns the endpoint's status and body into a grant or a typed error. `token_url` is already
/// stripped of any query string. Nothing from a body except the RFC 6749 §5.2 error fields
/// ever reaches an error message.
pub(crate) fn parse(
    token_url: &str,
    status: StatusCode,
    content_type: Option<&str>,
    body: &[u8],
) -> Result<Granted, TokenError> {
    let json: Option<Value> = serde_json::from_slice(body).ok();
    let object = json.as_ref().and_then(Value::as_object);

    // §5.2: an `error` member means a refusal, whatever the status (some servers answer 200).
    if let Some(obj) = object
        && let Some(code) = obj.get("error")
    {
        let Some(code) = code.as_str() else {
            return Err(malformed(token_url, status, "`error` is not a string"));
        };
        return Err(TokenError::Rejected {
            token_url: token_url.to_owned(),
            status: status.as_u16(),
            error: OAuthErrorCode::from_code(code),
            description: obj
                .get("error_description")
                .and_then(Value::as_str)
                .map(str::to_owned),
            uri: obj
                .get("error_uri")
                .and_then(Value::as_str)
                .map(str::to_owned),
        });
    }
    if !status.is_success() {
        return Err(TokenError::Status {
            token_url: token_url.to_owned(),
            status: status.as_u16(),
            content_type: content_type.map(str::to_owned),
            body_bytes: body.len(),
        });
    }
    let Some(obj) = object else {
        return Err(TokenError::NotJson {
            token_url: token_url.to_owned(),
            status: status.as_u16(),
            content_type: content_type.map(str::to_owned),
            body_bytes: body.len(),
            detail: if json.is_some() {
                "the body is JSON but not an object".to_owned()
            } else {
                "the body is not JSON".to_owned()
            },
        });
    };

    let access_token = match obj.get("access_token") {
        Some(Value::String(t)) if !t.is_empty() => t.clone(),
        Some(Value::String(_)) => {
            return Err(malformed(token_url, status, "`access_token` is empty"));
        }
        Some(_) => {
            return Err(malformed(
                token_url,
                status,
                "`access_token` is not a string",
            ));
        }
        None => return Err(malformed(token_url, status, "there is no `access_token`")),
    };
    // The token goes into a header value: only visible ASCII (RFC 6750's b64token is a subset).
    if !access_token.bytes().all(|b| (0x21..=0x7e).contains(&b)) {
        return Err(malformed(
            token_url,
            status,
            "`access_token` holds a character that cannot be sent in a header (only visible \
             ASCII is allowed)",
        ));
    }
    let token_type = match obj.get("token_type") {
        None | Some(Value::Null) => None,
        Some(Value::String(t)) => Some(t.clone()),
        Some(_) => return Err(malformed(token_url, status, "`token_type` is not a string")),
    };
    let expires_in = match obj.get("expires_in") {
        None | Some(Value::Null) => None,
        Some(value) => Some(expires_in(value).ok_or_else(|| {
            malformed(
                token_url,
                status,
                "`expires_in` is not a non-negative number of seconds (a number or a numeric \
                 string)",
            )
        })?),
    };
    let scope = obj.get("scope").and_then(Value::as_str).map(str::to_owned);
    Ok(Granted {
        access_token,
        token_type,
        expires_in,
        scope,
    })
}

/// `expires_in` as a number (`3600`, `3600.0`) or a numeric string (`"3600"`), in whole
/// seconds (a fraction is dropped). Negative, non-finite or non-numeric: `None`.
fn expires_in(value: &Value) -> Option<Duration> {
    let seconds: f64 = match value {
        Value::Number(n) => {
            if let Some(u) = n.as_u64() {
                return Some(Duration::from_secs(u));
            }
            n.as_f64()?
        }
        Value::String(s) => {
            let s = s.trim();
            if let Ok(u) = s.parse::<u64>() {
                return Some(Duration::from_secs(u));
            }
            s.parse::<f64>().ok()?
        }
        _ => return None,
    };
    if !seconds.is_finite() || seconds < 0.0 {
        return None;
    }
    // Saturates at u64::MAX for absurd values: the token is then kept until invalidated.
    Some(Duration::from_secs(seconds.floor() as u64))
}

fn malformed(token_url: &str, status: StatusCode, reason: &str) -> TokenError {
    TokenError::Malformed {
        token_url: token_url.to_owned(),
        status: status.as_u16(),
        reason: reason.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn expires_in_accepts_numbers_and_numeric_strings() {
        assert_eq!(expires_in(&json!(3600)), Some(Duration::from_secs(3600)));
        assert_eq!(expires_in(&json!(3600.9)), Some(Duration::from_secs(3600)));
        assert_eq!(expires_in(&json!("120")), Some(Duration::from_secs(120)));
        assert_eq!(expires_in(&json!(" 120 ")), Some(Duration::from_secs(120)));
        assert_eq!(expires_in(&json!("1e3")), Some(Duration::from_secs(1000)));
        assert_eq!(expires_in(&json!(-1)), None);
        assert_eq!(expires_in(&json!("soon")), None);
        assert_eq!(expires_in(&json!("NaN")), None);
        assert_eq!(expires_in(&json!(true)), None);
    }
}
