//! `conv.api` for Rust (`ConvApi`) and the integration test doubles (`Doubles`).

use std::sync::{Arc, Mutex};

use bytes::Bytes;
use futures::executor::block_on;
use polyai_actions::conv_api::{ApiResponse, ConvApi, ConvApiError, ResponseError, Sender};
use polyai_actions::doubles::{DoubleError, Doubles, MockResponse, ResponseRule};
use polyai_actions::render::RenderError;
use polyai_actions::{
    ApiIntegrations, ApiKeyLocation, AuthConnector, CredentialsIn, Environment,
    InMemorySecretStore, Method, SecretRef,
};
use serde_json::{Map, Value, json};

const YAML: &str = r#"
api_integrations:
  - name: sweet_booking_api
    description: Bookings
    environments:
      sandbox: { base_url: "http://127.0.0.1:9001/api", auth_type: apiKey }
      pre-release: { base_url: "http://127.0.0.1:9002/api/", auth_type: apiKey }
      live: { base_url: "http://127.0.0.1:9003", auth_type: basic }
    operations:
      - { name: create_booking, method: POST, resource: "/shops/{shop_id}/bookings" }
      - { name: get_booking, method: GET, resource: "/shops/{shop_id}/bookings/{booking_id}?v=2" }
      - { name: booking, method: GET, resource: "/b/{id}" }
      - { name: booking, method: DELETE, resource: "/b/{id}" }
  - name: open_api
    environments:
      sandbox: { base_url: "http://127.0.0.1:9004", auth_type: none }
    operations:
      - { name: ping, method: GET, resource: "/ping" }
  - name: tokened
    environments:
      sandbox: { base_url: "http://127.0.0.1:9005", auth_type: oauth2_client_credentials }
    operations:
      - { name: ping, method: GET, resource: "/ping" }
"#;

const KEY: &str = "sk-sandbox-77f1";
const PRE_KEY: &str = "sk-pre-0c2e";
const LIVE_PW: &str = "live-pw-93ab";

fn secrets() -> Arc<InMemorySecretStore> {
    Arc::new(
        InMemorySecretStore::new()
            .with(Environment::Sandbox, "booking_key", KEY)
            .with(Environment::PreRelease, "booking_key", PRE_KEY)
            .with(Environment::Live, "booking_pw", LIVE_PW),
    )
}

fn conv(doubles: Arc<Doubles>) -> ConvApi {
    ConvApi::new(
        ApiIntegrations::from_yaml_str(YAML).unwrap(),
        Environment::Sandbox,
    )
    .with_secrets(secrets())
    .with_auth(
        "sweet_booking_api",
        AuthConnector::ApiKey {
            location: ApiKeyLocation::Header {
                name: "X-API-Key".into(),
            },
            key: SecretRef::new("booking_key"),
        },
    )
    .with_auth_for(
        "sweet_booking_api",
        Environment::Live,
        AuthConnector::Basic {
            username: "agent".into(),
            password: SecretRef::new("booking_pw"),
        },
    )
    .with_doubles(doubles)
}

fn always(status: u16, body: Value) -> Vec<ResponseRule> {
    vec![ResponseRule::always(
        MockResponse::new(status).with_body(body),
    )]
}

fn doubles_for(op: &str, rules: Vec<ResponseRule>) -> Arc<Doubles> {
    Arc::new(Doubles::new().with("sweet_booking_api", op, rules).unwrap())
}

#[test]
fn path_arguments_positionally_or_by_name() {
    let doubles = doubles_for("get_booking", always(200, json!({})));
    let conv = conv(doubles.clone());
    let api = conv.api("sweet_booking_api");
    block_on(api.op("get_booking").arg("s/1").arg(42).send()).unwrap();
    block_on(
        api.op("get_booking")
            .named_arg("booking_id", "B 9")
            .named_arg("shop_id", "ü")
            .send(),
    )
    .unwrap();
    let urls: Vec<String> = doubles.requests().into_iter().map(|r| r.url).collect();
    assert_eq!(
        urls,
        [
            "http://127.0.0.1:9001/api/shops/s%2F1/bookings/42?v=2",
            "http://127.0.0.1:9001/api/shops/%C3%BC/bookings/B%209?v=2",
        ]
    );
    // A missing path argument is a render error naming it; nothing is sent.
    let err = block_on(api.op("get_booking").arg("s1").send()).unwrap_err();
    assert!(matches!(err, ConvApiError::Render { .. }), "{err:?}");
    assert!(err.to_string().contains("booking_id"), "{err}");
    assert_eq!(doubles.requests().len(), 2);
}

#[test]
fn params_json_data_and_headers() {
    let doubles = doubles_for("create_booking", always(201, json!({"id": "B-1"})));
    let conv = conv(doubles.clone());
    let mut data = Map::new();
    data.insert("name".into(), json!("Zoë"));
    data.insert("party".into(), json!([2, 3]));
    let api = conv.api("sweet_booking_api");
    block_on(
        api.op("create_booking")
            .arg("s1")
            .param("notify", true)
            .param("tags", json!(["a", null, "b c"]))
            .param("skip", Value::Null)
            .json(json!({"guests": 2, "price": 1e6, "who": "Zoë"}))
            .header("X-Request-Id", "r-1")
            .send(),
    )
    .unwrap();
    block_on(api.op("create_booking").arg("s1").data(data).send()).unwrap();
    block_on(
        api.op("create_booking")
            .arg("s1")
            .data_raw("raw bytes")
            .json(json!({"ignored": true}))
            .send(),
    )
    .unwrap();
    let sent = doubles.requests();
    assert_eq!(sent[0].method, "POST");
    assert_eq!(
        sent[0].url,
        "http://127.0.0.1:9001/api/shops/s1/bookings?notify=True&tags=a&tags=b+c"
    );
    assert_eq!(
        sent[0].body_text(),
        Some(r#"{"guests": 2, "price": 1000000.0, "who": "Zo\u00eb"}"#)
    );
    assert_eq!(sent[0].header("content-type"), Some("application/json"));
    assert_eq!(sent[0].header("x-request-id"), Some("r-1"));
    assert_eq!(sent[1].body_text(), Some("name=Zo%C3%AB&party=2&party=3"));
    assert_eq!(
        sent[1].header("content-type"),
        Some("application/x-www-form-urlencoded")
    );
    // data= wins over json=; raw bytes carry no content type, as in requests.
    assert_eq!(sent[2].body_text(), Some("raw bytes"));
    assert_eq!(sent[2].header("content-type"), None);
}

#[test]
fn call_headers_merge_over_stored_ones() {
    let doubles = doubles_for("create_booking", always(201, json!({})));
    let conv = conv(doubles.clone());
    block_on(
        conv.api("sweet_booking_api")
            .op("create_booking")
            .arg("s1")
            .json(json!({}))
            .header("x-api-key", "call-time-key")
            .header("Content-Type", "application/vnd.booking+json")
            .send(),
    )
    .unwrap();
    let sent = &doubles.requests()[0];
    assert_eq!(sent.header("X-API-Key"), Some("call-time-key"));
    assert_eq!(
        sent.header("content-type"),
        Some("application/vnd.booking+json")
    );
    assert_eq!(
        sent.headers
            .iter()
            .filter(|(n, _)| n.eq_ignore_ascii_case("x-api-key"))
            .count(),
        1
    );
}

#[test]
fn environments_change_base_url_and_auth_and_secrets_stay_masked() {
    let doubles = doubles_for("booking", always(200, json!({})));
    let conv = conv(doubles.clone());
    for env in [
        Environment::Sandbox,
        Environment::PreRelease,
        Environment::Live,
    ] {
        let conv = conv.clone().with_environment(env);
        block_on(
            conv.api("sweet_booking_api")
                .op("booking")
                .method(Method::Get)
                .arg("x")
                .send(),
        )
        .unwrap();
    }
    let sent = doubles.requests();
    assert_eq!(sent[0].url, "http://127.0.0.1:9001/api/b/x");
    assert_eq!(sent[0].header("x-api-key"), Some("<secret:booking_key>"));
    assert_eq!(sent[1].url, "http://127.0.0.1:9002/api/b/x");
    assert_eq!(sent[1].header("x-api-key"), Some("<secret:booking_key>"));
    assert_eq!(sent[2].url, "http://127.0.0.1:9003/b/x");
    assert_eq!(
        sent[2].header("authorization"),
        Some("Basic base64(agent:<secret:booking_pw>)")
    );
    let printed = format!("{sent:?} {conv:?}");
    for secret in [KEY, PRE_KEY, LIVE_PW] {
        assert!(!printed.contains(secret), "{printed}");
    }
    // Two operations called `booking`: the call must say which.
    let err = block_on(conv.api("sweet_booking_api").op("booking").arg("x").send()).unwrap_err();
    assert!(err.to_string().contains("GET, DELETE"), "{err}");
}

/// A sender that answers in-process, keeping the real requests it received.
fn echo_sender(seen: Arc<Mutex<Vec<http::Request<Bytes>>>>) -> Sender {
    Arc::new(move |request: http::Request<Bytes>| {
        let seen = seen.clone();
        Box::pin(async move {
            let body = json!({
                "path": request.uri().path_and_query().map(|p| p.as_str()),
                "key": request.headers().get("x-api-key").and_then(|v| v.to_str().ok()),
            });
            seen.lock().unwrap().push(request);
            Ok(http::Response::builder()
                .status(200)
                .header("content-type", "application/json")
                .body(Bytes::from(body.to_string()))
                .unwrap())
        })
    })
}

#[test]
fn a_sender_receives_the_real_request_with_the_secret() {
    let seen = Arc::new(Mutex::new(Vec::new()));
    let conv = conv(Arc::new(Doubles::new())).with_sender(echo_sender(seen.clone()));
    let response = block_on(
        conv.api("sweet_booking_api")
            .op("get_booking")
            .arg("s1")
            .arg("b1")
            .send(),
    )
    .unwrap();
    assert_eq!(
        response.json().unwrap(),
        json!({"path": "/api/shops/s1/bookings/b1?v=2", "key": KEY})
    );
    assert_eq!(seen.lock().unwrap().len(), 1);
    // The response's URL and Debug never show the key.
    assert!(!format!("{response:?} {}", response.url()).contains(KEY));
}

#[test]
fn api_key_in_the_query_is_masked_in_what_is_recorded() {
    let doubles = Arc::new(
        Doubles::new()
            .with(
                "sweet_booking_api",
                "create_booking",
                always(201, json!({})),
            )
            .unwrap(),
    );
    let conv = conv(doubles.clone()).with_auth(
        "sweet_booking_api",
        AuthConnector::ApiKey {
            location: ApiKeyLocation::Query {
                name: "api_key".into(),
            },
            key: SecretRef::new("booking_key"),
        },
    );
    let call = conv
        .api("sweet_booking_api")
        .op("create_booking")
        .arg("s1")
        .param("a", 1);
    let prepared = call.prepare().unwrap();
    assert_eq!(
        prepared.as_http().uri(),
        format!("http://127.0.0.1:9001/api/shops/s1/bookings?a=1&api_key={KEY}").as_str()
    );
    let response = block_on(call.send()).unwrap();
    let url = &doubles.requests()[0].url;
    assert_eq!(
        url,
        "http://127.0.0.1:9001/api/shops/s1/bookings?a=1&api_key=<secret:booking_key>"
    );
    assert_eq!(response.url(), url);
}

#[test]
fn sender_errors_are_typed() {
    let failing: Sender = Arc::new(|_request| {
        Box::pin(async { Err("connection refused by 127.0.0.1:9004: start the server".into()) })
    });
    let conv = conv(Arc::new(Doubles::new())).with_sender(failing);
    let err = block_on(conv.api("open_api").op("ping").send()).unwrap_err();
    assert!(matches!(err, ConvApiError::Send { .. }), "{err:?}");
    assert_eq!(
        err.to_string(),
        "sending `open_api.ping` failed: connection refused by 127.0.0.1:9004: start the server"
    );
}

#[test]
fn response_reads_like_requests() {
    let rules = vec![
        ResponseRule::once(
            MockResponse::new(201)
                .with_body(json!({"id": "B-1", "price": 12.5}))
                .with_header("X-Trace", "t-1"),
        ),
        ResponseRule::once(MockResponse::new(200).with_body(json!("<html>busy</html>"))),
        ResponseRule::once(MockResponse::new(404).with_body(json!({"error": "no shop"}))),
        ResponseRule::once(MockResponse::new(503)),
        ResponseRule::once(
            MockResponse::new(200)
                .with_body(json!("not json"))
                .with_header("Content-Type", "application/json"),
        ),
    ];
    let conv = conv(doubles_for("create_booking", rules));
    let call = || {
        block_on(
            conv.api("sweet_booking_api")
                .op("create_booking")
                .arg("s1")
                .send(),
        )
        .unwrap()
    };
    let created: ApiResponse = call();
    assert_eq!(created.status_code(), 201);
    assert!(created.ok());
    assert_eq!(created.reason(), "Created");
    assert_eq!(created.json().unwrap(), json!({"id": "B-1", "price": 12.5}));
    assert_eq!(created.text(), r#"{"id":"B-1","price":12.5}"#);
    assert_eq!(created.headers()["x-trace"], "t-1");
    assert_eq!(created.headers()["content-type"], "application/json");
    assert!(created.raise_for_status().is_ok());

    let html = call();
    assert_eq!(html.text(), "<html>busy</html>");
    assert!(html.headers().get("content-type").is_none());
    let err = html.json().unwrap_err();
    assert!(
        matches!(err, ResponseError::NotJson { status: 200, .. }),
        "{err:?}"
    );
    assert!(err.to_string().contains("content-type none"), "{err}");

    let missing = call();
    assert!(!missing.ok());
    assert_eq!(missing.json().unwrap(), json!({"error": "no shop"}));
    assert_eq!(
        missing.raise_for_status().unwrap_err().to_string(),
        "404 Client Error: Not Found for url: http://127.0.0.1:9001/api/shops/s1/bookings"
    );
    let down = call();
    assert_eq!(down.content().len(), 0);
    assert_eq!(
        down.raise_for_status().unwrap_err(),
        ResponseError::Status {
            status: 503,
            kind: "Server",
            reason: "Service Unavailable".into(),
            url: "http://127.0.0.1:9001/api/shops/s1/bookings".into(),
        }
    );
    let lying = call();
    assert!(
        lying
            .json()
            .unwrap_err()
            .to_string()
            .contains("application/json")
    );
}

#[test]
fn rules_run_in_order_with_repeat_and_then_fail_clearly() {
    let rules = vec![
        ResponseRule::times(MockResponse::new(503), 2),
        ResponseRule::once(MockResponse::new(201)),
        ResponseRule::times(MockResponse::new(200), 3),
    ];
    let doubles = doubles_for("create_booking", rules);
    let conv = conv(doubles.clone());
    let call = || {
        block_on(
            conv.api("sweet_booking_api")
                .op("create_booking")
                .arg("s")
                .send(),
        )
    };
    let statuses: Vec<u16> = (0..6).map(|_| call().unwrap().status_code()).collect();
    assert_eq!(statuses, [503, 503, 201, 200, 200, 200]);
    let err = call().unwrap_err();
    assert!(
        matches!(
            &err,
            ConvApiError::Double(DoubleError::Exhausted { served: 6, .. })
        ),
        "{err:?}"
    );
    assert!(
        err.to_string().contains("never calls the real API"),
        "{err}"
    );
    assert_eq!(doubles.calls("sweet_booking_api", "create_booking"), 6);
    // The refused call is still recorded.
    assert_eq!(doubles.requests().len(), 7);

    // An operation without rules fails the same way.
    let err = block_on(
        conv.api("sweet_booking_api")
            .op("get_booking")
            .arg("a")
            .arg("b")
            .send(),
    )
    .unwrap_err();
    assert!(
        matches!(err, ConvApiError::Double(DoubleError::NoRules { .. })),
        "{err:?}"
    );
}

#[test]
fn repeat_minus_one_answers_forever() {
    let rules = vec![
        ResponseRule::once(MockResponse::new(500)),
        ResponseRule::always(MockResponse::new(200).with_body(json!([1]))),
    ];
    let conv = conv(doubles_for("create_booking", rules));
    let statuses: Vec<u16> = (0..50)
        .map(|_| {
            block_on(
                conv.api("sweet_booking_api")
                    .op("create_booking")
                    .arg("s")
                    .send(),
            )
            .unwrap()
            .status_code()
        })
        .collect();
    assert_eq!(statuses[0], 500);
    assert!(statuses[1..].iter().all(|s| *s == 200));
}

#[test]
fn invalid_rules_are_refused_with_what_to_fix() {
    let d = Doubles::new();
    let cases: Vec<(Vec<ResponseRule>, &str)> = vec![
        (vec![], "empty"),
        (
            vec![
                ResponseRule::always(MockResponse::new(200)),
                ResponseRule::once(MockResponse::new(200)),
            ],
            "rule 1 has `repeat: -1` but is not the last rule",
        ),
        (
            vec![ResponseRule::times(MockResponse::new(200), 0)],
            "rule 1 has `repeat: 0`",
        ),
        (
            vec![ResponseRule::times(MockResponse::new(200), -2)],
            "rule 1 has `repeat: -2`",
        ),
        (vec![ResponseRule::once(MockResponse::new(99))], "status 99"),
        (
            vec![ResponseRule::once(MockResponse::new(600))],
            "status 600",
        ),
        (
            vec![ResponseRule::once(
                MockResponse::new(200).with_header("bad header", "x"),
            )],
            "header",
        ),
    ];
    for (rules, expected) in cases {
        let err = d.set("svc", "op", rules).unwrap_err();
        assert!(err.to_string().contains(expected), "{err} / {expected}");
        assert!(
            err.to_string()
                .starts_with("test double rules for `svc.op`"),
            "{err}"
        );
    }
    // The edges of the status range are accepted.
    d.set(
        "svc",
        "op",
        vec![
            ResponseRule::once(MockResponse::new(100)),
            ResponseRule::once(MockResponse::new(599)),
        ],
    )
    .unwrap();
}

#[test]
fn rules_load_from_yaml_and_json() {
    let yaml = r#"
sweet_booking_api:
  create_booking:
    - respond: { status: 409, body: { error: taken } }
      repeat: 2
    - respond:
        status: 201
        body: '{"id": "B-2"}'
        headers: { Content-Type: application/json }
      repeat: -1
"#;
    let from_yaml = Doubles::from_yaml_str(yaml).unwrap();
    let as_json = json!({"sweet_booking_api": {"create_booking": [
        {"respond": {"status": 409, "body": {"error": "taken"}}, "repeat": 2},
        {"respond": {"status": 201, "body": "{\"id\": \"B-2\"}", "headers": {"Content-Type": "application/json"}}, "repeat": -1}
    ]}});
    let from_json = Doubles::from_json_str(&as_json.to_string()).unwrap();
    assert_eq!(
        from_yaml.rules("sweet_booking_api", "create_booking"),
        from_json.rules("sweet_booking_api", "create_booking")
    );
    let conv = conv(Arc::new(from_yaml));
    let statuses: Vec<(u16, Value)> = (0..4)
        .map(|_| {
            let r = block_on(
                conv.api("sweet_booking_api")
                    .op("create_booking")
                    .arg("s")
                    .send(),
            )
            .unwrap();
            (r.status_code(), r.json().unwrap())
        })
        .collect();
    assert_eq!(statuses[0], (409, json!({"error": "taken"})));
    assert_eq!(statuses[1].0, 409);
    assert_eq!(statuses[2], (201, json!({"id": "B-2"})));
    assert_eq!(statuses[3].0, 201);

    // repeat defaults to 1; unknown keys, a -1 in the middle and bad statuses are refused.
    let one = Doubles::from_yaml_str("a:\n  b:\n    - respond: { status: 200 }\n").unwrap();
    assert_eq!(one.rules("a", "b").unwrap()[0].repeat, 1);
    for bad in [
        "a:\n  b:\n    - respond: { status: 200, colour: red }\n",
        "a:\n  b:\n    - respond: { status: 200 }\n      repeat: -1\n    - respond: { status: 200 }\n",
        "a:\n  b:\n    - respond: { status: 700 }\n",
        "a: [1, 2]\n",
    ] {
        assert!(Doubles::from_yaml_str(bad).is_err(), "{bad}");
    }
    assert!(Doubles::from_json_str("{").is_err());
}

#[test]
fn unknown_integration_no_backend_and_oauth2_are_clear_errors() {
    let conv = conv(Arc::new(Doubles::new()));
    let err = block_on(conv.api("sweet_bookings").op("x").send()).unwrap_err();
    assert_eq!(
        err.to_string(),
        "no integration called `sweet_bookings` is loaded (loaded: sweet_booking_api, open_api, tokened); check the name in api_integrations.yaml"
    );
    let err = block_on(conv.api("sweet_booking_api").op("nope").send()).unwrap_err();
    assert!(err.to_string().contains("no operation `nope`"), "{err}");

    let bare = ConvApi::new(
        ApiIntegrations::from_yaml_str(YAML).unwrap(),
        Environment::Sandbox,
    );
    let err = block_on(bare.api("open_api").op("ping").send()).unwrap_err();
    assert!(matches!(err, ConvApiError::NoBackend { .. }), "{err:?}");

    // OAuth 2.0 client credentials need a token from the network: rendering alone refuses,
    // and a real sender without a token source fails before sending (tests/conv_api_oauth.rs
    // has the calls with a token source).
    let conv = conv.with_auth(
        "tokened",
        AuthConnector::OAuth2ClientCredentials {
            token_url: "http://127.0.0.1:9006/token?tenant=t1".into(),
            client_id: "cid".into(),
            client_secret: SecretRef::new("booking_key"),
            scope: None,
            credentials_in: CredentialsIn::default(),
            auth_header_name: None,
            token_prefix: None,
        },
    );
    let err = conv.api("tokened").op("ping").prepare().unwrap_err();
    match &err {
        ConvApiError::Render { source, .. } => {
            assert!(
                matches!(**source, RenderError::NeedsNetwork { .. }),
                "{err:?}"
            )
        }
        other => panic!("{other:?}"),
    }
    assert!(!err.to_string().contains(KEY));
    let sent = Arc::new(Mutex::new(0));
    let counter = sent.clone();
    let sender: Sender = Arc::new(move |_request| {
        *counter.lock().unwrap() += 1;
        Box::pin(async { Ok(http::Response::new(Bytes::new())) })
    });
    let err = block_on(conv.with_sender(sender).api("tokened").op("ping").send()).unwrap_err();
    assert!(matches!(err, ConvApiError::NoTokenSource { .. }), "{err:?}");
    assert_eq!(
        err.to_string(),
        "`tokened.ping` needs an OAuth 2.0 access token from http://127.0.0.1:9006/token, and \
         this ConvApi has no token source: give it ConvApi::with_oauth (or ConvApi::with_tokens)"
    );
    assert_eq!(*sent.lock().unwrap(), 0);
}

#[test]
fn doubles_are_shared_across_threads() {
    let doubles = doubles_for(
        "create_booking",
        vec![ResponseRule::times(MockResponse::new(200), 64)],
    );
    let conv = conv(doubles.clone());
    std::thread::scope(|s| {
        for _ in 0..8 {
            s.spawn(|| {
                for _ in 0..8 {
                    block_on(
                        conv.api("sweet_booking_api")
                            .op("create_booking")
                            .arg("s")
                            .send(),
                    )
                    .unwrap();
                }
            });
        }
    });
    assert_eq!(doubles.calls("sweet_booking_api", "create_booking"), 64);
    assert!(
        block_on(
            conv.api("sweet_booking_api")
                .op("create_booking")
                .arg("s")
                .send()
        )
        .is_err()
    );
}

/// An in-process client (the shared `HttpClient` interface) answering 418 with the API key
/// it received, or failing as the real client would when asked to.
struct Teapot;

impl polyai_actions::HttpClient for Teapot {
    fn send(
        &self,
        request: http::Request<Bytes>,
    ) -> futures::future::BoxFuture<'_, Result<http::Response<Bytes>, polyai_actions::SendError>>
    {
        Box::pin(async move {
            let key = request.headers().get("x-api-key").cloned();
            let mut response = http::Response::builder().status(418);
            if let Some(key) = key {
                response = response.header("x-echo", key);
            }
            Ok(response
                .body(Bytes::from_static(b"short and stout"))
                .unwrap())
        })
    }
}

#[test]
fn an_http_client_backend_sends_the_real_request() {
    let conv = conv(Arc::new(Doubles::new())).with_client(Arc::new(Teapot));
    let response = block_on(
        conv.api("sweet_booking_api")
            .op("create_booking")
            .arg("s1")
            .send(),
    )
    .unwrap();
    assert_eq!(response.status_code(), 418);
    assert_eq!(response.text(), "short and stout");
    assert_eq!(response.headers()["x-echo"], KEY);
    assert_eq!(
        response.raise_for_status().unwrap_err().to_string(),
        "418 Client Error: I'm a teapot for url: http://127.0.0.1:9001/api/shops/s1/bookings"
    );
    assert!(format!("{conv:?}").contains("client"));
}
