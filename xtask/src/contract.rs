//! `cargo xtask contract`: PolyAI's own published OpenAPI documents check every request the SDK
//! sends, and every answer polyai-mock gives, through Stoplight Prism in proxy mode.
//!
//! ```text
//!  example / contract-tour ──> router (front) ──> Prism (the document that has the route) ──┐
//!        (SDK client)             │  └──> Prism (every other document with the route) ──┐  │
//!                                 │                                                     │  │
//!                                 └─ upstream listener <── replays the recorded answer ─┘  │
//!                                      └──> polyai-mock (embedded in the program) <────────┘
//! ```
//!
//! Prism proxies one document per process, so one Prism runs per document and the router sends
//! each request to the Prism of the document that has its method and path template (literal
//! segments beat templated ones, as in OpenAPI). When several documents have the route (debug
//! chat is in three), the first one forwards to the mock and the others are sent the same
//! request with a replay header: their upstream is the router, which answers with the recorded
//! response, so every document checks both the request and the response and the mock sees the
//! request once. The router reads Prism's `sl-violations` header of every exchange.
//!
//! Violations located in `request` are the SDK's and fail the run. Violations in `response`
//! are the mock's: they fail the run unless the allow-list (`xtask/contract-allowlist.json`)
//! names them as a known place where PolyAI's real servers disagree with the documents.
//!
//! Whether the mock really answered an operation is decided from its route table
//! ([`polyai_mock::Route::resolve`]), not from the answer: the run fails when a documented
//! operation's request is one the mock's router answers itself (404 `NOT_FOUND`, 405
//! `METHOD_NOT_ALLOWED`) or hands to a row of another path, and when a documented operation
//! was not exercised at all (unless the allow-list's `not_exercised` says why). A 404 a
//! handler answers (an unknown id) is a real answer.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::io::Write;
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use axum::body::{Body, Bytes};
use axum::extract::{Request, State};
use axum::http::{HeaderMap, HeaderName, Method, StatusCode};
use axum::response::Response;
use serde_json::Value;

use crate::workspace_root;

/// The examples run through the proxy, in this order.
const EXAMPLES: &[&str] = &[
    "quickstart",
    "pull_transcripts",
    "download_audio",
    "debug_chat_bot",
    "webhook_receiver",
    "deploy_agent",
    "export_csv",
    "webhook_backend",
    "chat_bots",
];
/// The driver that sends a request of every operation the SDK has.
const TOUR: &str = "contract-tour";
/// Names the recorded exchange on the way to the upstream listener.
const EXCHANGE_HEADER: &str = "x-contract-exchange";
/// Asks the upstream listener for the recorded answer instead of the mock's.
const REPLAY_HEADER: &str = "x-contract-replay";
/// Largest body the router buffers.
const BODY_LIMIT: usize = 256 * 1024 * 1024;
/// How long one program may run.
const PROGRAM_TIMEOUT: Duration = Duration::from_secs(300);

const USAGE: &str = "\
usage: cargo xtask contract [--docs DIR] [--prism PATH] [--allow FILE]

Runs every example and the contract tour (a request of every SDK operation) with the SDK's
requests going through Stoplight Prism (proxy mode, one process per PolyAI document) in front
of polyai-mock, then prints how many requests were checked and every violation found.
Fails on any request violation, on response violations that are not allow-listed, and
when a documented operation was not exercised or got no real answer (decided from the
mock's route table: its router's own 404/405 is no answer, a handler's 404 is).

  --docs DIR     PolyAI's published documents (default ../shared/reference/openapi)
  --prism PATH   the prism executable (default $PRISM, else `prism` on PATH)
  --allow FILE   known deviations (default xtask/contract-allowlist.json)
";

struct Options {
    docs: PathBuf,
    prism: PathBuf,
    allow: PathBuf,
}

fn parse(args: &[String]) -> Result<Option<Options>, String> {
    let root = workspace_root();
    let mut options = Options {
        docs: root
            .join("..")
            .join("shared")
            .join("reference")
            .join("openapi"),
        prism: std::env::var_os("PRISM")
            .map(PathBuf::from)
            .unwrap_or_else(|| PathBuf::from("prism")),
        allow: root.join("xtask").join("contract-allowlist.json"),
    };
    let mut it = args.iter();
    while let Some(arg) = it.next() {
        let mut value = || {
            it.next()
                .map(PathBuf::from)
                .ok_or_else(|| format!("{arg} needs a value\n\n{USAGE}"))
        };
        match arg.as_str() {
            "--docs" => options.docs = value()?,
            "--prism" => options.prism = value()?,
            "--allow" => options.allow = value()?,
            "-h" | "--help" => return Ok(None),
            other => return Err(format!("unknown argument {other:?}\n\n{USAGE}")),
        }
    }
    Ok(Some(options))
}

// ---------------------------------------------------------------------------------------------
// PolyAI's documents and routing

struct Document {
    name: String,
    operations: Vec<Operation>,
}

struct Operation {
    method: Method,
    template: String,
    /// `None` for a `{parameter}` segment.
    segments: Vec<Option<String>>,
}

impl Operation {
    fn label(&self) -> String {
        format!("{} {}", self.method, self.template)
    }

    /// The number of literal segments when `path` matches this template.
    fn matches(&self, method: &Method, path: &[&str]) -> Option<usize> {
        if *method != self.method || path.len() != self.segments.len() {
            return None;
        }
        let mut literals = 0;
        for (template, segment) in self.segments.iter().zip(path) {
            match template {
                Some(literal) if literal == segment => literals += 1,
                Some(_) => return None,
                None if segment.is_empty() => return None,
                None => {}
            }
        }
        Some(literals)
    }
}

fn load_documents(dir: &Path) -> Result<Vec<Document>, String> {
    let entries = std::fs::read_dir(dir).map_err(|e| {
        format!(
            "cannot read PolyAI's documents in {}: {e} (pass --docs DIR)",
            dir.display()
        )
    })?;
    let mut files: Vec<PathBuf> = entries
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "json"))
        .collect();
    files.sort();
    let mut documents = Vec::new();
    for file in files {
        let text = std::fs::read_to_string(&file)
            .map_err(|e| format!("reading {}: {e}", file.display()))?;
        let json: Value = serde_json::from_str(&text)
            .map_err(|e| format!("{} is not JSON: {e}", file.display()))?;
        let mut operations = Vec::new();
        for (template, item) in json["paths"].as_object().into_iter().flatten() {
            for (method, _) in item.as_object().into_iter().flatten() {
                let Ok(method) = method.to_ascii_uppercase().parse::<Method>() else {
                    continue;
                };
                if !matches!(
                    method,
                    Method::GET | Method::POST | Method::PUT | Method::PATCH | Method::DELETE
                ) {
                    continue;
                }
                let segments = template
                    .trim_start_matches('/')
                    .split('/')
                    .map(|s| (!(s.starts_with('{') && s.ends_with('}'))).then(|| s.to_owned()))
                    .collect();
                operations.push(Operation {
                    method,
                    template: template.clone(),
                    segments,
                });
            }
        }
        let name = file
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        documents.push(Document { name, operations });
    }
    if documents.is_empty() {
        return Err(format!("no *.json documents in {}", dir.display()));
    }
    // The most specific documents first: the first match of a route forwards to the mock.
    documents.sort_by_key(|d| d.operations.len());
    Ok(documents)
}

/// Every (document, operation) whose route is the best match of `method path`.
fn route(documents: &[Document], method: &Method, path: &str) -> Vec<(usize, usize)> {
    let segments: Vec<&str> = path.trim_start_matches('/').split('/').collect();
    let mut best = 0;
    let mut found = Vec::new();
    for (d, document) in documents.iter().enumerate() {
        let hit = document
            .operations
            .iter()
            .enumerate()
            .filter_map(|(o, op)| op.matches(method, &segments).map(|l| (l, o)))
            .max_by_key(|(literals, _)| *literals);
        if let Some((literals, o)) = hit {
            if literals > best {
                best = literals;
                found.clear();
            }
            if literals == best {
                found.push((d, o));
            }
        }
    }
    found
}

// ---------------------------------------------------------------------------------------------
// The allow-list of known deviations

struct Deviation {
    document: Option<String>,
    operation: String,
    location: String,
    /// When set, only violations whose message contains it.
    message: Option<String>,
    reason: String,
}

/// A documented operation of PolyAI's that nothing sends, on purpose.
struct NotExercised {
    operation: String,
    reason: String,
}

/// The allow-list's `not_exercised` entries: `{operation: "METHOD template", reason}`.
fn load_not_exercised(path: &Path) -> Result<Vec<NotExercised>, String> {
    let text =
        std::fs::read_to_string(path).map_err(|e| format!("reading {}: {e}", path.display()))?;
    let json: Value =
        serde_json::from_str(&text).map_err(|e| format!("{} is not JSON: {e}", path.display()))?;
    let mut out = Vec::new();
    for entry in json["not_exercised"].as_array().into_iter().flatten() {
        let field = |name: &str| entry[name].as_str().map(str::to_owned);
        match (field("operation"), field("reason")) {
            (Some(operation), Some(reason)) if !reason.trim().is_empty() => {
                out.push(NotExercised { operation, reason });
            }
            _ => {
                return Err(format!(
                    "{}: every not_exercised entry needs operation and a reason: {entry}",
                    path.display()
                ));
            }
        }
    }
    Ok(out)
}

fn load_allowlist(path: &Path) -> Result<Vec<Deviation>, String> {
    let text =
        std::fs::read_to_string(path).map_err(|e| format!("reading {}: {e}", path.display()))?;
    let json: Value =
        serde_json::from_str(&text).map_err(|e| format!("{} is not JSON: {e}", path.display()))?;
    let mut out = Vec::new();
    for entry in json["deviations"].as_array().into_iter().flatten() {
        let field = |name: &str| entry[name].as_str().map(str::to_owned);
        let (Some(operation), Some(location), Some(reason)) =
            (field("operation"), field("location"), field("reason"))
        else {
            return Err(format!(
                "{}: every deviation needs operation, location and reason: {entry}",
                path.display()
            ));
        };
        if reason.trim().is_empty() {
            return Err(format!("{}: empty reason in {entry}", path.display()));
        }
        out.push(Deviation {
            document: field("document"),
            operation,
            location,
            message: field("message"),
            reason,
        });
    }
    Ok(out)
}

/// `*` in a pattern segment matches any one segment; `a|b` matches either.
fn location_matches(pattern: &str, location: &str) -> bool {
    let p: Vec<&str> = pattern.split('.').collect();
    let l: Vec<&str> = location.split('.').collect();
    p.len() == l.len()
        && p.iter()
            .zip(&l)
            .all(|(p, l)| *p == "*" || p.split('|').any(|alt| alt == *l))
}

// ---------------------------------------------------------------------------------------------
// The router

#[derive(Clone)]
struct Recorded {
    status: StatusCode,
    headers: HeaderMap,
    body: Bytes,
}

struct Violation {
    severity: String,
    location: String,
    message: String,
}

struct Check {
    document: usize,
    operation: usize,
    status: u16,
    /// What the mock's route table made of the request.
    served: Served,
    violations: Vec<Violation>,
}

#[derive(Default)]
struct Log {
    requests: u64,
    unmatched: Vec<String>,
    failures: Vec<String>,
    checks: Vec<Check>,
}

struct Shared {
    documents: Vec<Document>,
    /// Base URL of each document's Prism.
    prisms: Vec<String>,
    mock: String,
    http: reqwest::Client,
    next: AtomicU64,
    exchanges: Mutex<HashMap<u64, Recorded>>,
    log: Mutex<Log>,
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

fn plain(status: StatusCode, message: String) -> Response {
    let mut response = Response::new(Body::from(message));
    *response.status_mut() = status;
    response
}

fn to_response(recorded: &Recorded) -> Response {
    let mut response = Response::new(Body::from(recorded.body.clone()));
    *response.status_mut() = recorded.status;
    *response.headers_mut() = recorded.headers.clone();
    response
}

/// Hop-by-hop and length headers are the sender's business, not copied.
fn copy_headers(from: &HeaderMap) -> HeaderMap {
    let mut out = HeaderMap::new();
    for (name, value) in from {
        if matches!(
            name.as_str(),
            "host" | "content-length" | "connection" | "transfer-encoding" | "keep-alive"
        ) || name.as_str() == EXCHANGE_HEADER
            || name.as_str() == REPLAY_HEADER
        {
            continue;
        }
        out.append(name.clone(), value.clone());
    }
    out
}

async fn send(
    shared: &Shared,
    method: Method,
    url: String,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Recorded, String> {
    let response = shared
        .http
        .request(method, &url)
        .headers(headers)
        .body(body)
        .send()
        .await
        .map_err(|e| format!("{url}: {e}"))?;
    let status = response.status();
    let headers = copy_headers(response.headers());
    let body = response
        .bytes()
        .await
        .map_err(|e| format!("{url}: reading the body: {e}"))?;
    Ok(Recorded {
        status,
        headers,
        body,
    })
}

fn parse_violations(headers: &HeaderMap) -> Vec<Violation> {
    let Some(raw) = headers.get("sl-violations") else {
        return Vec::new();
    };
    let list: Value = serde_json::from_slice(raw.as_bytes()).unwrap_or(Value::Null);
    let mut out = Vec::new();
    for item in list.as_array().into_iter().flatten() {
        let location = item["location"]
            .as_array()
            .into_iter()
            .flatten()
            .map(|s| match s {
                Value::String(s) if s.parse::<u64>().is_ok() => "*".to_owned(),
                Value::String(s) => s.clone(),
                Value::Number(_) => "*".to_owned(),
                other => other.to_string(),
            })
            .collect::<Vec<_>>()
            .join(".");
        out.push(Violation {
            severity: item["severity"].as_str().unwrap_or("?").to_owned(),
            location,
            message: item["message"].as_str().unwrap_or("").to_owned(),
        });
    }
    out
}

/// What polyai-mock's route table makes of a documented operation's request.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Served {
    /// A row with the operation's method and path template answered it.
    Yes,
    /// No row: the mock's router answered 404 `NOT_FOUND` or 405 `METHOD_NOT_ALLOWED` itself.
    NoRow,
    /// A row of another path template answered it (the operation id named).
    OtherRow(&'static str),
}

/// Decides from the mock's route table, never from the answer, whether `operation` of a
/// PolyAI document reached a row of its own for this method and path.
fn served(operation: &Operation, method: &Method, path: &str) -> Served {
    let Some(route) = polyai_mock::Route::resolve(method, path) else {
        return Served::NoRow;
    };
    // Our templates may name parameters differently: segments agree when both are the same
    // literal or both are parameters.
    let ours: Vec<Option<&str>> = route
        .template()
        .trim_start_matches('/')
        .split('/')
        .map(|s| (!s.starts_with('{')).then_some(s))
        .collect();
    let agrees = ours.len() == operation.segments.len()
        && ours
            .iter()
            .zip(&operation.segments)
            .all(|(a, b)| match (a, b) {
                (Some(a), Some(b)) => a == b,
                (None, None) => true,
                _ => false,
            });
    if agrees {
        Served::Yes
    } else {
        Served::OtherRow(route.operation_id())
    }
}

/// The SDK's requests arrive here.
async fn front(State(shared): State<Arc<Shared>>, request: Request) -> Response {
    let (parts, body) = request.into_parts();
    let body = match axum::body::to_bytes(body, BODY_LIMIT).await {
        Ok(body) => body,
        Err(e) => return plain(StatusCode::BAD_REQUEST, format!("reading the body: {e}")),
    };
    let path_and_query = parts
        .uri
        .path_and_query()
        .map_or("/", |p| p.as_str())
        .to_owned();
    let label = format!("{} {}", parts.method, parts.uri.path());
    let routes = route(&shared.documents, &parts.method, parts.uri.path());
    lock(&shared.log).requests += 1;
    let id = shared.next.fetch_add(1, Ordering::Relaxed);
    let mut headers = copy_headers(&parts.headers);
    headers.insert(
        HeaderName::from_static(EXCHANGE_HEADER),
        id.to_string()
            .parse()
            .expect("digits are a valid header value"),
    );
    if routes.is_empty() {
        // No PolyAI document has this route: an SDK request outside the contract.
        lock(&shared.log).unmatched.push(label);
        let url = format!("{}{path_and_query}", shared.mock);
        return match send(&shared, parts.method, url, headers, body).await {
            Ok(recorded) => to_response(&recorded),
            Err(e) => plain(StatusCode::BAD_GATEWAY, e),
        };
    }
    let mut answer = None;
    for (i, &(document, operation)) in routes.iter().enumerate() {
        let mut headers = headers.clone();
        if i > 0 {
            headers.insert(
                HeaderName::from_static(REPLAY_HEADER),
                "1".parse().expect("a valid header value"),
            );
        }
        let url = format!("{}{path_and_query}", shared.prisms[document]);
        match send(&shared, parts.method.clone(), url, headers, body.clone()).await {
            Ok(recorded) => {
                let check = Check {
                    document,
                    operation,
                    status: recorded.status.as_u16(),
                    served: served(
                        &shared.documents[document].operations[operation],
                        &parts.method,
                        parts.uri.path(),
                    ),
                    violations: parse_violations(&recorded.headers),
                };
                lock(&shared.log).checks.push(check);
                if answer.is_none() {
                    answer = Some(recorded);
                }
            }
            Err(e) => lock(&shared.log).failures.push(format!(
                "{label} through {}: {e}",
                shared.documents[document].name
            )),
        }
    }
    lock(&shared.exchanges).remove(&id);
    match answer {
        Some(mut recorded) => {
            recorded.headers.remove("sl-violations");
            to_response(&recorded)
        }
        None => plain(
            StatusCode::BAD_GATEWAY,
            format!("{label}: no Prism answered"),
        ),
    }
}

/// Every Prism's upstream: forwards to the mock once per exchange and replays the answer.
async fn upstream(State(shared): State<Arc<Shared>>, request: Request) -> Response {
    let (parts, body) = request.into_parts();
    let id = parts
        .headers
        .get(EXCHANGE_HEADER)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    if parts.headers.contains_key(REPLAY_HEADER) {
        let recorded = id.and_then(|id| lock(&shared.exchanges).get(&id).cloned());
        return match recorded {
            Some(recorded) => to_response(&recorded),
            None => plain(
                StatusCode::BAD_GATEWAY,
                "replay of an unknown exchange".into(),
            ),
        };
    }
    let body = match axum::body::to_bytes(body, BODY_LIMIT).await {
        Ok(body) => body,
        Err(e) => return plain(StatusCode::BAD_REQUEST, format!("reading the body: {e}")),
    };
    let path_and_query = parts.uri.path_and_query().map_or("/", |p| p.as_str());
    let url = format!("{}{path_and_query}", shared.mock);
    match send(
        &shared,
        parts.method,
        url,
        copy_headers(&parts.headers),
        body,
    )
    .await
    {
        Ok(recorded) => {
            if let Some(id) = id {
                lock(&shared.exchanges).insert(id, recorded.clone());
            }
            to_response(&recorded)
        }
        Err(e) => plain(StatusCode::BAD_GATEWAY, e),
    }
}

// ---------------------------------------------------------------------------------------------
// Processes

/// A child process killed when dropped.
struct Process {
    child: Child,
}

impl Drop for Process {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn free_port() -> Result<u16, String> {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .map_err(|e| format!("no free port on 127.0.0.1: {e}"))
}

fn start_prism(
    prism: &Path,
    document: &Path,
    upstream: &str,
    port: u16,
    log: &Path,
) -> Result<Process, String> {
    let file = std::fs::File::create(log).map_err(|e| format!("{}: {e}", log.display()))?;
    let err = file
        .try_clone()
        .map_err(|e| format!("{}: {e}", log.display()))?;
    let child = Command::new(prism)
        .arg("proxy")
        .arg(document)
        .arg(upstream)
        .args(["--host", "127.0.0.1", "--port", &port.to_string()])
        .args(["--errors", "false", "--verboseLevel", "warn"])
        .stdin(Stdio::null())
        .stdout(file)
        .stderr(err)
        .spawn()
        .map_err(|e| {
            format!(
                "cannot start {} ({e}): install it with `npm install --prefix DIR @stoplight/prism-cli@5` and pass --prism DIR/node_modules/.bin/prism",
                prism.display()
            )
        })?;
    Ok(Process { child })
}

fn wait_listening(process: &mut Process, port: u16, what: &str, log: &Path) -> Result<(), String> {
    let deadline = Instant::now() + Duration::from_secs(120);
    let addr = SocketAddr::from(([127, 0, 0, 1], port));
    loop {
        if TcpStream::connect_timeout(&addr, Duration::from_millis(200)).is_ok() {
            return Ok(());
        }
        if let Ok(Some(status)) = process.child.try_wait() {
            let tail = std::fs::read_to_string(log).unwrap_or_default();
            return Err(format!(
                "{what} exited ({status}) before listening:\n{tail}"
            ));
        }
        if Instant::now() > deadline {
            return Err(format!(
                "{what} is not listening on port {port} after 120 s"
            ));
        }
        std::thread::sleep(Duration::from_millis(100));
    }
}

fn run_program(
    program: &Path,
    env: &[(&str, String)],
    dir: &Path,
    log: &Path,
) -> Result<(), String> {
    let file = std::fs::File::create(log).map_err(|e| format!("{}: {e}", log.display()))?;
    let err = file
        .try_clone()
        .map_err(|e| format!("{}: {e}", log.display()))?;
    let mut command = Command::new(program);
    command
        .current_dir(dir)
        .stdin(Stdio::null())
        .stdout(file)
        .stderr(err);
    for name in [
        "POLYAI_API_KEY",
        "POLYAI_BASE_URL",
        "POLYAI_AGENTS_BASE_URL",
        "POLYAI_PLATFORM_BASE_URL",
        "POLYAI_WEBHOOK_SECRET",
    ] {
        command.env_remove(name);
    }
    for (name, value) in env {
        command.env(name, value);
    }
    let mut process = Process {
        child: command
            .spawn()
            .map_err(|e| format!("cannot start {}: {e}", program.display()))?,
    };
    let deadline = Instant::now() + PROGRAM_TIMEOUT;
    loop {
        match process.child.try_wait() {
            Ok(Some(status)) if status.success() => return Ok(()),
            Ok(Some(status)) => {
                let output = std::fs::read_to_string(log).unwrap_or_default();
                return Err(format!(
                    "{} failed ({status}):\n{output}",
                    program.display()
                ));
            }
            Ok(None) if Instant::now() > deadline => {
                return Err(format!(
                    "{} still running after {} s (log: {})",
                    program.display(),
                    PROGRAM_TIMEOUT.as_secs(),
                    log.display()
                ));
            }
            Ok(None) => std::thread::sleep(Duration::from_millis(50)),
            Err(e) => return Err(format!("waiting for {}: {e}", program.display())),
        }
    }
}

/// Builds the examples and the tour; returns each program's path by name, as cargo reports it.
fn build(root: &Path) -> Result<HashMap<String, PathBuf>, String> {
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".to_owned());
    eprintln!("building the examples and {TOUR}...");
    let output = Command::new(cargo)
        .current_dir(root)
        .args(["build", "--message-format=json-render-diagnostics"])
        // The whole workspace, as `cargo test --workspace` selects it: the same feature set,
        // so CI reuses the test step's build instead of compiling (and storing) another one.
        .args(["--workspace", "--examples", "--bin", TOUR])
        .stderr(Stdio::inherit())
        .output()
        .map_err(|e| format!("cannot run cargo: {e}"))?;
    if !output.status.success() {
        return Err(format!("cargo build failed ({})", output.status));
    }
    let mut programs = HashMap::new();
    for line in String::from_utf8_lossy(&output.stdout).lines() {
        let Ok(message) = serde_json::from_str::<Value>(line) else {
            continue;
        };
        if let (Some(name), Some(path)) = (
            message["target"]["name"].as_str(),
            message["executable"].as_str(),
        ) {
            programs.insert(name.to_owned(), PathBuf::from(path));
        }
    }
    Ok(programs)
}

// ---------------------------------------------------------------------------------------------
// The run

pub fn run(args: &[String]) -> Result<(), String> {
    let Some(options) = parse(args)? else {
        print!("{USAGE}");
        return Ok(());
    };
    let started = Instant::now();
    let root = workspace_root();
    let documents = load_documents(&options.docs)?;
    let allowlist = load_allowlist(&options.allow)?;
    let not_exercised = load_not_exercised(&options.allow)?;
    let built = build(&root)?;
    let program = |name: &str| {
        built
            .get(name)
            .cloned()
            .ok_or_else(|| format!("cargo built no program named {name}"))
    };
    // A fresh scratch directory every run: the examples skip work whose output already exists
    // (complete recordings, finished checkpoints), so leftovers of an earlier run would let
    // them send fewer requests and the documents would check less.
    let scratch = root.join("target").join("contract");
    if scratch.exists() {
        std::fs::remove_dir_all(&scratch)
            .map_err(|e| format!("clearing {}: {e}", scratch.display()))?;
    }
    std::fs::create_dir_all(&scratch)
        .map_err(|e| format!("creating {}: {e}", scratch.display()))?;

    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .map_err(|e| format!("tokio: {e}"))?;
    let front_listener = runtime
        .block_on(tokio::net::TcpListener::bind("127.0.0.1:0"))
        .map_err(|e| format!("binding the router: {e}"))?;
    let upstream_listener = runtime
        .block_on(tokio::net::TcpListener::bind("127.0.0.1:0"))
        .map_err(|e| format!("binding the router's upstream: {e}"))?;
    let front_addr = front_listener.local_addr().map_err(|e| e.to_string())?;
    let upstream_addr = upstream_listener.local_addr().map_err(|e| e.to_string())?;
    let mock_port = free_port()?;

    // One Prism per document, all started before waiting for any.
    eprintln!("starting {} Prism proxies...", documents.len());
    let prism_started = Instant::now();
    let mut prisms = Vec::new();
    let mut prism_urls = Vec::new();
    for document in &documents {
        let port = free_port()?;
        let log = scratch.join(format!("prism-{}.log", document.name));
        let process = start_prism(
            &options.prism,
            &options.docs.join(&document.name),
            &format!("http://{upstream_addr}"),
            port,
            &log,
        )?;
        prisms.push((process, port, log));
        prism_urls.push(format!("http://127.0.0.1:{port}"));
    }
    for ((process, port, log), document) in prisms.iter_mut().zip(&documents) {
        wait_listening(process, *port, &format!("prism for {}", document.name), log)?;
    }
    eprintln!(
        "Prism ready after {:.1} s",
        prism_started.elapsed().as_secs_f64()
    );

    let shared = Arc::new(Shared {
        documents,
        prisms: prism_urls,
        mock: format!("http://127.0.0.1:{mock_port}"),
        http: reqwest::Client::builder()
            // The mock restarts with every program: never reuse a connection to an old one.
            .pool_max_idle_per_host(0)
            .build()
            .map_err(|e| format!("HTTP client: {e}"))?,
        next: AtomicU64::new(1),
        exchanges: Mutex::new(HashMap::new()),
        log: Mutex::new(Log::default()),
    });
    let front_app = axum::Router::new()
        .fallback(front)
        .with_state(shared.clone());
    let upstream_app = axum::Router::new()
        .fallback(upstream)
        .with_state(shared.clone());
    runtime.spawn(async move {
        let _ = axum::serve(front_listener, front_app).await;
    });
    runtime.spawn(async move {
        let _ = axum::serve(upstream_listener, upstream_app).await;
    });

    let env = [
        ("POLYAI_EXAMPLES_MOCK_PORT", mock_port.to_string()),
        ("POLYAI_EXAMPLES_PROXY_URL", format!("http://{front_addr}")),
    ];
    let mut program_failures = Vec::new();
    let mut programs = Vec::new();
    for name in EXAMPLES {
        programs.push((format!("example {name}"), program(name)?));
    }
    programs.push((TOUR.to_owned(), program(TOUR)?));
    for (label, program) in &programs {
        let before = lock(&shared.log).requests;
        let log = scratch.join(format!("{}.log", label.replace(' ', "-")));
        let result = run_program(program, &env, &scratch, &log);
        let sent = lock(&shared.log).requests - before;
        match result {
            Ok(()) => eprintln!("  {label}: ok, {sent} requests"),
            Err(e) => {
                eprintln!("  {label}: FAILED after {sent} requests");
                program_failures.push(e);
            }
        }
    }
    drop(prisms);
    let log = std::mem::take(&mut *lock(&shared.log));
    runtime.shutdown_timeout(Duration::from_secs(1));
    let verdict = report(&shared.documents, &log, &allowlist, &not_exercised);
    eprintln!(
        "contract step took {:.1} s",
        started.elapsed().as_secs_f64()
    );
    let _ = std::io::stdout().flush();
    let mut problems = program_failures;
    problems.extend(verdict);
    if problems.is_empty() {
        Ok(())
    } else {
        Err(problems.join("\n"))
    }
}

/// Prints the summary; returns the reasons to fail.
fn report(
    documents: &[Document],
    log: &Log,
    allowlist: &[Deviation],
    not_exercised: &[NotExercised],
) -> Vec<String> {
    let mut request_violations = BTreeMap::<String, usize>::new();
    let mut response_violations = BTreeMap::<String, usize>::new();
    let mut unserved_violations = 0usize;
    let mut used = vec![0usize; allowlist.len()];
    let mut exercised = BTreeSet::new();
    let mut answered = BTreeSet::new();
    // Documented operations whose request the mock's table did not hand to their own row.
    let mut unanswered = BTreeMap::<String, String>::new();
    let mut per_document = vec![(0usize, 0usize, 0usize); documents.len()];
    for check in &log.checks {
        let document = &documents[check.document];
        let operation = document.operations[check.operation].label();
        exercised.insert(operation.clone());
        let real = check.served == Served::Yes;
        match &check.served {
            Served::Yes => {
                answered.insert(operation.clone());
            }
            Served::NoRow => {
                unanswered.insert(
                    format!("{} {operation}", document.name),
                    "no row of the mock's route table (its router answered 404/405)".to_owned(),
                );
            }
            Served::OtherRow(id) => {
                unanswered.insert(
                    format!("{} {operation}", document.name),
                    format!("the mock's table routed it to `{id}`, a row of another path"),
                );
            }
        }
        let counts = &mut per_document[check.document];
        counts.0 += 1;
        counts.1 += usize::from(real);
        for v in &check.violations {
            counts.2 += 1;
            let key = format!(
                "{} {operation} [{}] {} ({}): {}",
                document.name, check.status, v.location, v.severity, v.message
            );
            let allow = allowlist.iter().position(|d| {
                d.document.as_ref().is_none_or(|n| *n == document.name)
                    && d.operation == operation
                    && location_matches(&d.location, &v.location)
                    && d.message
                        .as_ref()
                        .is_none_or(|m| v.message.contains(m.as_str()))
            });
            if let Some(i) = allow {
                used[i] += 1;
            } else if v.location.starts_with("request") {
                *request_violations.entry(key).or_default() += 1;
            } else if !real {
                unserved_violations += 1;
            } else {
                *response_violations.entry(key).or_default() += 1;
            }
        }
    }
    let documented: BTreeSet<String> = documents
        .iter()
        .flat_map(|d| d.operations.iter().map(Operation::label))
        .collect();
    let total = |m: &BTreeMap<String, usize>| m.values().sum::<usize>();
    let (excused, unexercised): (Vec<&String>, Vec<&String>) = documented
        .difference(&exercised)
        .partition(|label| not_exercised.iter().any(|n| n.operation == **label));

    println!("\nContract check against PolyAI's published documents (Stoplight Prism, proxy mode)");
    println!(
        "{:<24} {:>11} {:>14} {:>11}",
        "document", "validations", "real answers", "violations"
    );
    for (document, (checks, real, violations)) in documents.iter().zip(&per_document) {
        println!(
            "{:<24} {:>11} {:>14} {:>11}",
            document.name, checks, real, violations
        );
    }
    println!(
        "\nrequests checked: {} ({} validations against {} documents)",
        log.requests,
        log.checks.len(),
        documents.len()
    );
    println!(
        "operations exercised: {} of {} documented (method + path); {} got a real answer from the mock (decided from its route table)",
        exercised.len(),
        documented.len(),
        answered.len()
    );
    for label in &unexercised {
        println!("  not exercised: {label}");
    }
    for entry in not_exercised {
        if excused.contains(&&entry.operation) {
            println!(
                "  not exercised (allow-listed): {}\n      why: {}",
                entry.operation, entry.reason
            );
        } else {
            println!(
                "note: not_exercised entry that was exercised or is not documented: {}",
                entry.operation
            );
        }
    }
    for (label, why) in &unanswered {
        println!("  no real answer: {label}: {why}");
    }
    println!(
        "request violations: {}",
        total(&request_violations) + log.unmatched.len()
    );
    for (key, n) in &request_violations {
        println!("  {n}x {key}");
    }
    for label in &log.unmatched {
        println!("  {label}: no PolyAI document has this route");
    }
    println!(
        "response violations: {} (mock's, on served routes)",
        total(&response_violations)
    );
    for (key, n) in &response_violations {
        println!("  {n}x {key}");
    }
    println!(
        "known deviations (allow-listed in xtask/contract-allowlist.json): {}",
        used.iter().sum::<usize>()
    );
    for (deviation, used) in allowlist.iter().zip(&used) {
        if *used > 0 {
            println!(
                "  {used}x {} {}\n      why: {}",
                deviation.operation, deviation.location, deviation.reason
            );
        }
    }
    println!(
        "response violations on exchanges without a real answer (those exchanges fail the run): {unserved_violations}"
    );
    for (deviation, used) in allowlist.iter().zip(&used) {
        if *used == 0 {
            println!(
                "note: allow-list entry not seen this run: {} {}",
                deviation.operation, deviation.location
            );
        }
    }

    let mut problems = Vec::new();
    if !request_violations.is_empty() || !log.unmatched.is_empty() {
        problems.push(format!(
            "{} request violation(s): the SDK sent requests PolyAI's documents reject",
            total(&request_violations) + log.unmatched.len()
        ));
    }
    if !unanswered.is_empty() {
        problems.push(format!(
            "{} documented operation(s) got no real answer from the mock: {}",
            unanswered.len(),
            unanswered.keys().cloned().collect::<Vec<_>>().join(", ")
        ));
    }
    if !unexercised.is_empty() {
        problems.push(format!(
            "{} documented operation(s) were not exercised (add them to the contract tour): {}",
            unexercised.len(),
            unexercised
                .iter()
                .map(|s| s.as_str())
                .collect::<Vec<_>>()
                .join(", ")
        ));
    }
    if !response_violations.is_empty() {
        problems.push(format!(
            "{} response violation(s) from the mock on routes it serves: fix the mock, or allow-list a documented real-server deviation in xtask/contract-allowlist.json",
            total(&response_violations)
        ));
    }
    for failure in &log.failures {
        problems.push(format!("router: {failure}"));
    }
    problems
}

#[cfg(test)]
mod tests {
    use super::*;

    fn operation(method: Method, template: &str) -> Operation {
        Operation {
            method,
            template: template.to_owned(),
            segments: template
                .trim_start_matches('/')
                .split('/')
                .map(|s| (!s.starts_with('{')).then(|| s.to_owned()))
                .collect(),
        }
    }

    #[test]
    fn served_is_decided_from_the_route_table() {
        let get_connector = operation(
            Method::GET,
            "/v1/agents/{id}/telephony/connectors/{connector}",
        );
        // A handler's 404 (unknown id) still comes from the operation's own row.
        assert_eq!(
            served(
                &get_connector,
                &Method::GET,
                "/v1/agents/A/telephony/connectors/no-such"
            ),
            Served::Yes
        );
        assert_eq!(
            served(
                &get_connector,
                &Method::GET,
                "/v1/agents/A/telephony/connectors/lookup"
            ),
            Served::Yes
        );
        // A documented operation the table has no row for: the router's own 405 / 404.
        let put = operation(
            Method::PUT,
            "/v1/agents/{id}/telephony/connectors/{connector}",
        );
        assert_eq!(
            served(&put, &Method::PUT, "/v1/agents/A/telephony/connectors/C1"),
            Served::NoRow
        );
        let unknown = operation(Method::GET, "/v1/agents/{id}/nothing-here");
        assert_eq!(
            served(&unknown, &Method::GET, "/v1/agents/A/nothing-here"),
            Served::NoRow
        );
        // A documented literal the table only has as a parameter is another row's answer.
        let literal = operation(Method::GET, "/v1/agents/{id}/telephony/connectors/lookup");
        assert_eq!(
            served(
                &literal,
                &Method::GET,
                "/v1/agents/A/telephony/connectors/lookup"
            ),
            Served::OtherRow("get_connector")
        );
    }
}
