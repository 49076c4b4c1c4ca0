//! The Alerts API (`openapi/alerts.yaml`): alert rules (CRUD) and the alerts firing now.
//!
//! * Rules are stored per server (one account), at most [`MAX_ALERT_RULES`] (409
//!   `ALERT_RULES_LIMIT_REACHED` beyond). Ids are `ar_` plus letters and digits; any other id
//!   in a path is 422.
//! * Validation failures are 422 with FastAPI's `{detail: [{loc, msg, type}]}` body, as
//!   PolyAI's Alerts service answers: missing or unknown fields, an unknown `metric`,
//!   `operator` or `window_duration`, a negative `threshold_value`, a blank `name` or one
//!   longer than [`MAX_NAME_CHARS`] characters, bad query filters. Other errors use the
//!   envelope (404 `ALERT_RULE_NOT_FOUND`, 409).
//! * A new rule's `current_state` is `no_data`. The mock evaluates nothing by itself: set a
//!   rule's state with [`crate::MockServer::set_alert_state`] (or `POST /_mock/alerts/state`);
//!   `GET /v1/alerts` lists the enabled rules whose state is `alert`.

use axum::http::StatusCode;
use serde::Deserialize;
use serde_json::{Value, json};

use crate::envelope::{ApiError, empty_response, json_response};
use crate::request::{Reply, Req};
use crate::salts;
use crate::time::{now_ms, rfc3339_ms};
use crate::util::token;

/// Most alert rules an account may hold (PolyAI's published limit).
pub(crate) const MAX_ALERT_RULES: usize = 10;
/// Longest rule name accepted (PolyAI publishes none; the mock's choice).
pub(crate) const MAX_NAME_CHARS: usize = 255;

const METRICS: [&str; 6] = [
    "turn_latency_p50",
    "turn_latency_p95",
    "api_errors",
    "function_errors",
    "call_crashes",
    "call_volume",
];
const OPERATORS: [&str; 4] = [">", "<", ">=", "<="];
const WINDOWS: [&str; 3] = ["5m", "10m", "60m"];
const STATES: [&str; 4] = ["ok", "alert", "no_data", "unknown"];

/// One stored alert rule.
#[derive(Debug, Clone)]
pub(crate) struct AlertRule {
    pub id: String,
    pub name: String,
    pub project_id: Option<String>,
    pub metric: String,
    pub operator: String,
    pub threshold_value: i64,
    pub window_duration: String,
    pub enabled: bool,
    pub current_state: String,
    pub current_value: Option<i64>,
    pub since_ms: i64,
    pub last_evaluated_ms: Option<i64>,
    pub created_ms: i64,
    pub updated_ms: i64,
}

impl AlertRule {
    pub fn to_json(&self) -> Value {
        json!({
            "id": self.id,
            "name": self.name,
            "project_id": self.project_id,
            "metric": self.metric,
            "operator": self.operator,
            "threshold_value": self.threshold_value,
            "window_duration": self.window_duration,
            "enabled": self.enabled,
            "current_state": self.current_state,
            "since": rfc3339_ms(self.since_ms),
            "last_evaluated_at": self.last_evaluated_ms.map(rfc3339_ms),
            "current_value": self.current_value,
            "created_at": rfc3339_ms(self.created_ms),
            "updated_at": rfc3339_ms(self.updated_ms),
        })
    }

    fn active_json(&self) -> Value {
        json!({
            "alert_rule_id": self.id,
            "name": self.name,
            "project_id": self.project_id,
            "metric": self.metric,
            "operator": self.operator,
            "threshold_value": self.threshold_value,
            "window_duration": self.window_duration,
            "since": rfc3339_ms(self.since_ms),
            "last_evaluated_at": self.last_evaluated_ms.map(rfc3339_ms),
            "current_value": self.current_value,
        })
    }
}

/// The account's alert rules.
#[derive(Debug, Default)]
pub(crate) struct AlertStore {
    pub rules: Vec<AlertRule>,
    created: u64,
}

/// A 422 with one FastAPI-style problem at `loc`.
pub(crate) fn invalid(loc: &[&str], msg: impl Into<String>) -> ApiError {
    let msg = msg.into();
    ApiError::new(
        StatusCode::UNPROCESSABLE_ENTITY,
        "VALIDATION_ERROR",
        msg.clone(),
    )
    .with_data(json!([{ "loc": loc, "msg": msg, "type": "value_error" }]))
}

/// The family's bad-body error: 422 at `body`.
pub(crate) fn invalid_body(message: String) -> ApiError {
    invalid(&["body"], message)
}

fn not_found(id: &str) -> ApiError {
    ApiError::new(
        StatusCode::NOT_FOUND,
        "ALERT_RULE_NOT_FOUND",
        format!("Alert rule {id} does not exist."),
    )
}

fn check_id(id: &str) -> Result<(), ApiError> {
    let valid = id
        .strip_prefix("ar_")
        .is_some_and(|rest| !rest.is_empty() && rest.bytes().all(|b| b.is_ascii_alphanumeric()));
    if valid {
        Ok(())
    } else {
        Err(invalid(
            &["path", "rule_id"],
            format!("rule_id {id:?} is malformed: it must be ar_ followed by letters and digits."),
        ))
    }
}

fn one_of(field: &str, value: &str, allowed: &[&str]) -> Result<(), ApiError> {
    if allowed.contains(&value) {
        Ok(())
    } else {
        Err(invalid(
            &["body", field],
            format!(
                "{field} must be one of {}; got {value:?}.",
                allowed.join(", ")
            ),
        ))
    }
}

/// The query parameter `name` when it is one of `allowed` (`None` when absent); another
/// value is the 422 for `["query", name]`.
fn query_one_of<'r>(
    req: &'r Req<'_>,
    name: &str,
    allowed: &[&str],
) -> Result<Option<&'r str>, ApiError> {
    match req.query_first(name) {
        Some(value) if !allowed.contains(&value) => Err(invalid(
            &["query", name],
            format!("Unknown {name} {value:?}."),
        )),
        value => Ok(value),
    }
}

fn check_name(name: &str) -> Result<(), ApiError> {
    let n = name.trim().chars().count();
    if n == 0 || n > MAX_NAME_CHARS {
        return Err(invalid(
            &["body", "name"],
            format!("name must be 1 to {MAX_NAME_CHARS} characters."),
        ));
    }
    Ok(())
}

fn check_threshold(value: i64) -> Result<(), ApiError> {
    if value < 0 {
        return Err(invalid(
            &["body", "threshold_value"],
            "threshold_value must be an integer >= 0.",
        ));
    }
    Ok(())
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct CreateBody {
    name: String,
    project_id: Option<String>,
    metric: String,
    operator: String,
    threshold_value: i64,
    window_duration: String,
    enabled: Option<bool>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct UpdateBody {
    name: Option<String>,
    #[serde(default, deserialize_with = "present")]
    project_id: Option<Option<String>>,
    metric: Option<String>,
    operator: Option<String>,
    threshold_value: Option<i64>,
    window_duration: Option<String>,
    enabled: Option<bool>,
}

/// Tells a field sent as `null` (`Some(None)`) from one left out (`None`).
fn present<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Option<Option<String>>, D::Error> {
    Option::<String>::deserialize(d).map(Some)
}

/// `GET /v1/alert-rules`
pub(crate) fn list(req: &Req<'_>) -> Reply {
    let enabled = match req.query_first("enabled") {
        None => None,
        Some("true") => Some(true),
        Some("false") => Some(false),
        Some(other) => {
            return Err(invalid(
                &["query", "enabled"],
                format!("enabled must be true or false; got {other:?}."),
            ));
        }
    };
    let metric = query_one_of(req, "metric", &METRICS)?;
    let state = query_one_of(req, "state", &STATES)?;
    let project = req.query_first("project_id");
    let store = req.app.store();
    let data: Vec<Value> = store
        .alerts
        .rules
        .iter()
        .filter(|r| enabled.is_none_or(|e| r.enabled == e))
        .filter(|r| metric.is_none_or(|m| r.metric == m))
        .filter(|r| state.is_none_or(|s| r.current_state == s))
        .filter(|r| project.is_none_or(|p| r.project_id.as_deref() == Some(p)))
        .map(AlertRule::to_json)
        .collect();
    Ok(json_response(StatusCode::OK, &json!({ "data": data })))
}

/// `POST /v1/alert-rules`
pub(crate) fn create(req: &Req<'_>) -> Reply {
    let body: CreateBody = req.json()?;
    check_name(&body.name)?;
    one_of("metric", &body.metric, &METRICS)?;
    one_of("operator", &body.operator, &OPERATORS)?;
    one_of("window_duration", &body.window_duration, &WINDOWS)?;
    check_threshold(body.threshold_value)?;
    let mut store = req.app.store();
    let alerts = &mut store.alerts;
    if alerts.rules.len() >= MAX_ALERT_RULES {
        return Err(ApiError::new(
            StatusCode::CONFLICT,
            "ALERT_RULES_LIMIT_REACHED",
            format!("An account may have at most {MAX_ALERT_RULES} alert rules."),
        ));
    }
    alerts.created += 1;
    let now = now_ms();
    let rule = AlertRule {
        id: format!(
            "ar_{}",
            token(
                req.app.instance_key,
                alerts.created,
                salts::ALERT_RULE_ID,
                20,
                false
            )
        ),
        name: body.name.trim().to_owned(),
        project_id: body.project_id,
        metric: body.metric,
        operator: body.operator,
        threshold_value: body.threshold_value,
        window_duration: body.window_duration,
        enabled: body.enabled.unwrap_or(true),
        current_state: "no_data".to_owned(),
        current_value: None,
        since_ms: now,
        last_evaluated_ms: None,
        created_ms: now,
        updated_ms: now,
    };
    let json = rule.to_json();
    alerts.rules.push(rule);
    Ok(json_response(StatusCode::CREATED, &json))
}

fn find<'s>(rules: &'s mut [AlertRule], id: &str) -> Result<&'s mut AlertRule, ApiError> {
    check_id(id)?;
    rules
        .iter_mut()
        .find(|r| r.id == id)
        .ok_or_else(|| not_found(id))
}

/// `GET /v1/alert-rules/{rule_id}`
pub(crate) fn get(req: &Req<'_>) -> Reply {
    let mut store = req.app.store();
    let rule = find(&mut store.alerts.rules, req.param("rule_id"))?;
    Ok(json_response(StatusCode::OK, &rule.to_json()))
}

/// `PATCH /v1/alert-rules/{rule_id}`
pub(crate) fn update(req: &Req<'_>) -> Reply {
    let id = req.param("rule_id");
    check_id(id)?;
    let body: UpdateBody = req.json()?;
    if let Some(name) = &body.name {
        check_name(name)?;
    }
    for (field, value, allowed) in [
        ("metric", &body.metric, &METRICS[..]),
        ("operator", &body.operator, &OPERATORS[..]),
        ("window_duration", &body.window_duration, &WINDOWS[..]),
    ] {
        if let Some(v) = value {
            one_of(field, v, allowed)?;
        }
    }
    if let Some(t) = body.threshold_value {
        check_threshold(t)?;
    }
    let mut store = req.app.store();
    let rule = find(&mut store.alerts.rules, id)?;
    if let Some(name) = body.name {
        rule.name = name.trim().to_owned();
    }
    if let Some(project) = body.project_id {
        rule.project_id = project;
    }
    if let Some(v) = body.metric {
        rule.metric = v;
    }
    if let Some(v) = body.operator {
        rule.operator = v;
    }
    if let Some(v) = body.threshold_value {
        rule.threshold_value = v;
    }
    if let Some(v) = body.window_duration {
        rule.window_duration = v;
    }
    if let Some(v) = body.enabled {
        rule.enabled = v;
    }
    rule.updated_ms = now_ms();
    Ok(json_response(StatusCode::OK, &rule.to_json()))
}

/// `DELETE /v1/alert-rules/{rule_id}`
pub(crate) fn delete(req: &Req<'_>) -> Reply {
    let id = req.param("rule_id");
    let mut store = req.app.store();
    find(&mut store.alerts.rules, id)?;
    store.alerts.rules.retain(|r| r.id != id);
    Ok(empty_response(StatusCode::NO_CONTENT))
}

/// `GET /v1/alerts`
pub(crate) fn active(req: &Req<'_>) -> Reply {
    let metric = query_one_of(req, "metric", &METRICS)?;
    let project = req.query_first("project_id");
    let store = req.app.store();
    let data: Vec<Value> = store
        .alerts
        .rules
        .iter()
        .filter(|r| r.enabled && r.current_state == "alert")
        .filter(|r| metric.is_none_or(|m| r.metric == m))
        .filter(|r| project.is_none_or(|p| r.project_id.as_deref() == Some(p)))
        .map(AlertRule::active_json)
        .collect();
    Ok(json_response(StatusCode::OK, &json!({ "data": data })))
}

/// Sets a rule's evaluated state (a test hook; PolyAI evaluates rules itself). `false` for an
/// unknown id or state.
pub(crate) fn set_state(store: &mut AlertStore, id: &str, state: &str, value: Option<i64>) -> bool {
    if !STATES.contains(&state) {
        return false;
    }
    let Some(rule) = store.rules.iter_mut().find(|r| r.id == id) else {
        return false;
    };
    let now = now_ms();
    if rule.current_state != state {
        rule.since_ms = now;
    }
    rule.current_state = state.to_owned();
    rule.current_value = value;
    rule.last_evaluated_ms = Some(now);
    true
}
