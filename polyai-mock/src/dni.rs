//! DNI reservations (`openapi/dni.yaml`): reserve a tracking phone number for a visitor.
//!
//! `attributes` (an object) is required. Each reservation takes the next free number of the
//! pool ([`DNI_POOL_SIZE`] numbers `+1555010000`...); when none is left the answer is 404
//! `NO_NUMBER_AVAILABLE`. Reservations are kept until [`crate::MockServer::reset_state`] and
//! read back with [`crate::MockServer::dni_reservations`] (or `GET /_mock/dni-reservations`).
//! Errors are `{success: false, error, message}` bodies.

use axum::http::StatusCode;
use serde::Deserialize;
use serde_json::{Value, json};

use crate::envelope::{ApiError, json_response};
use crate::request::{Reply, Req};

/// How many numbers the mock's DNI pool holds (PolyAI publishes no size; the mock's choice).
pub(crate) const DNI_POOL_SIZE: usize = 100;
/// The first number of the pool, as digits after `+`.
const DNI_POOL_START: u64 = 1_555_010_000;

/// One reservation: the number and the attributes it was reserved with.
#[derive(Debug, Clone)]
pub(crate) struct DniReservation {
    pub dni: String,
    pub attributes: Value,
}

/// The family's bad-body error.
pub(crate) fn bad_body(message: String) -> ApiError {
    ApiError::new(StatusCode::BAD_REQUEST, "BAD_REQUEST", message)
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ReserveBody {
    attributes: Value,
}

/// `POST /v1/conversations/dni-reservation`
pub(crate) fn reserve(req: &Req<'_>) -> Reply {
    let body: ReserveBody = req.json()?;
    if !body.attributes.is_object() {
        return Err(bad_body("attributes must be a JSON object.".into()));
    }
    let mut store = req.app.store();
    let n = store.dni_reservations.len();
    if n >= DNI_POOL_SIZE {
        return Err(ApiError::new(
            StatusCode::NOT_FOUND,
            "NO_NUMBER_AVAILABLE",
            format!("All {DNI_POOL_SIZE} numbers of the pool are reserved."),
        ));
    }
    let dni = format!("+{}", DNI_POOL_START + n as u64);
    store.dni_reservations.push(DniReservation {
        dni: dni.clone(),
        attributes: body.attributes,
    });
    Ok(json_response(StatusCode::OK, &json!({ "dni": dni })))
}
