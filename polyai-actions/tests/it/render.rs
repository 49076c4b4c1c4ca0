//! Rendering requests: URLs, placeholders, query encodings, bodies, headers, secrets, auth
//! connectors and environments. Expected query strings and JSON bodies marked "requests" or
//! "Go" were produced by Python `requests` 2.34 and Go 1.19's `encoding/json` on the same
//! input.

use polyai_actions::render::{
    CallArgs, InvalidJsonBody, JsonStyle, OAuth2Handling, QueryEncoding, RenderContext,
    RenderError, RequestOptions, render_action, render_operation,
};
use polyai_actions::secrets::{InMemorySecretStore, NoSecrets, SecretStore};
use polyai_actions::template::{ErrorKind, MissingKey};
use polyai_actions::{
    ApiAction, ApiConnection, ApiIntegration, ApiIntegrations, ApiKeyLocation, AuthConnector,
    Environment, Header, Method, SecretRef,
};
use serde_json::{Value, json};

const SECRET_VALUES: &[&str] = &["s3cr3t-token", "k3y-v4lue", "p4ss w0rd", "cl13nt"];

fn secrets() -> InMemorySecretStore {
    InMemorySecretStore::new()
        .with(Environment::Live, "token", "s3cr3t-token")
        .with(Environment::Live, "key", "k3y-v4lue")
        .with(Environment::Live, "password", "p4ss w0rd")
        .with(Environment::Live, "client_secret", "cl13nt")
        .with(Environment::Sandbox, "token", "s3cr3t-token")
}

fn live(store: &dyn SecretStore) -> RenderContext<'_> {
    RenderContext::new(Environment::Live, store)
}

fn action(url: &str, method: Method) -> ApiAction {
    ApiAction::new("test_action", url, method)
}

fn with_connection(base: &str, path: &str, method: Method) -> ApiAction {
    let mut a = action(path, method);
    a.connection = Some(ApiConnection {
        base_url: base.to_owned(),
        ..Default::default()
    });
    a
}

fn uri(request: &polyai_actions::RenderedRequest) -> String {
    request.as_http().uri().to_string()
}

/// Every printed form of the request, none of which may hold a secret value.
fn printed(request: &polyai_actions::RenderedRequest) -> Vec<String> {
    vec![
        format!("{request}"),
        format!("{request:?}"),
        format!("{request:#?}"),
        request.to_curl(),
        request.url_masked().to_owned(),
        format!("{:?}", request.headers_masked()),
    ]
}

fn assert_no_secret_printed(request: &polyai_actions::RenderedRequest) {
    for form in printed(request) {
        for secret in SECRET_VALUES {
            assert!(!form.contains(secret), "{secret} printed in {form}");
        }
    }
}

// ---- URLs ----------------------------------------------------------------------------------

#[test]
fn url_joining_table() {
    let cases = [
        ("https://h.example", "orders", "https://h.example/orders"),
        ("https://h.example", "/orders", "https://h.example/orders"),
        ("https://h.example/", "orders", "https://h.example/orders"),
        ("https://h.example/", "/orders", "https://h.example/orders"),
        (
            "https://h.example//",
            "//orders",
            "https://h.example/orders",
        ),
        (
            "https://h.example/api/v1",
            "orders",
            "https://h.example/api/v1/orders",
        ),
        (
            "https://h.example/api/v1/",
            "/orders",
            "https://h.example/api/v1/orders",
        ),
        (
            "https://h.example/api",
            "/orders/",
            "https://h.example/api/orders/",
        ),
        (
            "https://h.example/api",
            "/orders?status=open",
            "https://h.example/api/orders?status=open",
        ),
        ("https://h.example/api", "", "https://h.example/api"),
        ("https://h.example/api", "?a=1", "https://h.example/api?a=1"),
        (
            "http://127.0.0.1:8080/x/",
            "/y",
            "http://127.0.0.1:8080/x/y",
        ),
        (
            "https://h.example",
            "/a b/é",
            "https://h.example/a%20b/%C3%A9",
        ),
        ("https://h.example", "/a%2Fb", "https://h.example/a%2Fb"),
        (
            "https://h.example",
            "/orders#top",
            "https://h.example/orders",
        ),
    ];
    let store = NoSecrets;
    for (base, path, want) in cases {
        let a = with_connection(base, path, Method::Get);
        let r = render_action(&a, &live(&store)).unwrap();
        assert_eq!(uri(&r), want, "{base} + {path}");
    }
}

#[test]
fn full_static_url_and_bad_urls() {
    let store = NoSecrets;
    let r = render_action(
        &action("https://h.example/v2/orders?x=1", Method::Get),
        &live(&store),
    )
    .unwrap();
    assert_eq!(uri(&r), "https://h.example/v2/orders?x=1");

    for url in ["ftp://h.example/x", "/orders", "https:///orders"] {
        let err = render_action(&action(url, Method::Get), &live(&store)).unwrap_err();
        assert!(
            matches!(err, RenderError::InvalidUrl { .. }),
            "{url}: {err}"
        );
    }
    let err = render_action(
        &with_connection("https://h.example/api?key=1", "/orders", Method::Get),
        &live(&store),
    )
    .unwrap_err();
    assert!(err.to_string().contains("query or fragment"), "{err}");
}

#[test]
fn path_query_and_parameters_combine() {
    let store = NoSecrets;
    let a = with_connection("https://h.example", "/orders?status=open", Method::Get);
    let r = render_action(&a, &live(&store).with_parameters(json!({"q": "x y"}))).unwrap();
    assert_eq!(uri(&r), "https://h.example/orders?status=open&q=x+y");
    let a = with_connection("https://h.example", "/orders?", Method::Delete);
    let r = render_action(&a, &live(&store).with_parameters(json!({"q": 1}))).unwrap();
    assert_eq!(uri(&r), "https://h.example/orders?q=1");
    assert_eq!(r.method(), http::Method::DELETE);
    assert!(r.body().is_empty());
}

// ---- integration placeholders ------------------------------------------------------------

fn shop() -> ApiIntegration {
    ApiIntegrations::from_yaml_str(
        r#"
api_integrations:
  - name: shop
    environments:
      sandbox:     { base_url: "https://sandbox.shop.example/api/", auth_type: none }
      pre-release: { base_url: "https://staging.shop.example", auth_type: none }
      live:        { base_url: "https://shop.example/v1", auth_type: none }
    operations:
      - { name: get_item, method: GET, resource: "/orders/{order_id}/items/{item_id}" }
      - { name: get_order, method: GET, resource: "orders/{order_id}?expand=1" }
      - { name: same_twice, method: GET, resource: "/a/{x}/b/{x}" }
      - { name: update, method: PUT, resource: "/orders/{order_id}" }
      - { name: update, method: PATCH, resource: "/orders/{order_id}" }
      - { name: create, method: POST, resource: "/orders" }
      - { name: broken, method: GET, resource: "/orders/{order_id" }
"#,
    )
    .unwrap()
    .api_integrations
    .remove(0)
}

#[test]
fn environment_selects_the_base_url() {
    let shop = shop();
    let store = NoSecrets;
    let call = CallArgs::new().arg(json!("o1")).arg(json!("i2"));
    let want = [
        (
            Environment::Sandbox,
            "https://sandbox.shop.example/api/orders/o1/items/i2",
        ),
        (
            Environment::PreRelease,
            "https://staging.shop.example/orders/o1/items/i2",
        ),
        (
            Environment::Live,
            "https://shop.example/v1/orders/o1/items/i2",
        ),
    ];
    for (env, url) in want {
        let r =
            render_operation(&shop, "get_item", &call, &RenderContext::new(env, &store)).unwrap();
        assert_eq!(uri(&r), url, "{env}");
    }
}

#[test]
fn missing_environment_and_empty_base_url() {
    let mut shop = shop();
    shop.environments.pre_release = None;
    let store = NoSecrets;
    let call = CallArgs::new().arg(json!("o1")).arg(json!("i2"));
    let err = render_operation(
        &shop,
        "get_item",
        &call,
        &RenderContext::new(Environment::PreRelease, &store),
    )
    .unwrap_err();
    assert!(matches!(
        err,
        RenderError::MissingEnvironment {
            environment: Environment::PreRelease,
            ..
        }
    ));
    assert!(
        err.to_string()
            .contains("`shop` has no `pre-release` environment"),
        "{err}"
    );

    shop.environments.live.as_mut().unwrap().base_url.clear();
    let err = render_operation(&shop, "get_item", &call, &live(&store)).unwrap_err();
    assert!(matches!(err, RenderError::EmptyBaseUrl { .. }), "{err}");
}

#[test]
fn placeholders_positional_named_and_hostile_values() {
    let shop = shop();
    let store = NoSecrets;
    let ctx = live(&store);
    let cases: [(Value, &str); 8] = [
        (json!("a/b"), "a%2Fb"),
        (json!("x y"), "x%20y"),
        (json!("é🚀"), "%C3%A9%F0%9F%9A%80"),
        (json!("?#&=%"), "%3F%23%26%3D%25"),
        (json!("..."), "..."),
        (json!(5), "5"),
        (json!(2.5), "2.5"),
        (json!(true), "True"),
    ];
    for (value, want) in cases {
        let positional = CallArgs::new().arg(value.clone()).arg(json!("i"));
        let r = render_operation(&shop, "get_item", &positional, &ctx).unwrap();
        assert_eq!(
            uri(&r),
            format!("https://shop.example/v1/orders/{want}/items/i"),
            "{value}"
        );
        let named = CallArgs::new()
            .named_arg("item_id", json!("i"))
            .named_arg("order_id", value.clone());
        let r = render_operation(&shop, "get_item", &named, &ctx).unwrap();
        assert_eq!(
            uri(&r),
            format!("https://shop.example/v1/orders/{want}/items/i")
        );
    }
    // Mixed: the first positionally, the second by name.
    let mixed = CallArgs::new()
        .arg(json!("o"))
        .named_arg("item_id", json!("i"));
    let r = render_operation(&shop, "get_item", &mixed, &ctx).unwrap();
    assert_eq!(uri(&r), "https://shop.example/v1/orders/o/items/i");
    // The resource's own query is kept.
    let r = render_operation(&shop, "get_order", &CallArgs::new().arg(json!("o")), &ctx).unwrap();
    assert_eq!(uri(&r), "https://shop.example/v1/orders/o?expand=1");
    // A repeated name takes one value.
    let r = render_operation(&shop, "same_twice", &CallArgs::new().arg(json!("v")), &ctx).unwrap();
    assert_eq!(uri(&r), "https://shop.example/v1/a/v/b/v");
}

#[test]
fn placeholder_errors_name_the_placeholder() {
    let shop = shop();
    let store = NoSecrets;
    let ctx = live(&store);
    for bad in [
        json!(".."),
        json!("."),
        json!(""),
        json!(null),
        json!([1]),
        json!({"a": 1}),
    ] {
        let call = CallArgs::new().arg(bad.clone()).arg(json!("i"));
        let err = render_operation(&shop, "get_item", &call, &ctx).unwrap_err();
        match &err {
            RenderError::InvalidPathArgument { placeholder, .. } => {
                assert_eq!(placeholder, "order_id")
            }
            other => panic!("{bad}: {other}"),
        }
        assert!(err.to_string().contains("{order_id}"), "{err}");
    }
    let err =
        render_operation(&shop, "get_item", &CallArgs::new().arg(json!("o")), &ctx).unwrap_err();
    assert!(
        matches!(&err, RenderError::MissingPathArgument { placeholder, .. } if placeholder == "item_id")
    );
    let call = CallArgs::new()
        .arg(json!("o"))
        .arg(json!("i"))
        .arg(json!("extra"));
    let err = render_operation(&shop, "get_item", &call, &ctx).unwrap_err();
    assert!(matches!(err, RenderError::ExtraPathArgument { .. }));
    assert!(err.to_string().contains("positional argument 3"), "{err}");
    assert!(err.to_string().contains("{order_id}, {item_id}"), "{err}");
    let call = CallArgs::new()
        .arg(json!("o"))
        .arg(json!("i"))
        .named_arg("sku", json!("x"));
    let err = render_operation(&shop, "get_item", &call, &ctx).unwrap_err();
    assert!(
        err.to_string().contains("`sku` matches no placeholder"),
        "{err}"
    );
    let call = CallArgs::new()
        .arg(json!("o"))
        .arg(json!("i"))
        .named_arg("order_id", json!("x"));
    let err = render_operation(&shop, "get_item", &call, &ctx).unwrap_err();
    assert!(
        err.to_string().contains("both positionally and by name"),
        "{err}"
    );
    let err = render_operation(&shop, "broken", &CallArgs::new(), &ctx).unwrap_err();
    assert!(matches!(err, RenderError::InvalidResource { .. }), "{err}");
}

#[test]
fn operations_are_found_by_name_and_method() {
    let shop = shop();
    let store = NoSecrets;
    let ctx = live(&store);
    let call = CallArgs::new().arg(json!("o"));
    let err = render_operation(&shop, "update", &call, &ctx).unwrap_err();
    assert!(matches!(err, RenderError::AmbiguousOperation { .. }));
    assert!(err.to_string().contains("PUT, PATCH"), "{err}");
    let r = render_operation(&shop, "update", &call.clone().method(Method::Patch), &ctx).unwrap();
    assert_eq!(r.method(), http::Method::PATCH);
    let err = render_operation(&shop, "nope", &call, &ctx).unwrap_err();
    assert!(matches!(err, RenderError::UnknownOperation { .. }));
    let err = render_operation(&shop, "create", &call.method(Method::Get), &ctx).unwrap_err();
    assert!(
        err.to_string().contains("no operation GET `create`"),
        "{err}"
    );
}

// ---- query encoding ------------------------------------------------------------------------

fn every_kind() -> Value {
    json!({
        "big": 1e16, "e": 1e6, "f": false, "i": 1000000, "l": [1, "x", null, 2.5],
        "n": null, "neg": -3, "s": "a b", "small": 1e-5, "t": true, "u": "é&=/~"
    })
}

#[test]
fn query_requests_encoding_matches_requests() {
    let store = NoSecrets;
    let a = action("https://h.example/x", Method::Get);
    let r = render_action(&a, &live(&store).with_parameters(every_kind())).unwrap();
    // requests.Request('GET', url, params=...).prepare().url, same key order.
    assert_eq!(
        uri(&r),
        "https://h.example/x?big=1e%2B16&e=1000000.0&f=False&i=1000000&l=1&l=x&l=2.5&neg=-3\
         &s=a+b&small=1e-05&t=True&u=%C3%A9%26%3D%2F~"
    );
    // The same rules for an integration's params.
    let shop = shop();
    let mut call = CallArgs::new();
    call.params = every_kind().as_object().unwrap().clone();
    let r = render_operation(&shop, "create", &call, &live(&store)).unwrap();
    assert!(uri(&r).ends_with("/orders?big=1e%2B16&e=1000000.0&f=False&i=1000000&l=1&l=x&l=2.5&neg=-3&s=a+b&small=1e-05&t=True&u=%C3%A9%26%3D%2F~"));
}

#[test]
fn query_json_encoding() {
    let store = NoSecrets;
    let a = action("https://h.example/x", Method::Get);
    // `o` inserted in its sorted place, so both builds (sorted maps, or insertion order
    // with serde_json's `preserve_order`) write the same query.
    let mut params = serde_json::Map::new();
    for (key, value) in every_kind().as_object().unwrap() {
        if key.as_str() > "o" && !params.contains_key("o") {
            params.insert("o".into(), json!({"k": [1, {"z": null}]}));
        }
        params.insert(key.clone(), value.clone());
    }
    let params = Value::Object(params);
    let ctx = live(&store)
        .with_parameters(params)
        .with_options(RequestOptions::new().with_query_encoding(QueryEncoding::Json));
    let r = render_action(&a, &ctx).unwrap();
    assert_eq!(
        uri(&r),
        "https://h.example/x?big=10000000000000000&e=1000000&f=false&i=1000000\
         &l=%5B1%2C%22x%22%2Cnull%2C2.5%5D&neg=-3&o=%7B%22k%22%3A%5B1%2C%7B%22z%22%3Anull%7D%5D%7D\
         &s=a+b&small=0.00001&t=true&u=%C3%A9%26%3D%2F~"
    );
}

#[test]
fn query_requests_encoding_refuses_nested_values() {
    let store = NoSecrets;
    let a = action("https://h.example/x", Method::Get);
    for (params, name) in [
        (json!({"filter": {"a": 1}}), "filter"),
        (json!({"ids": [[1, 2]]}), "ids"),
        (json!({"ids": [{"a": 1}]}), "ids"),
    ] {
        let err = render_action(&a, &live(&store).with_parameters(params)).unwrap_err();
        match &err {
            RenderError::QueryValue { name: n, .. } => assert_eq!(n, name),
            other => panic!("{other}"),
        }
        assert!(err.to_string().contains("QueryEncoding::Json"), "{err}");
    }
    let err = render_action(&a, &live(&store).with_parameters(json!([1]))).unwrap_err();
    assert!(err.to_string().contains("must be an object"), "{err}");
}

// ---- bodies --------------------------------------------------------------------------------

#[test]
fn flat_json_body_is_go_json_marshal() {
    let store = NoSecrets;
    let a = action("https://h.example/x", Method::Post);
    let params: Value = serde_json::from_str(
        r#"{"b": "é\u2028<>&\"\\\n\u0001\u007f\b\f", "a": 1e6, "c": [1, null, true], "d": 1e21,
            "e": 1e20, "f": 1e-7, "g": 1.5e-10, "h": 0.000001, "i": -0, "j": 9007199254740993,
            "k": 18446744073709551615, "l": 12345678}"#,
    )
    .unwrap();
    let r = render_action(&a, &live(&store).with_parameters(params.clone())).unwrap();
    // Go 1.19: json.Unmarshal into interface{}, then json.Marshal.
    assert_eq!(
        r.body_text().unwrap(),
        "{\"a\":1000000,\"b\":\"é\\u2028\\u003c\\u003e\\u0026\\\"\\\\\\n\\u0001\u{7f}\\u0008\\u000c\",\
         \"c\":[1,null,true],\"d\":1e+21,\"e\":100000000000000000000,\"f\":1e-7,\"g\":1.5e-10,\
         \"h\":0.000001,\"i\":-0,\"j\":9007199254740992,\"k\":18446744073709552000,\"l\":12345678}"
    );
    assert_eq!(r.header_masked("Content-Type"), Some("application/json"));
    assert!(r.warnings().is_empty());

    let ctx = live(&store)
        .with_parameters(json!({"a": [1, 2.0, {"b": null}], "s": "ü\"", "z": 1e21}))
        .with_options(RequestOptions::new().with_flat_body(JsonStyle::PythonDumps));
    let r = render_action(&a, &ctx).unwrap();
    // Python: json.dumps({...}) with the same key order.
    assert_eq!(
        r.body_text().unwrap(),
        r#"{"a": [1, 2.0, {"b": null}], "s": "\u00fc\"", "z": 1e+21}"#
    );
}

#[test]
fn empty_parameters_post_sends_an_empty_object() {
    let store = NoSecrets;
    for method in [Method::Post, Method::Put, Method::Patch] {
        let r = render_action(&action("https://h.example/x", method), &live(&store)).unwrap();
        assert_eq!(r.body_text(), Some("{}"));
        assert_eq!(r.method(), &method.as_http());
    }
}

fn templated(template: &str) -> ApiAction {
    let mut a = action("https://h.example/tickets", Method::Post);
    a.body_template = Some(template.to_owned());
    a.parameters = json!({
        "type": "object",
        "properties": {"title": {"type": "string"}, "qty": {"type": "number"}, "email": {"type": "string"}},
        "required": ["title"]
    });
    a
}

#[test]
fn template_body_sees_parameters_variables_and_static_variables() {
    let store = NoSecrets;
    let a = templated(
        r#"{"title": "{{.parameters.title}}", "qty": {{.parameters.qty}}, "status": "{{.variables.account.status}}", "region": "{{.static_variables.region}}"{{if .parameters.email}}, "email": "{{.parameters.email}}"{{end}}}"#,
    );
    let ctx = live(&store)
        .with_parameters(json!({"title": "Broken", "qty": 1000000}))
        .with_variable("account.status", json!("gold"))
        .with_static_variables(Environment::Live, json!({"region": "eu"}))
        .with_static_variables(Environment::Sandbox, json!({"region": "test"}));
    let r = render_action(&a, &ctx).unwrap();
    // Go's %v prints the float64 1000000 as 1e+06: the template's output is sent as it is.
    assert_eq!(
        r.body_text().unwrap(),
        r#"{"title": "Broken", "qty": 1e+06, "status": "gold", "region": "eu"}"#
    );
    assert_eq!(r.header_masked("content-type"), Some("application/json"));
    let r = render_action(&a, &ctx.clone().with_environment(Environment::Sandbox)).unwrap();
    assert!(r.body_text().unwrap().contains(r#""region": "test""#));
}

#[test]
fn template_missing_values_follow_the_missing_key_setting() {
    let store = NoSecrets;
    let a = templated(r#"{"title": "{{.parameters.title}}", "email": "{{.parameters.email}}"}"#);
    let ctx = live(&store).with_parameters(json!({"title": "t"}));
    match render_action(&a, &ctx).unwrap_err() {
        RenderError::Template(e) => {
            assert_eq!(e.kind, ErrorKind::MissingKey);
            assert_eq!(e.position.map(|p| p.line), Some(1));
        }
        other => panic!("{other}"),
    }
    let ctx = ctx.with_options(RequestOptions::new().with_missing_key(MissingKey::GoDefault));
    let r = render_action(&a, &ctx).unwrap();
    assert_eq!(
        r.body_text().unwrap(),
        r#"{"title": "t", "email": "<no value>"}"#
    );
}

#[test]
fn template_errors_are_reported_before_anything_else() {
    let store = NoSecrets;
    let err =
        render_action(&templated("{{range .parameters}}x{{end}}"), &live(&store)).unwrap_err();
    match &err {
        RenderError::Template(e) => assert_eq!(e.kind, ErrorKind::Unsupported),
        other => panic!("{other}"),
    }
    assert!(err.to_string().starts_with("body_template:1:3:"), "{err}");
}

#[test]
fn template_output_that_is_not_json() {
    let store = NoSecrets;
    let a = templated(r#"{"title": "{{.parameters.title}}"}"#);
    let ctx = live(&store).with_parameters(json!({"title": "say \"hi\""}));
    let r = render_action(&a, &ctx).unwrap();
    assert_eq!(r.body_text().unwrap(), r#"{"title": "say "hi""}"#);
    assert_eq!(r.warnings().len(), 1);
    assert!(r.warnings()[0].contains("not valid JSON"));
    let err = render_action(
        &a,
        &ctx.with_options(RequestOptions::new().with_invalid_json_body(InvalidJsonBody::Refuse)),
    )
    .unwrap_err();
    assert!(matches!(err, RenderError::InvalidJsonBody { .. }), "{err}");
}

#[test]
fn get_with_a_template_sends_no_body_and_content_type_can_be_overridden() {
    let store = NoSecrets;
    let mut a = templated("title={{.parameters.title}}");
    a.method = Method::Get;
    let r = render_action(&a, &live(&store).with_parameters(json!({"title": "x"}))).unwrap();
    assert!(r.body().is_empty());
    assert_eq!(r.header_masked("content-type"), None);
    assert_eq!(uri(&r), "https://h.example/tickets?title=x");

    let mut a = templated("title={{.parameters.title}}");
    a.headers
        .push(Header::new_static("Content-Type", "text/plain"));
    let r = render_action(&a, &live(&store).with_parameters(json!({"title": "x"}))).unwrap();
    assert_eq!(r.body_text(), Some("title=x"));
    assert_eq!(r.header_masked("content-type"), Some("text/plain"));
    assert_eq!(
        r.as_http().headers().get_all("content-type").iter().count(),
        1
    );
}

#[test]
fn parameters_are_validated_first() {
    let store = NoSecrets;
    let mut a = templated(r#"{"title": "{{.parameters.title}}"}"#);
    a.parameters["properties"]["priority"] = json!({"enum": ["low", "medium", "high"]});
    let ctx = live(&store).with_parameters(json!({"priority": "urgent"}));
    match render_action(&a, &ctx).unwrap_err() {
        RenderError::Parameters(errors) => {
            let messages = errors.messages();
            assert!(messages.contains(&"`priority` must be one of low, medium, high"));
            assert!(messages.contains(&"`title` is required"));
        }
        other => panic!("{other}"),
    }
    // Validation off: the template's own missing-key rule applies instead.
    let ctx = ctx.with_options(RequestOptions::new().with_parameter_validation(false));
    assert!(matches!(
        render_action(&a, &ctx).unwrap_err(),
        RenderError::Template(_)
    ));
}

// ---- headers and secrets -------------------------------------------------------------------

#[test]
fn static_and_secret_headers_are_masked_everywhere() {
    let store = secrets();
    let mut a = with_connection("https://h.example", "/x", Method::Post);
    let conn = a.connection.as_mut().unwrap();
    conn.headers.push(Header::new_static("X-Client", "polyai"));
    conn.headers
        .push(Header::new_static("X-Tenant", "from-connection"));
    a.headers.push(Header::new_static("x-tenant", "acme"));
    a.headers.push(Header::new_secret("X-Signature", "key"));
    let r = render_action(&a, &live(&store).with_parameters(json!({"a": 1}))).unwrap();
    assert_eq!(
        r.headers_masked().collect::<Vec<_>>(),
        [
            ("X-Client", "polyai"),
            ("x-tenant", "acme"),
            ("X-Signature", "<secret:key>"),
            ("Content-Type", "application/json"),
        ]
    );
    let headers = r.as_http().headers();
    assert_eq!(headers["x-signature"], "k3y-v4lue");
    assert!(headers["x-signature"].is_sensitive());
    assert!(!headers["x-client"].is_sensitive());
    assert_eq!(r.secrets(), ["key"]);
    assert_no_secret_printed(&r);
    // http's own Debug hides the sensitive header too.
    assert!(!format!("{:?}", r.as_http()).contains("k3y-v4lue"));
    assert_eq!(
        r.to_string(),
        "POST https://h.example/x\nX-Client: polyai\nx-tenant: acme\nX-Signature: <secret:key>\n\
         Content-Type: application/json\n\n{\"a\":1}"
    );
}

#[test]
fn a_missing_secret_names_the_secret_and_the_environment() {
    let store = secrets();
    let mut a = action("https://h.example/x", Method::Get);
    a.headers.push(Header::new_secret("X-Api-Key", "key"));
    let err = render_action(&a, &RenderContext::new(Environment::PreRelease, &store)).unwrap_err();
    assert!(matches!(
        &err,
        RenderError::MissingSecret { name, environment: Environment::PreRelease } if name == "key"
    ));
    assert_eq!(
        err.to_string(),
        "the secret `key` has no value for the pre-release environment; add it to the secret store"
    );
}

#[test]
fn a_secret_that_cannot_be_a_header_value_is_named_not_shown() {
    let store = InMemorySecretStore::new().with(Environment::Live, "key", "line\nbreak-s3cr3t");
    let mut a = action("https://h.example/x", Method::Get);
    a.headers.push(Header::new_secret("X-Api-Key", "key"));
    let err = render_action(&a, &live(&store)).unwrap_err();
    let text = format!("{err} {err:?}");
    assert!(text.contains("<secret:key>"), "{text}");
    assert!(!text.contains("s3cr3t"), "{text}");
}

// ---- auth connectors -----------------------------------------------------------------------

fn with_auth(auth: AuthConnector, method: Method) -> ApiAction {
    let mut a = with_connection("https://h.example/api", "/orders", method);
    a.connection.as_mut().unwrap().auth = Some(auth);
    a
}

#[test]
fn bearer() {
    let store = secrets();
    let a = with_auth(
        AuthConnector::Bearer {
            token: SecretRef::new("token"),
        },
        Method::Get,
    );
    let r = render_action(&a, &live(&store)).unwrap();
    assert_eq!(
        r.as_http().headers()["authorization"],
        "Bearer s3cr3t-token"
    );
    assert_eq!(
        r.header_masked("Authorization"),
        Some("Bearer <secret:token>")
    );
    assert_no_secret_printed(&r);
}

#[test]
fn api_key_in_header_query_and_cookie() {
    let store = secrets();
    let key = || SecretRef::new("key");
    let a = with_auth(
        AuthConnector::ApiKey {
            location: ApiKeyLocation::Header {
                name: "X-API-Key".into(),
            },
            key: key(),
        },
        Method::Get,
    );
    let r = render_action(&a, &live(&store)).unwrap();
    assert_eq!(r.as_http().headers()["x-api-key"], "k3y-v4lue");
    assert_no_secret_printed(&r);

    let a = with_auth(
        AuthConnector::ApiKey {
            location: ApiKeyLocation::Query {
                name: "api key".into(),
            },
            key: key(),
        },
        Method::Get,
    );
    let r = render_action(&a, &live(&store).with_parameters(json!({"q": "x"}))).unwrap();
    assert_eq!(
        uri(&r),
        "https://h.example/api/orders?q=x&api+key=k3y-v4lue"
    );
    assert_eq!(
        r.url_masked(),
        "https://h.example/api/orders?q=x&api+key=<secret:key>"
    );
    assert_no_secret_printed(&r);

    let mut a = with_auth(
        AuthConnector::ApiKey {
            location: ApiKeyLocation::Cookie {
                name: "api_key".into(),
            },
            key: key(),
        },
        Method::Get,
    );
    let r = render_action(&a, &live(&store)).unwrap();
    assert_eq!(r.as_http().headers()["cookie"], "api_key=k3y-v4lue");
    assert_eq!(r.header_masked("cookie"), Some("api_key=<secret:key>"));
    a.headers.push(Header::new_static("Cookie", "lang=en"));
    let r = render_action(&a, &live(&store)).unwrap();
    assert_eq!(
        r.as_http().headers()["cookie"],
        "lang=en; api_key=k3y-v4lue"
    );
    assert_eq!(
        r.header_masked("cookie"),
        Some("lang=en; api_key=<secret:key>")
    );
    assert_no_secret_printed(&r);
}

#[test]
fn basic() {
    let store = secrets();
    let a = with_auth(
        AuthConnector::Basic {
            username: "shop".into(),
            password: SecretRef::new("password"),
        },
        Method::Post,
    );
    let r = render_action(&a, &live(&store)).unwrap();
    // base64("shop:p4ss w0rd")
    assert_eq!(
        r.as_http().headers()["authorization"],
        "Basic c2hvcDpwNHNzIHcwcmQ="
    );
    assert_eq!(
        r.header_masked("authorization"),
        Some("Basic base64(shop:<secret:password>)")
    );
    assert_no_secret_printed(&r);
    assert!(!r.to_curl().contains("c2hvcDpwNHNzIHcwcmQ="));
}

#[test]
fn the_action_connector_replaces_the_connection_connector() {
    let store = secrets();
    let mut a = with_auth(
        AuthConnector::Bearer {
            token: SecretRef::new("token"),
        },
        Method::Get,
    );
    a.auth = Some(AuthConnector::ApiKey {
        location: ApiKeyLocation::Header {
            name: "X-Key".into(),
        },
        key: SecretRef::new("key"),
    });
    let r = render_action(&a, &live(&store)).unwrap();
    assert!(r.header_masked("authorization").is_none());
    assert_eq!(r.header_masked("x-key"), Some("<secret:key>"));
}

fn oauth2() -> AuthConnector {
    AuthConnector::OAuth2ClientCredentials {
        token_url: "https://auth.example/token".into(),
        client_id: "polyai".into(),
        client_secret: SecretRef::new("client_secret"),
        scope: None,
        credentials_in: Default::default(),
        auth_header_name: None,
        token_prefix: None,
    }
}

#[test]
fn oauth2_is_refused_or_a_marked_placeholder() {
    let store = secrets();
    let a = with_auth(oauth2(), Method::Get);
    let err = render_action(&a, &live(&store)).unwrap_err();
    assert!(matches!(err, RenderError::NeedsNetwork { .. }));
    assert!(
        err.to_string().contains("https://auth.example/token"),
        "{err}"
    );

    let ctx =
        live(&store).with_options(RequestOptions::new().with_oauth2(OAuth2Handling::Placeholder));
    let r = render_action(&a, &ctx).unwrap();
    assert_eq!(
        r.as_http().headers()["authorization"],
        "Bearer <oauth2 token from https://auth.example/token>"
    );
    assert_eq!(r.warnings().len(), 1);
    assert_no_secret_printed(&r);

    // Custom header and prefix.
    let mut custom = oauth2();
    if let AuthConnector::OAuth2ClientCredentials {
        auth_header_name,
        token_prefix,
        ..
    } = &mut custom
    {
        *auth_header_name = Some("X-Token".into());
        *token_prefix = Some(String::new());
    }
    let r = render_action(&with_auth(custom, Method::Get), &ctx).unwrap();
    assert_eq!(
        r.header_masked("x-token"),
        Some("<oauth2 token from https://auth.example/token>")
    );

    // The client secret must exist in the environment even for a placeholder.
    let err = render_action(&a, &ctx.with_environment(Environment::Sandbox)).unwrap_err();
    assert!(matches!(err, RenderError::MissingSecret { .. }), "{err}");
}

// ---- integration auth, headers and bodies ------------------------------------------------------

fn with_auth_type(auth_type: &str) -> ApiIntegration {
    let mut shop = shop();
    let cfg = shop.environments.live.as_mut().unwrap();
    cfg.auth_type = serde_json::from_value(json!(auth_type)).unwrap();
    shop
}

#[test]
fn integration_auth_must_be_given_and_fit() {
    let store = secrets();
    let call = CallArgs::new();
    let shop = with_auth_type("apiKey");
    let err = render_operation(&shop, "create", &call, &live(&store)).unwrap_err();
    assert!(
        matches!(err, RenderError::MissingIntegrationAuth { .. }),
        "{err}"
    );

    let bearer = AuthConnector::Bearer {
        token: SecretRef::new("token"),
    };
    let err = render_operation(
        &shop,
        "create",
        &call,
        &live(&store).with_integration_auth("shop", bearer),
    )
    .unwrap_err();
    assert!(
        matches!(err, RenderError::IntegrationAuthMismatch { .. }),
        "{err}"
    );

    let cookie = AuthConnector::ApiKey {
        location: ApiKeyLocation::Cookie { name: "k".into() },
        key: SecretRef::new("key"),
    };
    let err = render_operation(
        &shop,
        "create",
        &call,
        &live(&store).with_integration_auth("shop", cookie),
    )
    .unwrap_err();
    assert!(err.to_string().contains("an API key in a cookie"), "{err}");

    let query = AuthConnector::ApiKey {
        location: ApiKeyLocation::Query {
            name: "api_key".into(),
        },
        key: SecretRef::new("key"),
    };
    let ctx = live(&store).with_integration_auth("shop", query);
    let r = render_operation(&shop, "create", &call.clone().param("a", json!(1)), &ctx).unwrap();
    assert_eq!(
        uri(&r),
        "https://shop.example/v1/orders?a=1&api_key=k3y-v4lue"
    );
    assert_no_secret_printed(&r);

    let shop = with_auth_type("basic");
    let basic = AuthConnector::Basic {
        username: "u".into(),
        password: SecretRef::new("password"),
    };
    // Per-environment credentials win over the shared ones.
    let ctx = live(&store)
        .with_integration_auth(
            "shop",
            AuthConnector::Bearer {
                token: SecretRef::new("token"),
            },
        )
        .with_integration_auth_for("shop", Environment::Live, basic);
    let r = render_operation(&shop, "create", &call, &ctx).unwrap();
    assert_eq!(
        r.header_masked("authorization"),
        Some("Basic base64(u:<secret:password>)")
    );

    // auth_type none: nothing is sent, whatever was given.
    let shop = with_auth_type("none");
    let r = render_operation(&shop, "create", &call, &ctx).unwrap();
    assert!(r.headers_masked().len() == 0);
}

#[test]
fn integration_oauth2_auth_types() {
    let store = secrets();
    for auth_type in ["oauth2", "jwt_client_assertion"] {
        let shop = with_auth_type(auth_type);
        let err = render_operation(&shop, "create", &CallArgs::new(), &live(&store)).unwrap_err();
        assert!(matches!(err, RenderError::NeedsNetwork { .. }), "{err}");
        let ctx = live(&store)
            .with_options(RequestOptions::new().with_oauth2(OAuth2Handling::Placeholder));
        let r = render_operation(&shop, "create", &CallArgs::new(), &ctx).unwrap();
        assert_eq!(
            r.header_masked("authorization"),
            Some("Bearer <oauth2 token>")
        );
        assert_eq!(r.warnings().len(), 1);
    }
    let shop = with_auth_type("oauth2_client_credentials");
    let ctx = live(&store).with_integration_auth("shop", oauth2());
    let err = render_operation(&shop, "create", &CallArgs::new(), &ctx).unwrap_err();
    assert!(matches!(err, RenderError::NeedsNetwork { .. }), "{err}");
}

#[test]
fn call_headers_merge_over_stored_ones() {
    let store = secrets();
    let shop = with_auth_type("apiKey");
    let key = AuthConnector::ApiKey {
        location: ApiKeyLocation::Header {
            name: "X-Api-Key".into(),
        },
        key: SecretRef::new("key"),
    };
    let ctx = live(&store).with_integration_auth("shop", key);
    let call = CallArgs::new()
        .header("X-Request-Id", "r1")
        .header("content-type", "application/vnd.shop+json")
        .json(json!({"a": 1}));
    let r = render_operation(&shop, "create", &call, &ctx).unwrap();
    assert_eq!(
        r.headers_masked().collect::<Vec<_>>(),
        [
            ("X-Api-Key", "<secret:key>"),
            ("X-Request-Id", "r1"),
            ("content-type", "application/vnd.shop+json"),
        ]
    );
    let r = render_operation(
        &shop,
        "create",
        &CallArgs::new().header("x-api-key", "override"),
        &ctx,
    )
    .unwrap();
    assert_eq!(
        r.headers_masked().collect::<Vec<_>>(),
        [("x-api-key", "override")]
    );
    assert!(r.secrets().contains(&"key".to_owned()));
}

#[test]
fn integration_bodies_follow_requests() {
    let store = NoSecrets;
    let shop = shop();
    let ctx = live(&store);
    // json=: Python's json.dumps.
    let call = CallArgs::new().json(json!({"a": 1e6, "b": "é", "c": [1, null]}));
    let r = render_operation(&shop, "create", &call, &ctx).unwrap();
    assert_eq!(
        r.body_text(),
        Some(r#"{"a": 1000000.0, "b": "\u00e9", "c": [1, null]}"#)
    );
    assert_eq!(r.header_masked("content-type"), Some("application/json"));
    // json={} still sends a body.
    let r = render_operation(&shop, "create", &CallArgs::new().json(json!({})), &ctx).unwrap();
    assert_eq!(r.body_text(), Some("{}"));
    // data= a dict: a form, same value rules as the query.
    let form = json!({"a": [1, 2], "b": "x y"})
        .as_object()
        .unwrap()
        .clone();
    let r = render_operation(
        &shop,
        "create",
        &CallArgs::new().form(form.clone()).json(json!({"z": 1})),
        &ctx,
    )
    .unwrap();
    assert_eq!(r.body_text(), Some("a=1&a=2&b=x+y"));
    assert_eq!(
        r.header_masked("content-type"),
        Some("application/x-www-form-urlencoded")
    );
    // data= a string: raw, no content type.
    let r = render_operation(&shop, "create", &CallArgs::new().raw("raw text"), &ctx).unwrap();
    assert_eq!(r.body_text(), Some("raw text"));
    assert!(r.headers_masked().len() == 0);
    // Empty data: json is used, as requests does.
    let r = render_operation(
        &shop,
        "create",
        &CallArgs::new().raw("").json(json!([1])),
        &ctx,
    )
    .unwrap();
    assert_eq!(r.body_text(), Some("[1]"));
    // No body at all.
    let r = render_operation(&shop, "create", &CallArgs::new(), &ctx).unwrap();
    assert!(r.body().is_empty());
}

// ---- curl ----------------------------------------------------------------------------------

#[test]
fn curl_arguments_survive_a_posix_shell() {
    let store = secrets();
    let mut a = templated(r#"{"title": "{{.parameters.title}}", "n": "$HOME `x` \\ !"}"#);
    a.auth = Some(AuthConnector::Bearer {
        token: SecretRef::new("token"),
    });
    a.headers.push(Header::new_static("X-Quote", "it's"));
    a.headers.push(Header::new_static("X-Empty", ""));
    let r = render_action(
        &a,
        &live(&store).with_parameters(json!({"title": "O'Brien\nline 2"})),
    )
    .unwrap();
    let curl = r.to_curl();
    assert!(
        curl.starts_with("curl --request POST 'https://h.example/tickets'"),
        "{curl}"
    );
    // Let the shell split the command: each argument must come back exactly.
    let script = format!(
        "set -- {}; for a in \"$@\"; do printf '%s\\0' \"$a\"; done",
        &curl[5..]
    );
    let out = std::process::Command::new("sh")
        .arg("-c")
        .arg(&script)
        .output()
        .unwrap();
    assert!(out.status.success());
    let words: Vec<String> = String::from_utf8(out.stdout)
        .unwrap()
        .split('\0')
        .filter(|w| !w.is_empty())
        .map(str::to_owned)
        .collect();
    assert_eq!(
        words,
        [
            "--request",
            "POST",
            "https://h.example/tickets",
            "--header",
            "X-Quote: it's",
            "--header",
            "X-Empty;",
            "--header",
            "Content-Type: application/json",
            "--header",
            "Authorization: Bearer <secret:token>",
            "--data-binary",
            "{\"title\": \"O'Brien\nline 2\", \"n\": \"$HOME `x` \\\\ !\"}",
        ]
    );
    assert_no_secret_printed(&r);
}

#[test]
fn into_http_hands_on_the_real_request() {
    let store = secrets();
    let a = with_auth(
        AuthConnector::Bearer {
            token: SecretRef::new("token"),
        },
        Method::Put,
    );
    let r = render_action(&a, &live(&store).with_parameters(json!({"x": true}))).unwrap();
    let request = r.into_http();
    assert_eq!(request.method(), http::Method::PUT);
    assert_eq!(request.uri(), "https://h.example/api/orders");
    assert_eq!(request.headers()["authorization"], "Bearer s3cr3t-token");
    assert_eq!(request.body().as_ref(), br#"{"x":true}"#);
}

#[test]
fn context_and_store_debug_show_no_secret() {
    let store = secrets();
    let ctx = live(&store).with_variable("a.b", json!(1));
    let text = format!(
        "{ctx:?} {store:?} {:?}",
        store.get(Environment::Live, "token")
    );
    for secret in SECRET_VALUES {
        assert!(!text.contains(secret), "{text}");
    }
    assert!(text.contains("live:token"));
}

#[test]
fn parts_of_the_template_data_not_given_are_empty_objects() {
    let store = NoSecrets;
    let a = templated(r#"{"queue": "{{.static_variables.queue}}"}"#);
    let ctx = live(&store).with_parameters(json!({"title": "t"}));
    match render_action(&a, &ctx).unwrap_err() {
        RenderError::Template(e) => assert_eq!(e.kind, ErrorKind::MissingKey, "{e}"),
        other => panic!("{other}"),
    }
    // Static variables of another environment are not seen.
    let ctx = ctx.with_static_variables(Environment::Sandbox, json!({"queue": "q"}));
    assert!(render_action(&a, &ctx).is_err());
    let ctx = ctx.with_environment(Environment::Sandbox);
    let r = render_action(&a, &ctx).unwrap();
    assert_eq!(r.body_text(), Some(r#"{"queue": "q"}"#));
}

#[test]
fn reserved_characters_in_a_static_path_are_kept() {
    let store = NoSecrets;
    let a = action("https://h.example/a[1]/it's/(x)*,;=:@!$+", Method::Get);
    let r = render_action(&a, &live(&store)).unwrap();
    assert_eq!(uri(&r), "https://h.example/a[1]/it's/(x)*,;=:@!$+");
    let a = action("https://h.example/a\"b<c>|^`{}\\", Method::Get);
    let r = render_action(&a, &live(&store)).unwrap();
    assert_eq!(uri(&r), "https://h.example/a%22b%3Cc%3E%7C%5E%60%7B%7D%5C");
}

#[test]
fn bad_static_headers_are_errors_that_say_why() {
    let store = NoSecrets;
    for (name, value, why) in [
        ("X-Name", "é", "non-ASCII"),
        ("X-Name", "a\r\nX-Injected: 1", "line break"),
        ("Bad Name", "v", "not an HTTP token"),
    ] {
        let mut a = action("https://h.example/x", Method::Get);
        a.headers.push(Header::new_static(name, value));
        let err = render_action(&a, &live(&store)).unwrap_err();
        assert!(matches!(err, RenderError::InvalidHeader { .. }), "{err}");
        assert!(err.to_string().contains(why), "{err}");
    }
}

#[test]
fn results_and_errors_cross_threads() {
    fn send_sync<T: Send + Sync>() {}
    send_sync::<polyai_actions::RenderedRequest>();
    send_sync::<RenderError>();
    send_sync::<polyai_actions::PreparedAction<'static>>();
    send_sync::<RenderContext<'static>>();
}
