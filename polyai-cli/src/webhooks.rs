//! `polyai webhooks listen|send|endpoints`.

use std::collections::BTreeMap;
use std::io::Write;
use std::net::SocketAddr;
use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use axum::body::Bytes;
use axum::http::{HeaderMap, StatusCode};
use polyai_sdk::types::webhook_endpoints as types;
use polyai_sdk::webhooks::{InMemoryReplayGuard, Verifier, WebhookError, WebhookEvent};

use crate::cli::{EndpointsCommand, EventFormat, EventType};
use crate::config::Settings;
use crate::error::{CliError, CliResult, call};
use crate::prompt::confirm;

/// Where the signing secret is read from when no flag gives it.
pub const SECRET_ENV: &str = "POLYAI_WEBHOOK_SECRET";

fn secrets(given: &[String]) -> CliResult<Vec<String>> {
    let mut secrets: Vec<String> = given
        .iter()
        .filter(|s| !s.trim().is_empty())
        .cloned()
        .collect();
    if secrets.is_empty()
        && let Ok(secret) = std::env::var(SECRET_ENV)
        && !secret.trim().is_empty()
    {
        secrets.push(secret);
    }
    if secrets.is_empty() {
        return Err(CliError::config("no webhook signing secret").hint(format!(
            "give --secret or set {SECRET_ENV} (the endpoint's signing_secret)"
        )));
    }
    Ok(secrets)
}

fn event_type_str(event: EventType) -> &'static str {
    match event {
        EventType::AlertsTriggered => WebhookEvent::ALERTS_TRIGGERED,
        EventType::AlertsResolved => WebhookEvent::ALERTS_RESOLVED,
    }
}

fn wire_event_type(event: EventType) -> types::WebhookEventType {
    match event {
        EventType::AlertsTriggered => types::WebhookEventType::AlertsTriggered,
        EventType::AlertsResolved => types::WebhookEventType::AlertsResolved,
    }
}

struct Listener {
    verifier: Verifier,
    forward: Option<String>,
    http: reqwest::Client,
    format: EventFormat,
    verified: AtomicU64,
    count: Option<u64>,
    done: tokio::sync::Notify,
}

/// `polyai webhooks listen`.
pub async fn listen(
    host: std::net::IpAddr,
    port: u16,
    secret: &[String],
    forward: Option<&str>,
    format: EventFormat,
    count: Option<u64>,
) -> CliResult {
    let secrets = secrets(secret)?;
    let verifier = Verifier::with_secrets(&secrets)
        .and_then(|v| v.replay_guard(InMemoryReplayGuard::new()))
        .map_err(|e| CliError::config(e.to_string()))?;
    if let Some(url) = forward {
        reqwest::Url::parse(url).map_err(|e| {
            CliError::usage(format!("--forward {url:?} is not a URL: {e}"))
                .hint("e.g. --forward http://127.0.0.1:3000/webhooks")
        })?;
    }
    let http = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .timeout(Duration::from_secs(30))
        .build()
        .map_err(|e| CliError::failure(format!("cannot build the HTTP client: {e}")))?;
    let state = Arc::new(Listener {
        verifier,
        forward: forward.map(str::to_owned),
        http,
        format,
        verified: AtomicU64::new(0),
        count,
        done: tokio::sync::Notify::new(),
    });
    let app = axum::Router::new().fallback({
        let state = Arc::clone(&state);
        move |method: axum::http::Method, headers: HeaderMap, body: Bytes| {
            let state = Arc::clone(&state);
            async move {
                if method != axum::http::Method::POST {
                    return (
                        StatusCode::METHOD_NOT_ALLOWED,
                        "deliveries are POSTed\n".to_string(),
                    );
                }
                state.handle(headers, body).await
            }
        }
    });
    let listener = tokio::net::TcpListener::bind(SocketAddr::new(host, port))
        .await
        .map_err(|e| {
            CliError::failure(format!("cannot listen on {host}:{port}: {e}"))
                .hint("choose another --port, or --port 0 for a free one")
        })?;
    let addr = listener
        .local_addr()
        .map_err(|e| CliError::io("cannot read the listening address", e))?;
    eprintln!(
        "listening for PolyAI webhook deliveries on http://{addr}/{}",
        forward.map_or(String::new(), |f| format!(
            " (forwarding verified deliveries to {f})"
        ))
    );
    let stop = {
        let state = Arc::clone(&state);
        async move {
            tokio::select! {
                _ = tokio::signal::ctrl_c() => {}
                _ = state.done.notified(), if state.count.is_some() => {}
            }
        }
    };
    axum::serve(listener, app)
        .with_graceful_shutdown(stop)
        .await
        .map_err(|e| CliError::io("the receiver failed", e))
}

impl Listener {
    async fn handle(&self, headers: HeaderMap, body: Bytes) -> (StatusCode, String) {
        let mut verified = match self.verifier.verify_event(&headers, &body) {
            Ok(verified) => verified,
            Err(error) => return self.reject(&error),
        };
        let event_id = verified.delivery.event_id.clone().unwrap_or_default();
        self.print(&verified.event, &event_id, verified.delivery.timestamp);
        if let Some(url) = &self.forward {
            let mut request = self.http.post(url).body(body.clone());
            for (name, value) in &headers {
                let name_text = name.as_str();
                if name_text.starts_with("x-polyai-") || name_text == "content-type" {
                    request = request.header(name, value);
                }
            }
            match request.send().await {
                Ok(response) if response.status().is_success() => {}
                Ok(response) => {
                    eprintln!(
                        "forward of {event_id} to {url}: the handler answered {}; answering 502 so that PolyAI retries",
                        response.status()
                    );
                    return (
                        StatusCode::BAD_GATEWAY,
                        "the forwarded handler failed\n".into(),
                    );
                }
                Err(error) => {
                    eprintln!(
                        "forward of {event_id} to {url} failed: {}; answering 502 so that PolyAI retries",
                        crate::error::one_line(&error.to_string())
                    );
                    return (
                        StatusCode::BAD_GATEWAY,
                        "the forwarded handler is unreachable\n".into(),
                    );
                }
            }
        }
        verified.delivery.commit();
        let n = self.verified.fetch_add(1, Ordering::SeqCst) + 1;
        if self.count.is_some_and(|count| n >= count) {
            self.done.notify_one();
        }
        (StatusCode::OK, "{\"received\":true}\n".into())
    }

    fn reject(&self, error: &WebhookError) -> (StatusCode, String) {
        let status = match error {
            WebhookError::Duplicate { .. } => StatusCode::OK,
            WebhookError::InFlight { .. } => StatusCode::SERVICE_UNAVAILABLE,
            e if e.is_authentication_failure() => StatusCode::UNAUTHORIZED,
            _ => StatusCode::BAD_REQUEST,
        };
        eprintln!(
            "{} delivery: {} (answered {})",
            if status == StatusCode::OK {
                "duplicate"
            } else {
                "rejected"
            },
            crate::error::one_line(&error.to_string()),
            status.as_u16()
        );
        (status, format!("{{\"error\":\"{}\"}}\n", error.code()))
    }

    fn print(&self, event: &WebhookEvent, event_id: &str, timestamp: i64) {
        let line = match self.format {
            EventFormat::Json => serde_json::json!({
                "event_id": event_id,
                "event_type": event.event_type(),
                "timestamp": timestamp,
                "payload": event.payload(),
            })
            .to_string(),
            EventFormat::Text => {
                let at = polyai_sdk::Timestamp::from_unix_seconds(timestamp);
                let detail = match event.alert() {
                    Some(alert) => {
                        let mut parts = Vec::new();
                        if let Some(id) = &alert.id {
                            parts.push(format!("alert {id}"));
                        }
                        if let Some(metric) = &alert.metric {
                            parts.push(format!("metric {metric}"));
                        }
                        if let Some(value) = alert.current_value {
                            parts.push(format!("value {value}"));
                        }
                        parts.join(", ")
                    }
                    None => event.payload().to_string(),
                };
                crate::output::sanitize(&crate::error::one_line(&format!(
                    "{at} {} {event_id} {detail}",
                    event.event_type()
                )))
            }
        };
        let mut out = std::io::stdout().lock();
        let _ = writeln!(out, "{line}");
        let _ = out.flush();
    }
}

/// `polyai webhooks send`.
pub async fn send(
    url: &str,
    secret: Option<&str>,
    event: EventType,
    body: Option<&str>,
    event_id: Option<&str>,
) -> CliResult {
    let given: Vec<String> = secret.map(str::to_owned).into_iter().collect();
    let secret = secrets(&given)?.remove(0);
    let body: Vec<u8> = match body {
        Some(text) if text.starts_with('@') => std::fs::read(&text[1..])
            .map_err(|e| CliError::io(format!("cannot read {}", &text[1..]), e))?,
        Some(text) => text.as_bytes().to_vec(),
        None => {
            let triggered = event == EventType::AlertsTriggered;
            serde_json::json!({
                "event_type": event_type_str(event),
                "alert": {
                    "id": "ar_test",
                    "name": "polyai webhooks send test",
                    "metric": "api_errors",
                    "operator": "gt",
                    "threshold": 10,
                    "current_value": if triggered { 37 } else { 3 },
                    "state": if triggered { "triggered" } else { "resolved" },
                }
            })
            .to_string()
            .into_bytes()
        }
    };
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs() as i64);
    let event_id = event_id.map_or_else(
        || format!("evt_cli_{now}_{}", std::process::id()),
        str::to_owned,
    );
    let http = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .timeout(Duration::from_secs(30))
        .build()
        .map_err(|e| CliError::failure(format!("cannot build the HTTP client: {e}")))?;
    let mut request = http
        .post(url)
        .header("content-type", "application/json")
        .body(body.clone());
    for (name, value) in polyai_sdk::webhooks::signed_headers(&secret, now, &event_id, &body) {
        request = request.header(name, value);
    }
    let response = request.send().await.map_err(|e| {
        CliError {
            code: crate::error::exit::UNAVAILABLE,
            ..CliError::failure(format!("cannot deliver to {url}: {e}"))
        }
        .hint("is the receiver running and listening on that address?")
    })?;
    let status = response.status();
    let text = response.text().await.unwrap_or_default();
    let excerpt: String = text.chars().take(200).collect();
    println!(
        "{event_id}: {url} answered {status} {}",
        crate::error::one_line(&excerpt)
    );
    if !status.is_success() {
        return Err(CliError::failure(format!("the receiver answered {status}"))
            .hint("a 401 means the receiver has another secret, or its clock is off by more than 5 minutes"));
    }
    Ok(())
}

fn headers_of(pairs: &[String]) -> CliResult<BTreeMap<String, String>> {
    pairs
        .iter()
        .map(|pair| {
            pair.split_once('=')
                .filter(|(name, _)| !name.trim().is_empty())
                .map(|(n, v)| (n.trim().to_string(), v.to_string()))
                .ok_or_else(|| CliError::usage(format!("--header {pair:?} is not NAME=VALUE")))
        })
        .collect()
}

/// Writes a secret owner-only, or prints it on stdout for the user to store.
fn deliver_secret(secret: &str, file: Option<&Path>) -> CliResult {
    match file {
        Some(path) => {
            crate::secret_file::write_owner_only(path, secret.as_bytes())
                .map_err(|e| CliError::io(format!("cannot write {}", path.display()), e))?;
            eprintln!("the signing secret is in {} (owner-only)", path.display());
        }
        None => {
            println!("{secret}");
            eprintln!("that is the signing secret: store it now, PolyAI does not show it again");
        }
    }
    Ok(())
}

fn endpoint_row(e: &types::WebhookEndpoint) -> [String; 5] {
    [
        e.id.clone(),
        e.name.clone().unwrap_or_default(),
        e.enabled.map_or(
            String::new(),
            |b| if b { "yes".into() } else { "no".into() },
        ),
        e.event_types
            .as_ref()
            .map_or(String::new(), |t| t.join(",")),
        e.url.clone().unwrap_or_default(),
    ]
}

/// `polyai webhooks endpoints ...`.
pub async fn endpoints(settings: &Settings, command: &EndpointsCommand) -> CliResult {
    let client = settings.client()?;
    let api = client.webhook_endpoints();
    match command {
        EndpointsCommand::List {
            enabled,
            event_type,
            format,
            show_secrets,
        } => {
            let mut request = api.list_webhook_endpoints();
            if let Some(enabled) = enabled {
                request = request.enabled(*enabled);
            }
            if let Some(event) = event_type {
                request = request.event_type(wire_event_type(*event));
            }
            let list = call(request.send().await).await?;
            let secret_fields: Vec<&str> =
                polyai_sdk::operation_call::secret_response_fields("list_webhook_endpoints")
                    .collect();
            let mut values = serde_json::to_value(&list.data).map_err(|e| {
                CliError::failure(format!("cannot encode the webhook endpoints: {e}"))
            })?;
            if !show_secrets {
                crate::api::mask(&mut values, &secret_fields);
            }
            let values = match values {
                serde_json::Value::Array(values) => values,
                other => vec![other],
            };
            let records: Vec<(Vec<String>, serde_json::Value)> = list
                .data
                .iter()
                .map(|endpoint| endpoint_row(endpoint).to_vec())
                .zip(values)
                .collect();
            crate::records::print(
                *format,
                &["id", "name", "enabled", "event_types", "url"],
                &records,
            )?;
            Ok(())
        }
        EndpointsCommand::Create {
            name,
            url,
            event_type,
            header,
            timeout_ms,
            disabled,
            secret_file,
        } => {
            let body = types::CreateWebhookEndpointRequest {
                enabled: disabled.then_some(false),
                event_types: event_type.iter().map(|e| wire_event_type(*e)).collect(),
                headers: headers_of(header)?,
                name: name
                    .as_str()
                    .try_into()
                    .map_err(|e| CliError::usage(format!("--name: {e}")))?,
                timeout_ms: *timeout_ms,
                url: url.parse().map_err(|e| {
                    CliError::usage(format!("--url: {e}"))
                        .hint("PolyAI delivers to https:// URLs only")
                })?,
            };
            let created = call(api.create_webhook_endpoint().body(body).send().await).await?;
            eprintln!(
                "created webhook endpoint {} ({})",
                created.id,
                created.url.as_deref().unwrap_or("")
            );
            deliver_secret(created.signing_secret.expose(), secret_file.as_deref())
        }
        EndpointsCommand::Update {
            id,
            name,
            url,
            event_type,
            header,
            timeout_ms,
            enable,
            disable,
            yes,
        } => {
            let body = types::UpdateWebhookEndpointRequest {
                enabled: if *enable {
                    Some(true)
                } else if *disable {
                    Some(false)
                } else {
                    None
                },
                event_types: event_type.iter().map(|e| wire_event_type(*e)).collect(),
                headers: if header.is_empty() {
                    None
                } else {
                    Some(headers_of(header)?)
                },
                name: name
                    .as_deref()
                    .map(|n| n.try_into())
                    .transpose()
                    .map_err(|e| CliError::usage(format!("--name: {e}")))?,
                timeout_ms: *timeout_ms,
                url: url
                    .as_deref()
                    .map(str::parse)
                    .transpose()
                    .map_err(|e| CliError::usage(format!("--url: {e}")))?,
            };
            confirm(
                &format!("change webhook endpoint {id}, which PolyAI delivers live events to?"),
                *yes,
            )?;
            let updated = call(
                api.update_webhook_endpoint()
                    .endpoint_id(id.as_str())
                    .body(body)
                    .send()
                    .await,
            )
            .await?;
            let [id, name, enabled, events, url] = endpoint_row(&updated);
            println!("{id} {name} enabled={enabled} events={events} {url}");
            Ok(())
        }
        EndpointsCommand::RotateSecret {
            id,
            secret_file,
            yes,
        } => {
            confirm(
                &format!("rotate the signing secret of {id}? The old secret stops working at once"),
                *yes,
            )?;
            let rotated = call(
                api.rotate_webhook_signing_secret()
                    .endpoint_id(id.as_str())
                    .send()
                    .await,
            )
            .await?;
            deliver_secret(rotated.signing_secret.expose(), secret_file.as_deref())
        }
        EndpointsCommand::Delete { id, yes } => {
            confirm(&format!("delete webhook endpoint {id}?"), *yes)?;
            call(
                api.delete_webhook_endpoint()
                    .endpoint_id(id.as_str())
                    .send()
                    .await,
            )
            .await?;
            eprintln!("deleted webhook endpoint {id}");
            Ok(())
        }
    }
}
