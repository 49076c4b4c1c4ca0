//! Legacy outbound calling (`openapi/outbound.yaml`): trigger a call, read its status.
//!
//! * Authenticated by `X-PolyAi-Auth-Token` (see [`crate::MockServerBuilder::outbound_token`]),
//!   not the API key; errors are `{error, code}` bodies.
//! * `to_number` is required and must be E.164 (`+` and 8 to 15 digits); `country_code`, when
//!   sent, two letters; `metadata` a map of strings whose JSON stays under
//!   [`MAX_METADATA_BYTES`] (PolyAI's 26 KB limit); `encryption` one of `UDP/RTP`, `UDP/SRTP`,
//!   `TLS/RTP`, `TLS/SRTP`. The answer is 200 `{call_sid: "OUT-<uuid>"}`.
//! * Status reads walk `queued` → `calling` → `success` (one step per read); numbers ending in
//!   `0000` end in `failure` with reason `no-answer` instead. Unknown call ids are 404.

use axum::http::StatusCode;
use serde::Deserialize;
use serde_json::json;
use std::collections::BTreeMap;

use crate::envelope::{ApiError, json_response};
use crate::request::{Reply, Req};
use crate::salts;
use crate::util::{hash3, uuid_from};

/// Largest `metadata` accepted, in bytes of JSON (PolyAI: "base64 < 26 KB").
pub(crate) const MAX_METADATA_BYTES: usize = 26 * 1024;
const ENCRYPTIONS: [&str; 4] = ["UDP/RTP", "UDP/SRTP", "TLS/RTP", "TLS/SRTP"];

/// One triggered call.
#[derive(Debug, Clone)]
pub(crate) struct OutboundCall {
    pub call_sid: String,
    pub to_number: String,
    pub metadata: BTreeMap<String, String>,
    /// How many times the status was read.
    pub reads: u32,
}

impl OutboundCall {
    fn status(&self) -> (&'static str, Option<&'static str>) {
        let fails = self.to_number.ends_with("0000");
        match (self.reads, fails) {
            (0 | 1, _) => ("queued", None),
            (2, _) => ("calling", None),
            (_, false) => ("success", None),
            (_, true) => ("failure", Some("no-answer")),
        }
    }
}

/// The family's bad-body error: 400 `{error, code: "BAD_REQUEST"}`.
pub(crate) fn bad_body(message: String) -> ApiError {
    ApiError::new(StatusCode::BAD_REQUEST, "BAD_REQUEST", message)
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct TriggerBody {
    to_number: String,
    country_code: Option<String>,
    metadata: Option<BTreeMap<String, String>>,
    encryption: Option<String>,
}

/// Whether `number` is E.164: `+` then 8 to 15 digits, the first not 0.
pub(crate) fn is_e164(number: &str) -> bool {
    number.strip_prefix('+').is_some_and(|d| {
        (8..=15).contains(&d.len()) && d.bytes().all(|b| b.is_ascii_digit()) && !d.starts_with('0')
    })
}

/// `POST /v1/outbound-calling`
pub(crate) fn trigger(req: &Req<'_>) -> Reply {
    let body: TriggerBody = req.json()?;
    if !is_e164(&body.to_number) {
        return Err(bad_body(format!(
            "to_number must be an E.164 number such as +15551234567; got {:?}.",
            body.to_number
        )));
    }
    if let Some(cc) = &body.country_code
        && !(cc.len() == 2 && cc.bytes().all(|b| b.is_ascii_alphabetic()))
    {
        return Err(bad_body(format!(
            "country_code must be a two-letter ISO 3166 code; got {cc:?}."
        )));
    }
    if let Some(e) = &body.encryption
        && !ENCRYPTIONS.contains(&e.as_str())
    {
        return Err(bad_body(format!(
            "encryption must be one of {}; got {e:?}.",
            ENCRYPTIONS.join(", ")
        )));
    }
    let metadata = body.metadata.unwrap_or_default();
    let size = serde_json::to_vec(&metadata).map_or(0, |v| v.len());
    if size >= MAX_METADATA_BYTES {
        return Err(bad_body(format!(
            "metadata must stay under {MAX_METADATA_BYTES} bytes; got {size}."
        )));
    }
    let call_sid = format!(
        "OUT-{}",
        uuid_from(
            hash3(req.app.instance_key, req.seq, salts::CALL_SID[0]),
            hash3(req.app.instance_key, req.seq, salts::CALL_SID[1]),
        )
    );
    req.app.store().outbound_calls.push(OutboundCall {
        call_sid: call_sid.clone(),
        to_number: body.to_number,
        metadata,
        reads: 0,
    });
    Ok(json_response(
        StatusCode::OK,
        &json!({ "call_sid": call_sid }),
    ))
}

/// `GET /v1/outbound-calling/{call_sid}/status`
pub(crate) fn status(req: &Req<'_>) -> Reply {
    let sid = req.param("call_sid");
    let mut store = req.app.store();
    let call = store
        .outbound_calls
        .iter_mut()
        .find(|c| c.call_sid == sid)
        .ok_or_else(|| {
            ApiError::new(
                StatusCode::NOT_FOUND,
                "CALL_NOT_FOUND",
                format!("No outbound call {sid} (statuses are kept for about two hours)."),
            )
        })?;
    call.reads = call.reads.saturating_add(1);
    let (status, reason) = call.status();
    Ok(json_response(
        StatusCode::OK,
        &json!({ "status": status, "reason": reason }),
    ))
}
