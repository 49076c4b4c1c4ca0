//! Loading and saving integrations and actions: spellings, round trips, errors with positions.

use polyai_actions::{
    ApiAction, ApiActions, ApiIntegrations, ApiKeyLocation, AuthConnector, AuthType, CredentialsIn,
    DefinitionError, Environment, HeaderValue, Method, SecretRef,
};
use serde_json::json;

const ADK: &str = r#"
api_integrations:
  - name: shop
    description: The shop's order service
    environments:
      sandbox:
        base_url: https://sandbox.shop.example
        auth_type: apiKey
      pre-release:
        base_url: https://staging.shop.example
        auth_type: oauth2_client_credentials
      live:
        base_url: https://shop.example
        auth_type: basic
    operations:
      - name: get_order
        method: GET
        resource: /orders/{order_id}
      - name: get_order
        method: DELETE
        resource: /orders/{order_id}
      - name: search
        method: POST
        resource: /orders/search?limit=10
  - name: weather
    environments:
      sandbox: { base_url: "", auth_type: none }
    operations:
      - { name: today, method: GET, resource: /today }
"#;

#[test]
fn adk_file_loads_every_field() {
    let file = ApiIntegrations::from_yaml_str(ADK).unwrap();
    assert_eq!(file.api_integrations.len(), 2);
    let shop = file.get("shop").unwrap();
    assert_eq!(
        shop.description.as_deref(),
        Some("The shop's order service")
    );
    let env = &shop.environments;
    assert_eq!(
        env.get(Environment::Sandbox).unwrap().base_url,
        "https://sandbox.shop.example"
    );
    assert_eq!(
        env.get(Environment::PreRelease).unwrap().auth_type,
        AuthType::OAuth2ClientCredentials
    );
    assert_eq!(
        env.get(Environment::Live).unwrap().auth_type,
        AuthType::Basic
    );
    assert_eq!(shop.operations.len(), 3);
    assert_eq!(
        shop.operation("get_order", Method::Delete)
            .unwrap()
            .resource,
        "/orders/{order_id}"
    );
    let weather = file.get("weather").unwrap();
    assert_eq!(weather.description, None);
    assert_eq!(
        weather.environments.sandbox.as_ref().unwrap().auth_type,
        AuthType::None
    );
    assert!(weather.environments.live.is_none());
    assert!(file.extra.is_empty() && shop.extra.is_empty());
}

#[test]
fn every_auth_type_spelling_round_trips() {
    for (spelling, expected) in [
        ("none", AuthType::None),
        ("basic", AuthType::Basic),
        ("apiKey", AuthType::ApiKey),
        ("oauth2", AuthType::OAuth2),
        (
            "oauth2_client_credentials",
            AuthType::OAuth2ClientCredentials,
        ),
        ("jwt_client_assertion", AuthType::JwtClientAssertion),
    ] {
        let yaml = format!(
            "api_integrations:\n  - name: a\n    environments:\n      live: {{ base_url: 'https://x.example', auth_type: {spelling} }}\n    operations: []\n"
        );
        let file = ApiIntegrations::from_yaml_str(&yaml).unwrap();
        let live = file.api_integrations[0].environments.live.as_ref().unwrap();
        assert_eq!(live.auth_type, expected);
        assert_eq!(expected.as_str(), spelling);
        assert!(
            file.to_yaml_string()
                .unwrap()
                .contains(&format!("auth_type: {spelling}"))
        );
    }
}

#[test]
fn unknown_auth_type_is_refused_with_its_position() {
    let yaml = "api_integrations:\n  - name: a\n    environments:\n      live:\n        auth_type: api_key\n";
    let err = ApiIntegrations::from_yaml_str(yaml).unwrap_err();
    assert_eq!(err.line_column().map(|(l, _)| l), Some(5), "{err}");
    assert!(err.to_string().contains("api_key"), "{err}");
    assert!(
        err.to_string().contains("apiKey"),
        "the accepted spellings are listed: {err}"
    );
}

fn env_yaml(key: &str) -> String {
    format!(
        "api_integrations:\n  - name: a\n    environments:\n      \"{key}\": {{ base_url: 'https://x.example', auth_type: none }}\n    operations: []\n"
    )
}

#[test]
fn every_environment_spelling_is_accepted_and_written_back_canonically() {
    for env in Environment::ALL {
        for spelling in env.spellings() {
            let file = ApiIntegrations::from_yaml_str(&env_yaml(spelling)).unwrap();
            let integration = &file.api_integrations[0];
            assert!(
                integration.environments.get(env).is_some(),
                "{spelling} should load as {env}"
            );
            assert!(integration.environments.extra.is_empty(), "{spelling}");
            let saved = file.to_yaml_string().unwrap();
            assert!(saved.contains(&format!("{}:", env.as_str())), "{saved}");
            assert_eq!(spelling.parse::<Environment>().unwrap(), env);
            // JSON too.
            let json = file.to_json_string().unwrap();
            assert!(json.contains(&format!("\"{}\"", env.as_str())));
            assert_eq!(ApiIntegrations::from_json_str(&json).unwrap(), file);
        }
    }
}

#[test]
fn two_spellings_of_one_environment_are_a_duplicate() {
    let yaml = "api_integrations:\n  - name: a\n    environments:\n      pre-release: { base_url: '' }\n      pre_release: { base_url: '' }\n";
    let err = ApiIntegrations::from_yaml_str(yaml).unwrap_err();
    assert!(err.to_string().contains("duplicate field"), "{err}");
}

#[test]
fn unknown_environment_name_is_an_error_to_parse() {
    let err = "staging".parse::<Environment>().unwrap_err();
    assert!(err.to_string().contains("pre-release"));
}

#[test]
fn unknown_keys_are_kept_and_written_back() {
    let yaml = r#"
version: 2
api_integrations:
  - name: a
    owner: team-x
    environments:
      live: { base_ulr: "https://typo.example", auth_type: none }
      staging: { base_url: "" }
    operations:
      - { name: b, method: get, resource: /b, timeout: 5 }
"#;
    let file = ApiIntegrations::from_yaml_str(yaml).unwrap();
    assert_eq!(file.extra["version"], json!(2));
    let a = &file.api_integrations[0];
    assert_eq!(a.extra["owner"], json!("team-x"));
    assert_eq!(
        a.environments.live.as_ref().unwrap().extra["base_ulr"],
        json!("https://typo.example")
    );
    assert!(a.environments.extra.contains_key("staging"));
    assert_eq!(
        a.operations[0].method,
        Method::Get,
        "lower-case method accepted"
    );
    assert_eq!(a.operations[0].extra["timeout"], json!(5));
    let again = ApiIntegrations::from_yaml_str(&file.to_yaml_string().unwrap()).unwrap();
    assert_eq!(again, file);
    let again = ApiIntegrations::from_json_str(&file.to_json_string().unwrap()).unwrap();
    assert_eq!(again, file);
}

#[test]
fn adk_round_trip_yaml_and_json() {
    let file = ApiIntegrations::from_yaml_str(ADK).unwrap();
    let yaml = file.to_yaml_string().unwrap();
    assert!(yaml.contains("pre-release:"));
    assert!(!yaml.contains("pre_release"));
    assert_eq!(ApiIntegrations::from_yaml_str(&yaml).unwrap(), file);
    let json = file.to_json_string().unwrap();
    assert_eq!(ApiIntegrations::from_json_str(&json).unwrap(), file);
}

#[test]
fn yaml_errors_carry_line_and_column() {
    let yaml = "api_integrations:\n  - name: a\n    operations:\n      - name: b\n        method: FETCH\n        resource: /x\n";
    let err = ApiIntegrations::from_yaml_str(yaml).unwrap_err();
    let (line, column) = err.line_column().unwrap();
    assert_eq!(line, 5, "{err}");
    assert_eq!(column, 17, "{err}");
    let text = err.to_string();
    assert!(
        text.starts_with("5:17: invalid YAML definition: "),
        "{text}"
    );
    assert!(text.contains("FETCH"), "{text}");
}

#[test]
fn missing_required_field_is_reported() {
    let yaml =
        "api_integrations:\n  - name: a\n    operations:\n      - name: b\n        method: GET\n";
    let err = ApiIntegrations::from_yaml_str(yaml).unwrap_err();
    assert!(
        err.to_string().contains("missing field `resource`"),
        "{err}"
    );
    assert!(err.line_column().is_some(), "{err}");
}

#[test]
fn json_errors_carry_line_and_column() {
    let json = "{\n  \"api_integrations\": [\n    {\"name\": 3}\n  ]\n}";
    let err = ApiIntegrations::from_json_str(json).unwrap_err();
    assert_eq!(err.line_column().map(|(l, _)| l), Some(3), "{err}");
    assert!(matches!(err, DefinitionError::Parse { .. }));
}

const ACTION: &str = r#"
name: lookup-order_v2
description: Look up an order by its number
api_connection:
  base_url: https://api.shop.example/v1/
  auth: { type: bearer, token: { secret: shop_token } }
  headers:
    - { name: X-Client, value: polyai }
url: /orders/lookup
method: POST
headers:
  - { name: X-Tenant, value: acme }
  - { name: X-Version, value: 2 }
  - { name: X-Signature, value: { secret: shop_signature } }
auth:
  type: api_key
  location: { in: query, name: api_key }
  key: { secret: shop_key }
parameters:
  type: object
  properties:
    order_number: { type: string }
    priority: { enum: [low, medium, high] }
  required: [order_number]
body_template: '{"order": "{{.parameters.order_number}}"}'
output_variables:
  - { name: order_id, path: $.data.id, sensitive: true, expose_to_ai: false }
  - { name: status, json_path: $.data.status }
"#;

#[test]
fn action_loads_every_field() {
    let action = ApiAction::from_yaml_str(ACTION).unwrap();
    assert_eq!(action.name, "lookup-order_v2");
    let conn = action.connection.as_ref().unwrap();
    assert_eq!(conn.base_url, "https://api.shop.example/v1/");
    assert_eq!(
        conn.auth,
        Some(AuthConnector::Bearer {
            token: SecretRef::new("shop_token")
        })
    );
    assert_eq!(conn.headers[0].value, HeaderValue::Static("polyai".into()));
    assert_eq!(action.url, "/orders/lookup");
    assert_eq!(action.method, Method::Post);
    assert_eq!(action.headers[1].value, HeaderValue::Static("2".into()));
    assert_eq!(
        action.headers[2].value,
        HeaderValue::Secret(SecretRef::new("shop_signature"))
    );
    assert_eq!(
        action.auth,
        Some(AuthConnector::ApiKey {
            location: ApiKeyLocation::Query {
                name: "api_key".into()
            },
            key: SecretRef::new("shop_key"),
        })
    );
    assert_eq!(action.parameters["required"], json!(["order_number"]));
    assert_eq!(
        action.body_template.as_deref(),
        Some(r#"{"order": "{{.parameters.order_number}}"}"#)
    );
    let outs = &action.output_variables;
    assert!(outs[0].sensitive && !outs[0].expose_to_ai);
    assert_eq!(outs[1].path, "$.data.status");
    assert!(!outs[1].sensitive && outs[1].expose_to_ai, "defaults");
}

#[test]
fn action_round_trips_yaml_and_json() {
    let action = ApiAction::from_yaml_str(ACTION).unwrap();
    let yaml = action.to_yaml_string().unwrap();
    assert_eq!(ApiAction::from_yaml_str(&yaml).unwrap(), action);
    let json = action.to_json_string().unwrap();
    assert_eq!(ApiAction::from_json_str(&json).unwrap(), action);
    // Secrets are written as references.
    assert!(json.contains(r#""secret": "shop_signature""#), "{json}");
}

#[test]
fn every_auth_connector_round_trips() {
    let connectors = [
        AuthConnector::Bearer {
            token: SecretRef::new("t"),
        },
        AuthConnector::ApiKey {
            location: ApiKeyLocation::Header {
                name: "X-API-Key".into(),
            },
            key: SecretRef::new("k"),
        },
        AuthConnector::ApiKey {
            location: ApiKeyLocation::Cookie {
                name: "api_key".into(),
            },
            key: SecretRef::new("k"),
        },
        AuthConnector::Basic {
            username: "shop".into(),
            password: SecretRef::new("p"),
        },
        AuthConnector::OAuth2ClientCredentials {
            token_url: "https://auth.example/token".into(),
            client_id: "polyai".into(),
            client_secret: SecretRef::new("cs"),
            scope: Some("orders.read".into()),
            credentials_in: CredentialsIn::Body,
            auth_header_name: Some("X-Auth".into()),
            token_prefix: Some("Token".into()),
        },
    ];
    for auth in connectors {
        let mut action = ApiAction::new("a", "https://x.example", Method::Get);
        action.auth = Some(auth.clone());
        let yaml = action.to_yaml_string().unwrap();
        assert!(
            yaml.contains(&format!("type: {}", auth.type_name())),
            "{yaml}"
        );
        assert_eq!(ApiAction::from_yaml_str(&yaml).unwrap(), action);
        let json = action.to_json_string().unwrap();
        assert_eq!(ApiAction::from_json_str(&json).unwrap(), action);
    }
}

#[test]
fn oauth_defaults() {
    let yaml = "name: a\nurl: https://x.example\nmethod: GET\nauth:\n  type: oauth2_client_credentials\n  token_url: https://auth.example/token\n  client_id: c\n  client_secret: { secret: s }\n";
    let action = ApiAction::from_yaml_str(yaml).unwrap();
    match action.auth.unwrap() {
        AuthConnector::OAuth2ClientCredentials {
            credentials_in,
            scope,
            auth_header_name,
            token_prefix,
            ..
        } => {
            assert_eq!(credentials_in, CredentialsIn::Header);
            assert_eq!((scope, auth_header_name, token_prefix), (None, None, None));
        }
        other => panic!("wrong connector {other:?}"),
    }
}

#[test]
fn a_plain_string_credential_is_refused_without_echoing_it() {
    let yaml = "name: a\nurl: https://x.example\nmethod: GET\nauth: { type: bearer, token: sk_live_abc123 }\n";
    let err = ApiAction::from_yaml_str(yaml).unwrap_err();
    let text = err.to_string();
    assert!(text.contains("{secret: NAME}"), "{text}");
    assert!(
        !text.contains("sk_live_abc123"),
        "the value must not be echoed: {text}"
    );
}

#[test]
fn secret_reference_with_an_extra_key_is_refused() {
    let yaml = "name: a\nurl: https://x.example\nmethod: GET\nheaders:\n  - { name: X, value: { secret: s, value: v } }\n";
    let err = ApiAction::from_yaml_str(yaml).unwrap_err();
    assert!(err.to_string().contains("unexpected key `value`"), "{err}");
}

#[test]
fn debug_never_shows_more_than_secret_names() {
    let action = ApiAction::from_yaml_str(ACTION).unwrap();
    let debug = format!("{action:?}");
    for name in ["shop_token", "shop_signature", "shop_key"] {
        assert!(debug.contains(&format!("<secret:{name}>")), "{debug}");
    }
}

#[test]
fn defaults_of_an_action() {
    let action =
        ApiAction::from_yaml_str("name: a\nurl: https://x.example\nmethod: delete\n").unwrap();
    assert_eq!(action.method, Method::Delete);
    assert_eq!(
        action.parameters,
        json!({"type": "object", "properties": {}})
    );
    assert_eq!(action.description, "");
    assert!(action.connection.is_none() && action.auth.is_none() && action.body_template.is_none());
}

#[test]
fn actions_file_round_trips_and_keeps_unknown_keys() {
    let yaml = format!("actions:\n{}", indent(ACTION));
    let file = ApiActions::from_yaml_str(&yaml).unwrap();
    assert_eq!(file.actions.len(), 1);
    let mut file = file;
    file.actions[0]
        .extra
        .insert("studio_id".into(), json!("abc"));
    let again = ApiActions::from_yaml_str(&file.to_yaml_string().unwrap()).unwrap();
    assert_eq!(again, file);
    let again = ApiActions::from_json_str(&file.to_json_string().unwrap()).unwrap();
    assert_eq!(again, file);
}

fn indent(doc: &str) -> String {
    let mut out = String::new();
    let mut first = true;
    for line in doc.lines().filter(|l| !l.is_empty()) {
        out.push_str(if first { "  - " } else { "    " });
        first = false;
        out.push_str(line);
        out.push('\n');
    }
    out
}

#[test]
fn files_on_disk_by_extension() {
    let dir = std::env::temp_dir().join(format!("polyai-actions-defs-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = ApiIntegrations::from_yaml_str(ADK).unwrap();
    let yaml_path = dir.join("api_integrations.yaml");
    let json_path = dir.join("api_integrations.json");
    file.to_path(&yaml_path).unwrap();
    file.to_path(&json_path).unwrap();
    assert!(
        std::fs::read_to_string(&json_path)
            .unwrap()
            .starts_with('{')
    );
    assert_eq!(ApiIntegrations::from_path(&yaml_path).unwrap(), file);
    assert_eq!(ApiIntegrations::from_path(&json_path).unwrap(), file);

    let action = ApiAction::from_yaml_str(ACTION).unwrap();
    let action_path = dir.join("action.yaml");
    action.to_path(&action_path).unwrap();
    assert_eq!(ApiAction::from_path(&action_path).unwrap(), action);

    std::fs::write(&yaml_path, "api_integrations:\n  - name: [oops\n").unwrap();
    let err = ApiIntegrations::from_path(&yaml_path).unwrap_err();
    assert!(matches!(err, DefinitionError::File { .. }));
    assert!(
        err.to_string()
            .starts_with(&yaml_path.display().to_string()),
        "{err}"
    );
    assert!(err.line_column().is_some());

    let missing = ApiIntegrations::from_path(dir.join("nope.yaml")).unwrap_err();
    assert!(matches!(missing, DefinitionError::Io { .. }));
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn method_parsing() {
    assert_eq!("Put".parse::<Method>().unwrap(), Method::Put);
    let err = "HEAD".parse::<Method>().unwrap_err();
    assert!(err.to_string().contains("GET, POST, PUT, PATCH or DELETE"));
    assert!(Method::Delete.sends_query() && !Method::Put.sends_query());
}
