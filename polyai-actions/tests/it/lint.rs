//! Each lint rule: a definition that triggers it (with its location and message), and clean
//! definitions that trigger nothing.

use polyai_actions::lint::{Diagnostic, Severity, lint, lint_action, lint_actions, rule};
use polyai_actions::{ApiAction, ApiActions, ApiIntegrations};

fn integrations(yaml: &str) -> Vec<Diagnostic> {
    lint(&ApiIntegrations::from_yaml_str(yaml).unwrap())
}

fn action(yaml: &str) -> Vec<Diagnostic> {
    lint_action(&ApiAction::from_yaml_str(yaml).unwrap())
}

/// The findings with `code`, asserting the code's severity from the table.
fn with<'a>(found: &'a [Diagnostic], code: &str) -> Vec<&'a Diagnostic> {
    let v: Vec<&Diagnostic> = found.iter().filter(|d| d.code == code).collect();
    for d in &v {
        assert_eq!(d.severity, rule(code).unwrap().severity);
    }
    v
}

/// Exactly one finding with `code`, at `field`; returns its message.
fn only(found: &[Diagnostic], code: &str, field: &str) -> String {
    let v = with(found, code);
    assert_eq!(v.len(), 1, "expected one {code}, got {found:#?}");
    assert_eq!(v[0].location.field, field, "{:#?}", v[0]);
    v[0].message.clone()
}

fn codes(found: &[Diagnostic]) -> Vec<&'static str> {
    found.iter().map(|d| d.code).collect()
}

const CLEAN_ADK: &str = r#"
api_integrations:
  - name: shop_api
    description: Orders
    environments:
      sandbox: { base_url: "https://sandbox.shop.example", auth_type: apiKey }
      pre-release: { base_url: "https://staging.shop.example/v1", auth_type: basic }
      live: { base_url: "", auth_type: none }
    operations:
      - { name: get_order, method: GET, resource: "/orders/{order_id}" }
      - { name: get_order, method: DELETE, resource: "/orders/{order_id}" }
      - { name: _search2, method: POST, resource: "/orders/search?limit=10&sort=-date;x=a:b@c~d%20e" }
"#;

#[test]
fn clean_integrations_have_no_findings() {
    assert_eq!(integrations(CLEAN_ADK), vec![]);
}

fn one_integration(name: &str, envs: &str, ops: &str) -> String {
    format!("api_integrations:\n  - name: {name}\n    environments:\n{envs}    operations:\n{ops}")
}

const ENVS: &str = "      sandbox: { base_url: '', auth_type: none }\n      pre-release: { base_url: '', auth_type: none }\n      live: { base_url: '', auth_type: none }\n";

fn op(resource: &str) -> String {
    format!("      - {{ name: op, method: GET, resource: '{resource}' }}\n")
}

#[test]
fn pa001_integration_name() {
    for bad in ["ShopAPI", "shop-api", "1shop", "'shop api'", "''"] {
        let found = integrations(&one_integration(bad, ENVS, &op("/x")));
        let m = only(&found, "PA001", "api_integrations[0].name");
        assert!(m.contains("^[a-z_][a-z0-9_]*$"), "{m}");
    }
    let found = integrations(&one_integration("ShopAPI", ENVS, &op("/x")));
    assert!(
        found[0].message.contains("`shop_api`"),
        "suggests a name: {}",
        found[0].message
    );
}

#[test]
fn pa002_duplicate_integration() {
    let one = format!(
        "  - name: a\n    environments:\n{ENVS}    operations:\n{}",
        op("/x")
    );
    let yaml = format!("api_integrations:\n{one}{one}");
    only(&integrations(&yaml), "PA002", "api_integrations[1].name");
}

#[test]
fn pa003_operation_name() {
    let ops = "      - { name: getOrder, method: GET, resource: /x }\n";
    let m = only(
        &integrations(&one_integration("a", ENVS, ops)),
        "PA003",
        "api_integrations[0].operations[0].name",
    );
    assert!(m.contains("`get_order`"), "{m}");
}

#[test]
fn pa004_duplicate_operation_per_name_and_method() {
    let ops = "      - { name: o, method: GET, resource: /x }\n      - { name: o, method: POST, resource: /x }\n      - { name: o, method: get, resource: /y }\n";
    let m = only(
        &integrations(&one_integration("a", ENVS, ops)),
        "PA004",
        "api_integrations[0].operations[2]",
    );
    assert!(m.contains("GET o"), "{m}");
}

#[test]
fn pa005_resource_characters_and_escapes() {
    for bad in [
        "/orders/a b",
        "/orders/<id>",
        "/x%2",
        "/x%zz",
        "",
        "/a|b",
        "/é",
    ] {
        let found = integrations(&one_integration("a", ENVS, &op(bad)));
        only(
            &found,
            "PA005",
            "api_integrations[0].operations[0].resource",
        );
    }
}

#[test]
fn pa006_placeholders() {
    for bad in [
        "/orders/{order-id}",
        "/orders/{}",
        "/orders/{1x}",
        "/orders/{id",
        "/orders/id}",
    ] {
        let found = integrations(&one_integration("a", ENVS, &op(bad)));
        only(
            &found,
            "PA006",
            "api_integrations[0].operations[0].resource",
        );
    }
    let found = integrations(&one_integration("a", ENVS, &op("/o/{order-id}")));
    assert!(
        found[0].message.contains("{order_id}"),
        "{}",
        found[0].message
    );
    // Valid forms.
    for good in ["/o/{A_b9}", "/o/{_x}/{y}?q={z}"] {
        assert_eq!(
            integrations(&one_integration("a", ENVS, &op(good))),
            vec![],
            "{good}"
        );
    }
}

#[test]
fn pa007_duplicate_placeholder() {
    only(
        &integrations(&one_integration("a", ENVS, &op("/a/{id}/b/{id}"))),
        "PA007",
        "api_integrations[0].operations[0].resource",
    );
}

#[test]
fn pa008_base_url_syntax() {
    for bad in [
        "ftp://x.example",
        "https://",
        "x.example",
        "https://x.example/a b",
    ] {
        let envs = ENVS.replacen(
            "sandbox: { base_url: ''",
            &format!("sandbox: {{ base_url: '{bad}'"),
            1,
        );
        let found = integrations(&one_integration("a", &envs, &op("/x")));
        only(
            &found,
            "PA008",
            "api_integrations[0].environments.sandbox.base_url",
        );
    }
}

#[test]
fn pa009_base_url_required_unless_auth_none() {
    let envs = ENVS.replacen(
        "pre-release: { base_url: '', auth_type: none }",
        "pre_release: { base_url: '', auth_type: oauth2 }",
        1,
    );
    let m = only(
        &integrations(&one_integration("a", &envs, &op("/x"))),
        "PA009",
        "api_integrations[0].environments.pre-release.base_url",
    );
    assert!(m.contains("oauth2"), "{m}");
}

#[test]
fn pa010_no_operations() {
    only(
        &integrations(&one_integration("a", ENVS, "      []\n")),
        "PA010",
        "api_integrations[0].operations",
    );
}

#[test]
fn pa011_missing_environment() {
    let envs = "      sandbox: { base_url: '', auth_type: none }\n";
    let found = integrations(&one_integration("a", envs, &op("/x")));
    let v = with(&found, "PA011");
    assert_eq!(v.len(), 2);
    assert!(v[0].message.contains("`pre-release`") && v[1].message.contains("`live`"));
}

#[test]
fn pa012_resource_without_leading_slash() {
    let m = only(
        &integrations(&one_integration("a", ENVS, &op("orders/{id}"))),
        "PA012",
        "api_integrations[0].operations[0].resource",
    );
    assert!(m.contains("`/orders/{id}`"), "{m}");
}

#[test]
fn pa090_unknown_keys_everywhere() {
    let yaml = r#"
versoin: 1
api_integrations:
  - name: a
    descripton: typo
    environments:
      staging: { base_url: "" }
      sandbox: { base_url: "", auth_type: none, base_ulr: "https://x" }
      pre-release: { base_url: "", auth_type: none }
      live: { base_url: "", auth_type: none }
    operations:
      - { name: o, method: GET, resource: /x, path: /y }
"#;
    let found = integrations(yaml);
    let fields: Vec<&str> = with(&found, "PA090")
        .iter()
        .map(|d| d.location.field.as_str())
        .collect();
    assert_eq!(
        fields,
        [
            "versoin",
            "api_integrations[0].descripton",
            "api_integrations[0].environments.staging",
            "api_integrations[0].environments.sandbox.base_ulr",
            "api_integrations[0].operations[0].path"
        ]
    );
    assert!(
        !found.iter().any(|d| d.message.contains("https://x")),
        "values are not echoed"
    );
}

const CLEAN_ACTION: &str = r#"
name: lookup-order_v2
description: Look up an order by its number
connection:
  base_url: https://api.shop.example/v1
  auth: { type: bearer, token: { secret: shop_token } }
  headers:
    - { name: X-Client, value: polyai }
url: /orders/lookup
method: POST
headers:
  - { name: X-Signature, value: { secret: shop_signature } }
parameters:
  type: object
  properties:
    order_number: { type: string, pattern: '^[A-Z0-9-]+$' }
    customer:
      type: object
      properties: { email: { type: string, format: email } }
      required: [email]
    country: { enum: [UK, US] }
    region: { type: string }
  required: [order_number]
  allOf:
    - if: { properties: { country: { const: UK } } }
      then: { required: [region] }
body_template: '{"order": "{{.parameters.order_number}}"}'
output_variables:
  - { name: order.id, path: $.data.id }
  - { name: status_2, path: "$.data.items[?@.kind == 'x'].status" }
"#;

#[test]
fn clean_action_has_no_findings() {
    assert_eq!(action(CLEAN_ACTION), vec![]);
}

fn minimal(extra: &str) -> String {
    format!("name: a\ndescription: d\nurl: https://api.example/x\nmethod: POST\n{extra}")
}

#[test]
fn pa101_action_name_characters() {
    for bad in ["'lookup order'", "lookup.order", "''", "émoji"] {
        let y = minimal("").replacen("name: a", &format!("name: {bad}"), 1);
        only(&action(&y), "PA101", "name");
    }
}

#[test]
fn pa102_action_name_length() {
    let ok = "a".repeat(64);
    assert!(
        codes(&action(&minimal("").replacen(
            "name: a",
            &format!("name: {ok}"),
            1
        )))
        .is_empty()
    );
    let long = "a".repeat(65);
    let m = only(
        &action(&minimal("").replacen("name: a", &format!("name: {long}"), 1)),
        "PA102",
        "name",
    );
    assert!(m.contains("65"), "{m}");
}

#[test]
fn pa103_empty_description() {
    only(
        &action(&minimal("").replacen("description: d", "description: '  '", 1)),
        "PA103",
        "description",
    );
}

#[test]
fn pa104_url_full_or_path() {
    let no_conn = minimal("").replacen("url: https://api.example/x", "url: /orders", 1);
    assert!(only(&action(&no_conn), "PA104", "url").contains("full http(s) URL"));
    let conn = "name: a\ndescription: d\nconnection: { base_url: 'https://api.example' }\nurl: https://api.example/orders\nmethod: GET\n";
    assert!(only(&action(conn), "PA104", "url").contains("only the path"));
    let spaced = "name: a\ndescription: d\nconnection: { base_url: 'https://api.example' }\nurl: /my orders\nmethod: GET\n";
    only(&action(spaced), "PA104", "url");
}

#[test]
fn pa105_placeholders_in_url() {
    for bad in [
        "https://api.example/orders/{id}",
        "https://api.example/{{.parameters.id}}",
    ] {
        let y = minimal("").replacen("https://api.example/x", bad, 1);
        let m = only(&action(&y), "PA105", "url");
        assert!(m.contains("in the body"), "{m}");
    }
}

#[test]
fn pa106_connection_base_url() {
    let y =
        "name: a\ndescription: d\nconnection: { base_url: 'api.example' }\nurl: /x\nmethod: GET\n";
    only(&action(y), "PA106", "connection.base_url");
}

#[test]
fn pa107_header_name() {
    for bad in ["''", "'X Api'", "'X:Api'"] {
        let found = action(&minimal(&format!(
            "headers:\n  - {{ name: {bad}, value: v }}\n"
        )));
        only(&found, "PA107", "headers[0].name");
    }
}

#[test]
fn pa108_empty_secret_names() {
    let found = action(&minimal(
        "headers:\n  - { name: X-Sig, value: { secret: '' } }\nauth: { type: bearer, token: { secret: ' ' } }\n",
    ));
    let fields: Vec<&str> = with(&found, "PA108")
        .iter()
        .map(|d| d.location.field.as_str())
        .collect();
    assert_eq!(fields, ["headers[0].value", "auth.token"]);
}

#[test]
fn pa109_control_characters_in_header_value() {
    let found = action(&minimal(
        "headers:\n  - { name: X-A, value: \"a\\r\\nInjected: 1\" }\n",
    ));
    only(&found, "PA109", "headers[0].value");
}

#[test]
fn pa110_static_credential_header() {
    for name in ["Authorization", "x-api-key", "X-Session-Token", "Cookie"] {
        let found = action(&minimal(&format!(
            "headers:\n  - {{ name: {name}, value: abc }}\n"
        )));
        let m = only(&found, "PA110", "headers[0].value");
        assert!(!m.contains("abc"), "the value is not echoed: {m}");
    }
}

#[test]
fn pa111_duplicate_headers_across_connection_and_action() {
    let y = "name: a\ndescription: d\nconnection:\n  base_url: https://api.example\n  headers: [{ name: X-Tenant, value: a }]\nurl: /x\nmethod: GET\nheaders:\n  - { name: x-tenant, value: b }\n";
    only(&action(y), "PA111", "headers[0].name");
}

#[test]
fn pa112_two_auth_connectors() {
    let y = "name: a\ndescription: d\nconnection:\n  base_url: https://api.example\n  auth: { type: bearer, token: { secret: t } }\nurl: /x\nmethod: GET\nauth: { type: basic, username: u, password: { secret: p } }\n";
    only(&action(y), "PA112", "auth");
}

#[test]
fn pa113_incomplete_auth_connectors() {
    let cases = [
        (
            "auth: { type: api_key, location: { in: header, name: '' }, key: { secret: k } }\n",
            "auth.location.name",
        ),
        (
            "auth: { type: api_key, location: { in: header, name: 'X Key' }, key: { secret: k } }\n",
            "auth.location.name",
        ),
        (
            "auth: { type: api_key, location: { in: query, name: ' ' }, key: { secret: k } }\n",
            "auth.location.name",
        ),
        (
            "auth: { type: basic, username: '', password: { secret: p } }\n",
            "auth.username",
        ),
        (
            "auth: { type: oauth2_client_credentials, token_url: '/token', client_id: c, client_secret: { secret: s } }\n",
            "auth.token_url",
        ),
        (
            "auth: { type: oauth2_client_credentials, token_url: 'https://a.example/t', client_id: '', client_secret: { secret: s } }\n",
            "auth.client_id",
        ),
    ];
    for (yaml, field) in cases {
        only(&action(&minimal(yaml)), "PA113", field);
    }
}

#[test]
fn pa114_body_template_on_get() {
    let y = minimal("body_template: '{}'\n").replacen("method: POST", "method: GET", 1);
    only(&action(&y), "PA114", "body_template");
}

#[test]
fn pa115_duplicate_action_names() {
    let one = "  - { name: a, description: d, url: 'https://api.example', method: GET }\n";
    let file = ApiActions::from_yaml_str(&format!("actions:\n{one}{one}")).unwrap();
    only(&lint_actions(&file), "PA115", "actions[1].name");
    let with_errors = ApiActions::from_yaml_str(
        "actions:\n  - { name: 'a b', description: d, url: 'https://x.example', method: GET }\n",
    )
    .unwrap();
    only(&with_errors.lint(), "PA101", "actions[0].name");
}

#[test]
fn pa120_invalid_draft7_schema() {
    let found = action(&minimal(
        "parameters:\n  type: object\n  properties:\n    q: { type: strin }\n    n: { minimum: low }\n",
    ));
    let fields: Vec<&str> = with(&found, "PA120")
        .iter()
        .map(|d| d.location.field.as_str())
        .collect();
    assert!(
        fields.contains(&"parameters.properties.q.type"),
        "{found:#?}"
    );
    assert!(
        fields.contains(&"parameters.properties.n.minimum"),
        "{found:#?}"
    );
}

#[test]
fn pa121_schema_must_be_type_object() {
    only(
        &action(&minimal("parameters: { type: string }\n")),
        "PA121",
        "parameters.type",
    );
    only(
        &action(&minimal("parameters: { properties: {} }\n")),
        "PA121",
        "parameters",
    );
    only(
        &action(&minimal("parameters: true\n")),
        "PA121",
        "parameters",
    );
}

#[test]
fn pa122_required_names_must_be_properties_at_every_depth() {
    let y = minimal(
        "parameters:\n  type: object\n  properties:\n    customer:\n      type: object\n      properties: { email: {} }\n      required: [email, phone]\n    items:\n      type: array\n      items: { type: object, properties: { sku: {} }, required: [qty] }\n  required: [customer, order]\n  allOf:\n    - if: { properties: { customer: { const: x } } }\n      then: { required: [region] }\n",
    );
    let found = action(&y);
    let fields: Vec<&str> = with(&found, "PA122")
        .iter()
        .map(|d| d.location.field.as_str())
        .collect();
    assert_eq!(
        fields,
        [
            "parameters.required[1]",
            "parameters.allOf[0].then.required[0]",
            "parameters.properties.customer.required[1]",
            "parameters.properties.items.items.required[0]",
        ]
    );
    assert!(found.iter().any(|d| {
        d.message
            .starts_with("`order` is required but not declared")
    }));
}

#[test]
fn pa124_object_or_array_parameter_on_get() {
    let y = minimal("parameters:\n  type: object\n  properties:\n    filter: { type: object }\n    tags: { type: array, items: { type: string } }\n    q: { type: string }\n").replacen("POST", "DELETE", 1);
    let found = action(&y);
    let fields: Vec<&str> = with(&found, "PA124")
        .iter()
        .map(|d| d.location.field.as_str())
        .collect();
    assert_eq!(
        fields,
        ["parameters.properties.filter", "parameters.properties.tags"]
    );
    assert!(found[0].message.contains("DELETE"));
    // The same on POST is fine.
    let post = y.replacen("DELETE", "POST", 1);
    assert!(with(&action(&post), "PA124").is_empty());
}

#[test]
fn pa130_output_variable_name() {
    for bad in ["OrderId", "order-id", "''"] {
        let found = action(&minimal(&format!(
            "output_variables:\n  - {{ name: {bad}, path: $.id }}\n"
        )));
        only(&found, "PA130", "output_variables[0].name");
    }
    let found = action(&minimal(
        "output_variables:\n  - { name: Order-Id, path: $.id }\n",
    ));
    assert!(
        found[0].message.contains("`order_id`"),
        "{}",
        found[0].message
    );
}

#[test]
fn pa131_duplicate_output_variable() {
    let found = action(&minimal(
        "output_variables:\n  - { name: id, path: $.id }\n  - { name: id, path: $.data.id }\n",
    ));
    only(&found, "PA131", "output_variables[1].name");
}

#[test]
fn pa132_jsonpath_must_start_with_dollar() {
    let found = action(&minimal(
        "output_variables:\n  - { name: id, path: data.id }\n",
    ));
    let m = only(&found, "PA132", "output_variables[0].path");
    assert!(m.contains("`$.data.id`"), "{m}");
}

#[test]
fn pa133_jsonpath_syntax() {
    for bad in ["$.data[", "$..", "$.data.items[?(@.a ==)]", "$.a.length()"] {
        let found = action(&minimal(&format!(
            "output_variables:\n  - {{ name: id, path: '{bad}' }}\n"
        )));
        only(&found, "PA133", "output_variables[0].path");
    }
}

#[test]
fn pa090_unknown_action_keys() {
    let found = action(&minimal("timeout: 5\nconnection_id: x\n"));
    let fields: Vec<&str> = with(&found, "PA090")
        .iter()
        .map(|d| d.location.field.as_str())
        .collect();
    assert_eq!(fields, ["connection_id", "timeout"]);
}

#[test]
fn display_form() {
    let found = action(&minimal("").replacen("name: a", "name: 'a b'", 1));
    assert_eq!(found[0].severity, Severity::Error);
    assert!(
        found[0]
            .to_string()
            .starts_with("error[PA101] name: action name `a b`"),
        "{}",
        found[0]
    );
}
