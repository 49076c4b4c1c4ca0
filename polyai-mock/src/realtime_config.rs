//! The Agents API's real-time configs: per agent, one config page per environment
//! (`sandbox`, `pre-release`, `live`), each a JSON Schema (draft 7) and the variable values the
//! agent reads at run time.
//!
//! Pages start with no schema and no variables (and no `lastUpdated`). `PUT .../schema`
//! replaces the schema; the page's current variables, if it has any, must satisfy the new
//! schema (a page without variables takes any valid schema, even one requiring keys).
//! `PATCH .../variables` merges the top-level keys sent into the variables (keys not sent are
//! kept; a key sent as `null` holds `null`), and the result must satisfy the page's schema, if
//! it has one. Remote `$ref`s are not fetched (a schema needing one is invalid).
//!
//! | situation | answer |
//! |---|---|
//! | a `clientEnv` other than `sandbox`, `pre-release`, `live` | 400 `REAL_TIME_CONFIG_UNKNOWN_CLIENT_ENVIRONMENT` |
//! | a schema that is not a valid draft 7 schema object | 400 `REAL_TIME_CONFIG_INVALID_SCHEMA` |
//! | variables the schema rejects (the reasons are in the envelope's `data.errors`) | 400 `REAL_TIME_CONFIG_INVALID_FOR_SCHEMA` |
//! | a body without `schema` / `variables`, or with a non-object one | 400 `BAD_REQUEST` |
//!
//! The three `REAL_TIME_CONFIG_*` codes are PolyAI's.

use std::collections::HashMap;

use axum::http::StatusCode;
use serde::Deserialize;
use serde_json::{Map, Value, json};

use crate::envelope::{ApiError, json_response};
use crate::request::{Reply, Req, bad_request, parse_json};
use crate::telephony::ENVIRONMENTS;
use crate::time::{now_ms, rfc3339_ms};

/// One environment's page.
#[derive(Debug, Clone, Default)]
struct Page {
    schema: Option<Map<String, Value>>,
    variables: Map<String, Value>,
    updated_ms: Option<i64>,
}

/// One agent's three pages, in [`ENVIRONMENTS`] order.
#[derive(Debug, Clone, Default)]
struct AgentPages {
    incarnation: u64,
    pages: [Page; 3],
}

/// Every agent's real-time configs.
#[derive(Debug, Default)]
pub(crate) struct RealTimeConfigStore {
    agents: HashMap<String, AgentPages>,
}

fn page_json(env: &str, page: &Page) -> Value {
    let mut value = Map::new();
    value.insert("clientEnv".into(), json!(env));
    value.insert("variables".into(), Value::Object(page.variables.clone()));
    if let Some(schema) = &page.schema {
        value.insert("schema".into(), Value::Object(schema.clone()));
    }
    if let Some(ms) = page.updated_ms {
        value.insert("lastUpdated".into(), json!(rfc3339_ms(ms)));
    }
    Value::Object(value)
}

fn env_index(env: &str) -> Result<usize, ApiError> {
    ENVIRONMENTS.iter().position(|e| *e == env).ok_or_else(|| {
        ApiError::new(
            StatusCode::BAD_REQUEST,
            "REAL_TIME_CONFIG_UNKNOWN_CLIENT_ENVIRONMENT",
            format!("Unknown client environment {env:?}: use sandbox, pre-release or live."),
        )
    })
}

/// Compiles a draft 7 schema, or says why it is not one.
fn compile(schema: &Value) -> Result<jsonschema::Validator, ApiError> {
    let invalid = |detail: String| {
        ApiError::new(
            StatusCode::BAD_REQUEST,
            "REAL_TIME_CONFIG_INVALID_SCHEMA",
            format!("JSON Schema definition is invalid: {detail}"),
        )
    };
    if let Err(e) = jsonschema::draft7::meta::validate(schema) {
        return Err(invalid(e.to_string()));
    }
    jsonschema::draft7::options()
        .build(schema)
        .map_err(|e| invalid(e.to_string()))
}

/// Checks variables against a page's schema (if any).
fn check(
    schema: Option<&Map<String, Value>>,
    variables: &Map<String, Value>,
) -> Result<(), ApiError> {
    let Some(schema) = schema else {
        return Ok(());
    };
    let validator = compile(&Value::Object(schema.clone()))?;
    let instance = Value::Object(variables.clone());
    let errors: Vec<Value> = validator
        .iter_errors(&instance)
        .map(|e| json!({"path": e.instance_path().as_str(), "message": e.to_string()}))
        .collect();
    if errors.is_empty() {
        return Ok(());
    }
    Err(ApiError::new(
        StatusCode::BAD_REQUEST,
        "REAL_TIME_CONFIG_INVALID_FOR_SCHEMA",
        format!(
            "Config values fail JSON Schema validation ({} problem(s)); see data.errors.",
            errors.len()
        ),
    )
    .with_data(json!({ "errors": errors })))
}

/// Runs `f` on the agent's pages (404 once the agent is deleted).
fn with_pages(req: &Req<'_>, f: impl FnOnce(&mut [Page; 3]) -> Result<Value, ApiError>) -> Reply {
    let agent_id = req.param("agentId");
    let mut store = req.app.store();
    let incarnation = store.agents.incarnation(req.app, agent_id)?;
    let entry = store
        .real_time_configs
        .agents
        .entry(agent_id.to_owned())
        .or_default();
    if entry.incarnation != incarnation {
        *entry = AgentPages {
            incarnation,
            ..AgentPages::default()
        };
    }
    let value = f(&mut entry.pages)?;
    Ok(json_response(StatusCode::OK, &value))
}

/// `GET /v1/agents/{agentId}/real-time-configs`: 200 `{configPages}`.
pub(crate) fn list(req: &Req<'_>) -> Reply {
    with_pages(req, |pages| {
        let list: Vec<Value> = ENVIRONMENTS
            .iter()
            .zip(pages.iter())
            .map(|(env, page)| page_json(env, page))
            .collect();
        Ok(json!({ "configPages": list }))
    })
}

/// `GET /v1/agents/{agentId}/real-time-configs/{clientEnv}`
pub(crate) fn get(req: &Req<'_>) -> Reply {
    let env = req.param("clientEnv");
    let index = env_index(env)?;
    with_pages(req, |pages| Ok(page_json(env, &pages[index])))
}

/// `PUT /v1/agents/{agentId}/real-time-configs/{clientEnv}/schema`
pub(crate) fn put_schema(req: &Req<'_>) -> Reply {
    #[derive(Deserialize)]
    struct Body {
        schema: Map<String, Value>,
    }
    let env = req.param("clientEnv");
    let index = env_index(env)?;
    let body: Body = parse_json(req.body, None, bad_request, bad_request)?;
    compile(&Value::Object(body.schema.clone()))?;
    with_pages(req, |pages| {
        let page = &mut pages[index];
        if !page.variables.is_empty() {
            check(Some(&body.schema), &page.variables)?;
        }
        page.schema = Some(body.schema);
        page.updated_ms = Some(now_ms());
        Ok(page_json(env, page))
    })
}

/// `PATCH /v1/agents/{agentId}/real-time-configs/{clientEnv}/variables`
pub(crate) fn update_variables(req: &Req<'_>) -> Reply {
    #[derive(Deserialize)]
    struct Body {
        variables: Map<String, Value>,
    }
    let env = req.param("clientEnv");
    let index = env_index(env)?;
    let body: Body = parse_json(req.body, None, bad_request, bad_request)?;
    with_pages(req, |pages| {
        let page = &mut pages[index];
        let mut merged = page.variables.clone();
        merged.extend(body.variables);
        check(page.schema.as_ref(), &merged)?;
        page.variables = merged;
        page.updated_ms = Some(now_ms());
        Ok(page_json(env, page))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn schemas_are_checked_and_enforced() {
        assert!(compile(&json!({"type": "object"})).is_ok());
        let bad = compile(&json!({"type": "thing"})).err().map(|e| e.code);
        assert_eq!(bad, Some("REAL_TIME_CONFIG_INVALID_SCHEMA"));
        let schema = json!({"type": "object", "properties": {"open": {"type": "boolean"}}, "required": ["open"]});
        let schema = schema.as_object().cloned().unwrap_or_default();
        let mut ok = Map::new();
        ok.insert("open".into(), json!(true));
        assert!(check(Some(&schema), &ok).is_ok());
        let mut wrong = Map::new();
        wrong.insert("open".into(), json!("yes"));
        let err = check(Some(&schema), &wrong).err();
        assert_eq!(
            err.as_ref().map(|e| e.code),
            Some("REAL_TIME_CONFIG_INVALID_FOR_SCHEMA")
        );
        assert!(
            err.and_then(|e| e.data)
                .is_some_and(|d| d["errors"][0]["path"] == "/open")
        );
        assert!(check(None, &wrong).is_ok());
        assert_eq!(env_index("live").ok(), Some(2));
        assert!(env_index("prod").is_err());
    }
}
