//! Outcome extraction and conversation chaining, over `http::Response<Bytes>` values (no
//! network).

use bytes::Bytes;
use polyai_actions::chain::{Conversation, RunError};
use polyai_actions::outcome::{
    AgentError, Body, ManyMatches, ModelBody, NoMatch, Outcome, OutputError, OutputMatching,
};
use polyai_actions::secrets::NoSecrets;
use polyai_actions::{ApiAction, Environment, OutputVariable, PreparedAction};
use serde_json::json;

fn var(name: &str, path: &str, sensitive: bool, expose: bool) -> OutputVariable {
    OutputVariable {
        name: name.into(),
        path: path.into(),
        sensitive,
        expose_to_ai: expose,
    }
}

fn response(status: u16, content_type: &str, body: &str) -> http::Response<Bytes> {
    http::Response::builder()
        .status(status)
        .header("content-type", content_type)
        .body(Bytes::from(body.to_owned()))
        .expect("a valid response")
}

const ITEMS: &str = r#"{"items": [{"id": 1}, {"id": 2}], "empty": []}"#;

#[test]
fn no_match_settings() {
    let vars = [var("x", "$.missing", false, true)];
    let skip = Outcome::from_response(
        response(200, "application/json", ITEMS),
        &vars,
        &OutputMatching::default(),
    );
    assert_eq!(skip.variable("x"), None);
    assert_eq!(skip.unset(), ["x"]);
    assert!(skip.output_errors().is_empty());

    let null = Outcome::from_response(
        response(200, "application/json", ITEMS),
        &vars,
        &OutputMatching::new().with_no_match(NoMatch::Null),
    );
    assert_eq!(null.variable("x"), Some(&json!(null)));

    let error = Outcome::from_response(
        response(200, "application/json", ITEMS),
        &vars,
        &OutputMatching::new().with_no_match(NoMatch::Error),
    );
    assert_eq!(
        error.output_errors(),
        [OutputError::NoMatch {
            name: "x".into(),
            path: "$.missing".into()
        }]
    );
}

#[test]
fn many_match_settings() {
    let vars = [var("ids", "$.items[*].id", false, true)];
    let get = |many| {
        Outcome::from_response(
            response(200, "application/json", ITEMS),
            &vars,
            &OutputMatching::new().with_many(many),
        )
    };
    assert_eq!(get(ManyMatches::First).variable("ids"), Some(&json!(1)));
    assert_eq!(
        get(ManyMatches::Array).variable("ids"),
        Some(&json!([1, 2]))
    );
    let error = get(ManyMatches::Error);
    assert_eq!(error.variable("ids"), None);
    assert!(matches!(
        error.output_errors(),
        [OutputError::ManyMatches { count: 2, .. }]
    ));
    // Array is an array for a single match too.
    let one = [var("id", "$.items[0].id", false, true)];
    let o = Outcome::from_response(
        response(200, "application/json", ITEMS),
        &one,
        &OutputMatching::new().with_many(ManyMatches::Array),
    );
    assert_eq!(o.variable("id"), Some(&json!([1])));
}

#[test]
fn invalid_path_and_non_json_body_fail_clearly() {
    let bad = [var("x", "$.[", false, true)];
    let o = Outcome::from_response(
        response(200, "application/json", "{}"),
        &bad,
        &OutputMatching::default(),
    );
    assert!(matches!(
        o.output_errors(),
        [OutputError::InvalidPath { .. }]
    ));

    let vars = [var("id", "$.id", false, true)];
    let o = Outcome::from_response(
        response(200, "text/html", "<h1>Bad gateway</h1>"),
        &vars,
        &OutputMatching::default(),
    );
    assert_eq!(o.body(), &Body::Text("<h1>Bad gateway</h1>".into()));
    let [OutputError::NotJson { reason, .. }] = o.output_errors() else {
        panic!("expected NotJson, got {:?}", o.output_errors());
    };
    assert!(reason.contains("text/html"), "{reason}");
    // The agent still sees the text.
    let view = o.model_view(ModelBody::default());
    assert_eq!(view.to_json()["body"], json!("<h1>Bad gateway</h1>"));
}

#[test]
fn non_2xx_is_an_outcome_with_agent_text_and_no_variables() {
    let vars = [var("id", "$.id", false, true)];
    let o = Outcome::from_response(
        response(503, "application/json", r#"{"error": "down", "id": "x"}"#),
        &vars,
        &OutputMatching::default(),
    );
    assert_eq!(o.status(), 503);
    assert!(!o.is_success());
    assert!(o.values().is_empty());
    let error = o.agent_error().expect("a 503 is an agent error");
    assert!(matches!(error, AgentError::Status { status: 503, .. }));
    assert_eq!(
        error.agent_message(),
        r#"The request failed with HTTP status 503. Response: {"error":"down","id":"x"}"#
    );
}

#[test]
fn sensitive_values_never_printed() {
    let vars = [
        var("token", "$.auth.token", true, false),
        var("pin", "$.pin", true, true),
        var("id", "$.id", false, true),
    ];
    let body = r#"{"auth": {"token": "tok-SECRET-1"}, "pin": "PIN-SECRET-2", "id": 5}"#;
    let o = Outcome::from_response(
        response(200, "application/json", body),
        &vars,
        &OutputMatching::default(),
    );
    assert_eq!(o.variable("token"), Some(&json!("tok-SECRET-1")));
    let view = o.model_view(ModelBody::Full);
    let hidden = o.model_view(ModelBody::HideUnexposed);
    let printed = [
        format!("{o:?}"),
        format!("{o}"),
        format!("{:?}", o.values()),
        format!("{view:?}"),
        format!("{view}"),
        format!("{hidden}"),
        o.printed_body(),
    ];
    for p in &printed {
        assert!(!p.contains("SECRET"), "leaked: {p}");
    }
    assert!(printed[1].contains("token = <sensitive:token> (hidden from the model)"));
    // The model sees the exposed sensitive value, not the hidden one.
    assert_eq!(
        hidden.to_json(),
        json!({
            "status": 200,
            "body": {"auth": {"token": "<hidden:token>"}, "pin": "PIN-SECRET-2", "id": 5},
            "variables": {"pin": "PIN-SECRET-2", "id": 5},
        })
    );
    assert!(
        o.model_view(ModelBody::Omit)
            .to_json()
            .get("body")
            .is_none()
    );
}

#[test]
fn lookup_then_book_chain() {
    let lookup = ApiAction::from_yaml_str(
        r#"
name: lookup
url: https://crm.example/customers
method: GET
output_variables:
  - { name: account.status, path: "$.status" }
  - { name: account.id, path: "$.id", sensitive: true, expose_to_ai: false }
"#,
    )
    .expect("valid");
    let book = ApiAction::from_yaml_str(
        r#"
name: book
url: https://crm.example/bookings
method: POST
body_template: '{"account": "{{.variables.account.id}}", "status": "{{.variables.account.status}}", "site": "{{.static_variables.site}}"}'
"#,
    )
    .expect("valid");
    let mut conversation = Conversation::new(Environment::Live, &NoSecrets)
        .static_variables(Environment::Live, json!({"site": "LIVE"}))
        .static_variables(Environment::Sandbox, json!({"site": "SBX"}));
    let prepared = PreparedAction::new(&book).expect("prepares");

    // Before the lookup the variable is missing: an error the agent sees.
    let err = conversation.render(&prepared, json!({})).unwrap_err();
    assert!(matches!(err, RunError::Render(_)));
    assert!(
        err.agent_message().contains("not available"),
        "{}",
        err.agent_message()
    );

    conversation.record(
        &lookup,
        response(
            200,
            "application/json",
            r#"{"id": "ACC-SECRET", "status": "gold"}"#,
        ),
    );
    assert_eq!(
        conversation.variables(),
        json!({"account": {"status": "gold", "id": "ACC-SECRET"}})
            .as_object()
            .unwrap()
    );
    assert!(!format!("{conversation:?}").contains("ACC-SECRET"));
    let request = conversation.render(&prepared, json!({})).expect("renders");
    assert_eq!(
        request.body_text(),
        Some(r#"{"account": "ACC-SECRET", "status": "gold", "site": "LIVE"}"#)
    );

    // The request's printed form masks secrets only; the conversation redacts its sensitive
    // variables in it.
    let printed = conversation.redact(&request.to_string());
    assert!(!printed.contains("ACC-SECRET"), "{printed}");
    assert!(printed.contains("<sensitive:account.id>"), "{printed}");

    // A second lookup whose path matches nothing removes the stale value.
    conversation.record(
        &lookup,
        response(200, "application/json", r#"{"status": "new"}"#),
    );
    assert_eq!(
        conversation.variables(),
        json!({"account": {"status": "new"}}).as_object().unwrap()
    );
    // A non-2xx changes nothing.
    conversation.record(
        &lookup,
        response(500, "application/json", r#"{"status": "x"}"#),
    );
    assert_eq!(conversation.variables()["account"]["status"], json!("new"));
}

#[test]
fn missing_parameter_agent_message() {
    let action = ApiAction::from_yaml_str(
        r#"
name: find
url: https://crm.example/find
method: GET
parameters:
  type: object
  properties: { phone: { type: string } }
  required: [phone]
"#,
    )
    .expect("valid");
    let conversation = Conversation::new(Environment::Live, &NoSecrets);
    let err = conversation
        .render(&PreparedAction::new(&action).expect("prepares"), json!({}))
        .unwrap_err();
    let text = err.agent_message();
    assert!(text.contains("phone"), "{text}");
    assert!(
        text.starts_with("The action cannot be called yet"),
        "{text}"
    );
}

/// A run renders the body as `Conversation::render` does (which builds the template's whole
/// data), whatever the template and the state: through the flat plan over the conversation's
/// parts where it applies, through the evaluator where it stops, with the same errors.
#[test]
fn run_renders_as_render_does_over_every_state() {
    let templates = [
        r#"{"p": "{{.parameters.a}}", "v": "{{.variables.account.id}}", "s": "{{.static_variables.site}}"}"#,
        r#"{"x": {{if .parameters.a}}"{{.parameters.a}}"{{else}}null{{end}}}"#,
        r#"{"x": "{{if .variables.account}}yes{{else}}no{{end}}"}"#,
        r#"{"x": "{{if .static_variables}}yes{{else}}no{{end}}"}"#,
        r#"{"x": "{{if .static_variables.site}}{{.static_variables.site}}{{else}}none{{end}}"}"#,
        r#"{"x": "{{.variables.missing}}"}"#,
        r#"{"x": "{{.variables.account.id.deeper}}"}"#,
        r#"{"x": "{{.static_variables.missing.deeper}}"}"#,
        r#"{"x": "{{.parameters}}"}"#,
        r#"{"x": "{{.nothing}}"}"#,
        r#"{"x": {{.parameters.n}}, "t": {{.parameters.t}}}"#,
        r#"{"x": "{{with .variables.account}}{{.id}}{{end}}"}"#,
    ];
    let states = [
        (json!(null), json!(null)),
        (json!({"account": {"id": "A-1"}}), json!({"site": "LDN"})),
        (json!({"account": {}}), json!({})),
        (json!({"account": "flat"}), json!("not an object")),
    ];
    let parameter_sets = [
        json!({"a": "x", "n": 2, "t": true}),
        json!({"a": "", "n": 2.5, "t": false}),
        json!({}),
    ];
    let send = |request: http::Request<Bytes>| {
        let body = request.into_body();
        std::future::ready(Ok::<_, std::io::Error>(http::Response::new(body)))
    };
    let mut compared = 0;
    for template in templates {
        let yaml = format!(
            "name: t\nurl: https://svc.example/t\nmethod: POST\nbody_template: '{}'\n",
            template.replace('\'', "''")
        );
        let action = ApiAction::from_yaml_str(&yaml).expect("valid");
        let prepared = PreparedAction::new(&action).expect("prepares");
        for (variables, statics) in &states {
            for parameters in &parameter_sets {
                let mut conversation = Conversation::new(Environment::Live, &NoSecrets);
                if !statics.is_null() {
                    conversation =
                        conversation.static_variables(Environment::Live, statics.clone());
                }
                if let Some(map) = variables.as_object() {
                    for (name, value) in map {
                        conversation.set_variable(name, value.clone(), false);
                    }
                }
                let rendered = conversation
                    .render(&prepared, parameters.clone())
                    .map(|r| r.body().clone());
                let run = polyai_actions::run::block_on(conversation.run_with(
                    &prepared,
                    parameters.clone(),
                    None,
                    send,
                ))
                .map(|outcome| outcome.raw_body().clone());
                let case = format!("{template} with {variables} / {statics} / {parameters}");
                match (rendered, run) {
                    (Ok(want), Ok(got)) => assert_eq!(got, want, "{case}"),
                    (Err(want), Err(got)) => {
                        assert_eq!(got.agent_message(), want.agent_message(), "{case}")
                    }
                    (want, got) => panic!("{case}: render gave {want:?}, run {got:?}"),
                }
                // The state is the same afterwards (the run moved nothing away).
                assert_eq!(
                    conversation.variables().get("account"),
                    variables.get("account"),
                    "{case}"
                );
                compared += 1;
            }
        }
    }
    assert_eq!(compared, 12 * 4 * 3);
}
