//! `polyai actions lint|render|call|curl`: API-call action definitions, on polyai-actions.
//!
//! `lint` prints each finding like a compiler: `FILE:LINE:COLUMN: severity[CODE]: message`,
//! the position found from the finding's field path (and, inside a template, its line and
//! column). `render` prints the exact request an action sends in one environment, `curl` an
//! equivalent curl command, `call` sends it; secrets come from `POLYAI_SECRET_<NAME>`
//! environment variables or an owner-only secrets file and are printed only as
//! `<secret:NAME>` (`curl --show-secrets` is the one exception, asked for by name).

use std::collections::BTreeMap;
use std::io::Write;
use std::path::{Path, PathBuf};

use clap::{Args, Subcommand, ValueEnum};
use polyai_actions::lint::{Diagnostic, Severity};
use polyai_actions::render::{RenderContext, RenderError, render_action};
use polyai_actions::secrets::{SecretStore, SecretValue};
use polyai_actions::{ApiAction, ApiActions, ApiIntegrations, Environment};
use serde_json::Value;

use crate::error::{CliError, CliResult, exit};
use crate::locate;

/// `polyai actions ...`
#[derive(Debug, Subcommand)]
pub enum ActionsCommand {
    /// Check definition files (actions or an ADK api_integrations.yaml) and print each finding
    /// as `FILE:LINE:COLUMN: severity[CODE]: message`.
    #[command(after_help = "\
Exits 1 when a file has an error (or, with --deny-warnings, a warning), 2 when a file cannot
be read or parsed. The rules and their codes are polyai-actions' (PA001 ...).

Examples:
  polyai actions lint actions.yaml
  polyai actions lint actions.yaml api_integrations.yaml --deny-warnings
  polyai actions lint actions.yaml --format json | jq .code")]
    Lint {
        /// The files (YAML or JSON): a file of actions (`actions:`), one action, or an ADK
        /// `api_integrations:` file.
        #[arg(required = true)]
        files: Vec<PathBuf>,
        /// Fail on warnings too.
        #[arg(long)]
        deny_warnings: bool,
        /// Text (compiler-style lines) or JSON Lines (one finding per line).
        #[arg(long, value_enum, default_value_t = LintFormat::Text)]
        format: LintFormat,
    },
    /// Print the exact request an action sends (secrets shown as <secret:NAME>).
    #[command(after_help = "\
Examples:
  polyai actions render actions.yaml lookup_order --param order_number='\"ORD-12\"'
  polyai actions render actions.yaml create_ticket --env live --params @params.json
  POLYAI_SECRET_SHOP_TOKEN=... polyai actions render actions.yaml lookup_order --params '{\"order_number\": \"ORD-1\"}'
  polyai actions render api_integrations.yaml shop.get_order --arg ORD-1 --param expand=true \\
      --auth '{type: bearer, token: {secret: shop_token}}'")]
    Render(RequestArgs),
    /// Print an equivalent curl command (secrets masked unless --show-secrets).
    #[command(after_help = "\
Examples:
  polyai actions curl actions.yaml lookup_order --param order_number='\"ORD-12\"'
  polyai actions curl actions.yaml lookup_order --params @p.json --secrets secrets.yaml --show-secrets")]
    Curl {
        /// The action and its inputs.
        #[command(flatten)]
        request: RequestArgs,
        /// Put the secrets' values in the command (it then holds credentials: careful with
        /// shell history and logs).
        #[arg(long)]
        show_secrets: bool,
    },
    /// Send the request and print the response body (the status goes to stderr).
    #[command(after_help = "\
Exits 1 when the service answers with a status other than 2xx.

Examples:
  polyai actions call actions.yaml lookup_order --env sandbox --param order_number='\"ORD-12\"'
  polyai actions call actions.yaml create_ticket --params @ticket.json --secrets secrets.yaml")]
    Call {
        /// The action and its inputs.
        #[command(flatten)]
        request: RequestArgs,
        /// Give up after this many seconds.
        #[arg(long, value_name = "SECONDS", default_value_t = 10)]
        timeout: u64,
    },
}

/// How `lint` prints its findings.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum LintFormat {
    /// `FILE:LINE:COLUMN: severity[CODE]: message` lines.
    Text,
    /// One JSON object per finding.
    Json,
}

/// Which action, in which environment, with which parameters and secrets.
#[derive(Debug, Args)]
pub struct RequestArgs {
    /// The file of actions (or of one action).
    pub file: PathBuf,
    /// The action's name (optional when the file holds one action), or for an
    /// api_integrations file INTEGRATION.OPERATION (`--param` then gives the query parameters).
    pub action: Option<String>,
    /// The environment whose secrets are used: sandbox, pre-release or live.
    #[arg(long = "env", default_value = "sandbox", value_name = "ENV")]
    pub environment: String,
    /// One parameter, NAME=JSON (a value that is not JSON is a string); repeat for more.
    #[arg(long = "param", value_name = "NAME=JSON")]
    pub params: Vec<String>,
    /// All parameters as one JSON object: the text itself or @FILE.
    #[arg(long = "params", value_name = "JSON|@FILE", conflicts_with = "params")]
    pub params_object: Option<String>,
    /// For an integration call: a positional argument of the call (JSON); repeat in order.
    #[arg(long = "arg", value_name = "JSON")]
    pub call_args: Vec<String>,
    /// For an integration call: the JSON body (`json=`), the text itself or @FILE.
    #[arg(long = "json", value_name = "JSON|@FILE")]
    pub json_body: Option<String>,
    /// For an integration whose environment has an auth_type: its credentials as an auth
    /// connector (YAML or JSON, or @FILE), the same shape as an action's `auth`, such as
    /// `{type: api_key, in: header, name: X-API-Key, key: {secret: shop_key}}`.
    #[arg(long, value_name = "YAML|@FILE")]
    pub auth: Option<String>,
    /// A YAML or JSON file of secrets, owner-only: `name: value` for every environment, or
    /// `live: {name: value}` per environment. `POLYAI_SECRET_<NAME>` variables win over it.
    #[arg(long, value_name = "FILE")]
    pub secrets: Option<PathBuf>,
}

// ---------------------------------------------------------------- files

enum Definitions {
    Actions(ApiActions),
    One(Box<ApiAction>),
    Integrations(ApiIntegrations),
}

fn read(file: &Path) -> CliResult<String> {
    std::fs::read_to_string(file).map_err(|e| {
        CliError::usage(format!("cannot read {}: {e}", file.display()))
            .hint("give the path of a definition file")
    })
}

fn parse_error(file: &Path, error: polyai_actions::DefinitionError) -> CliError {
    let place = match error.line_column() {
        Some((line, column)) => format!("{}:{line}:{column}", file.display()),
        None => file.display().to_string(),
    };
    let message = match &error {
        polyai_actions::DefinitionError::Parse { message, .. } => message.clone(),
        other => other.to_string(),
    };
    CliError::usage(format!("{place}: error: {message}"))
        .hint("fix the definition file (polyai actions lint checks it)")
}

fn load(file: &Path, text: &str) -> CliResult<Definitions> {
    let value: serde_yaml::Value = serde_yaml::from_str(text).map_err(|e| {
        let place = match locate::of_error(&e) {
            Some(at) => format!("{}:{at}", file.display()),
            None => file.display().to_string(),
        };
        CliError::usage(format!("{place}: error: {}", locate::message_of(&e)))
            .hint("fix the YAML or JSON syntax")
    })?;
    let has = |key: &str| value.get(key).is_some();
    if has("api_integrations") {
        ApiIntegrations::from_yaml_str(text)
            .map(Definitions::Integrations)
            .map_err(|e| parse_error(file, e))
    } else if has("actions") {
        ApiActions::from_yaml_str(text)
            .map(Definitions::Actions)
            .map_err(|e| parse_error(file, e))
    } else {
        ApiAction::from_yaml_str(text)
            .map(|a| Definitions::One(Box::new(a)))
            .map_err(|e| parse_error(file, e))
    }
}

/// The file position of a finding: the field's node, moved to the template's line and column
/// when the finding is inside one.
fn position(text: &str, diagnostic: &Diagnostic) -> Option<locate::Position> {
    let node = locate::locate(text, &diagnostic.location.field)?;
    let Some(line) = diagnostic.location.line else {
        return Some(node);
    };
    let column = diagnostic.location.column.unwrap_or(1) as usize;
    let line = line as usize;
    let source_line = text.lines().nth(node.line - 1).unwrap_or_default();
    let rest: String = source_line.chars().skip(node.column - 1).collect();
    if rest.starts_with('|') || rest.starts_with('>') {
        // A block scalar: its content starts on the next line, at the indentation of its
        // first non-blank line.
        let file_line = node.line + line;
        let indent = text
            .lines()
            .skip(node.line)
            .find(|l| !l.trim().is_empty())
            .map_or(0, |l| l.len() - l.trim_start().len());
        Some(locate::Position {
            line: file_line,
            column: indent + column,
        })
    } else if line == 1 {
        let quote = usize::from(rest.starts_with('"') || rest.starts_with('\''));
        Some(locate::Position {
            line: node.line,
            column: node.column + quote + column - 1,
        })
    } else {
        Some(locate::Position {
            line: node.line + line - 1,
            column,
        })
    }
}

fn lint(files: &[PathBuf], deny_warnings: bool, format: LintFormat) -> CliResult {
    let (mut errors, mut warnings) = (0usize, 0usize);
    let stdout = std::io::stdout();
    let mut out = stdout.lock();
    for file in files {
        let text = read(file)?;
        let found = match load(file, &text)? {
            Definitions::Actions(a) => a.lint(),
            Definitions::One(a) => a.lint(),
            Definitions::Integrations(i) => i.lint(),
        };
        for d in &found {
            match d.severity {
                Severity::Error => errors += 1,
                Severity::Warning => warnings += 1,
            }
            let at = position(&text, d);
            let line = match format {
                LintFormat::Text => {
                    let place = match at {
                        Some(at) => format!("{}:{at}", file.display()),
                        None => file.display().to_string(),
                    };
                    format!(
                        "{place}: {}[{}]: {} ({})",
                        d.severity, d.code, d.message, d.location
                    )
                }
                LintFormat::Json => serde_json::json!({
                    "file": file.display().to_string(),
                    "line": at.map(|a| a.line),
                    "column": at.map(|a| a.column),
                    "severity": d.severity,
                    "code": d.code,
                    "message": d.message,
                    "field": d.location.to_string(),
                })
                .to_string(),
            };
            writeln!(out, "{line}").map_err(|e| CliError::io("cannot write", e))?;
        }
    }
    eprintln!(
        "{} file(s): {errors} error(s), {warnings} warning(s)",
        files.len()
    );
    if errors > 0 || (deny_warnings && warnings > 0) {
        return Err(CliError::failure(format!(
            "lint found {errors} error(s) and {warnings} warning(s)"
        ))
        .hint("fix the findings above (each names its file, line and column)"));
    }
    Ok(())
}

// ---------------------------------------------------------------- secrets

/// Secrets from `POLYAI_SECRET_<NAME>` variables, then from the secrets file.
struct CliSecrets {
    per_environment: BTreeMap<(String, String), String>,
    shared: BTreeMap<String, String>,
}

/// The variable a secret is read from: `POLYAI_SECRET_` and the name in capitals, with every
/// character that is not a letter or digit as `_`.
pub fn secret_variable(name: &str) -> String {
    let upper: String = name
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() {
                c.to_ascii_uppercase()
            } else {
                '_'
            }
        })
        .collect();
    format!("POLYAI_SECRET_{upper}")
}

impl SecretStore for CliSecrets {
    fn get(&self, environment: Environment, name: &str) -> Option<SecretValue> {
        if let Ok(value) = std::env::var(secret_variable(name))
            && !value.is_empty()
        {
            return Some(SecretValue::new(name, value));
        }
        self.per_environment
            .get(&(environment.to_string(), name.to_string()))
            .or_else(|| self.shared.get(name))
            .map(|value| SecretValue::new(name, value.clone()))
    }
}

fn load_secrets(path: Option<&Path>) -> CliResult<CliSecrets> {
    let mut store = CliSecrets {
        per_environment: BTreeMap::new(),
        shared: BTreeMap::new(),
    };
    let Some(path) = path else {
        return Ok(store);
    };
    let text = std::fs::read_to_string(path).map_err(|e| {
        CliError::config(format!(
            "cannot read the secrets file {}: {e}",
            path.display()
        ))
    })?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(path)
            .map_err(|e| CliError::io(format!("cannot read {}", path.display()), e))?
            .permissions()
            .mode();
        if mode & 0o077 != 0 {
            return Err(CliError::config(format!(
                "the secrets file {} may be read by group or others (mode {:03o}); polyai will not use it",
                path.display(),
                mode & 0o777
            ))
            .hint(format!("chmod 600 {}", path.display())));
        }
    }
    // Errors name the position only: serde_yaml's messages never quote a value, but be sure.
    let value: BTreeMap<String, serde_yaml::Value> = serde_yaml::from_str(&text).map_err(|e| {
        let at = locate::of_error(&e).map_or(String::new(), |p| format!(":{p}"));
        CliError::config(format!(
            "{}{at}: not a mapping of secret names to values",
            path.display()
        ))
        .hint("write `name: value` lines, or `live: {name: value}` per environment")
    })?;
    for (key, entry) in value {
        match entry {
            serde_yaml::Value::String(secret) => {
                store.shared.insert(key, secret);
            }
            serde_yaml::Value::Mapping(map) if key.parse::<Environment>().is_ok() => {
                let env = key
                    .parse::<Environment>()
                    .map(|e| e.to_string())
                    .unwrap_or(key.clone());
                for (name, secret) in map {
                    match (name, secret) {
                        (serde_yaml::Value::String(name), serde_yaml::Value::String(secret)) => {
                            store.per_environment.insert((env.clone(), name), secret);
                        }
                        _ => {
                            return Err(CliError::config(format!(
                                "{}: the entries under {key} must be name: text",
                                path.display()
                            )));
                        }
                    }
                }
            }
            _ => {
                return Err(CliError::config(format!(
                    "{}: the secret {key} is not text",
                    path.display()
                ))
                .hint("quote the value"));
            }
        }
    }
    Ok(store)
}

// ---------------------------------------------------------------- rendering

fn parameters(args: &RequestArgs) -> CliResult<Value> {
    if let Some(spec) = &args.params_object {
        let text = match spec.strip_prefix('@') {
            Some(path) => std::fs::read_to_string(path).map_err(|e| {
                CliError::usage(format!("cannot read the parameters file {path}: {e}"))
            })?,
            None => spec.clone(),
        };
        let value: Value = serde_json::from_str(&text).map_err(|e| {
            CliError::usage(format!("--params is not JSON: {e}"))
                .hint("give a JSON object, such as '{\"order_number\": \"ORD-1\"}'")
        })?;
        if !value.is_object() {
            return Err(CliError::usage("--params must be a JSON object"));
        }
        return Ok(value);
    }
    let mut map = serde_json::Map::new();
    for text in &args.params {
        let (name, value) = crate::chat::attribute(text)
            .map_err(|e| CliError::usage(e.message.replace("--attr", "--param")))?;
        map.insert(name, value);
    }
    Ok(Value::Object(map))
}

fn pick_action<'a>(
    defs: &'a Definitions,
    wanted: Option<&str>,
    file: &Path,
) -> CliResult<&'a ApiAction> {
    match defs {
        Definitions::One(action) => match wanted {
            Some(name) if name != action.name => Err(CliError::usage(format!(
                "{} holds one action, {}, not {name}",
                file.display(),
                action.name
            ))),
            _ => Ok(action),
        },
        Definitions::Actions(all) => {
            let names: Vec<&str> = all.actions.iter().map(|a| a.name.as_str()).collect();
            match wanted {
                Some(name) => all.actions.iter().find(|a| a.name == name).ok_or_else(|| {
                    CliError::usage(format!("{} has no action {name}", file.display()))
                        .hint(format!("its actions: {}", names.join(", ")))
                }),
                None if all.actions.len() == 1 => Ok(&all.actions[0]),
                None => Err(CliError::usage(format!(
                    "{} holds several actions: name one",
                    file.display()
                ))
                .hint(format!("its actions: {}", names.join(", ")))),
            }
        }
        Definitions::Integrations(_) => Err(CliError::usage(format!(
            "{} is an api_integrations file; render, curl and call take API-call actions",
            file.display()
        ))
        .hint("polyai actions lint checks integration files")),
    }
}

fn render_error(error: RenderError) -> CliError {
    match &error {
        RenderError::MissingSecret { .. } => CliError::config(error.to_string())
            .hint("set POLYAI_SECRET_<NAME> (the name in capitals) or give --secrets FILE"),
        RenderError::Parameters(_) => CliError::usage(error.to_string()).hint(
            "give the parameters the action's schema asks for (--param NAME=JSON or --params)",
        ),
        _ => CliError::usage(error.to_string()).hint("polyai actions lint points at the problem"),
    }
}

fn text_or_file(spec: &str, what: &str) -> CliResult<String> {
    match spec.strip_prefix('@') {
        Some(path) => std::fs::read_to_string(path)
            .map_err(|e| CliError::usage(format!("cannot read the {what} file {path}: {e}"))),
        None => Ok(spec.to_string()),
    }
}

fn environment_of(args: &RequestArgs) -> CliResult<Environment> {
    args.environment.parse().map_err(|_| {
        CliError::usage(format!("--env {}: not an environment", args.environment))
            .hint("use sandbox, pre-release or live")
    })
}

/// `conv.api.INTEGRATION.OPERATION(args..., params=..., json=...)`, rendered.
fn render_integration(
    args: &RequestArgs,
    all: &ApiIntegrations,
    secrets: &CliSecrets,
) -> CliResult<polyai_actions::RenderedRequest> {
    let names: Vec<String> = all
        .api_integrations
        .iter()
        .flat_map(|i| {
            i.operations
                .iter()
                .map(move |o| format!("{}.{}", i.name, o.name))
        })
        .collect();
    let Some((integration, operation)) = args.action.as_deref().and_then(|a| a.split_once('.'))
    else {
        return Err(CliError::usage(format!(
            "{} is an api_integrations file: name the call as INTEGRATION.OPERATION",
            args.file.display()
        ))
        .hint(format!("its operations: {}", names.join(", "))));
    };
    let Some(found) = all.get(integration) else {
        return Err(CliError::usage(format!(
            "{} has no integration {integration}",
            args.file.display()
        ))
        .hint(format!("its operations: {}", names.join(", "))));
    };
    let mut call = polyai_actions::CallArgs::new();
    for text in &args.call_args {
        let value = serde_json::from_str(text).unwrap_or_else(|_| Value::String(text.clone()));
        call = call.arg(value);
    }
    if let Value::Object(map) = parameters(args)? {
        for (name, value) in map {
            call = call.param(&name, value);
        }
    }
    if let Some(spec) = &args.json_body {
        let body: Value = serde_json::from_str(&text_or_file(spec, "body")?)
            .map_err(|e| CliError::usage(format!("--json is not JSON: {e}")))?;
        call = call.json(body);
    }
    let mut context = RenderContext::new(environment_of(args)?, secrets);
    if let Some(spec) = &args.auth {
        let connector: polyai_actions::AuthConnector =
            serde_yaml::from_str(&text_or_file(spec, "auth")?).map_err(|e| {
                CliError::usage(format!(
                    "--auth is not an auth connector: {}",
                    locate::message_of(&e)
                ))
                .hint("for example {type: bearer, token: {secret: shop_token}}")
            })?;
        context = context.with_integration_auth(integration, connector);
    }
    polyai_actions::render::render_operation(found, operation, &call, &context).map_err(|e| {
        let hint = matches!(e, RenderError::MissingIntegrationAuth { .. });
        let error = render_error(e);
        if hint {
            error.hint("give the environment's credentials with --auth")
        } else {
            error
        }
    })
}

fn render(args: &RequestArgs) -> CliResult<polyai_actions::RenderedRequest> {
    let environment = environment_of(args)?;
    let text = read(&args.file)?;
    let defs = load(&args.file, &text)?;
    let secrets = load_secrets(args.secrets.as_deref())?;
    let rendered = if let Definitions::Integrations(all) = &defs {
        render_integration(args, all, &secrets)?
    } else {
        let action = pick_action(&defs, args.action.as_deref(), &args.file)?;
        let context = RenderContext::new(environment, &secrets).with_parameters(parameters(args)?);
        render_action(action, &context).map_err(render_error)?
    };
    for warning in rendered.warnings() {
        eprintln!("warning: {warning}");
    }
    Ok(rendered)
}

/// The curl command of the real request, secrets included.
fn curl_with_secrets(request: &http::Request<bytes::Bytes>) -> String {
    let mut out = String::from("curl");
    if request.method() != http::Method::GET || !request.body().is_empty() {
        out.push_str(" --request ");
        out.push_str(request.method().as_str());
    }
    out.push(' ');
    out.push_str(&polyai_actions::render::shell_quote(
        request.uri().to_string().as_bytes(),
    ));
    for (name, value) in request.headers() {
        let header = if value.is_empty() {
            format!("{name};")
        } else {
            format!("{name}: {}", String::from_utf8_lossy(value.as_bytes()))
        };
        out.push_str(" \\\n  --header ");
        out.push_str(&polyai_actions::render::shell_quote(header.as_bytes()));
    }
    if !request.body().is_empty() {
        out.push_str(" \\\n  --data-binary ");
        out.push_str(&polyai_actions::render::shell_quote(request.body()));
    }
    out
}

/// Runs `polyai actions ...`.
pub async fn run(command: &ActionsCommand) -> CliResult {
    match command {
        ActionsCommand::Lint {
            files,
            deny_warnings,
            format,
        } => lint(files, *deny_warnings, *format),
        ActionsCommand::Render(args) => {
            println!("{}", render(args)?);
            Ok(())
        }
        ActionsCommand::Curl {
            request,
            show_secrets,
        } => {
            let rendered = render(request)?;
            if *show_secrets {
                println!("{}", curl_with_secrets(rendered.as_http()));
            } else {
                println!("{}", rendered.to_curl());
            }
            Ok(())
        }
        ActionsCommand::Call { request, timeout } => call(request, *timeout).await,
    }
}

/// Sends the action through polyai-actions' runner: OAuth 2.0 client-credentials tokens are
/// fetched when the action's connector needs one (and refetched once after a 401), and the
/// output variables the action defines are read back from the answer.
async fn call(args: &RequestArgs, timeout: u64) -> CliResult {
    let environment = environment_of(args)?;
    let text = read(&args.file)?;
    let defs = load(&args.file, &text)?;
    if matches!(defs, Definitions::Integrations(_)) {
        return send_plain(render(args)?, timeout).await;
    }
    let action = pick_action(&defs, args.action.as_deref(), &args.file)?;
    let secrets = load_secrets(args.secrets.as_deref())?;
    let parameters = parameters(args)?;
    let prepared = polyai_actions::PreparedAction::new(action).map_err(render_error)?;
    let options = polyai_actions::ClientOptions::new()
        .with_timeout(std::time::Duration::from_secs(timeout.max(1)));
    let client = polyai_actions::ReqwestClient::new(options)
        .map_err(|e| CliError::failure(format!("cannot set up the HTTP client: {e}")))?;
    let tokens = polyai_actions::OAuth2Tokens::new();
    let source = tokens.source(&client);
    let mut conversation = polyai_actions::chain::Conversation::new(environment, &secrets);
    let outcome = conversation
        .run(&prepared, parameters, &client, Some(&source))
        .await
        .map_err(|e| match e {
            polyai_actions::chain::RunError::Render(e) => render_error(e),
            polyai_actions::chain::RunError::Send(e) => CliError {
                message: e.to_string(),
                hint: Some("check the action's URL and that the service is running".to_string()),
                code: exit::UNAVAILABLE,
            },
            other => CliError {
                message: other.to_string(),
                hint: Some(
                    "check the OAuth 2.0 connector's token URL and client credentials".to_string(),
                ),
                code: exit::AUTH,
            },
        })?;
    let status = outcome.status();
    eprintln!("HTTP {status} from {} {}", action.method, action.url);
    for value in outcome.values() {
        eprintln!("  {} = {}", value.name(), value.printed());
    }
    let body = outcome.raw_body();
    let mut out = std::io::stdout().lock();
    out.write_all(body)
        .and_then(|()| {
            if !body.is_empty() && body.last() != Some(&b'\n') {
                out.write_all(b"\n")
            } else {
                Ok(())
            }
        })
        .map_err(|e| CliError::io("cannot write the response", e))?;
    if !outcome.is_success() {
        return Err(CliError::failure(format!("the service answered {status}"))
            .hint("the response body is above"));
    }
    Ok(())
}

/// Sends a rendered integration call as it is (integrations have no output variables).
async fn send_plain(rendered: polyai_actions::RenderedRequest, timeout: u64) -> CliResult {
    use polyai_actions::HttpClient as _;
    let url = rendered.url_masked().to_string();
    let options = polyai_actions::ClientOptions::new()
        .with_timeout(std::time::Duration::from_secs(timeout.max(1)));
    let client = polyai_actions::ReqwestClient::new(options)
        .map_err(|e| CliError::failure(format!("cannot set up the HTTP client: {e}")))?;
    let response = client
        .send(rendered.into_http())
        .await
        .map_err(|e| CliError {
            message: e.to_string(),
            hint: Some(
                "check the integration's base URL and that the service is running".to_string(),
            ),
            code: exit::UNAVAILABLE,
        })?;
    let status = response.status();
    eprintln!("HTTP {} from {url}", status.as_u16());
    print_body(response.body())?;
    if !status.is_success() {
        return Err(
            CliError::failure(format!("the service answered {}", status.as_u16()))
                .hint("the response body is above"),
        );
    }
    Ok(())
}

fn print_body(body: &[u8]) -> CliResult {
    let mut out = std::io::stdout().lock();
    out.write_all(body)
        .and_then(|()| {
            if !body.is_empty() && body.last() != Some(&b'\n') {
                out.write_all(b"\n")
            } else {
                Ok(())
            }
        })
        .map_err(|e| CliError::io("cannot write the response", e))
}
