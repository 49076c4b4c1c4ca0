//! `polyai chat`: an interactive debug-chat session with an agent, on the SDK's
//! [`DebugChatSession`].
//!
//! Each line read from standard input is sent as the user's message; the agent's reply is
//! printed with the time the turn took. Lines starting with `/` are commands: `/metadata`,
//! `/history`, `/restart`, `/help`, `/quit`. It works the same with standard input piped, so a
//! conversation can be scripted (`printf 'hi\n/metadata\n' | polyai chat`).

use std::io::{IsTerminal, Write};
use std::time::{Duration, Instant};

use clap::{Args, Subcommand};
use polyai_sdk::conversations::Environment;
use polyai_sdk::debug_chat::{DebugChatReply, DebugChatSession};
use tokio::io::AsyncBufReadExt;

use crate::cli::{Env, GlobalArgs};
use crate::config::Settings;
use crate::error::{CliError, CliResult};
use crate::output;

/// `polyai chat [test]`
#[derive(Debug, Args)]
#[command(
    args_conflicts_with_subcommands = true,
    after_help = "\
Lines from standard input are sent to the agent; each reply is printed with its latency.
Commands: /metadata (the last reply's metadata as JSON), /history (the turns so far, with
latencies), /restart (a new conversation), /help, /quit (or end of input).

Examples:
  polyai chat --agent my-agent --env sandbox
  printf 'What are your opening hours?\\n/metadata\\nbye\\n' | polyai chat
  polyai chat --variant-id VARIANT-1 --attr caller_tier='\"gold\"'
  polyai chat test scenarios.yaml --repeat 5 --junit chat.xml --json chat.json"
)]
pub struct ChatArgs {
    /// `chat test`: run scripted scenarios instead of an interactive session.
    #[command(subcommand)]
    pub command: Option<ChatCommand>,
    /// The session's settings.
    #[command(flatten)]
    pub session: SessionArgs,
}

/// The subcommands of `polyai chat`.
#[derive(Debug, Subcommand)]
pub enum ChatCommand {
    /// Run scripted scenarios concurrently, each repeated K times, with expectations on every
    /// reply; prints a summary, optionally writes JUnit XML and JSON, exits 1 on failure.
    Test(crate::chat_test::TestArgs),
}

/// How a debug-chat session is started.
#[derive(Debug, Args, Clone)]
pub struct SessionArgs {
    /// The environment whose deployment answers.
    #[arg(long = "env", value_enum, default_value_t = Env::Sandbox)]
    pub environment: Env,
    /// Talk to this variant of the agent.
    #[arg(long, value_name = "ID")]
    pub variant_id: Option<String>,
    /// The channel to simulate (for example chat.polyai).
    #[arg(long)]
    pub channel: Option<String>,
    /// Speech-recognition language code (for example en-GB).
    #[arg(long, value_name = "CODE")]
    pub asr_lang: Option<String>,
    /// Text-to-speech language code (for example en-GB).
    #[arg(long, value_name = "CODE")]
    pub tts_lang: Option<String>,
    /// An integration attribute for the agent's functions, NAME=JSON (a bare word is a
    /// string); repeat for more.
    #[arg(long = "attr", value_name = "NAME=JSON")]
    pub attributes: Vec<String>,
}

/// The SDK's environment for a command-line one.
pub fn environment(env: Env) -> Environment {
    match env {
        Env::Sandbox => Environment::Sandbox,
        Env::PreRelease => Environment::PreRelease,
        Env::Live => Environment::Live,
    }
}

/// The environment's name as PolyAI spells it.
pub fn env_name(env: Env) -> &'static str {
    match env {
        Env::Sandbox => "sandbox",
        Env::PreRelease => "pre-release",
        Env::Live => "live",
    }
}

/// Parses `NAME=JSON` (a value that is not JSON is taken as a string).
pub fn attribute(text: &str) -> CliResult<(String, serde_json::Value)> {
    let Some((name, value)) = text.split_once('=') else {
        return Err(
            CliError::usage(format!("--attr {text:?} is not NAME=VALUE"))
                .hint("for example --attr tier=gold or --attr 'ids=[1,2]'"),
        );
    };
    if name.trim().is_empty() {
        return Err(CliError::usage(format!("--attr {text:?} has no name")));
    }
    let value = serde_json::from_str(value)
        .unwrap_or_else(|_| serde_json::Value::String(value.to_string()));
    Ok((name.trim().to_string(), value))
}

/// Runs `polyai chat` or `polyai chat test`.
pub async fn run(global: &GlobalArgs, args: &ChatArgs) -> CliResult {
    let settings = Settings::resolve(global)?;
    match &args.command {
        Some(ChatCommand::Test(test)) => crate::chat_test::run(&settings, test).await,
        None => interactive(&settings, &args.session).await,
    }
}

struct Turn {
    user: String,
    agent: String,
    latency: Duration,
}

async fn start(
    client: &polyai_sdk::Client,
    agent: &str,
    args: &SessionArgs,
) -> CliResult<(DebugChatSession, Duration)> {
    let mut options = client.debug_chat_session(agent, environment(args.environment));
    if let Some(v) = &args.variant_id {
        options = options.variant_id(v);
    }
    if let Some(v) = &args.channel {
        options = options.channel(v);
    }
    if let Some(v) = &args.asr_lang {
        options = options.asr_language(v);
    }
    if let Some(v) = &args.tts_lang {
        options = options.tts_language(v);
    }
    for text in &args.attributes {
        let (name, value) = attribute(text)?;
        options = options.integration_attribute(name, value);
    }
    let started = Instant::now();
    let session = options.start().await?;
    Ok((session, started.elapsed()))
}

fn print_reply(reply: &DebugChatReply, latency: Duration) {
    let text = reply.response.as_deref().unwrap_or("");
    println!(
        "agent [{} ms]: {}",
        latency.as_millis(),
        output::sanitize(text)
    );
    if let Some(destination) = reply
        .metadata
        .as_ref()
        .and_then(|m| m.handoff_destination.as_deref())
    {
        println!("-- handoff to {}", output::sanitize(destination));
    }
    if reply.conversation_ended == Some(true) {
        println!("-- the agent ended the conversation (/restart for a new one, /quit to leave)");
    }
}

const HELP: &str = "\
/metadata   the last reply's metadata (state, node trace, function events, ...) as JSON
/history    the turns of this conversation, with latencies
/restart    end this conversation and start a new one
/quit       leave (end of input does too)";

async fn interactive(settings: &Settings, args: &SessionArgs) -> CliResult {
    let client = settings.client()?;
    let agent = settings.agent()?.to_string();
    let (mut session, latency) = start(&client, &agent, args).await?;
    let prompt = std::io::stdin().is_terminal();
    println!(
        "-- conversation {} with agent {agent} ({})",
        session.conversation_id(),
        env_name(args.environment)
    );
    print_reply(session.greeting(), latency);
    let mut last = session.greeting().clone();
    let mut history = vec![Turn {
        user: String::new(),
        agent: last.response.clone().unwrap_or_default(),
        latency,
    }];
    let mut total_turns = 0usize;
    let mut total_latency = Duration::ZERO;
    let mut lines = tokio::io::BufReader::new(tokio::io::stdin()).lines();
    loop {
        if prompt {
            eprint!("you> ");
            let _ = std::io::stderr().flush();
        }
        let Some(line) = lines
            .next_line()
            .await
            .map_err(|e| CliError::io("cannot read standard input", e))?
        else {
            break;
        };
        let line = line.trim_end_matches('\r');
        match line.trim() {
            "/quit" | "/exit" => break,
            "/help" => {
                println!("{HELP}");
                continue;
            }
            "/metadata" => {
                let metadata = serde_json::to_string_pretty(&last.metadata)
                    .unwrap_or_else(|e| format!("(cannot encode the metadata: {e})"));
                println!("{metadata}");
                continue;
            }
            "/history" => {
                for (i, turn) in history.iter().enumerate() {
                    if i == 0 {
                        println!(
                            "{i:>3}  agent [{} ms]: {}",
                            turn.latency.as_millis(),
                            output::sanitize(&turn.agent)
                        );
                    } else {
                        println!("{i:>3}  you: {}", output::sanitize(&turn.user));
                        println!(
                            "     agent [{} ms]: {}",
                            turn.latency.as_millis(),
                            output::sanitize(&turn.agent)
                        );
                    }
                }
                continue;
            }
            "/restart" => {
                let (fresh, latency) = start(&client, &agent, args).await?;
                session = fresh;
                println!("-- new conversation {}", session.conversation_id());
                print_reply(session.greeting(), latency);
                last = session.greeting().clone();
                history = vec![Turn {
                    user: String::new(),
                    agent: last.response.clone().unwrap_or_default(),
                    latency,
                }];
                continue;
            }
            command if command.starts_with('/') => {
                eprintln!("unknown command {command}; /help lists them");
                continue;
            }
            _ => {}
        }
        if session.is_ended() {
            println!("-- the conversation has ended: /restart for a new one, /quit to leave");
            continue;
        }
        let started = Instant::now();
        let reply = match session.send(line).await {
            Ok(reply) => reply,
            // On a terminal the session goes on (the user may /restart); a script stops.
            Err(e) if prompt => {
                let e = CliError::from(e);
                crate::output::print_error(&e.message, e.hint.as_deref());
                continue;
            }
            Err(e) => return Err(e.into()),
        };
        let latency = started.elapsed();
        total_turns += 1;
        total_latency += latency;
        print_reply(&reply, latency);
        history.push(Turn {
            user: line.to_string(),
            agent: reply.response.clone().unwrap_or_default(),
            latency,
        });
        last = reply;
    }
    if total_turns > 0 {
        eprintln!(
            "{total_turns} turn(s), mean latency {} ms",
            (total_latency / total_turns as u32).as_millis()
        );
    }
    Ok(())
}
