//! `polyai api OPERATION [NAME=VALUE ...] [--body JSON|@FILE|-]`: every operation of every
//! family, through the SDK.
//!
//! Generated operations go through [`polyai_sdk::Client::call_operation`]: the SDK checks each
//! argument and the body against the operation's entry in its generated table (the value is
//! deserialised into the type the typed builder takes) before anything is sent, then sends it
//! through the same transport as a typed call. The three operations the generator cannot
//! express (raw and multipart uploads, several media types) call the SDK's hand-written
//! builders.

use std::io::{IsTerminal, Read, Write};
use std::path::PathBuf;

use bytes::Bytes;
use clap::Args;
use polyai_sdk::operation_call::{self, Location};

use crate::cli::GlobalArgs;
use crate::config::Settings;
use crate::error::{CliError, CliResult};

/// The operations written by hand in the SDK: (id, method, path, parameters, what the body is).
pub const HAND_WRITTEN: &[(&str, &str, &str, &[&str], &str)] = &[
    (
        "post_external_event",
        "POST",
        "/v1/external-events/webhook",
        &[
            "account_id",
            "project_id",
            "event_id_location",
            "event_id_path",
        ],
        "the event: JSON (sent as application/json) or any other text (text/plain)",
    ),
    (
        "replace_audio_cache_details",
        "PUT",
        "/v1/agents/{agentId}/audio-cache/{entryId}/details",
        &["agentId", "entryId", "text", "config", "filename"],
        "the WAV file (@FILE); config is the voice settings as JSON",
    ),
    (
        "replace_audio_cache_file",
        "PATCH",
        "/v1/agents/{agentId}/audio-cache/{entryId}/file",
        &["agentId", "entryId", "filename"],
        "the WAV file (@FILE)",
    ),
];

/// The list of operations shown by `polyai api --help`.
pub fn help() -> String {
    let mut text = String::from(
        "\
Arguments are NAME=VALUE with the parameter names of the documents (agentId, client_env, ...);
repeat a name for a list. The account, project and agent ids are filled in from the
configuration when not given. Every value and the body are checked against the operation's
types before anything is sent. `--describe` shows an operation's parameters and a minimal body.

Examples:
  polyai api list_agents
  polyai api get_agent agentId=my-agent
  polyai api list_conversations limit=10 client_env=sandbox channel=VOICE-SIP channel=WEBCHAT
  polyai api create_branch --body '{\"branchName\": \"opening-hours\"}'
  polyai api create_knowledge_base_topic branchId=main --body @topic.json
  cat note.json | polyai api upsert_note conversationId=CA0123 --body -
  polyai api get_conversation_audio conversationId=CA0123 -o call.wav
  polyai api create_agent --describe

Operations:
",
    );
    let mut rows: Vec<(String, String, String, String)> = operation_call::operations()
        .iter()
        .map(|o| {
            (
                o.id.to_string(),
                o.method.to_string(),
                o.path.to_string(),
                o.family.to_string(),
            )
        })
        .collect();
    for (id, method, path, _, _) in HAND_WRITTEN {
        rows.push((
            id.to_string(),
            method.to_string(),
            path.to_string(),
            "hand-written".to_string(),
        ));
    }
    rows.sort();
    let width = rows.iter().map(|r| r.0.len()).max().unwrap_or(0);
    for (id, method, path, _) in rows {
        text.push_str(&format!("  {id:width$}  {method:6} {path}\n"));
    }
    text
}

/// `polyai api`
#[derive(Debug, Args)]
#[command(after_help = help())]
pub struct ApiArgs {
    /// The operation id (see the list below).
    pub operation: String,
    /// Parameters, NAME=VALUE (repeat a name for a list parameter).
    #[arg(value_name = "NAME=VALUE")]
    pub arguments: Vec<String>,
    /// The JSON body: the text itself, @FILE, or - for standard input.
    #[arg(long, value_name = "JSON|@FILE|-")]
    pub body: Option<String>,
    /// Write the response body to this file instead of standard output.
    #[arg(short, long, value_name = "FILE")]
    pub output: Option<PathBuf>,
    /// Check the arguments and body, print the request that would be sent, send nothing.
    #[arg(long)]
    pub dry_run: bool,
    /// Show the operation's parameters and a minimal body instead of calling it.
    #[arg(long)]
    pub describe: bool,
    /// Print secrets the answer holds (a new webhook signing secret) instead of masking them;
    /// with -o the file always gets them, written owner-only.
    #[arg(long)]
    pub show_secrets: bool,
}

fn read_body(spec: &str) -> CliResult<Vec<u8>> {
    if spec == "-" {
        let mut bytes = Vec::new();
        std::io::stdin()
            .read_to_end(&mut bytes)
            .map_err(|e| CliError::io("cannot read the body from standard input", e))?;
        return Ok(bytes);
    }
    if let Some(path) = spec.strip_prefix('@') {
        return std::fs::read(path).map_err(|e| {
            CliError::usage(format!("cannot read the body file {path}: {e}"))
                .hint("--body @FILE names a file; --body - reads standard input")
        });
    }
    Ok(spec.as_bytes().to_vec())
}

fn parse_arguments(raw: &[String]) -> CliResult<Vec<(String, String)>> {
    raw.iter()
        .map(|a| {
            a.split_once('=')
                .filter(|(name, _)| !name.is_empty())
                .map(|(n, v)| (n.to_string(), v.to_string()))
                .ok_or_else(|| {
                    CliError::usage(format!("argument {a:?} is not NAME=VALUE"))
                        .hint("for example agentId=my-agent; --describe lists the parameters")
                })
        })
        .collect()
}

/// Fills `accountId`/`account_id`, `projectId`/`project_id` and `agentId`/`agent_id` from the
/// settings when the operation has them and they were not given.
fn fill_ids(settings: &Settings, names: &[&str], args: &mut Vec<(String, String)>) {
    for name in names {
        if args.iter().any(|(n, _)| n == name) {
            continue;
        }
        let value = match *name {
            "accountId" | "account_id" => settings.account().ok(),
            "projectId" | "project_id" => settings.project().ok(),
            "agentId" | "agent_id" => settings.agent().ok(),
            _ => None,
        };
        if let Some(value) = value {
            args.push((name.to_string(), value.to_string()));
        }
    }
}

fn describe(id: &str) -> CliResult {
    if let Some(info) = operation_call::find(id) {
        println!("{} {}  ({})", info.method, info.path, info.family);
        if !info.summary.is_empty() {
            println!("{}", info.summary);
        }
        println!("parameters:");
        for p in info.parameters {
            let mut line = format!(
                "  {} ({}, {:?}{})",
                p.name,
                match p.location {
                    Location::Path => "path",
                    Location::Query => "query",
                },
                p.kind,
                if p.required { ", required" } else { "" }
            );
            if !p.values.is_empty() {
                line.push_str(&format!(" one of {}", p.values.join(", ")));
            }
            if !p.description.is_empty() {
                line.push_str(&format!(": {}", p.description));
            }
            println!("{line}");
        }
        if let Some(body) = info.body {
            println!(
                "body ({}), at least: {}",
                if body.required {
                    "required"
                } else {
                    "optional"
                },
                body.example
            );
        }
        return Ok(());
    }
    if let Some((_, method, path, params, body)) = HAND_WRITTEN.iter().find(|h| h.0 == id) {
        println!("{method} {path}  (hand-written in the SDK)");
        println!("parameters: {}", params.join(", "));
        println!("body: {body}");
        return Ok(());
    }
    Err(unknown(id))
}

fn unknown(id: &str) -> CliError {
    let close: Vec<&str> = operation_call::operations()
        .iter()
        .map(|o| o.id)
        .chain(HAND_WRITTEN.iter().map(|h| h.0))
        .filter(|o| o.contains(id) || id.contains(o))
        .take(5)
        .collect();
    CliError::usage(format!("there is no operation {id:?}")).hint(if close.is_empty() {
        "polyai api --help lists every operation".to_string()
    } else {
        format!(
            "did you mean {}? (polyai api --help lists them all)",
            close.join(", ")
        )
    })
}

/// Runs `polyai api`.
pub async fn run(global: &GlobalArgs, args: &ApiArgs) -> CliResult {
    if args.describe {
        return describe(&args.operation);
    }
    let settings = Settings::resolve(global)?;
    let mut arguments = parse_arguments(&args.arguments)?;
    let body = args.body.as_deref().map(read_body).transpose()?;
    if let Some(hand) = HAND_WRITTEN.iter().find(|h| h.0 == args.operation) {
        fill_ids(&settings, hand.3, &mut arguments);
        return hand_written(&settings, hand, &arguments, body, args.dry_run).await;
    }
    let Some(info) = operation_call::find(&args.operation) else {
        return Err(unknown(&args.operation));
    };
    let names: Vec<&str> = info.parameters.iter().map(|p| p.name).collect();
    fill_ids(&settings, &names, &mut arguments);
    let call =
        operation_call::check_call(info.id, &arguments, body.map(Bytes::from)).map_err(|e| {
            CliError::from(e).hint(format!(
                "polyai api {} --describe shows its parameters and body",
                info.id
            ))
        })?;
    if args.dry_run {
        println!("{} {} (checked; not sent)", info.method, info.path);
        for (name, value) in &arguments {
            println!("  {name}={value}");
        }
        return Ok(());
    }
    let client = settings.client()?;
    let mut response = client.send_checked(call).await?;
    let json = response
        .content_type()
        .is_some_and(|t| t.starts_with("application/json") || t.ends_with("+json"));
    let secret_fields: Vec<&str> = operation_call::secret_response_fields(info.id).collect();
    let mut out: Box<dyn Write> = match &args.output {
        Some(path) => Box::new(std::io::BufWriter::new(create_output(
            path,
            !secret_fields.is_empty(),
        )?)),
        None => {
            if !json && response.content_type().is_some() && std::io::stdout().is_terminal() {
                return Err(CliError::usage(format!(
                    "the answer is {} and standard output is a terminal",
                    response.content_type().unwrap_or("binary")
                ))
                .hint("give -o FILE, or pipe the output"));
            }
            Box::new(std::io::stdout().lock())
        }
    };
    let write_error = |e| CliError::io("cannot write the response", e);
    if json && args.output.is_none() {
        let bytes = response.bytes().await?;
        let text = match serde_json::from_slice::<serde_json::Value>(&bytes) {
            Ok(mut value) => {
                if !args.show_secrets {
                    mask(&mut value, &secret_fields);
                }
                serde_json::to_string_pretty(&value)
                    .unwrap_or_else(|_| String::from_utf8_lossy(&bytes).into_owned())
            }
            // Not JSON after all: printed as it is, unless it may hold a secret.
            Err(_) if !secret_fields.is_empty() && !args.show_secrets => {
                "(the answer is not JSON and may hold a secret: use -o FILE or --show-secrets)"
                    .to_string()
            }
            Err(_) => String::from_utf8_lossy(&bytes).into_owned(),
        };
        writeln!(out, "{text}").map_err(write_error)?;
    } else {
        while let Some(chunk) = response.chunk().await? {
            out.write_all(&chunk).map_err(write_error)?;
        }
    }
    out.flush().map_err(write_error)?;
    Ok(())
}

async fn hand_written(
    settings: &Settings,
    hand: &(&str, &str, &str, &[&str], &str),
    arguments: &[(String, String)],
    body: Option<Vec<u8>>,
    dry_run: bool,
) -> CliResult {
    let (id, _, _, allowed, _) = *hand;
    for (name, _) in arguments {
        if !allowed.contains(&name.as_str()) {
            return Err(CliError::usage(format!(
                "{id}: no parameter {name:?} (its parameters: {}); nothing was sent",
                allowed.join(", ")
            )));
        }
    }
    let get = |name: &str| {
        arguments
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.clone())
    };
    let need = |name: &str| {
        get(name).ok_or_else(|| {
            CliError::usage(format!(
                "{id}: the parameter {name} is required; nothing was sent"
            ))
        })
    };
    let body = body.ok_or_else(|| {
        CliError::usage(format!(
            "{id}: a body is required ({}); nothing was sent",
            hand.4
        ))
    })?;
    let client = settings.client()?;
    match id {
        "replace_audio_cache_file" => {
            let mut call = client.replace_audio_cache_file(need("agentId")?, need("entryId")?);
            if let Some(name) = get("filename") {
                call = call.filename(name);
            }
            if dry_run {
                println!("PATCH {} (checked; not sent)", hand.2);
                return Ok(());
            }
            call.body(body).send().await?;
        }
        "replace_audio_cache_details" => {
            let mut call = client.replace_audio_cache_details(need("agentId")?, need("entryId")?);
            if let Some(text) = get("text") {
                call = call.text(text);
            }
            if let Some(config) = get("config") {
                let config: polyai_sdk::audio_cache::VoiceTuningConfig =
                    serde_json::from_str(&config).map_err(|e| {
                        CliError::usage(format!(
                            "{id}: config is not valid voice settings: {e}; nothing was sent"
                        ))
                    })?;
                call = call.config(config);
            }
            if let Some(name) = get("filename") {
                call = call.filename(name);
            }
            if dry_run {
                println!("PUT {} (checked; not sent)", hand.2);
                return Ok(());
            }
            call.file(body).send().await?;
        }
        _ => {
            use polyai_sdk::external_events::{ExternalEventBody, ExternalEventIdLocation};
            let location: ExternalEventIdLocation =
                serde_json::from_value(serde_json::Value::String(need("event_id_location")?))
                    .map_err(|_| {
                        CliError::usage(format!(
                            "{id}: event_id_location must be headers, querystring or payload; nothing was sent"
                        ))
                    })?;
            let event = match serde_json::from_slice::<serde_json::Value>(&body) {
                Ok(value) => ExternalEventBody::Json(value),
                Err(_) => ExternalEventBody::Text(String::from_utf8_lossy(&body).into_owned()),
            };
            let call = client
                .post_external_event(need("account_id")?, need("project_id")?)
                .event_id(location, need("event_id_path")?)
                .body(event);
            if dry_run {
                println!("POST {} (checked; not sent)", hand.2);
                return Ok(());
            }
            call.send().await?;
        }
    }
    eprintln!("{id}: done");
    Ok(())
}

/// Masks the secret `fields` wherever they occur in `value` (a list answer nests them in
/// `data`), saying so on stderr once per field. A secret that is an object (such as an
/// endpoint's `headers`) keeps its keys and loses its values; any other one becomes `<secret>`.
pub(crate) fn mask(value: &mut serde_json::Value, fields: &[&str]) {
    let mut masked = std::collections::BTreeSet::new();
    mask_in(value, fields, 0, &mut masked);
    for field in masked {
        eprintln!("{field} is masked: --show-secrets prints it, -o FILE writes it owner-only");
    }
}

fn mask_in(
    value: &mut serde_json::Value,
    fields: &[&str],
    depth: usize,
    masked: &mut std::collections::BTreeSet<String>,
) {
    // serde_json already bounds nesting when parsing; this guards values built otherwise.
    if depth > 64 {
        return;
    }
    let hidden = || serde_json::Value::String("<secret>".to_string());
    match value {
        serde_json::Value::Object(object) => {
            for (name, slot) in object.iter_mut() {
                if !fields.contains(&name.as_str()) {
                    mask_in(slot, fields, depth + 1, masked);
                    continue;
                }
                match slot {
                    serde_json::Value::Null => continue,
                    serde_json::Value::Object(inner) => {
                        if inner.is_empty() {
                            continue;
                        }
                        inner.values_mut().for_each(|v| *v = hidden());
                    }
                    other => *other = hidden(),
                }
                masked.insert(name.clone());
            }
        }
        serde_json::Value::Array(items) => {
            for item in items {
                mask_in(item, fields, depth + 1, masked);
            }
        }
        _ => {}
    }
}

/// The output file; owner-only (0600) when the answer may hold a secret.
fn create_output(path: &std::path::Path, secret: bool) -> CliResult<std::fs::File> {
    let file = if secret {
        crate::secret_file::create_owner_only(path)
    } else {
        std::fs::File::create(path)
    };
    file.map_err(|e| CliError::io(format!("cannot create {}", path.display()), e))
}
