//! `polyai chat test SCENARIOS.yaml`: scripted debug-chat scenarios with expectations on each
//! reply, run concurrently and repeated, since agents are not deterministic.
//!
//! The file format is documented in `polyai-cli/examples/scenarios.yaml` (and `polyai chat test
//! --help`). Every scenario run is one debug-chat session on the SDK; a run passes when every
//! expectation of every turn holds; a scenario passes when the share of its runs that passed
//! reaches its threshold. The summary goes to standard output, `--junit` and `--json` write
//! files for CI, and the exit status is 1 when a scenario failed. A run that PolyAI could not
//! carry out (401/403, 5xx, rate limited, unreachable) is an error, not a failure of the agent:
//! it is reported as such (JUnit `<error>`, JSON `error`) and the exit status is its own (4 or 6).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

use clap::Args;
use futures::StreamExt;
use polyai_sdk::debug_chat::DebugChatReply;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::chat::{SessionArgs, attribute, env_name, environment};
use crate::cli::Env;
use crate::config::Settings;
use crate::error::{CliError, CliResult, exit};
use crate::locate;

/// `polyai chat test`
#[derive(Debug, Args)]
#[command(after_help = "\
The file lists scenarios; each has turns (a user line and expectations on the reply):

  defaults: { repeat: 3, threshold: 0.8, env: sandbox }
  scenarios:
    - name: booking
      turns:
        - user: I'd like to book a table
          expect:
            contains: book                 # case-insensitive; a list means all of them
            regex: '(?i)which day'
            not: sorry                     # must not contain
            function: { name: check_availability, arguments: { request: I'd like to book a table } }
            metadata: { currentNode: booking, state.turn_count: 1 }
        - user: bye
          expect: { ended: true }

Other expectations: handoff (true, false or a destination), ended (true or false). A greeting
block holds expectations on the agent's first reply. See polyai-cli/examples/scenarios.yaml.

Examples:
  polyai chat test scenarios.yaml
  polyai chat test scenarios.yaml --repeat 10 --threshold 0.9 --concurrency 200
  polyai chat test scenarios.yaml --junit reports/chat.xml --json reports/chat.json")]
pub struct TestArgs {
    /// The scenario file (YAML).
    pub file: PathBuf,
    /// Run each scenario this many times (overrides the file's repeat values).
    #[arg(long, value_name = "K")]
    pub repeat: Option<u32>,
    /// The share of runs (0 to 1) a scenario needs to pass (overrides the file's thresholds).
    #[arg(long, value_name = "RATE")]
    pub threshold: Option<f64>,
    /// How many scenario runs talk to PolyAI at once.
    #[arg(long, value_name = "N", default_value_t = 50)]
    pub concurrency: usize,
    /// Write a JUnit XML report (one test case per scenario) to this file.
    #[arg(long, value_name = "FILE")]
    pub junit: Option<PathBuf>,
    /// Write a JSON report (every scenario, run and failure, with latencies) to this file.
    #[arg(long, value_name = "FILE")]
    pub json: Option<PathBuf>,
    /// Only the scenarios whose name contains this text.
    #[arg(long, value_name = "TEXT")]
    pub only: Option<String>,
    /// Session settings for every scenario that does not set its own.
    #[command(flatten)]
    pub session: SessionArgs,
}

// ---------------------------------------------------------------- the file format

/// One value or a list of them.
#[derive(Debug, Clone, Deserialize)]
#[serde(untagged)]
enum OneOrMany<T> {
    One(T),
    Many(Vec<T>),
}

impl<T> Default for OneOrMany<T> {
    fn default() -> Self {
        OneOrMany::Many(Vec::new())
    }
}

impl<T> OneOrMany<T> {
    fn into_vec(self) -> Vec<T> {
        match self {
            OneOrMany::One(one) => vec![one],
            OneOrMany::Many(many) => many,
        }
    }
}

#[derive(Debug, Clone, Copy, Deserialize)]
#[serde(rename_all = "kebab-case")]
enum EnvName {
    Sandbox,
    PreRelease,
    Live,
}

impl From<EnvName> for Env {
    fn from(env: EnvName) -> Env {
        match env {
            EnvName::Sandbox => Env::Sandbox,
            EnvName::PreRelease => Env::PreRelease,
            EnvName::Live => Env::Live,
        }
    }
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct FileDefaults {
    repeat: Option<u32>,
    threshold: Option<f64>,
    env: Option<EnvName>,
    variant_id: Option<String>,
    channel: Option<String>,
    asr_lang: Option<String>,
    tts_lang: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct ScenarioFile {
    #[serde(default)]
    defaults: FileDefaults,
    scenarios: Vec<ScenarioDef>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct ScenarioDef {
    name: String,
    repeat: Option<u32>,
    threshold: Option<f64>,
    env: Option<EnvName>,
    variant_id: Option<String>,
    channel: Option<String>,
    asr_lang: Option<String>,
    tts_lang: Option<String>,
    #[serde(default)]
    attributes: serde_json::Map<String, Value>,
    greeting: Option<ExpectDef>,
    turns: Vec<TurnDef>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct TurnDef {
    user: String,
    #[serde(default)]
    metadata: serde_json::Map<String, Value>,
    #[serde(default)]
    expect: ExpectDef,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct ExpectDef {
    #[serde(default)]
    contains: OneOrMany<String>,
    #[serde(default)]
    regex: OneOrMany<String>,
    #[serde(default)]
    not: OneOrMany<String>,
    ended: Option<bool>,
    handoff: Option<HandoffDef>,
    #[serde(default)]
    function: OneOrMany<FunctionDef>,
    #[serde(default)]
    metadata: BTreeMap<String, Value>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(untagged)]
enum HandoffDef {
    Any(bool),
    To(String),
}

#[derive(Debug, Clone, Deserialize)]
#[serde(untagged)]
enum FunctionDef {
    Name(String),
    Call {
        name: String,
        #[serde(default)]
        arguments: Option<Value>,
    },
}

// ---------------------------------------------------------------- the checked plan

/// A scenario ready to run: its settings and the compiled expectations.
#[derive(Debug)]
struct Scenario {
    name: String,
    repeat: u32,
    threshold: f64,
    session: SessionArgs,
    attributes: serde_json::Map<String, Value>,
    greeting: Expect,
    turns: Vec<Turn>,
}

#[derive(Debug)]
struct Turn {
    user: String,
    metadata: serde_json::Map<String, Value>,
    expect: Expect,
}

#[derive(Debug, Default)]
struct Expect {
    contains: Vec<String>,
    regex: Vec<regex::Regex>,
    not: Vec<String>,
    ended: Option<bool>,
    handoff: Option<HandoffDef>,
    functions: Vec<(String, Option<Value>)>,
    metadata: Vec<(String, Value)>,
}

/// A scenario file error: `FILE:LINE:COLUMN: message`, exit code 2.
fn file_error(file: &Path, at: Option<locate::Position>, message: impl AsRef<str>) -> CliError {
    let place = match at {
        Some(at) => format!("{}:{at}", file.display()),
        None => file.display().to_string(),
    };
    CliError::usage(format!("{place}: {}", message.as_ref()))
        .hint("fix the scenario file (the format is in polyai chat test --help)")
}

fn compile_expect(file: &Path, text: &str, path: &str, def: ExpectDef) -> CliResult<Expect> {
    let mut regexes = Vec::new();
    let patterns = def.regex.into_vec();
    let many = patterns.len() > 1;
    for (i, pattern) in patterns.into_iter().enumerate() {
        let field = if many {
            format!("{path}.regex[{i}]")
        } else {
            format!("{path}.regex")
        };
        let compiled = regex::Regex::new(&pattern).map_err(|e| {
            let first = e.to_string().lines().last().unwrap_or_default().to_string();
            file_error(
                file,
                locate::locate(text, &field),
                format!(
                    "{field}: invalid regular expression {pattern:?}: {}",
                    first.trim()
                ),
            )
        })?;
        regexes.push(compiled);
    }
    let functions = def
        .function
        .into_vec()
        .into_iter()
        .map(|f| match f {
            FunctionDef::Name(name) => (name, None),
            FunctionDef::Call { name, arguments } => (name, arguments),
        })
        .collect();
    Ok(Expect {
        contains: def.contains.into_vec(),
        regex: regexes,
        not: def.not.into_vec(),
        ended: def.ended,
        handoff: def.handoff,
        functions,
        metadata: def.metadata.into_iter().collect(),
    })
}

/// Reads and checks the scenario file; every problem names its file, line and column.
fn load(file: &Path, args: &TestArgs) -> CliResult<Vec<Scenario>> {
    let text = std::fs::read_to_string(file).map_err(|e| {
        CliError::usage(format!("cannot read {}: {e}", file.display()))
            .hint("give the path of a scenario file")
    })?;
    let parsed: ScenarioFile = serde_yaml::from_str(&text)
        .map_err(|e| file_error(file, locate::of_error(&e), locate::message_of(&e)))?;
    if parsed.scenarios.is_empty() {
        return Err(file_error(
            file,
            locate::locate(&text, "scenarios"),
            "scenarios: the list is empty",
        ));
    }
    let defaults = parsed.defaults;
    let mut names = std::collections::HashSet::new();
    let mut out = Vec::new();
    for (i, def) in parsed.scenarios.into_iter().enumerate() {
        let at = |field: &str| locate::locate(&text, &format!("scenarios[{i}].{field}"));
        if !names.insert(def.name.clone()) {
            return Err(file_error(
                file,
                at("name"),
                format!(
                    "scenarios[{i}].name: another scenario is named {:?}",
                    def.name
                ),
            ));
        }
        if def.turns.is_empty() {
            return Err(file_error(
                file,
                at("turns"),
                format!("scenarios[{i}].turns: a scenario needs at least one turn"),
            ));
        }
        let repeat = args.repeat.or(def.repeat).or(defaults.repeat).unwrap_or(1);
        if repeat == 0 {
            return Err(file_error(
                file,
                at("repeat"),
                format!("scenarios[{i}].repeat: must be at least 1"),
            ));
        }
        let threshold = args
            .threshold
            .or(def.threshold)
            .or(defaults.threshold)
            .unwrap_or(1.0);
        if !(0.0..=1.0).contains(&threshold) {
            let message = format!("threshold {threshold} is not between 0 and 1");
            return Err(if args.threshold.is_some() {
                CliError::usage(format!("--threshold: {message}"))
            } else {
                let field = if def.threshold.is_some() {
                    format!("scenarios[{i}].threshold")
                } else {
                    "defaults.threshold".to_string()
                };
                file_error(
                    file,
                    locate::locate(&text, &field),
                    format!("{field}: {message}"),
                )
            });
        }
        let pick = |own: Option<String>, default: Option<String>, flag: &Option<String>| {
            own.or(default).or_else(|| flag.clone())
        };
        let session = SessionArgs {
            environment: def
                .env
                .or(defaults.env)
                .map(Env::from)
                .unwrap_or(args.session.environment),
            variant_id: pick(
                def.variant_id,
                defaults.variant_id.clone(),
                &args.session.variant_id,
            ),
            channel: pick(def.channel, defaults.channel.clone(), &args.session.channel),
            asr_lang: pick(
                def.asr_lang,
                defaults.asr_lang.clone(),
                &args.session.asr_lang,
            ),
            tts_lang: pick(
                def.tts_lang,
                defaults.tts_lang.clone(),
                &args.session.tts_lang,
            ),
            attributes: Vec::new(),
        };
        let mut attributes = serde_json::Map::new();
        for text in &args.session.attributes {
            let (name, value) = attribute(text)?;
            attributes.insert(name, value);
        }
        attributes.extend(def.attributes);
        let greeting = match def.greeting {
            Some(g) => compile_expect(file, &text, &format!("scenarios[{i}].greeting"), g)?,
            None => Expect::default(),
        };
        let mut turns = Vec::new();
        for (j, turn) in def.turns.into_iter().enumerate() {
            turns.push(Turn {
                user: turn.user,
                metadata: turn.metadata,
                expect: compile_expect(
                    file,
                    &text,
                    &format!("scenarios[{i}].turns[{j}].expect"),
                    turn.expect,
                )?,
            });
        }
        if args
            .only
            .as_ref()
            .is_some_and(|only| !def.name.contains(only.as_str()))
        {
            continue;
        }
        out.push(Scenario {
            name: def.name,
            repeat,
            threshold,
            session,
            attributes,
            greeting,
            turns,
        });
    }
    if out.is_empty() {
        return Err(CliError::usage("no scenario matches --only")
            .hint("--only keeps the scenarios whose name contains the text"));
    }
    Ok(out)
}

// ---------------------------------------------------------------- checking a reply

/// Whether `actual` holds `expected`: objects may have more keys, numbers compare by value.
fn value_matches(expected: &Value, actual: &Value) -> bool {
    match (expected, actual) {
        (Value::Object(want), Value::Object(got)) => want
            .iter()
            .all(|(k, v)| got.get(k).is_some_and(|g| value_matches(v, g))),
        (Value::Array(want), Value::Array(got)) => {
            want.len() == got.len() && want.iter().zip(got).all(|(w, g)| value_matches(w, g))
        }
        (Value::Number(want), Value::Number(got)) => want.as_f64() == got.as_f64(),
        _ => expected == actual,
    }
}

/// The value at a dotted path (`state.turn_count`, `nodeTrace.0`).
fn at_path<'a>(value: &'a Value, path: &str) -> Option<&'a Value> {
    path.split('.')
        .try_fold(value, |current, step| match current {
            Value::Object(map) => map.get(step),
            Value::Array(items) => step.parse::<usize>().ok().and_then(|i| items.get(i)),
            _ => None,
        })
}

fn short(text: &str) -> String {
    let mut out: String = text.chars().take(160).collect();
    if text.chars().count() > 160 {
        out.push('…');
    }
    out
}

/// Every expectation of `expect` that `reply` breaks, in words.
fn check(expect: &Expect, reply: &DebugChatReply) -> Vec<String> {
    let text = reply.response.as_deref().unwrap_or("");
    let lower = text.to_lowercase();
    let metadata = reply
        .metadata
        .as_ref()
        .and_then(|m| serde_json::to_value(m).ok())
        .unwrap_or(Value::Null);
    let mut broken = Vec::new();
    for want in &expect.contains {
        if !lower.contains(&want.to_lowercase()) {
            broken.push(format!("the reply does not contain {want:?}"));
        }
    }
    for re in &expect.regex {
        if !re.is_match(text) {
            broken.push(format!("the reply does not match /{}/", re.as_str()));
        }
    }
    for unwanted in &expect.not {
        if lower.contains(&unwanted.to_lowercase()) {
            broken.push(format!("the reply contains {unwanted:?}"));
        }
    }
    let ended = reply.conversation_ended == Some(true);
    if let Some(want) = expect.ended
        && want != ended
    {
        broken.push(if want {
            "the conversation did not end".to_string()
        } else {
            "the agent ended the conversation".to_string()
        });
    }
    let handoff = reply
        .metadata
        .as_ref()
        .and_then(|m| m.handoff_destination.as_deref())
        .filter(|d| !d.is_empty());
    match (&expect.handoff, handoff) {
        (None, _)
        | (Some(HandoffDef::Any(true)), Some(_))
        | (Some(HandoffDef::Any(false)), None) => {}
        (Some(HandoffDef::Any(true)), None) => broken.push("no handoff".to_string()),
        (Some(HandoffDef::Any(false)), Some(to)) => broken.push(format!("a handoff to {to:?}")),
        (Some(HandoffDef::To(want)), got) if got != Some(want.as_str()) => broken.push(format!(
            "no handoff to {want:?} (handoff: {})",
            got.map_or("none".to_string(), |g| format!("{g:?}"))
        )),
        (Some(HandoffDef::To(_)), _) => {}
    }
    let events: &[Value] = reply
        .metadata
        .as_ref()
        .and_then(|m| m.function_events.as_deref())
        .unwrap_or(&[]);
    for (name, arguments) in &expect.functions {
        let called: Vec<&Value> = events
            .iter()
            .filter(|e| e.get("name").and_then(Value::as_str) == Some(name.as_str()))
            .collect();
        if called.is_empty() {
            let names: Vec<&str> = events
                .iter()
                .filter_map(|e| e.get("name").and_then(Value::as_str))
                .collect();
            broken.push(format!(
                "function {name} was not called (called: {})",
                if names.is_empty() {
                    "none".to_string()
                } else {
                    names.join(", ")
                }
            ));
        } else if let Some(want) = arguments
            && !called.iter().any(|e| {
                e.get("arguments")
                    .is_some_and(|got| value_matches(want, got))
            })
        {
            let got: Vec<String> = called
                .iter()
                .map(|e| {
                    e.get("arguments")
                        .map_or("none".to_string(), Value::to_string)
                })
                .collect();
            broken.push(format!(
                "function {name} was called with {} , not {want}",
                got.join(" and ")
            ));
        }
    }
    for (path, want) in &expect.metadata {
        match at_path(&metadata, path) {
            Some(got) if value_matches(want, got) => {}
            Some(got) => broken.push(format!("metadata {path} is {got}, not {want}")),
            None => broken.push(format!("metadata has no {path}")),
        }
    }
    broken
}

// ---------------------------------------------------------------- running

/// Why a run failed.
#[derive(Debug, Clone, Serialize)]
struct RunFailure {
    /// 0 for the greeting, then 1, 2, ... for the turns.
    turn: usize,
    /// The user line of the turn (empty for the greeting).
    user: String,
    /// What was wrong.
    message: String,
    /// The agent's reply, when there was one.
    #[serde(skip_serializing_if = "Option::is_none")]
    reply: Option<String>,
}

/// Why a run could not be judged: PolyAI refused the key, failed on its side or could not be
/// reached. That says nothing about the agent, so it is reported as an error, not a failure.
#[derive(Debug, Clone, Serialize)]
struct RunError {
    /// 0 for the greeting (starting the session), then 1, 2, ... for the turns.
    turn: usize,
    /// What went wrong.
    message: String,
    /// The exit code of this error alone (see `polyai --help`).
    exit_code: u8,
    /// What to do about it.
    #[serde(skip)]
    hint: Option<String>,
}

impl RunError {
    /// The error when `error` is the infrastructure's (exit codes 4 and 6); otherwise (PolyAI
    /// refused what the scenario sent) the message of a failed run.
    fn of(turn: usize, what: &str, error: polyai_sdk::Error) -> Result<RunError, String> {
        let text = format!("{what}: {error}");
        let cli = CliError::from(error);
        if matches!(cli.code, exit::AUTH | exit::UNAVAILABLE) {
            Ok(RunError {
                turn,
                message: text,
                exit_code: cli.code,
                hint: cli.hint,
            })
        } else {
            Err(text)
        }
    }
}

#[derive(Debug, Clone, Serialize)]
struct RunResult {
    run: u32,
    passed: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    conversation_id: Option<String>,
    /// Milliseconds per turn (greeting first).
    latencies_ms: Vec<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    failure: Option<RunFailure>,
    #[serde(skip_serializing_if = "Option::is_none")]
    error: Option<RunError>,
}

async fn run_once(
    client: polyai_sdk::Client,
    agent: Arc<str>,
    scenario: Arc<Scenario>,
    run: u32,
) -> RunResult {
    let mut result = RunResult {
        run,
        passed: false,
        conversation_id: None,
        latencies_ms: Vec::new(),
        failure: None,
        error: None,
    };
    let fail =
        |turn: usize, user: &str, message: String, reply: Option<&DebugChatReply>| RunFailure {
            turn,
            user: user.to_string(),
            message,
            reply: reply.and_then(|r| r.response.clone()),
        };
    let s = &scenario.session;
    let mut options = client.debug_chat_session(agent.as_ref(), environment(s.environment));
    if let Some(v) = &s.variant_id {
        options = options.variant_id(v);
    }
    if let Some(v) = &s.channel {
        options = options.channel(v);
    }
    if let Some(v) = &s.asr_lang {
        options = options.asr_language(v);
    }
    if let Some(v) = &s.tts_lang {
        options = options.tts_language(v);
    }
    for (name, value) in &scenario.attributes {
        options = options.integration_attribute(name, value.clone());
    }
    let started = Instant::now();
    let mut session = match options.start().await {
        Ok(session) => session,
        Err(e) => {
            match RunError::of(0, "starting the session failed", e) {
                Ok(error) => result.error = Some(error),
                Err(message) => result.failure = Some(fail(0, "", message, None)),
            }
            return result;
        }
    };
    result.latencies_ms.push(millis(started.elapsed()));
    result.conversation_id = Some(session.conversation_id().to_string());
    let broken = check(&scenario.greeting, session.greeting());
    if !broken.is_empty() {
        result.failure = Some(fail(0, "", broken.join("; "), Some(session.greeting())));
        return result;
    }
    for (i, turn) in scenario.turns.iter().enumerate() {
        if session.is_ended() {
            result.failure = Some(fail(
                i + 1,
                &turn.user,
                "the agent had already ended the conversation".to_string(),
                None,
            ));
            return result;
        }
        let started = Instant::now();
        let reply = match session
            .send_with_metadata(turn.user.as_str(), turn.metadata.clone())
            .await
        {
            Ok(reply) => reply,
            Err(e) => {
                match RunError::of(i + 1, "the request failed", e) {
                    Ok(error) => result.error = Some(error),
                    Err(message) => result.failure = Some(fail(i + 1, &turn.user, message, None)),
                }
                return result;
            }
        };
        result.latencies_ms.push(millis(started.elapsed()));
        let broken = check(&turn.expect, &reply);
        if !broken.is_empty() {
            result.failure = Some(fail(i + 1, &turn.user, broken.join("; "), Some(&reply)));
            return result;
        }
    }
    result.passed = true;
    result
}

fn millis(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

/// The p-th percentile (0..=100) of sorted values, nearest rank.
fn percentile(sorted: &[f64], p: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    let rank = ((p / 100.0) * sorted.len() as f64).ceil() as usize;
    sorted[rank.clamp(1, sorted.len()) - 1]
}

#[derive(Debug, Serialize)]
struct Latency {
    p50_ms: f64,
    p99_ms: f64,
    max_ms: f64,
}

impl Latency {
    fn of(mut values: Vec<f64>) -> Latency {
        values.sort_by(f64::total_cmp);
        Latency {
            p50_ms: round(percentile(&values, 50.0)),
            p99_ms: round(percentile(&values, 99.0)),
            max_ms: round(values.last().copied().unwrap_or(0.0)),
        }
    }
}

fn round(v: f64) -> f64 {
    (v * 10.0).round() / 10.0
}

#[derive(Debug, Serialize)]
struct ScenarioReport {
    name: String,
    env: &'static str,
    runs: u32,
    passed_runs: u32,
    pass_rate: f64,
    threshold: f64,
    passed: bool,
    /// Runs that ended on an infrastructure error (see [`RunError`]).
    errored_runs: u32,
    turn_latency: Latency,
    results: Vec<RunResult>,
}

#[derive(Debug, Serialize)]
struct Report {
    file: String,
    scenarios: usize,
    passed: usize,
    failed: usize,
    /// Scenarios with at least one run that ended on an infrastructure error.
    errored: usize,
    runs: usize,
    turns: usize,
    wall_time_ms: f64,
    turn_latency: Latency,
    results: Vec<ScenarioReport>,
}

/// Runs the file's scenarios and reports.
pub async fn run(settings: &Settings, args: &TestArgs) -> CliResult {
    let scenarios = load(&args.file, args)?;
    if args.concurrency == 0 {
        return Err(CliError::usage("--concurrency must be at least 1"));
    }
    let client = settings.client()?;
    let agent: Arc<str> = Arc::from(settings.agent()?);
    let scenarios: Vec<Arc<Scenario>> = scenarios.into_iter().map(Arc::new).collect();
    let jobs: Vec<(usize, u32)> = scenarios
        .iter()
        .enumerate()
        .flat_map(|(i, s)| (1..=s.repeat).map(move |r| (i, r)))
        .collect();
    let started = Instant::now();
    let outcomes: Vec<(usize, RunResult)> = futures::stream::iter(jobs)
        .map(|(i, r)| {
            let (client, agent, scenario) = (client.clone(), agent.clone(), scenarios[i].clone());
            // Each run is its own task, so that 1,000 runs use every core.
            async move {
                let handle = tokio::spawn(run_once(client, agent, scenario, r));
                let result = handle.await.unwrap_or_else(|e| RunResult {
                    run: r,
                    passed: false,
                    conversation_id: None,
                    latencies_ms: Vec::new(),
                    failure: None,
                    error: Some(RunError {
                        turn: 0,
                        message: format!("the run did not complete: {e}"),
                        exit_code: exit::FAILURE,
                        hint: None,
                    }),
                });
                (i, result)
            }
        })
        .buffer_unordered(args.concurrency)
        .collect()
        .await;
    let wall = started.elapsed();

    let mut per: Vec<Vec<RunResult>> = vec![Vec::new(); scenarios.len()];
    for (i, result) in outcomes {
        per[i].push(result);
    }
    let mut all_latencies = Vec::new();
    let mut results = Vec::new();
    for (scenario, mut runs) in scenarios.iter().zip(per) {
        runs.sort_by_key(|r| r.run);
        let passed_runs = runs.iter().filter(|r| r.passed).count() as u32;
        let pass_rate = f64::from(passed_runs) / f64::from(scenario.repeat);
        let latencies: Vec<f64> = runs.iter().flat_map(|r| r.latencies_ms.clone()).collect();
        all_latencies.extend(latencies.iter().copied());
        results.push(ScenarioReport {
            name: scenario.name.clone(),
            env: env_name(scenario.session.environment),
            runs: scenario.repeat,
            passed_runs,
            pass_rate,
            threshold: scenario.threshold,
            // A tiny tolerance, so that 0.7 of 10 runs passes a 0.7 threshold.
            passed: pass_rate + 1e-9 >= scenario.threshold,
            errored_runs: runs.iter().filter(|r| r.error.is_some()).count() as u32,
            turn_latency: Latency::of(latencies),
            results: runs,
        });
    }
    let passed = results.iter().filter(|s| s.passed).count();
    let errored = results.iter().filter(|s| s.errored_runs > 0).count();
    let report = Report {
        file: args.file.display().to_string(),
        scenarios: results.len(),
        passed,
        failed: results.len() - passed,
        errored,
        runs: results.iter().map(|s| s.runs as usize).sum(),
        turns: all_latencies.len(),
        wall_time_ms: round(millis(wall)),
        turn_latency: Latency::of(all_latencies),
        results,
    };
    print_summary(&report);
    if let Some(path) = &args.junit {
        write_file(path, junit(&report).as_bytes())?;
    }
    if let Some(path) = &args.json {
        let text = serde_json::to_vec_pretty(&report)
            .map_err(|e| CliError::failure(format!("cannot encode the JSON report: {e}")))?;
        write_file(path, &text)?;
    }
    // An infrastructure error says nothing about the agent: it wins over the pass rates, with
    // its own exit code (the first refusal of the key, else the first unavailability).
    let errors: Vec<&RunError> = report
        .results
        .iter()
        .flat_map(|s| s.results.iter().filter_map(|r| r.error.as_ref()))
        .collect();
    if let Some(first) = errors
        .iter()
        .find(|e| e.exit_code == exit::AUTH)
        .or_else(|| errors.first())
    {
        return Err(CliError {
            message: format!(
                "{} run(s) could not be judged (an error, not the agent): {}",
                errors.len(),
                first.message
            ),
            hint: first.hint.clone().or_else(|| {
                Some("the summary above lists every error; run again later".to_string())
            }),
            code: first.exit_code,
        });
    }
    if report.failed > 0 {
        return Err(CliError {
            message: format!(
                "{} of {} scenario(s) below their pass threshold",
                report.failed, report.scenarios
            ),
            hint: Some("the summary above says which turn failed and why".to_string()),
            code: exit::FAILURE,
        });
    }
    Ok(())
}

fn write_file(path: &Path, bytes: &[u8]) -> CliResult {
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir)
            .map_err(|e| CliError::io(format!("cannot create {}", dir.display()), e))?;
    }
    std::fs::write(path, bytes)
        .map_err(|e| CliError::io(format!("cannot write {}", path.display()), e))
}

fn print_summary(report: &Report) {
    for s in &report.results {
        println!(
            "{}  {}  {}/{} runs passed ({:.0}%, needs {:.0}%)  turn p50 {} ms, p99 {} ms",
            if s.errored_runs > 0 {
                "ERROR"
            } else if s.passed {
                "PASS"
            } else {
                "FAIL"
            },
            s.name,
            s.passed_runs,
            s.runs,
            s.pass_rate * 100.0,
            s.threshold * 100.0,
            s.turn_latency.p50_ms,
            s.turn_latency.p99_ms,
        );
        // The distinct reasons, each with the first run that showed it.
        let mut seen = std::collections::BTreeSet::new();
        for r in &s.results {
            if let Some(f) = &r.failure
                && seen.insert((f.turn, f.message.clone()))
            {
                let turn = if f.turn == 0 {
                    "greeting".to_string()
                } else {
                    format!("turn {} ({:?})", f.turn, short(&f.user))
                };
                println!("      run {}, {turn}: {}", r.run, f.message);
                if let Some(reply) = &f.reply {
                    println!("        agent said: {:?}", short(reply));
                }
            }
            if let Some(e) = &r.error
                && seen.insert((e.turn, e.message.clone()))
            {
                println!("      run {}: error: {}", r.run, e.message);
            }
        }
    }
    println!(
        "{} scenario(s): {} passed, {} failed; {} run(s), {} turn(s) in {:.2} s; turn latency p50 {} ms, p99 {} ms, max {} ms",
        report.scenarios,
        report.passed,
        report.failed,
        report.runs,
        report.turns,
        report.wall_time_ms / 1000.0,
        report.turn_latency.p50_ms,
        report.turn_latency.p99_ms,
        report.turn_latency.max_ms,
    );
}

fn xml_escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            // XML 1.0 allows only these control characters.
            c if (c as u32) < 0x20 && !matches!(c, '\t' | '\n' | '\r') => {}
            c => out.push(c),
        }
    }
    out
}

/// One `<testcase>` per scenario; a failure when its pass rate is below the threshold, with
/// every failed run in the failure's text.
fn junit(report: &Report) -> String {
    // A scenario with an errored run is reported as an error only, not also as a failure.
    let failed_with_errors = report
        .results
        .iter()
        .filter(|s| !s.passed && s.errored_runs > 0)
        .count();
    let mut out = String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
    out.push_str(&format!(
        "<testsuites name=\"polyai chat test\" tests=\"{}\" failures=\"{}\" errors=\"{}\" time=\"{:.3}\">\n",
        report.scenarios,
        report.failed - failed_with_errors,
        report.errored,
        report.wall_time_ms / 1000.0
    ));
    out.push_str(&format!(
        "  <testsuite name=\"{}\" tests=\"{}\" failures=\"{}\" errors=\"{}\" time=\"{:.3}\">\n",
        xml_escape(&report.file),
        report.scenarios,
        report.failed - failed_with_errors,
        report.errored,
        report.wall_time_ms / 1000.0
    ));
    for s in &report.results {
        let time: f64 = s.results.iter().flat_map(|r| &r.latencies_ms).sum::<f64>() / 1000.0;
        out.push_str(&format!(
            "    <testcase name=\"{}\" classname=\"{}\" time=\"{time:.3}\">\n",
            xml_escape(&s.name),
            xml_escape(&report.file),
        ));
        let summary = format!(
            "{}/{} runs passed ({:.0}%, needs {:.0}%)",
            s.passed_runs,
            s.runs,
            s.pass_rate * 100.0,
            s.threshold * 100.0
        );
        if s.errored_runs > 0 {
            let details: String = s
                .results
                .iter()
                .filter_map(|r| {
                    r.error
                        .as_ref()
                        .map(|e| format!("run {} turn {}: {}\n", r.run, e.turn, e.message))
                })
                .collect();
            out.push_str(&format!(
                "      <error message=\"{} run(s) could not be judged\" type=\"infrastructure\">{}</error>\n",
                s.errored_runs,
                xml_escape(&details)
            ));
        } else if !s.passed {
            let mut details = String::new();
            for r in &s.results {
                if let Some(f) = &r.failure {
                    details.push_str(&format!(
                        "run {} turn {} ({:?}): {}{}\n",
                        r.run,
                        f.turn,
                        f.user,
                        f.message,
                        f.reply
                            .as_ref()
                            .map_or(String::new(), |t| format!(" (agent said {t:?})"))
                    ));
                }
            }
            out.push_str(&format!(
                "      <failure message=\"{}\" type=\"pass_rate\">{}</failure>\n",
                xml_escape(&summary),
                xml_escape(&details)
            ));
        }
        out.push_str(&format!(
            "      <system-out>{}</system-out>\n    </testcase>\n",
            xml_escape(&summary)
        ));
    }
    out.push_str("  </testsuite>\n</testsuites>\n");
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn expected_values_match_subsets_and_numbers_by_value() {
        assert!(value_matches(&json!({"a": 1}), &json!({"a": 1.0, "b": 2})));
        assert!(!value_matches(&json!({"a": 1, "c": 3}), &json!({"a": 1})));
        assert!(value_matches(
            &json!([{"x": 1}]),
            &json!([{"x": 1, "y": 2}])
        ));
        assert!(!value_matches(&json!([1]), &json!([1, 2])));
        assert!(!value_matches(&json!("1"), &json!(1)));
    }

    #[test]
    fn paths_reach_into_objects_and_arrays() {
        let v = json!({"state": {"n": 2}, "nodeTrace": ["a", "b"]});
        assert_eq!(at_path(&v, "state.n"), Some(&json!(2)));
        assert_eq!(at_path(&v, "nodeTrace.1"), Some(&json!("b")));
        assert_eq!(at_path(&v, "nodeTrace.x"), None);
        assert_eq!(at_path(&v, "missing"), None);
    }

    #[test]
    fn percentiles_use_the_nearest_rank() {
        let v: Vec<f64> = (1..=100).map(f64::from).collect();
        assert_eq!(percentile(&v, 50.0), 50.0);
        assert_eq!(percentile(&v, 99.0), 99.0);
        assert_eq!(percentile(&[7.0], 99.0), 7.0);
        assert_eq!(percentile(&[], 99.0), 0.0);
    }

    #[test]
    fn xml_special_and_control_characters_are_escaped() {
        assert_eq!(xml_escape("a<b & \"c\"\u{1}"), "a&lt;b &amp; &quot;c&quot;");
    }
}
