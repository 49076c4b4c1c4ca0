//! The exact request a service receives from `conv.api`, over loopback HTTP (`ReqwestClient`
//! to an axum server on 127.0.0.1) and in-process (`ServiceClient` over the same axum
//! `Router`): method, path, the query as Python `requests` encodes it, the stored headers with
//! the call-time ones merged over them, and the body for `json=` and `data=`. Both transports
//! must deliver the same request.

use std::sync::{Arc, Mutex};

use axum::Router;
use axum::body::Bytes;
use axum::extract::{Request, State};
use axum::http::StatusCode;
use polyai_actions::client::{ClientOptions, HttpClient, ReqwestClient, ServiceClient};
use polyai_actions::conv_api::ConvApi;
use polyai_actions::{
    ApiIntegrations, ApiKeyLocation, AuthConnector, Environment, InMemorySecretStore, SecretRef,
};
use serde_json::{Map, Value, json};

const KEY: &str = "sk-wire-4410";

/// One request as the service saw it.
#[derive(Clone, Debug, PartialEq)]
struct Seen {
    method: String,
    path: String,
    query: Option<String>,
    /// Every header but the transport's own (`host`, `content-length`, `accept`,
    /// `accept-encoding`, `user-agent`), names lower-cased, in arrival order.
    headers: Vec<(String, String)>,
    body: String,
}

type Log = Arc<Mutex<Vec<Seen>>>;

async fn record(State(log): State<Log>, request: Request) -> (StatusCode, &'static str) {
    let (parts, body) = request.into_parts();
    let body = axum::body::to_bytes(body, 1 << 20)
        .await
        .unwrap_or_else(|_| Bytes::new());
    let transport = [
        "host",
        "content-length",
        "accept",
        "accept-encoding",
        "user-agent",
    ];
    let headers = parts
        .headers
        .iter()
        .filter(|(name, _)| !transport.contains(&name.as_str()))
        .map(|(name, value)| {
            (
                name.as_str().to_owned(),
                value.to_str().unwrap_or("<not text>").to_owned(),
            )
        })
        .collect();
    log.lock().unwrap().push(Seen {
        method: parts.method.to_string(),
        path: parts.uri.path().to_owned(),
        query: parts.uri.query().map(str::to_owned),
        headers,
        body: String::from_utf8_lossy(&body).into_owned(),
    });
    (StatusCode::CREATED, r#"{"id": "B-1"}"#)
}

fn service(log: &Log) -> Router {
    Router::new().fallback(record).with_state(log.clone())
}

fn conv(base: &str, client: Arc<dyn HttpClient>) -> ConvApi {
    let integrations = ApiIntegrations::from_yaml_str(&format!(
        r#"
api_integrations:
  - name: sweet_booking_api
    environments:
      sandbox: {{ base_url: "{base}/api/v1/", auth_type: apiKey }}
    operations:
      - {{ name: create_booking, method: POST, resource: "/shops/{{shop_id}}/bookings?src=agent" }}
      - {{ name: find_slots, method: GET, resource: "/shops/{{shop_id}}/slots/{{day}}" }}
"#
    ))
    .unwrap();
    ConvApi::new(integrations, Environment::Sandbox)
        .with_secrets(Arc::new(InMemorySecretStore::new().with(
            Environment::Sandbox,
            "booking_key",
            KEY,
        )))
        .with_auth(
            "sweet_booking_api",
            AuthConnector::ApiKey {
                location: ApiKeyLocation::Header {
                    name: "X-API-Key".into(),
                },
                key: SecretRef::new("booking_key"),
            },
        )
        .with_client(client)
}

/// The calls, each with the request the service must see.
async fn exchange(conv: &ConvApi) -> Vec<Seen> {
    let api = conv.api("sweet_booking_api");
    let mut out = Vec::new();

    // GET with positional and named path arguments and `params` of every kind.
    let response = api
        .op("find_slots")
        .arg("Soho & Co/2")
        .named_arg("day", "2026-12-24")
        // Keys given in sorted order, so the default build (sorted maps) and a
        // `preserve_order` build (insertion order) send the same query.
        .param("late", false)
        .param("name", "Zoë +1")
        .param("party", 4)
        .param("price", 1e6)
        .param("skip", Value::Null)
        .param("tags", json!(["window", null, "quiet zone"]))
        .param("vip", true)
        .header("X-Request-Id", "r-42")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status_code(), 201);
    out.push(Seen {
        method: "GET".into(),
        path: "/api/v1/shops/Soho%20%26%20Co%2F2/slots/2026-12-24".into(),
        // Keys in `serde_json::Map` order (`keys_follow_the_order_of_the_map`), `None` dropped,
        // a list repeating its key, booleans as Python writes them, a float as its `repr`.
        query: Some(
            "late=False&name=Zo%C3%AB+%2B1&party=4&price=1000000.0&tags=window&tags=quiet+zone&vip=True"
                .into(),
        ),
        headers: vec![
            ("x-api-key".into(), KEY.into()),
            ("x-request-id".into(), "r-42".into()),
        ],
        body: String::new(),
    });

    // POST `json=`, with a query already in the resource and headers merged over the stored
    // ones (the call's `x-api-key` replaces the connector's, once).
    api.op("create_booking")
        .arg("s1")
        .param("notify", true)
        .json(json!({"extras": ["window"], "guests": 2, "price": 12.5, "vip": null, "who": "Zoë"}))
        .header("x-api-key", "call-time-key")
        .header("X-Trace", "t-1")
        .send()
        .await
        .unwrap();
    out.push(Seen {
        method: "POST".into(),
        path: "/api/v1/shops/s1/bookings".into(),
        query: Some("src=agent&notify=True".into()),
        headers: vec![
            ("x-api-key".into(), "call-time-key".into()),
            ("x-trace".into(), "t-1".into()),
            ("content-type".into(), "application/json".into()),
        ],
        body:
            r#"{"extras": ["window"], "guests": 2, "price": 12.5, "vip": null, "who": "Zo\u00eb"}"#
                .into(),
    });

    // POST `data=` as a form (it wins over `json=`).
    let mut form = Map::new();
    form.insert("name".into(), json!("Zoë Rivera"));
    form.insert("party".into(), json!([2, 3]));
    form.insert("note".into(), Value::Null);
    form.insert("vip".into(), json!(true));
    api.op("create_booking")
        .arg("s 2")
        .data(form)
        .json(json!({"ignored": true}))
        .send()
        .await
        .unwrap();
    out.push(Seen {
        method: "POST".into(),
        path: "/api/v1/shops/s%202/bookings".into(),
        query: Some("src=agent".into()),
        headers: vec![
            ("x-api-key".into(), KEY.into()),
            (
                "content-type".into(),
                "application/x-www-form-urlencoded".into(),
            ),
        ],
        body: "name=Zo%C3%AB+Rivera&party=2&party=3&vip=True".into(),
    });

    // POST `data=` as raw text: sent as is, no content type added.
    api.op("create_booking")
        .arg("s3")
        .data_raw("<booking guests=\"2\"/>")
        .header("Content-Type", "application/xml")
        .send()
        .await
        .unwrap();
    out.push(Seen {
        method: "POST".into(),
        path: "/api/v1/shops/s3/bookings".into(),
        query: Some("src=agent".into()),
        headers: vec![
            ("x-api-key".into(), KEY.into()),
            ("content-type".into(), "application/xml".into()),
        ],
        body: "<booking guests=\"2\"/>".into(),
    });
    out
}

#[tokio::test]
async fn over_loopback_http() {
    let log = Log::default();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let app = service(&log);
    tokio::spawn(async move { axum::serve(listener, app).await });
    let client = Arc::new(ReqwestClient::new(ClientOptions::new()).unwrap());
    let expected = exchange(&conv(&base, client)).await;
    assert_eq!(*log.lock().unwrap(), expected);
}

#[tokio::test]
async fn in_process_through_the_router() {
    let log = Log::default();
    let client = Arc::new(ServiceClient::new(service(&log)));
    let expected = exchange(&conv("http://bookings.test", client)).await;
    assert_eq!(*log.lock().unwrap(), expected);
}

/// `json=`, `params=` and `data=` are written in the order the `serde_json::Map` iterates:
/// sorted by key in the default build, insertion order (as a Python dict, so as PolyAI's
/// runtime sends it) when the build enables `serde_json/preserve_order`. The test holds in
/// both builds: it reads the order from the map itself.
#[tokio::test]
async fn keys_follow_the_order_of_the_map() {
    let log = Log::default();
    let client = Arc::new(ServiceClient::new(service(&log)));
    let conv = conv("http://bookings.test", client);
    let body =
        json!({"name": "Ada", "party_size": 4, "date": "2026-12-24", "extras": {"z": 1, "a": 2}});
    let mut params = Map::new();
    params.insert("time".into(), json!("19:30"));
    params.insert("day".into(), json!("fri"));
    let keys: Vec<String> = body.as_object().unwrap().keys().cloned().collect();
    let inner: Vec<String> = body["extras"]
        .as_object()
        .unwrap()
        .keys()
        .cloned()
        .collect();
    let param_keys: Vec<String> = params.keys().cloned().collect();
    let insertion = keys == ["name", "party_size", "date", "extras"];
    assert!(
        insertion || keys == ["date", "extras", "name", "party_size"],
        "{keys:?}"
    );
    conv.api("sweet_booking_api")
        .op("create_booking")
        .arg("s1")
        .params(params)
        .json(body)
        .send()
        .await
        .unwrap();
    let seen = log.lock().unwrap()[0].clone();
    let quoted = |k: &String| format!("\"{k}\": ");
    let positions: Vec<usize> = keys
        .iter()
        .map(|k| seen.body.find(&quoted(k)).unwrap())
        .collect();
    assert!(positions.windows(2).all(|w| w[0] < w[1]), "{}", seen.body);
    let inner_positions: Vec<usize> = inner
        .iter()
        .map(|k| seen.body.find(&quoted(k)).unwrap())
        .collect();
    assert!(
        inner_positions.windows(2).all(|w| w[0] < w[1]),
        "{}",
        seen.body
    );
    let query = seen.query.unwrap();
    let sent: Vec<&str> = query
        .split('&')
        .skip(1) // `src=agent`, from the resource
        .map(|pair| pair.split('=').next().unwrap())
        .collect();
    assert_eq!(sent, param_keys, "{query}");
    if insertion {
        assert_eq!(
            seen.body,
            r#"{"name": "Ada", "party_size": 4, "date": "2026-12-24", "extras": {"z": 1, "a": 2}}"#
        );
    } else {
        assert_eq!(
            seen.body,
            r#"{"date": "2026-12-24", "extras": {"a": 2, "z": 1}, "name": "Ada", "party_size": 4}"#
        );
    }
}
