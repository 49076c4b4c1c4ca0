//! Any generated operation by its id, with its arguments as text: [`Client::call_operation`].
//!
//! This is for tools that reach every operation from one place (the `polyai api` command), not
//! a replacement for the typed builders. The request goes through the same transport as a
//! typed call: the family's host and credentials, the retries and their budget, the deadline,
//! the tracing span and the error decoding. Before anything is sent, every argument is checked
//! against the operation's entry in the generated table ([`operations`]): unknown names,
//! missing required parameters and bodies are refused, and each value and the body are
//! deserialised into the Rust type the operation's generated builder takes, so a call is
//! refused for the same reasons the typed call would refuse it (an enum value that does not
//! exist, a number out of range, a body missing a required field).
//!
//! ```no_run
//! # async fn demo(client: polyai_sdk::Client) -> Result<(), polyai_sdk::Error> {
//! let response = client
//!     .call_operation("get_agent", &[("agentId".into(), "my-agent".into())], None)
//!     .await?;
//! println!("{}", String::from_utf8_lossy(&response.bytes().await?));
//! # Ok(()) }
//! ```

use bytes::Bytes;
use reqwest::header::{CONTENT_TYPE, HeaderValue};
use serde_json::Value;

use crate::transport::{Operation, send_hand_written};
use crate::{Client, Error};

mod table;

/// Where a parameter goes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Location {
    /// A `{name}` segment of the path.
    Path,
    /// The query string.
    Query,
}

/// The JSON kind of a parameter's value; text arguments are read as this kind.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ValueKind {
    /// Text as it is.
    String,
    /// A whole number.
    Integer,
    /// Any number.
    Number,
    /// `true` or `false`.
    Boolean,
    /// Repeated: give the parameter once per value.
    Array,
}

/// One parameter of an operation.
#[derive(Clone, Copy, Debug)]
pub struct ParameterInfo {
    /// The name, as in the documents (`agentId`, `client_env`).
    pub name: &'static str,
    /// Path or query.
    pub location: Location,
    /// Whether the call needs it (every path parameter does).
    pub required: bool,
    /// How a text value is read.
    pub kind: ValueKind,
    /// The allowed values, when the documents list them.
    pub values: &'static [&'static str],
    /// The documents' description, first sentence.
    pub description: &'static str,
}

/// The JSON body of an operation.
#[derive(Clone, Copy, Debug)]
pub struct BodyInfo {
    /// Whether the call needs one.
    pub required: bool,
    /// A minimal body its schema accepts (required fields only), as a starting point.
    pub example: &'static str,
}

/// One generated operation.
#[derive(Clone, Copy, Debug)]
pub struct OperationInfo {
    /// The operation id (`list_conversations`).
    pub id: &'static str,
    /// The API family: the document's module (`agents`, `conversations`, `debug_chat`, ...).
    pub family: &'static str,
    /// The HTTP method.
    pub method: &'static str,
    /// The path template.
    pub path: &'static str,
    /// What it does, in one sentence.
    pub summary: &'static str,
    /// Its parameters, path ones in template order first.
    pub parameters: &'static [ParameterInfo],
    /// Its JSON body, if it takes one.
    pub body: Option<BodyInfo>,
}

impl OperationInfo {
    /// The parameter with this name.
    pub fn parameter(&self, name: &str) -> Option<&'static ParameterInfo> {
        self.parameters.iter().find(|p| p.name == name)
    }
}

/// The names of the fields of the operation's success body (at any depth: a list nests them
/// under `data`) that hold a secret, such as a webhook endpoint's `signing_secret` and its
/// `headers` (receiver credentials): tools should not print them unless asked to.
pub fn secret_response_fields(id: &str) -> impl Iterator<Item = &'static str> + '_ {
    crate::generated::SECRET_RESPONSE_FIELDS
        .iter()
        .filter(move |(operation, _)| *operation == id)
        .map(|(_, field)| *field)
}

/// Every generated operation, sorted by id.
pub fn operations() -> &'static [OperationInfo] {
    table::OPERATIONS
}

/// The generated operation with this id.
pub fn find(id: &str) -> Option<&'static OperationInfo> {
    let all = operations();
    all.binary_search_by(|o| o.id.cmp(id)).ok().map(|i| &all[i])
}

fn typed<T: serde::de::DeserializeOwned>(value: Value) -> Result<(), String> {
    serde_json::from_value::<T>(value)
        .map(drop)
        .map_err(|e| e.to_string())
}

/// A text argument as the JSON value of its kind.
fn as_json(kind: ValueKind, text: &str) -> Result<Value, String> {
    match kind {
        ValueKind::String | ValueKind::Array => Ok(Value::String(text.to_string())),
        ValueKind::Boolean => match text {
            "true" => Ok(Value::Bool(true)),
            "false" => Ok(Value::Bool(false)),
            _ => Err("must be true or false".to_string()),
        },
        ValueKind::Integer | ValueKind::Number => serde_json::from_str::<serde_json::Number>(text)
            .map(Value::Number)
            .map_err(|_| "must be a number".to_string()),
    }
}

/// A call checked against its operation, ready to send.
#[derive(Debug, Clone)]
pub struct CheckedCall {
    info: &'static OperationInfo,
    path: Vec<String>,
    query: Vec<(String, String)>,
    body: Option<Bytes>,
}

impl CheckedCall {
    /// The operation.
    pub fn operation(&self) -> &'static OperationInfo {
        self.info
    }
}

/// Checks a call without sending it: the operation exists, every argument is one of its
/// parameters, every required one is there, and each value and the body have the type the
/// typed builder takes. `arguments` are `(name, value)` pairs; an array parameter may repeat.
pub fn check_call(
    id: &str,
    arguments: &[(String, String)],
    body: Option<Bytes>,
) -> Result<CheckedCall, Error> {
    let info = find(id).ok_or_else(|| {
        Error::InvalidInput(format!(
            "there is no operation {id:?} (see polyai_sdk::operation_call::operations)"
        ))
    })?;
    let invalid =
        |message: String| Error::InvalidInput(format!("{id}: {message}; nothing was sent"));
    for (name, _) in arguments {
        if info.parameter(name).is_none() {
            let names: Vec<&str> = info.parameters.iter().map(|p| p.name).collect();
            return Err(invalid(format!(
                "no parameter {name:?} (its parameters: {})",
                if names.is_empty() {
                    "none".to_string()
                } else {
                    names.join(", ")
                }
            )));
        }
    }
    let mut path = Vec::new();
    let mut query = Vec::new();
    for parameter in info.parameters {
        let given: Vec<&str> = arguments
            .iter()
            .filter(|(name, _)| name == parameter.name)
            .map(|(_, value)| value.as_str())
            .collect();
        if given.is_empty() {
            if parameter.required {
                return Err(invalid(format!(
                    "the parameter {} is required",
                    parameter.name
                )));
            }
            continue;
        }
        if given.len() > 1 && parameter.kind != ValueKind::Array {
            return Err(invalid(format!(
                "the parameter {} is given more than once",
                parameter.name
            )));
        }
        let value = if parameter.kind == ValueKind::Array {
            Value::Array(
                given
                    .iter()
                    .map(|v| Value::String((*v).to_string()))
                    .collect(),
            )
        } else {
            as_json(parameter.kind, given[0])
                .map_err(|e| invalid(format!("{}={:?} {e}", parameter.name, given[0])))?
        };
        table::check_parameter(id, parameter.name, value).map_err(|e| {
            let allowed = if parameter.values.is_empty() {
                String::new()
            } else {
                format!(" (allowed: {})", parameter.values.join(", "))
            };
            invalid(format!(
                "{}={:?} is not valid: {e}{allowed}",
                parameter.name,
                given.join(",")
            ))
        })?;
        match parameter.location {
            Location::Path => path.push(given[0].to_string()),
            Location::Query => query.extend(
                given
                    .iter()
                    .map(|v| (parameter.name.to_string(), (*v).to_string())),
            ),
        }
    }
    match (&info.body, &body) {
        (None, Some(_)) => return Err(invalid("the operation takes no body".to_string())),
        (Some(b), None) if b.required => {
            return Err(invalid(format!(
                "a JSON body is required, for example {}",
                b.example
            )));
        }
        (Some(_), Some(bytes)) => {
            let value: Value = serde_json::from_slice(bytes)
                .map_err(|e| invalid(format!("the body is not JSON: {e}")))?;
            table::check_body(id, value)
                .map_err(|e| invalid(format!("the body does not fit the operation: {e}")))?;
            crate::validate::request_body(id, Some(bytes)).map_err(invalid)?;
        }
        _ => {}
    }
    Ok(CheckedCall {
        info,
        path,
        query,
        body,
    })
}

/// The answer to [`Client::call_operation`]: a success status (anything else is an
/// [`Error`]); its body is read with [`bytes`](Self::bytes) or [`chunk`](Self::chunk).
#[derive(Debug)]
pub struct OperationResponse {
    response: reqwest::Response,
}

impl OperationResponse {
    /// The HTTP status (a 2xx).
    pub fn status(&self) -> u16 {
        self.response.status().as_u16()
    }

    /// The `Content-Type`, when the server sent one.
    pub fn content_type(&self) -> Option<&str> {
        self.response
            .headers()
            .get(CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
    }

    /// The whole body.
    pub async fn bytes(self) -> Result<Bytes, Error> {
        self.response.bytes().await.map_err(Error::from_reqwest)
    }

    /// The next piece of the body (for large downloads), `None` at its end.
    pub async fn chunk(&mut self) -> Result<Option<Bytes>, Error> {
        self.response.chunk().await.map_err(Error::from_reqwest)
    }
}

impl Client {
    /// Sends the generated operation `id` with `arguments` (`(parameter name, value)` pairs)
    /// and an optional JSON `body`, after [`check_call`]; see the [module docs](self).
    pub async fn call_operation(
        &self,
        id: &str,
        arguments: &[(String, String)],
        body: Option<Bytes>,
    ) -> Result<OperationResponse, Error> {
        self.send_checked(check_call(id, arguments, body)?).await
    }

    /// Sends a call that [`check_call`] accepted.
    pub async fn send_checked(&self, call: CheckedCall) -> Result<OperationResponse, Error> {
        let operation = Operation::find(call.info.id).ok_or_else(|| {
            Error::InvalidInput(format!(
                "{} is not in the transport's operation table",
                call.info.id
            ))
        })?;
        let path: Vec<&str> = call.path.iter().map(String::as_str).collect();
        let query = call.query;
        let body = call.body;
        let build = move |mut builder: reqwest::RequestBuilder| {
            if !query.is_empty() {
                builder = builder.query(&query);
            }
            if let Some(body) = body {
                builder = builder
                    .header(CONTENT_TYPE, HeaderValue::from_static("application/json"))
                    .body(body);
            }
            builder
        };
        let response = match call.info.family {
            "agents" => send_hand_written(self.agents(), operation, &path, build).await,
            "alerts" => send_hand_written(self.alerts(), operation, &path, build).await,
            "chat" => send_hand_written(self.chat(), operation, &path, build).await,
            "concurrent_calls" => {
                send_hand_written(self.concurrent_calls(), operation, &path, build).await
            }
            "conversations" => {
                send_hand_written(self.conversations(), operation, &path, build).await
            }
            "data" => send_hand_written(self.data(), operation, &path, build).await,
            "debug_chat" => send_hand_written(self.debug_chat(), operation, &path, build).await,
            "dni" => send_hand_written(self.dni(), operation, &path, build).await,
            "external_events" => {
                send_hand_written(self.external_events(), operation, &path, build).await
            }
            "handoff" => send_hand_written(self.handoff(), operation, &path, build).await,
            "outbound" => send_hand_written(self.outbound(), operation, &path, build).await,
            "webhooks" => {
                send_hand_written(self.webhook_endpoints(), operation, &path, build).await
            }
            other => Err(Error::InvalidInput(format!(
                "{}: unknown API family {other}",
                call.info.id
            ))),
        }?;
        Ok(OperationResponse { response })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_table_is_sorted_and_matches_the_transport_table() {
        let all = operations();
        assert!(all.windows(2).all(|w| w[0].id < w[1].id));
        assert_eq!(all.len(), crate::generated::OPERATIONS.len());
        for info in all {
            let known = Operation::find(info.id).expect("in the transport table");
            assert_eq!(known.path, info.path);
            assert_eq!(known.method.as_str(), info.method);
        }
    }

    #[test]
    fn every_example_body_passes_its_own_check() {
        for info in operations() {
            if let Some(body) = info.body {
                let value: Value = serde_json::from_str(body.example).expect("JSON");
                assert_eq!(table::check_body(info.id, value), Ok(()), "{}", info.id);
            }
        }
    }

    #[test]
    fn arguments_are_checked_by_type_before_sending() {
        let args = |pairs: &[(&str, &str)]| -> Vec<(String, String)> {
            pairs
                .iter()
                .map(|(a, b)| (a.to_string(), b.to_string()))
                .collect()
        };
        let ok = check_call(
            "list_conversations",
            &args(&[
                ("account_id", "a"),
                ("project_id", "p"),
                ("limit", "5"),
                ("channel", "A"),
                ("channel", "B"),
            ]),
            None,
        )
        .expect("valid");
        assert_eq!(ok.query.len(), 3);
        for (pairs, want) in [
            (
                &[("account_id", "a")][..],
                "the parameter project_id is required",
            ),
            (
                &[("account_id", "a"), ("project_id", "p"), ("limit", "ten")],
                "limit=\"ten\" must be a number",
            ),
            (
                &[("account_id", "a"), ("project_id", "p"), ("limit", "0")],
                "limit=\"0\" is not valid",
            ),
            (
                &[
                    ("account_id", "a"),
                    ("project_id", "p"),
                    ("client_env", "prod"),
                ],
                "allowed: sandbox, pre-release, live",
            ),
            (
                &[("account_id", "a"), ("project_id", "p"), ("bogus", "1")],
                "no parameter \"bogus\"",
            ),
        ] {
            let error = check_call("list_conversations", &args(pairs), None)
                .unwrap_err()
                .to_string();
            assert!(error.contains(want), "{want:?} in {error}");
        }
        let error = check_call(
            "create_agent",
            &args(&[("accountId", "a")]),
            Some(Bytes::from_static(b"{}")),
        )
        .unwrap_err()
        .to_string();
        assert!(
            error.contains("the body does not fit the operation: missing field"),
            "{error}"
        );
        assert!(check_call("no_such_operation", &[], None).is_err());
        assert_eq!(
            secret_response_fields("rotate_webhook_signing_secret").collect::<Vec<_>>(),
            ["signing_secret"]
        );
        assert_eq!(secret_response_fields("list_agents").count(), 0);
    }
}
