//! Test doubles for integrations, in the shape PolyAI's ADK tests use: per operation, an
//! ordered list of response rules `{respond: {status, body, headers}, repeat: n | -1}`.
//!
//! A [`Doubles`] answers [`ConvApi`](crate::conv_api::ConvApi) calls with no server: each call
//! of an operation takes the current rule's response; a rule with `repeat: n` answers `n`
//! calls (default 1) and `repeat: -1` answers every call from then on (allowed only on the
//! last rule). Every request is [recorded](Doubles::requests) for assertions.
//!
//! Choices where PolyAI's documents are silent or differ:
//! - When an operation's rules are exhausted (or it has none), PolyAI's ADK calls the real
//!   API. Here the call fails with [`DoubleError::Exhausted`] / [`DoubleError::NoRules`]: a
//!   test double never makes a silent real call.
//! - `body`: a string is sent as its UTF-8 bytes (no `Content-Type` unless given); any other
//!   JSON value (object, array, number, boolean) as compact JSON with
//!   `Content-Type: application/json` unless `headers` set one; absent or `null`, an empty body.
//! - `repeat: 0` and values below `-1` are refused, as are a `-1` before the last rule, a
//!   status outside `100..=599`, and header names or values `http` refuses.
//!
//! File form (YAML or JSON), keyed by integration then operation name:
//!
//! ```
//! use polyai_actions::doubles::Doubles;
//!
//! let doubles = Doubles::from_yaml_str(r#"
//! sweet_booking_api:
//!   create_booking:
//!     - respond: { status: 503, body: "busy" }
//!     - respond: { status: 201, body: { id: "B-1" }, headers: { X-Trace: t1 } }
//!       repeat: -1
//! "#)?;
//! assert_eq!(doubles.rules("sweet_booking_api", "create_booking").unwrap().len(), 2);
//! # Ok::<(), polyai_actions::doubles::DoubleRulesError>(())
//! ```

use std::collections::BTreeMap;
use std::sync::{Mutex, MutexGuard};

use bytes::Bytes;
use serde::{Deserialize, Serialize};
use serde_json::Value;

/// The response one rule gives.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
#[non_exhaustive]
pub struct MockResponse {
    /// HTTP status, `100..=599`.
    pub status: u16,
    /// The body: a string as is, any other JSON value as JSON; `null` for none.
    #[serde(default)]
    pub body: Value,
    /// Response headers.
    #[serde(default)]
    pub headers: BTreeMap<String, String>,
}

impl MockResponse {
    /// A response with `status`, no body and no headers.
    pub fn new(status: u16) -> Self {
        MockResponse {
            status,
            body: Value::Null,
            headers: BTreeMap::new(),
        }
    }

    /// With this body (a string as is, anything else as JSON).
    pub fn with_body(mut self, body: Value) -> Self {
        self.body = body;
        self
    }

    /// With this header.
    pub fn with_header(mut self, name: &str, value: &str) -> Self {
        self.headers.insert(name.to_owned(), value.to_owned());
        self
    }

    fn to_http(&self) -> Result<http::Response<Bytes>, String> {
        let (bytes, content_type) = match &self.body {
            Value::Null => (Bytes::new(), None),
            Value::String(s) => (Bytes::from(s.clone()), None),
            other => (Bytes::from(other.to_string()), Some("application/json")),
        };
        let mut builder = http::Response::builder().status(self.status);
        let mut has_content_type = false;
        for (name, value) in &self.headers {
            has_content_type |= name.eq_ignore_ascii_case("content-type");
            builder = builder.header(name.as_str(), value.as_str());
        }
        if let (Some(ct), false) = (content_type, has_content_type) {
            builder = builder.header("content-type", ct);
        }
        builder.body(bytes).map_err(|e| e.to_string())
    }
}

/// One rule: a response, given `repeat` times (`-1`: for every later call).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
#[non_exhaustive]
pub struct ResponseRule {
    /// What to answer.
    pub respond: MockResponse,
    /// How many calls this rule answers: `n >= 1`, or `-1` for all (last rule only).
    #[serde(default = "one")]
    pub repeat: i64,
}

fn one() -> i64 {
    1
}

impl ResponseRule {
    /// A rule answering one call with `respond`.
    pub fn once(respond: MockResponse) -> Self {
        ResponseRule { respond, repeat: 1 }
    }

    /// A rule answering `n` calls (`-1`: every call).
    pub fn times(respond: MockResponse, n: i64) -> Self {
        ResponseRule { respond, repeat: n }
    }

    /// A rule answering every call from then on.
    pub fn always(respond: MockResponse) -> Self {
        ResponseRule {
            respond,
            repeat: -1,
        }
    }
}

/// Rules that cannot be used, with where and what to fix.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("test double rules for `{integration}.{operation}`: {reason}")]
#[non_exhaustive]
pub struct DoubleRulesError {
    /// The integration (empty when the file itself does not parse).
    pub integration: String,
    /// The operation (empty when the file itself does not parse).
    pub operation: String,
    /// What is wrong and what to do.
    pub reason: String,
}

/// Why a double could not answer a call.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum DoubleError {
    /// The operation has no rules.
    #[error(
        "no test double rules for `{integration}.{operation}`; add rules for it (a test double never calls the real API)"
    )]
    NoRules {
        /// The integration.
        integration: String,
        /// The operation.
        operation: String,
    },
    /// Every rule of the operation has been used.
    #[error(
        "the test double rules for `{integration}.{operation}` are exhausted after {served} call(s); add a rule, raise a `repeat`, or end with `repeat: -1` (a test double never calls the real API)"
    )]
    Exhausted {
        /// The integration.
        integration: String,
        /// The operation.
        operation: String,
        /// How many calls the rules answered.
        served: u64,
    },
}

/// A request a double received, as printed (secrets masked).
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct RecordedRequest {
    /// The integration called.
    pub integration: String,
    /// The operation called.
    pub operation: String,
    /// The HTTP method.
    pub method: String,
    /// The URL, each secret shown as `<secret:NAME>`.
    pub url: String,
    /// The headers, each secret shown as `<secret:NAME>`.
    pub headers: Vec<(String, String)>,
    /// The body.
    pub body: Bytes,
}

impl RecordedRequest {
    /// The value of header `name` (case-insensitive), masked.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    /// The body as UTF-8 text, if it is.
    pub fn body_text(&self) -> Option<&str> {
        std::str::from_utf8(&self.body).ok()
    }

    /// The body as JSON, if it is.
    pub fn body_json(&self) -> Option<Value> {
        serde_json::from_slice(&self.body).ok()
    }
}

#[derive(Debug, Default)]
struct OperationState {
    rules: Vec<ResponseRule>,
    /// Index of the current rule.
    rule: usize,
    /// Calls the current rule has answered.
    used: i64,
    /// Calls answered in all.
    served: u64,
}

type Key = (String, String);

/// Response rules per integration operation, and the requests received. Safe to share
/// between tasks (`&self` methods; state behind a mutex).
#[derive(Debug, Default)]
pub struct Doubles {
    state: Mutex<BTreeMap<Key, OperationState>>,
    requests: Mutex<Vec<RecordedRequest>>,
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    // A panic elsewhere while holding the lock leaves plain data; keep using it.
    m.lock().unwrap_or_else(|p| p.into_inner())
}

/// Checks one operation's rules.
pub fn validate_rules(
    integration: &str,
    operation: &str,
    rules: &[ResponseRule],
) -> Result<(), DoubleRulesError> {
    let err = |reason: String| DoubleRulesError {
        integration: integration.to_owned(),
        operation: operation.to_owned(),
        reason,
    };
    if rules.is_empty() {
        return Err(err("the list of rules is empty; give at least one".into()));
    }
    let last = rules.len() - 1;
    for (i, rule) in rules.iter().enumerate() {
        let n = i + 1;
        match rule.repeat {
            -1 if i != last => {
                return Err(err(format!(
                    "rule {n} has `repeat: -1` but is not the last rule; only the last rule may repeat forever"
                )));
            }
            -1 => {}
            r if r < 1 => {
                return Err(err(format!(
                    "rule {n} has `repeat: {r}`; use a count of at least 1, or -1 on the last rule"
                )));
            }
            _ => {}
        }
        if !(100..=599).contains(&rule.respond.status) {
            return Err(err(format!(
                "rule {n} has status {}; use an HTTP status from 100 to 599",
                rule.respond.status
            )));
        }
        rule.respond.to_http().map_err(|e| {
            err(format!(
                "rule {n} has a header http refuses ({e}); fix its name or value"
            ))
        })?;
    }
    Ok(())
}

impl Doubles {
    /// No rules: every call fails with [`DoubleError::NoRules`].
    pub fn new() -> Self {
        Self::default()
    }

    /// Sets the rules of `integration.operation` (replacing any, and restarting them).
    ///
    /// # Errors
    /// [`DoubleRulesError`] when [`validate_rules`] refuses them.
    pub fn set(
        &self,
        integration: &str,
        operation: &str,
        rules: Vec<ResponseRule>,
    ) -> Result<(), DoubleRulesError> {
        validate_rules(integration, operation, &rules)?;
        lock(&self.state).insert(
            (integration.to_owned(), operation.to_owned()),
            OperationState {
                rules,
                ..OperationState::default()
            },
        );
        Ok(())
    }

    /// Builder form of [`set`](Self::set).
    ///
    /// # Errors
    /// As [`set`](Self::set).
    pub fn with(
        self,
        integration: &str,
        operation: &str,
        rules: Vec<ResponseRule>,
    ) -> Result<Self, DoubleRulesError> {
        self.set(integration, operation, rules)?;
        Ok(self)
    }

    /// Loads rules from the YAML file form (see the [module docs](self)).
    ///
    /// # Errors
    /// [`DoubleRulesError`] for a file that does not parse or rules that are refused.
    pub fn from_yaml_str(text: &str) -> Result<Self, DoubleRulesError> {
        let parsed: BTreeMap<String, BTreeMap<String, Vec<ResponseRule>>> =
            serde_yaml::from_str(text).map_err(|e| DoubleRulesError {
                integration: String::new(),
                operation: String::new(),
                reason: format!("the YAML does not parse: {e}"),
            })?;
        Self::from_map(parsed)
    }

    /// Loads rules from the JSON file form.
    ///
    /// # Errors
    /// As [`from_yaml_str`](Self::from_yaml_str).
    pub fn from_json_str(text: &str) -> Result<Self, DoubleRulesError> {
        let parsed: BTreeMap<String, BTreeMap<String, Vec<ResponseRule>>> =
            serde_json::from_str(text).map_err(|e| DoubleRulesError {
                integration: String::new(),
                operation: String::new(),
                reason: format!("the JSON does not parse: {e}"),
            })?;
        Self::from_map(parsed)
    }

    fn from_map(
        parsed: BTreeMap<String, BTreeMap<String, Vec<ResponseRule>>>,
    ) -> Result<Self, DoubleRulesError> {
        let doubles = Doubles::new();
        for (integration, ops) in parsed {
            for (operation, rules) in ops {
                doubles.set(&integration, &operation, rules)?;
            }
        }
        Ok(doubles)
    }

    /// The rules of `integration.operation`, if any.
    pub fn rules(&self, integration: &str, operation: &str) -> Option<Vec<ResponseRule>> {
        lock(&self.state)
            .get(&(integration.to_owned(), operation.to_owned()))
            .map(|s| s.rules.clone())
    }

    /// How many calls `integration.operation` has answered.
    pub fn calls(&self, integration: &str, operation: &str) -> u64 {
        lock(&self.state)
            .get(&(integration.to_owned(), operation.to_owned()))
            .map_or(0, |s| s.served)
    }

    /// Every request received (answered or not), in order.
    pub fn requests(&self) -> Vec<RecordedRequest> {
        lock(&self.requests).clone()
    }

    /// Records `request` and answers it with the operation's current rule.
    ///
    /// # Errors
    /// [`DoubleError`] when the operation has no rules or they are exhausted.
    pub fn respond(&self, request: RecordedRequest) -> Result<http::Response<Bytes>, DoubleError> {
        let key = (request.integration.clone(), request.operation.clone());
        lock(&self.requests).push(request);
        let mut state = lock(&self.state);
        let Some(op) = state.get_mut(&key) else {
            return Err(DoubleError::NoRules {
                integration: key.0,
                operation: key.1,
            });
        };
        let Some(rule) = op.rules.get(op.rule) else {
            return Err(DoubleError::Exhausted {
                integration: key.0,
                operation: key.1,
                served: op.served,
            });
        };
        // Validated on the way in, so this conversion does not fail; an error here would be
        // reported as exhaustion rather than a panic.
        let response = rule.respond.to_http().map_err(|_| DoubleError::Exhausted {
            integration: key.0.clone(),
            operation: key.1.clone(),
            served: op.served,
        })?;
        if rule.repeat != -1 {
            op.used += 1;
            if op.used >= rule.repeat {
                op.rule += 1;
                op.used = 0;
            }
        }
        op.served += 1;
        Ok(response)
    }
}
