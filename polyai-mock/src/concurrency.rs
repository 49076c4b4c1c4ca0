//! Concurrent calls (`openapi/concurrent-calls.yaml`): the most simultaneous conversations per
//! 5-minute interval.
//!
//! `start_time` and `end_time` are required ISO 8601 times, `end_time` after `start_time` and
//! at most [`MAX_SPAN_MS`] (7 days) later; both are rounded down to 5-minute marks and one
//! interval is listed per mark in `[start, end)`. `client_env` is `sandbox`, `pre-release` or
//! `live`; `variant_id` and `variant_name` are exclusive; `slice_by=variant` labels every
//! interval with the default variant, while `language` and `phone_number` answer 501, as
//! PolyAI does. The counts are a deterministic function of the seed, the interval and the
//! filters (0 to 5), not derived from the seeded conversations. Errors are `{error_message}`.

use axum::http::StatusCode;
use serde_json::{Value, json};

use crate::envelope::{ApiError, json_response};
use crate::request::{Reply, Req};
use crate::salts;
use crate::time::{parse_iso8601, rfc3339_ms};
use crate::util::{fnv64, hash3};

/// Longest window accepted: 7 days.
pub(crate) const MAX_SPAN_MS: i64 = 7 * 86_400_000;
/// Interval length: 5 minutes.
const INTERVAL_MS: i64 = 300_000;

fn bad(message: impl Into<String>) -> ApiError {
    ApiError::new(StatusCode::BAD_REQUEST, "BAD_REQUEST", message)
}

fn time_param(req: &Req<'_>, name: &str) -> Result<i64, ApiError> {
    let text = req
        .query_first(name)
        .ok_or_else(|| bad(format!("{name} is required (ISO 8601).")))?;
    parse_iso8601(text).ok_or_else(|| bad(format!("{name} is not an ISO 8601 time: {text:?}.")))
}

/// `GET /v1/{account_id}/{project_id}/conversations/concurrency`
pub(crate) fn get(req: &Req<'_>) -> Reply {
    let start = time_param(req, "start_time")?;
    let end = time_param(req, "end_time")?;
    if end <= start {
        return Err(bad("end_time must be after start_time."));
    }
    if end - start > MAX_SPAN_MS {
        return Err(bad("start_time and end_time must be at most 7 days apart."));
    }
    let env = req.query_first("client_env").unwrap_or("live");
    if !["sandbox", "pre-release", "live"].contains(&env) {
        return Err(bad(format!(
            "client_env must be sandbox, pre-release or live; got {env:?}."
        )));
    }
    let variant_id = req.query_first("variant_id");
    let variant_name = req.query_first("variant_name");
    if variant_id.is_some() && variant_name.is_some() {
        return Err(bad("Send variant_id or variant_name, not both."));
    }
    let slice = req.query_first("slice_by");
    match slice {
        None | Some("variant") => {}
        Some("language" | "phone_number") => {
            return Err(ApiError::new(
                StatusCode::NOT_IMPLEMENTED,
                "NOT_IMPLEMENTED",
                "Only slice_by=variant is supported.",
            ));
        }
        Some(other) => {
            return Err(bad(format!(
                "slice_by must be variant, language or phone_number; got {other:?}."
            )));
        }
    }
    let filters = fnv64(
        format!(
            "{env}|{}|{}|{}|{}",
            variant_id.unwrap_or(""),
            variant_name.unwrap_or(""),
            req.query_first("language").unwrap_or(""),
            req.query_first("phone_number").unwrap_or("")
        )
        .as_bytes(),
    );
    let seed = req.app.data.cfg.seed;
    let first = start.div_euclid(INTERVAL_MS) * INTERVAL_MS;
    let last = end.div_euclid(INTERVAL_MS) * INTERVAL_MS;
    let mut intervals: Vec<Value> = Vec::new();
    let mut t = first;
    while t < last.max(first + INTERVAL_MS) {
        let mark = u64::try_from(t / INTERVAL_MS).unwrap_or(0);
        let count = hash3(seed ^ filters, mark, salts::CONCURRENCY) % 6;
        let mut interval = json!({ "time": rfc3339_ms(t), "max_concurrent_conversations": count });
        if slice == Some("variant") {
            interval["variant_id"] = json!(variant_id.unwrap_or("VARIANT-DEFAULT"));
            interval["variant_name"] = json!(variant_name.unwrap_or("default"));
        }
        intervals.push(interval);
        t += INTERVAL_MS;
    }
    Ok(json_response(
        StatusCode::OK,
        &json!({
            "account_id": req.param("account_id"),
            "project_id": req.param("project_id"),
            "intervals": intervals,
        }),
    ))
}
