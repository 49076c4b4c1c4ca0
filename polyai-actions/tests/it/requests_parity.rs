//! `conv_api`'s query, form and JSON encoding against Python `requests` itself.
//!
//! `requests_corpus.json` holds each case with what `requests.Request(...).prepare()` produced
//! (URL, body, Content-Type), written by `requests_oracle/prepare.py`; CI (`.ci/run`) reruns
//! the script with `--check` and fails when the committed outputs differ from `requests`'.
//! Here every case is sent through `ConvApi` to test doubles and the recorded request compared
//! byte for byte; cases marked `rust_refuses` (objects, nested lists) must be refused with a
//! typed error instead of sending what `requests` would (an object's keys only).
//!
//! Keys are written in the map's order: sorted by `serde_json::Map` without `preserve_order`,
//! where a Python dict keeps insertion order. The cases use sorted keys so both agree in
//! either build (see the `conv_api` module docs on key order).

use std::sync::Arc;

use polyai_actions::conv_api::{ConvApi, ConvApiError};
use polyai_actions::doubles::{Doubles, MockResponse, ResponseRule};
use polyai_actions::render::RenderError;
use polyai_actions::{ApiIntegrations, Environment};
use serde_json::{Value, json};

fn corpus() -> Value {
    let text = include_str!("../requests_corpus.json");
    serde_json::from_str(text).expect("requests_corpus.json is JSON")
}

#[test]
fn every_case_matches_requests_prepare() {
    let corpus = corpus();
    let base = corpus["base_url"].as_str().unwrap();
    let cases = corpus["cases"].as_array().unwrap();
    assert!(cases.len() >= 30, "the corpus has {} cases", cases.len());
    let mut refused = 0;
    for case in cases {
        let name = case["name"].as_str().unwrap();
        let integrations = ApiIntegrations::from_json_str(
            &json!({"api_integrations": [{
                "name": "svc",
                "environments": {"sandbox": {"base_url": base, "auth_type": "none"}},
                "operations": [{"name": "op", "method": case["method"], "resource": case["resource"]}],
            }]})
            .to_string(),
        )
        .unwrap_or_else(|e| panic!("{name}: {e}"));
        let doubles = Arc::new(
            Doubles::new()
                .with(
                    "svc",
                    "op",
                    vec![ResponseRule::always(MockResponse::new(200))],
                )
                .unwrap(),
        );
        let conv = ConvApi::new(integrations, Environment::Sandbox).with_doubles(doubles.clone());
        let mut call = conv.api("svc").op("op");
        if let Some(params) = case.get("params") {
            call = call.params(params.as_object().unwrap().clone());
        }
        if let Some(body) = case.get("json") {
            call = call.json(body.clone());
        }
        if let Some(data) = case.get("data") {
            call = call.data(data.as_object().unwrap().clone());
        }
        let result = futures::executor::block_on(call.send());
        if case["rust_refuses"] == json!(true) {
            match result {
                Err(ConvApiError::Render { source, .. })
                    if matches!(*source, RenderError::QueryValue { .. }) =>
                {
                    refused += 1
                }
                other => panic!("{name}: expected a QueryValue refusal, got {other:?}"),
            }
            assert!(
                doubles.requests().is_empty(),
                "{name}: a refused call was sent"
            );
            continue;
        }
        result.unwrap_or_else(|e| panic!("{name}: {e}"));
        let sent = &doubles.requests()[0];
        let expected = &case["expected"];
        assert_eq!(
            sent.method,
            case["method"].as_str().unwrap(),
            "{name}: method"
        );
        assert_eq!(sent.url, expected["url"].as_str().unwrap(), "{name}: url");
        let body = match &expected["body"] {
            Value::Null => "",
            Value::String(s) => s.as_str(),
            other => panic!("{name}: body {other}"),
        };
        assert_eq!(sent.body_text(), Some(body), "{name}: body");
        assert_eq!(
            sent.header("content-type"),
            expected["content_type"].as_str(),
            "{name}: content-type"
        );
    }
    assert_eq!(refused, 2, "both refusal cases ran");
}
