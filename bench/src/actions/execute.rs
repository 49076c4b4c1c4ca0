//! Executing an API-call action end to end: render (parameter validation, the body template,
//! headers, auth), send, and read the outcome back (status, body, JSONPath output variables).
//!
//! - **in-process**: `Conversation::run` through `ServiceClient` into an axum `Router`, no
//!   socket: what a user's own test suite pays per action;
//! - **loopback, ours**: the same `Conversation::run` through `ReqwestClient` to the same axum
//!   handler served on 127.0.0.1 (one keep-alive connection, calls one after another);
//! - **loopback, raw reqwest**: the request the action renders, prepared once, sent with a bare
//!   `reqwest::Client` and its body read: the floor for sending that request;
//! - **loopback, ours send only**: `ReqwestClient::send` of the same prepared request, to
//!   separate the client's cost from rendering and reading the outcome;
//! - **OAuth**: `ConvApi` calls in 64 concurrent tasks with OAuth 2.0 client credentials, in
//!   process; the token requests counted (one token lifetime: the target is 1).
//!
//! Where the service runs. The loopback variants run twice:
//!
//! - against the service in a process of its own (`polyai-bench action-service`), pinned with
//!   `taskset` to `--service-core` when given (`cargo xtask bench` passes the mock's core), as the
//!   mock of every other scenario runs beside its client: the user's service is never on the
//!   agent's core. This is the figure the 0.95x target is read on;
//! - against the same handler on a thread of this process, which `cargo xtask bench` pins with
//!   the client to one core: the service's work then queues behind the client's on that core,
//!   so every microsecond the client spends shows in full. Reported beside the first, as the
//!   worst case.
//!
//! The client runs on a current-thread runtime. Each response is checked (status and the
//! output variable), so a broken call fails the scenario.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use axum::Router;
use axum::routing::post;
use bytes::Bytes;
use futures::StreamExt;
use polyai_actions::chain::Conversation;
use polyai_actions::client::{ClientOptions, HttpClient, ReqwestClient, ServiceClient};
use polyai_actions::conv_api::ConvApi;
use polyai_actions::oauth::OAuth2Tokens;
use polyai_actions::outcome::Outcome;
use polyai_actions::{
    ApiAction, ApiIntegrations, AuthConnector, CredentialsIn, Environment, InMemorySecretStore,
    PreparedAction, SecretRef,
};
use serde_json::{Value, json};

use crate::BenchResult;

/// A booking action: schema, Go-template body, Bearer auth, three output variables.
fn action_yaml(base_url: &str) -> String {
    format!(
        r#"
name: create_booking
connection:
  base_url: {base_url}
  auth: {{ type: bearer, token: {{ secret: bookings_token }} }}
  headers:
    - {{ name: X-Client, value: polyai-agent }}
url: /bookings
method: POST
parameters:
  type: object
  properties:
    date: {{ type: string, pattern: '^\d{{4}}-\d{{2}}-\d{{2}}$' }}
    time: {{ type: string, pattern: '^\d{{2}}:\d{{2}}$' }}
    party_size: {{ type: integer, minimum: 1, maximum: 12 }}
    seating: {{ type: string, enum: [indoor, terrace] }}
  required: [date, time, party_size]
body_template: |-
  {{"customer_id": "{{{{.variables.customer.id}}}}", "date": "{{{{.parameters.date}}}}", "time": "{{{{.parameters.time}}}}", "party_size": {{{{.parameters.party_size}}}}, "seating": "{{{{if .parameters.seating}}}}{{{{.parameters.seating}}}}{{{{else}}}}indoor{{{{end}}}}"}}
output_variables:
  - {{ name: booking.reference, path: $.reference }}
  - {{ name: booking.status, path: $.status }}
  - {{ name: booking.table, path: "$.tables[0]" }}
"#
    )
}

const ANSWER: &str = r#"{"reference":"SB-0001","status":"confirmed","site":"LDN-SOHO","tables":["T4"],"party_size":4}"#;

fn parameters() -> Value {
    json!({"date": "2026-12-24", "time": "19:30", "party_size": 4, "seating": "terrace"})
}

/// The user's handler: reads the JSON body, answers the booking.
pub(crate) fn service() -> Router {
    Router::new().route(
        "/api/bookings",
        post(|body: Bytes| async move {
            let status = if body.first() == Some(&b'{') {
                axum::http::StatusCode::CREATED
            } else {
                axum::http::StatusCode::BAD_REQUEST
            };
            (
                status,
                [(axum::http::header::CONTENT_TYPE, "application/json")],
                ANSWER,
            )
        }),
    )
}

fn secrets() -> InMemorySecretStore {
    let mut secrets = InMemorySecretStore::new();
    secrets.insert(
        Environment::Live,
        "bookings_token",
        "tok_benchmark_0123456789",
    );
    secrets
}

/// `count` executions of the action through `client`; each outcome is checked.
async fn executions(
    prepared: &PreparedAction<'_>,
    secrets: &InMemorySecretStore,
    client: &dyn HttpClient,
    count: usize,
) -> BenchResult<Duration> {
    let mut conversation = Conversation::new(Environment::Live, secrets);
    conversation.set_variable("customer.id", json!("C-1042"), false);
    let params = parameters();
    let started = Instant::now();
    for _ in 0..count {
        let outcome = conversation
            .run(prepared, params.clone(), client, None)
            .await?;
        booked(&outcome)?;
    }
    Ok(started.elapsed())
}

/// Checks that `outcome` is the booking the service makes: a `201` with its table read back
/// (checked without building a value: the check's own cost is not the action's).
fn booked(outcome: &Outcome) -> BenchResult<()> {
    if outcome.status() != 201
        || outcome.variable("booking.table").and_then(Value::as_str) != Some("T4")
    {
        return Err(format!("an execution gave {outcome}").into());
    }
    Ok(())
}

/// A copy of `request` to send (`http::Request` is not `Clone`): its method, URI, headers and
/// body, the body's bytes shared rather than copied.
fn copy_of(request: &http::Request<Bytes>) -> http::Request<Bytes> {
    let mut copy = http::Request::new(request.body().clone());
    *copy.method_mut() = request.method().clone();
    *copy.uri_mut() = request.uri().clone();
    *copy.headers_mut() = request.headers().clone();
    copy
}

/// `count` sends of the prepared request with a bare reqwest client, body read.
async fn raw_sends(
    client: &reqwest::Client,
    request: &http::Request<Bytes>,
    count: usize,
) -> BenchResult<Duration> {
    let started = Instant::now();
    for _ in 0..count {
        let response = client
            .execute(reqwest::Request::try_from(copy_of(request))?)
            .await?;
        let status = response.status();
        let body = response.bytes().await?;
        if status != 201 || body.len() != ANSWER.len() {
            return Err(format!("a raw send gave {status}").into());
        }
    }
    Ok(started.elapsed())
}

/// `count` sends of the prepared request through our `ReqwestClient`.
async fn our_sends(
    client: &ReqwestClient,
    request: &http::Request<Bytes>,
    count: usize,
) -> BenchResult<Duration> {
    let started = Instant::now();
    for _ in 0..count {
        let response = client.send(copy_of(request)).await?;
        if response.status() != 201 || response.body().len() != ANSWER.len() {
            return Err(format!("a send gave {}", response.status()).into());
        }
    }
    Ok(started.elapsed())
}

/// `calls` ConvApi calls with OAuth client credentials, 64 at a time, in-process; returns the
/// time and the token requests the endpoint received.
async fn oauth_calls(calls: usize) -> BenchResult<(Duration, u64, u64)> {
    let endpoint_hits = Arc::new(AtomicU64::new(0));
    let hits = endpoint_hits.clone();
    let app = service().route(
        "/oauth/token",
        post(move || {
            let n = hits.fetch_add(1, Ordering::SeqCst) + 1;
            async move {
                axum::Json(json!({"access_token": format!("at-{n}"), "token_type": "Bearer", "expires_in": 3600}))
            }
        }),
    );
    let client: Arc<dyn HttpClient> = Arc::new(ServiceClient::new(app));
    let integrations = ApiIntegrations::from_yaml_str(
        r#"
api_integrations:
  - name: sweet_booking_api
    environments:
      live: { base_url: "http://bookings.test/api", auth_type: oauth2_client_credentials }
    operations:
      - { name: create_booking, method: POST, resource: "/bookings" }
"#,
    )?;
    let mut secrets = InMemorySecretStore::new();
    secrets.insert(Environment::Live, "client_secret", "cs-benchmark");
    let tokens = OAuth2Tokens::new();
    let conv = ConvApi::new(integrations, Environment::Live)
        .with_secrets(Arc::new(secrets))
        .with_auth(
            "sweet_booking_api",
            AuthConnector::OAuth2ClientCredentials {
                token_url: "http://auth.test/oauth/token".into(),
                client_id: "agent".into(),
                client_secret: SecretRef::new("client_secret"),
                scope: None,
                credentials_in: CredentialsIn::Header,
                auth_header_name: None,
                token_prefix: None,
            },
        )
        .with_client(client.clone())
        .with_oauth(tokens.clone(), client);
    let body = json!({"customer_id": "C-1042", "party_size": 4});
    let started = Instant::now();
    let mut results = futures::stream::iter(0..calls)
        .map(|_| {
            conv.api("sweet_booking_api")
                .op("create_booking")
                .json(body.clone())
                .send()
        })
        .buffer_unordered(64);
    while let Some(result) = results.next().await {
        let response = result?;
        if response.status_code() != 201 {
            return Err(format!("an OAuth call gave {}", response.status_code()).into());
        }
    }
    let elapsed = started.elapsed();
    Ok((
        elapsed,
        tokens.fetches(),
        endpoint_hits.load(Ordering::SeqCst),
    ))
}

/// `polyai-bench action-service`: the booking service alone, on 127.0.0.1 (a port of the
/// system's choosing). Prints `action-service listening on http://ADDR`, then serves until its
/// standard input closes (so it never outlives the benchmark that started it).
pub fn serve_process() -> BenchResult<()> {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    runtime.block_on(async {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
        println!(
            "action-service listening on http://{}",
            listener.local_addr()?
        );
        std::io::Write::flush(&mut std::io::stdout())?;
        std::thread::spawn(|| {
            let mut sink = Vec::new();
            let _ = std::io::Read::read_to_end(&mut std::io::stdin(), &mut sink);
            std::process::exit(0);
        });
        axum::serve(listener, service()).await?;
        Ok::<(), crate::BenchError>(())
    })
}

/// The service process of [`serve_process`], killed when dropped.
struct ServiceProcess {
    child: std::process::Child,
    /// `http://ADDR/api`.
    base: String,
}

impl ServiceProcess {
    /// Starts this executable's `action-service`, pinned to `core` with `taskset` when given.
    fn start(core: Option<usize>) -> BenchResult<ServiceProcess> {
        use std::io::BufRead;
        use std::process::{Command, Stdio};
        let exe = std::env::current_exe()?;
        let mut command = match core {
            Some(core) => {
                let mut command = Command::new("taskset");
                command.arg("-c").arg(core.to_string()).arg(&exe);
                command
            }
            None => Command::new(&exe),
        };
        let mut child = command
            .arg("action-service")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .map_err(|e| format!("cannot start the action service: {e}"))?;
        let stdout = child
            .stdout
            .take()
            .ok_or("the service's stdout is not piped")?;
        let mut line = String::new();
        std::io::BufReader::new(stdout).read_line(&mut line)?;
        match line.trim().strip_prefix("action-service listening on ") {
            Some(url) => Ok(ServiceProcess {
                base: format!("{url}/api"),
                child,
            }),
            None => {
                let _ = child.kill();
                let _ = child.wait();
                Err(format!(
                    "the action service did not start (first line {:?})",
                    line.trim()
                )
                .into())
            }
        }
    }
}

impl Drop for ServiceProcess {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The same service on a thread of this process (pinned, with the whole process, to the
/// client's core by `cargo xtask bench`); returns its base URL.
fn service_thread() -> BenchResult<String> {
    let listener = std::net::TcpListener::bind("127.0.0.1:0")?;
    listener.set_nonblocking(true)?;
    let base = format!("http://{}/api", listener.local_addr()?);
    std::thread::spawn(move || {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build();
        if let Ok(runtime) = runtime {
            runtime.block_on(async move {
                if let Ok(listener) = tokio::net::TcpListener::from_std(listener) {
                    let _ = axum::serve(listener, service()).await;
                }
            });
        }
    });
    Ok(base)
}

/// What one loopback target needs: the action pointed at it and the prepared request.
struct Target<'a> {
    action: PreparedAction<'a>,
    request: http::Request<Bytes>,
}

impl<'a> Target<'a> {
    fn new(action: &'a ApiAction, secrets: &InMemorySecretStore) -> BenchResult<Self> {
        let action = PreparedAction::new(action)?;
        let mut conversation = Conversation::new(Environment::Live, secrets);
        conversation.set_variable("customer.id", json!("C-1042"), false);
        let request = conversation.render(&action, parameters())?.into_http();
        Ok(Target { action, request })
    }
}

/// Runs this part of the `actions` scenario: `--executions N` (default 20,000) per variant and
/// repetition, `--token-calls N` (default 10,000) OAuth calls, `--service-core N` (the core the
/// service process is pinned to; unpinned when absent).
pub fn run(args: &crate::Args, reps: usize, warmup: usize) -> BenchResult<Value> {
    let count: usize = args.number("executions", 20_000)?;
    let token_calls: usize = args.number("token-calls", 10_000)?;
    let service_core: Option<usize> = match args.values.get("service-core") {
        Some(_) => Some(args.number("service-core", 0)?),
        None => None,
    };
    let process = ServiceProcess::start(service_core)?;
    let same_core = service_thread()?;

    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    runtime.block_on(async move {
        let secrets = secrets();
        let in_process_action = ApiAction::from_yaml_str(&action_yaml("http://bookings.test/api"))?;
        let own_core_action = ApiAction::from_yaml_str(&action_yaml(&process.base))?;
        let same_core_action = ApiAction::from_yaml_str(&action_yaml(&same_core))?;
        let in_process = PreparedAction::new(&in_process_action)?;
        let own = Target::new(&own_core_action, &secrets)?;
        let same = Target::new(&same_core_action, &secrets)?;
        let service_client = ServiceClient::new(service());
        let ours = ReqwestClient::new(ClientOptions::new())?;
        let raw = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .build()?;

        const VARIANTS: usize = 6;
        const BLOCKS: usize = 40;
        let block_size = count.div_ceil(BLOCKS);
        let measure = |which: usize, count: usize| {
            let (secrets, service_client, ours, raw) = (&secrets, &service_client, &ours, &raw);
            let (in_process, own, same) = (&in_process, &own, &same);
            async move {
                match which {
                    0 => executions(in_process, secrets, service_client, count).await,
                    1 => executions(&own.action, secrets, ours, count).await,
                    2 => raw_sends(raw, &own.request, count).await,
                    3 => our_sends(ours, &own.request, count).await,
                    4 => executions(&same.action, secrets, ours, count).await,
                    _ => raw_sends(raw, &same.request, count).await,
                }
            }
        };
        for _ in 0..warmup {
            for which in 0..VARIANTS {
                measure(which, count).await?;
            }
        }
        // Each repetition's time of a variant is the sum of `BLOCKS` blocks of
        // `count / BLOCKS` requests, the variants taking turns block by block (in an order
        // that alternates), so a change in the machine's speed during a repetition (another
        // tenant, the clock) reaches every variant alike instead of the one running then.
        let mut runs: [Vec<f64>; VARIANTS] = Default::default();
        for _ in 0..reps {
            let mut totals = [0.0f64; VARIANTS];
            for block in 0..BLOCKS {
                for step in 0..VARIANTS {
                    let which = if block % 2 == 0 {
                        step
                    } else {
                        VARIANTS - 1 - step
                    };
                    totals[which] += measure(which, block_size).await?.as_secs_f64();
                }
            }
            for (which, total) in totals.into_iter().enumerate() {
                runs[which].push(total);
            }
        }
        let (oauth_time, fetches, endpoint_hits) = oauth_calls(token_calls).await?;
        let [
            in_process_runs,
            own_runs,
            own_raw_runs,
            send_runs,
            same_runs,
            same_raw_runs,
        ] = runs;
        Ok::<Value, crate::BenchError>(json!({
            "executions": block_size * BLOCKS,
            "request_bytes": own.request.body().len(),
            "service_core": service_core,
            "in_process": {"seconds": in_process_runs},
            "loopback_ours": {"seconds": own_runs},
            "loopback_raw": {"seconds": own_raw_runs},
            "loopback_send_only": {"seconds": send_runs},
            "same_core_ours": {"seconds": same_runs},
            "same_core_raw": {"seconds": same_raw_runs},
            "oauth": {
                "calls": token_calls,
                "concurrency": 64,
                "seconds": oauth_time.as_secs_f64(),
                "token_fetches": fetches,
                "token_endpoint_requests": endpoint_hits,
            },
        }))
    })
}

// ---------------------------------------------------------------------------------------------
// `polyai-bench action-breakdown`: where the loopback gap goes

/// The variants of the breakdown, each a sequence of requests to the service process.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Part {
    /// The prepared request sent with bare reqwest: the floor.
    Raw,
    /// `Conversation::run` through `ReqwestClient`: what the target is read on.
    Run,
    /// Our render of the action, then bare reqwest sending what it rendered.
    RenderThenRaw,
    /// Our render of the action, discarded, then bare reqwest sending the prepared request.
    RenderDiscardedThenRaw,
    /// Our render, then bare reqwest sending the prepared request with the rendered body in
    /// place of its own (the same bytes).
    RenderedBodySent,
    /// Our render, then bare reqwest sending the prepared request with the rendered headers in
    /// place of its own (the same names and values).
    RenderedHeadersSent,
    /// Our render, then bare reqwest sending a copy of what it rendered (its parts cloned as
    /// the prepared request's are for [`Part::Raw`]): the same bytes as `Raw`, in memory the
    /// render just wrote.
    RenderCopiedThenRaw,
    /// Bare reqwest sending the prepared request, then our recording of the response.
    RawThenRecord,
    /// Bare reqwest after a busy-wait of [`SPIN`]: what plain CPU time costs between requests.
    SpinThenRaw,
}

/// The busy-wait of [`Part::SpinThenRaw`].
const SPIN: Duration = Duration::from_micros(2);

impl Part {
    const ALL: [Part; 9] = [
        Part::Raw,
        Part::Run,
        Part::RenderThenRaw,
        Part::RenderDiscardedThenRaw,
        Part::RenderedBodySent,
        Part::RenderedHeadersSent,
        Part::RenderCopiedThenRaw,
        Part::RawThenRecord,
        Part::SpinThenRaw,
    ];

    fn name(self) -> &'static str {
        match self {
            Part::Raw => "raw",
            Part::Run => "run",
            Part::RenderThenRaw => "render_then_raw",
            Part::RenderDiscardedThenRaw => "render_discarded",
            Part::RenderedBodySent => "rendered_body_sent",
            Part::RenderedHeadersSent => "rendered_headers_sent",
            Part::RenderCopiedThenRaw => "render_copy_sent",
            Part::RawThenRecord => "raw_then_record",
            Part::SpinThenRaw => "spin_2us_then_raw",
        }
    }
}

/// One request of `part`; each answer is checked.
async fn one_request(
    part: Part,
    target: &Target<'_>,
    action: &ApiAction,
    conversation: &mut Conversation<'_>,
    ours: &ReqwestClient,
    raw: &reqwest::Client,
) -> BenchResult<()> {
    let raw_send = async |request: http::Request<Bytes>| -> BenchResult<http::Response<Bytes>> {
        let response = raw.execute(reqwest::Request::try_from(request)?).await?;
        let mut answer = http::Response::new(Bytes::new());
        *answer.status_mut() = response.status();
        *answer.body_mut() = response.bytes().await?;
        Ok(answer)
    };
    let copy = || copy_of(&target.request);
    let status = match part {
        Part::Raw => raw_send(copy()).await?.status().as_u16(),
        Part::Run => conversation
            .run(&target.action, parameters(), ours, None)
            .await?
            .status(),
        Part::RenderThenRaw => {
            let rendered = conversation.render(&target.action, parameters())?;
            raw_send(rendered.into_http()).await?.status().as_u16()
        }
        Part::RenderDiscardedThenRaw => {
            let rendered = conversation.render(&target.action, parameters())?;
            drop(std::hint::black_box(rendered));
            raw_send(copy()).await?.status().as_u16()
        }
        Part::RenderedBodySent | Part::RenderedHeadersSent => {
            let rendered = conversation
                .render(&target.action, parameters())?
                .into_http();
            let mut request = copy();
            if part == Part::RenderedBodySent {
                *request.body_mut() = rendered.body().clone();
            } else {
                *request.headers_mut() = rendered.headers().clone();
            }
            drop(rendered);
            raw_send(request).await?.status().as_u16()
        }
        Part::RenderCopiedThenRaw => {
            let rendered = conversation
                .render(&target.action, parameters())?
                .into_http();
            let copy = copy_of(&rendered);
            drop(rendered);
            raw_send(copy).await?.status().as_u16()
        }
        Part::RawThenRecord => {
            let response = raw_send(copy()).await?;
            conversation.record(action, response).status()
        }
        Part::SpinThenRaw => {
            let started = Instant::now();
            while started.elapsed() < SPIN {
                std::hint::spin_loop();
            }
            raw_send(copy()).await?.status().as_u16()
        }
    };
    if status != 201 {
        return Err(format!("{}: the service answered {status}", part.name()).into());
    }
    Ok(())
}

/// `polyai-bench action-breakdown`: a diagnostic, not a scenario of `cargo xtask bench`. It
/// splits the gap between `Conversation::run` over loopback and bare reqwest sending the
/// prepared request (the `actions` scenario's target) into what rendering, sending what was
/// rendered and recording each add, beside what a plain busy-wait of 2 us adds. The service
/// runs in a process of its own, pinned to `--service-core` when given; pin this process to
/// the other core with `taskset`.
///
/// The variants take turns request by request (`--requests N` of each, default 20,000, after
/// 1,000 of each untimed), so that a drifting machine moves them all alike; each request is
/// timed on its own. Prints, per variant, the quartiles of the time per request and the gap
/// of its median to the raw requests' median.
pub fn breakdown(args: &crate::Args) -> BenchResult<Value> {
    let requests: usize = args.number("requests", 20_000)?;
    let service_core: Option<usize> = match args.values.get("service-core") {
        Some(_) => Some(args.number("service-core", 0)?),
        None => None,
    };
    let process = ServiceProcess::start(service_core)?;
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    runtime.block_on(async move {
        let secrets = secrets();
        let action = ApiAction::from_yaml_str(&action_yaml(&process.base))?;
        let target = Target::new(&action, &secrets)?;
        let ours = ReqwestClient::new(ClientOptions::new())?;
        let raw = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .build()?;
        let mut conversation = Conversation::new(Environment::Live, &secrets);
        conversation.set_variable("customer.id", json!("C-1042"), false);

        const WARMUP: usize = 1_000;
        let mut micros: Vec<Vec<f64>> = vec![Vec::with_capacity(requests); Part::ALL.len()];
        for round in 0..WARMUP + requests {
            for (index, &part) in Part::ALL.iter().enumerate() {
                let started = Instant::now();
                one_request(part, &target, &action, &mut conversation, &ours, &raw).await?;
                if round >= WARMUP {
                    micros[index].push(started.elapsed().as_secs_f64() * 1e6);
                }
            }
        }
        for times in &mut micros {
            times.sort_by(f64::total_cmp);
        }
        let quantile = |times: &[f64], q: f64| times[((times.len() - 1) as f64 * q) as usize];
        let raw_median = quantile(&micros[0], 0.5);
        eprintln!(
            "action-breakdown: {requests} requests of each variant, taking turns; service core {service_core:?}"
        );
        let mut report = serde_json::Map::new();
        for (index, &part) in Part::ALL.iter().enumerate() {
            let times = &micros[index];
            let (p25, p50, p75) = (
                quantile(times, 0.25),
                quantile(times, 0.5),
                quantile(times, 0.75),
            );
            let gap = p50 - raw_median;
            eprintln!(
                "  {:<21} p25 {p25:6.2} us  median {p50:6.2} us  p75 {p75:6.2} us  median gap to raw {gap:+5.2} us",
                part.name()
            );
            report.insert(
                part.name().to_owned(),
                json!({"p25_us": p25, "median_us": p50, "p75_us": p75, "median_gap_to_raw_us": gap}),
            );
        }
        Ok::<Value, crate::BenchError>(json!({
            "requests": requests,
            "service_core": service_core,
            "parts": report,
        }))
    })
}

// ---------------------------------------------------------------------------------------------
// `polyai-bench action-cold`: what our own work costs when the caches have been emptied

/// Writes one byte of every 64-byte line of `buffer`, so that what was cached before is
/// evicted (`buffer` as large as the caches to empty).
fn write_over(buffer: &mut [u8]) {
    for byte in buffer.iter_mut().step_by(64) {
        *byte = byte.wrapping_add(1);
    }
    std::hint::black_box(&buffer);
}

/// One action run with no network (the service's answer is made in memory), timed back to back
/// and right after the caches are emptied by writing over `--evict-mib` MiB (default 64; on the
/// machine of BENCHMARKS.md, 2 is past its 1 MiB L2 cache and 64 past its 32 MiB L3), `--runs N`
/// of each (default 2,000, after 100 of each untimed), taking turns. Prints the quartiles of
/// both and the gap between the medians: what fetching our code and data from memory costs,
/// the part of the loopback gap that a busy-wait of the same CPU time does not have.
///
/// Under `valgrind --tool=callgrind --cache-sim=yes` (with `--runs 100`) the same run counts the
/// lines each function fetches, which is how the action path's changes of 2026-12-01 were chosen.
pub fn cold(args: &crate::Args) -> BenchResult<Value> {
    let runs: usize = args.number("runs", 2_000)?;
    let evict_mib: usize = args.number("evict-mib", 64)?;
    let secrets = secrets();
    let action = ApiAction::from_yaml_str(&action_yaml("http://bookings.test/api"))?;
    let prepared = PreparedAction::new(&action)?;
    let mut conversation = Conversation::new(Environment::Live, &secrets);
    conversation.set_variable("customer.id", json!("C-1042"), false);
    let params = parameters();
    let answer = |_request: http::Request<Bytes>| {
        let mut response = http::Response::new(Bytes::from_static(ANSWER.as_bytes()));
        *response.status_mut() = http::StatusCode::CREATED;
        std::future::ready(Ok::<_, std::io::Error>(response))
    };
    let mut buffer = vec![0u8; evict_mib << 20];
    let mut evict = || write_over(&mut buffer);
    let timed_run = |conversation: &mut Conversation<'_>| -> BenchResult<f64> {
        let parameters = params.clone();
        let started = Instant::now();
        let run = conversation.run_with(&prepared, parameters, None, answer);
        let outcome = polyai_actions::run::block_on(run)?;
        let micros = started.elapsed().as_secs_f64() * 1e6;
        booked(&outcome)?;
        Ok(micros)
    };
    const WARMUP: usize = 100;
    let (mut hot, mut cold) = (Vec::with_capacity(runs), Vec::with_capacity(runs));
    for round in 0..WARMUP + runs {
        let back_to_back = timed_run(&mut conversation)?;
        evict();
        let after_eviction = timed_run(&mut conversation)?;
        if round >= WARMUP {
            hot.push(back_to_back);
            cold.push(after_eviction);
        }
    }
    let quartiles = |times: &mut Vec<f64>| {
        times.sort_by(f64::total_cmp);
        let at = |q: f64| times[((times.len() - 1) as f64 * q) as usize];
        (at(0.25), at(0.5), at(0.75))
    };
    let (hot, cold) = (quartiles(&mut hot), quartiles(&mut cold));
    eprintln!("action-cold: {runs} runs of each, in memory, {evict_mib} MiB written over between");
    for (name, (p25, p50, p75)) in [("back to back", hot), ("after eviction", cold)] {
        eprintln!("  {name:<15} p25 {p25:7.2} us  median {p50:7.2} us  p75 {p75:7.2} us");
    }
    eprintln!("  median gap      {:+7.2} us", cold.1 - hot.1);
    let json_of =
        |(p25, p50, p75): (f64, f64, f64)| json!({"p25_us": p25, "median_us": p50, "p75_us": p75});
    Ok(json!({
        "runs": runs,
        "evict_mib": evict_mib,
        "back_to_back": json_of(hot),
        "after_eviction": json_of(cold),
    }))
}

// ---------------------------------------------------------------------------------------------
// `polyai-bench action-lines`: one variant's requests over loopback after the caches are
// emptied, for counting the lines each fetches from memory

/// `--variant raw|send|run` (raw reqwest, our send path, our whole run), `--requests N`
/// (default 300) over loopback to the service on a thread of this process, with `--evict-mib`
/// MiB (default 64) written over before each request. Prints the mean time per request.
///
/// The figure that matters comes from running it under callgrind's cache simulation, once per
/// variant, collecting only inside [`lines_loop`]:
///
/// ```text
/// valgrind --tool=callgrind --cache-sim=yes --I1=32768,8,64 --D1=49152,12,64 \
///   --LL=33554432,16,64 --collect-atstart=no --toggle-collect='*lines_loop*' \
///   target/release/polyai-bench action-lines --variant run
/// ```
///
/// `callgrind_annotate` then gives the code lines (`ILmr`) and data lines (`DLmr`) fetched
/// from memory; divided by the requests, and `run` minus `send`, they are what our rendering
/// and reading of the outcome fetch per action, the part of the loopback gap that grows when
/// the host empties the caches between round trips.
pub fn lines(args: &crate::Args) -> BenchResult<Value> {
    let variant = args
        .values
        .get("variant")
        .map(String::as_str)
        .unwrap_or("run")
        .to_owned();
    if !matches!(variant.as_str(), "raw" | "send" | "run") {
        return Err(format!("--variant {variant}: give raw, send or run").into());
    }
    let requests: usize = args.number("requests", 300)?;
    let evict_mib: usize = args.number("evict-mib", 64)?;
    let base = service_thread()?;
    let seconds = lines_loop(&variant, requests, evict_mib, &base)?;
    let micros = seconds * 1e6 / requests.max(1) as f64;
    eprintln!(
        "action-lines: {requests} {variant} requests, {evict_mib} MiB written over before each: {micros:.2} us per request"
    );
    Ok(json!({
        "variant": variant,
        "requests": requests,
        "evict_mib": evict_mib,
        "mean_us": micros,
    }))
}

/// The client side of [`lines`]: the runtime, the clients and the requests (what callgrind
/// collects), each request checked; returns the time the requests took.
#[inline(never)]
fn lines_loop(variant: &str, requests: usize, evict_mib: usize, base: &str) -> BenchResult<f64> {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    let mut buffer = vec![0u8; evict_mib << 20];
    runtime.block_on(async {
        let secrets = secrets();
        let action = ApiAction::from_yaml_str(&action_yaml(base))?;
        let target = Target::new(&action, &secrets)?;
        let mut conversation = Conversation::new(Environment::Live, &secrets);
        conversation.set_variable("customer.id", json!("C-1042"), false);
        let params = parameters();
        let ours = ReqwestClient::new(ClientOptions::new())?;
        let raw = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .build()?;
        let mut spent = Duration::ZERO;
        for _ in 0..requests {
            write_over(&mut buffer);
            let started = Instant::now();
            match variant {
                "raw" => {
                    raw_sends(&raw, &target.request, 1).await?;
                }
                "send" => {
                    our_sends(&ours, &target.request, 1).await?;
                }
                _ => {
                    let outcome = conversation
                        .run(&target.action, params.clone(), &ours, None)
                        .await?;
                    booked(&outcome)?;
                }
            }
            spent += started.elapsed();
        }
        Ok::<f64, crate::BenchError>(spent.as_secs_f64())
    })
}
