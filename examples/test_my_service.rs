//! Test your own service the way a PolyAI agent calls it: an axum booking service (the kind of
//! service an agent's API-call actions point at) and its two actions,
//! `examples/data/booking_actions.yaml`, run in-process through `ServiceClient` (no socket).
//!
//! The actions are chained over one conversation, as in a call: `lookup_customer` finds the
//! caller by phone number and sets `customer.*` output variables (one of them, the customer's
//! PIN, sensitive and hidden from the model); `create_booking` uses them as `.variables` in its
//! body template. For each step the example prints the request the service gets, its answer,
//! the output variables and the view the model is given; then a call the parameter schema
//! refuses (nothing is sent) and one the service refuses, with the text the agent would get.
//! No sensitive value or secret is printed.
//!
//! ```sh
//! cargo run -p polyai-examples --example test_my_service
//! ```

use std::collections::HashMap;
use std::error::Error;
use std::io::Write;
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::{Arc, Mutex};

use axum::Json;
use axum::Router;
use axum::extract::{Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::routing::{get, post};
use polyai_actions::chain::{Conversation, RunError};
use polyai_actions::client::ServiceClient;
use polyai_actions::outcome::ModelBody;
use polyai_actions::{ApiActions, Environment, InMemorySecretStore, PreparedAction};
use serde_json::{Value, json};

type AnyResult<T> = Result<T, Box<dyn Error + Send + Sync>>;

/// The token the service accepts; the agent's side holds it as the secret
/// `bookings_api_token`.
const SERVICE_TOKEN: &str = "sb_sandbox_7Qm2xK9c";

/// One customer record of the service.
struct Customer {
    id: &'static str,
    phone: &'static str,
    first_name: &'static str,
    tier: &'static str,
    pin: &'static str,
}

const CUSTOMERS: &[Customer] = &[
    Customer {
        id: "C-1042",
        phone: "+447700900123",
        first_name: "Ada",
        tier: "gold",
        pin: "4471-09",
    },
    Customer {
        id: "C-2210",
        phone: "+447700900456",
        first_name: "Grace",
        tier: "standard",
        pin: "8812-33",
    },
];

#[derive(Clone, Default)]
struct Bookings {
    next: Arc<AtomicU32>,
    made: Arc<Mutex<Vec<Value>>>,
}

type Reply = (StatusCode, Json<Value>);

fn refuse(status: StatusCode, message: &str) -> Reply {
    (status, Json(json!({"error": message})))
}

fn authorised(headers: &HeaderMap) -> Result<(), Reply> {
    let expected = format!("Bearer {SERVICE_TOKEN}");
    match headers.get("authorization").and_then(|v| v.to_str().ok()) {
        Some(value) if value == expected => Ok(()),
        _ => Err(refuse(
            StatusCode::UNAUTHORIZED,
            "missing or wrong API token",
        )),
    }
}

fn is_e164(phone: &str) -> bool {
    let digits = phone.strip_prefix('+').unwrap_or("");
    (8..=15).contains(&digits.len())
        && digits.bytes().all(|b| b.is_ascii_digit())
        && !digits.starts_with('0')
}

/// `GET /api/customers?phone=+44...`
async fn find_customer(headers: HeaderMap, Query(query): Query<HashMap<String, String>>) -> Reply {
    if let Err(refused) = authorised(&headers) {
        return refused;
    }
    let Some(phone) = query.get("phone") else {
        return refuse(
            StatusCode::BAD_REQUEST,
            "the `phone` query parameter is required",
        );
    };
    if !is_e164(phone) {
        return refuse(StatusCode::BAD_REQUEST, "`phone` must be in E.164 form");
    }
    match CUSTOMERS.iter().find(|c| c.phone == phone) {
        Some(c) => (
            StatusCode::OK,
            Json(json!({
                "id": c.id,
                "first_name": c.first_name,
                "loyalty": {"tier": c.tier, "points": 1280},
                "verification": {"pin": c.pin},
            })),
        ),
        None => refuse(StatusCode::NOT_FOUND, "no customer has that phone number"),
    }
}

/// `POST /api/bookings` with a JSON body.
async fn create_booking(
    State(bookings): State<Bookings>,
    headers: HeaderMap,
    Json(body): Json<Value>,
) -> Reply {
    if let Err(refused) = authorised(&headers) {
        return refused;
    }
    let text = |key: &str| body.get(key).and_then(Value::as_str).unwrap_or_default();
    let Some(customer) = CUSTOMERS.iter().find(|c| c.id == text("customer_id")) else {
        return refuse(StatusCode::UNPROCESSABLE_ENTITY, "unknown customer_id");
    };
    if text("pin") != customer.pin {
        return refuse(StatusCode::FORBIDDEN, "the PIN does not match the customer");
    }
    let date = text("date");
    let date_ok = date.len() == 10
        && date.bytes().enumerate().all(|(i, b)| {
            if i == 4 || i == 7 {
                b == b'-'
            } else {
                b.is_ascii_digit()
            }
        });
    if !date_ok {
        return refuse(
            StatusCode::UNPROCESSABLE_ENTITY,
            "`date` must be YYYY-MM-DD",
        );
    }
    let time = text("time");
    // Tables are served from 12:00; the last sitting is 21:30.
    if !(time.len() == 5 && ("12:00"..="21:30").contains(&time)) {
        return refuse(
            StatusCode::UNPROCESSABLE_ENTITY,
            "we seat guests between 12:00 and 21:30",
        );
    }
    let party = body.get("party_size").and_then(Value::as_u64).unwrap_or(0);
    if !(1..=12).contains(&party) {
        return refuse(
            StatusCode::UNPROCESSABLE_ENTITY,
            "`party_size` must be 1 to 12",
        );
    }
    let seating = text("seating");
    if seating != "indoor" && seating != "terrace" {
        return refuse(
            StatusCode::UNPROCESSABLE_ENTITY,
            "`seating` is indoor or terrace",
        );
    }
    let n = bookings.next.fetch_add(1, Ordering::SeqCst) + 1;
    let booking = json!({
        "reference": format!("SB-{n:04}"),
        "status": "confirmed",
        "site": text("site"),
        "date": date,
        "time": time,
        "party_size": party,
        "tables": [if seating == "terrace" { "T4" } else { "A2" }],
    });
    bookings
        .made
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .push(booking.clone());
    (StatusCode::CREATED, Json(booking))
}

/// The user's service: an ordinary axum `Router`.
fn booking_service(bookings: Bookings) -> Router {
    Router::new()
        .route("/api/customers", get(find_customer))
        .route("/api/bookings", post(create_booking))
        .with_state(bookings)
}

/// Runs one action over the conversation and prints the request, the outcome and the model's
/// view.
async fn step(
    out: &mut dyn Write,
    conversation: &mut Conversation<'_>,
    action: &PreparedAction<'_>,
    parameters: Value,
    client: &ServiceClient<Router>,
) -> AnyResult<()> {
    writeln!(out, "=== {} {parameters}", action.action().name)?;
    let outcome = match conversation.run(action, parameters, client, None).await {
        Ok(outcome) => outcome,
        Err(refused @ RunError::Render(_)) => {
            writeln!(out, "--- not sent: {refused}")?;
            writeln!(out, "--- the agent is told: {}\n", refused.agent_message())?;
            return Ok(());
        }
        Err(failed) => return Err(failed.into()),
    };
    if let Some(sent) = outcome.request() {
        // The request exactly as the runner sent it. Its printed forms mask secrets; `redact`
        // also masks sensitive conversation variables a body template copied into the body.
        writeln!(
            out,
            "--- request\n{}",
            conversation.redact(&sent.to_string())
        )?;
    }
    writeln!(out, "--- response and output variables\n{outcome}")?;
    if let Some(error) = outcome.agent_error() {
        writeln!(out, "--- the agent is told: {}", error.agent_message())?;
    }
    writeln!(
        out,
        "--- the model's view\n{}\n",
        outcome.model_view(ModelBody::default())
    )?;
    Ok(())
}

/// The whole example, printing to `out`.
pub async fn run(out: &mut dyn Write) -> AnyResult<()> {
    let actions = ApiActions::from_yaml_str(include_str!("data/booking_actions.yaml"))?;
    let lookup = actions
        .get("lookup_customer")
        .ok_or("booking_actions.yaml defines lookup_customer")?;
    let book = actions
        .get("create_booking")
        .ok_or("booking_actions.yaml defines create_booking")?;
    let (lookup, book) = (PreparedAction::new(lookup)?, PreparedAction::new(book)?);

    let bookings = Bookings::default();
    let client = ServiceClient::new(booking_service(bookings.clone()));
    let secrets =
        InMemorySecretStore::new().with(Environment::Sandbox, "bookings_api_token", SERVICE_TOKEN);
    let mut conversation = Conversation::new(Environment::Sandbox, &secrets)
        .static_variables(Environment::Sandbox, json!({"site_id": "LDN-SOHO"}));

    step(
        out,
        &mut conversation,
        &lookup,
        json!({"phone": "+447700900123"}),
        &client,
    )
    .await?;
    let booking =
        json!({"date": "2026-12-24", "time": "19:30", "party_size": 4, "seating": "terrace"});
    step(out, &mut conversation, &book, booking, &client).await?;
    // The schema refuses 20 guests before anything is sent.
    let too_many = json!({"date": "2026-12-24", "time": "19:30", "party_size": 20});
    step(out, &mut conversation, &book, too_many, &client).await?;
    // The service refuses a time after the last sitting: a 422 the agent sees.
    let too_late = json!({"date": "2026-12-24", "time": "23:30", "party_size": 2});
    step(out, &mut conversation, &book, too_late, &client).await?;

    writeln!(out, "=== the conversation at the end\n{conversation:?}")?;
    let made = bookings
        .made
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .len();
    writeln!(out, "bookings the service made: {made}")?;
    Ok(())
}

#[cfg_attr(test, allow(dead_code))]
#[tokio::main]
async fn main() -> AnyResult<()> {
    let stdout = std::io::stdout();
    run(&mut stdout.lock()).await
}
