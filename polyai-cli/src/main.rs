//! `polyai`: PolyAI from the command line, on polyai-sdk.
//!
//! Every command talks to PolyAI through the SDK's `Client` (one HTTP path, the SDK's retries,
//! timeouts and errors). Errors are printed as one line plus a hint and mapped to the exit
//! codes in [`error::exit`].

mod actions;
mod agents;
mod api;
mod audio;
mod chat;
mod chat_test;
mod cli;
mod config;
mod conversations;
mod error;
mod locate;
mod mock;
mod output;
mod profile;
mod prompt;
mod records;
mod secret_file;
mod webhooks;
mod window;

use std::process::ExitCode;

use clap::{CommandFactory, Parser};

use crate::cli::{AudioCommand, Cli, Command, ConversationsCommand, Shell, WebhooksCommand};
use crate::config::Settings;
use crate::error::CliResult;

fn main() -> ExitCode {
    let cli = Cli::parse();
    init_tracing(cli.global.verbose);
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(e) => {
            output::print_error(&format!("cannot start the async runtime: {e}"), None);
            return ExitCode::from(error::exit::FAILURE);
        }
    };
    match runtime.block_on(run(cli)) {
        Ok(()) => ExitCode::SUCCESS,
        // Only a closed standard output ends a command this way: nothing to say.
        Err(e) if e.code == error::exit::SUCCESS => ExitCode::SUCCESS,
        Err(e) => {
            output::print_error(&e.message, e.hint.as_deref());
            ExitCode::from(e.code)
        }
    }
}

/// `-v` shows the SDK's requests (debug), `-vv` everything (trace); `RUST_LOG` refines it.
fn init_tracing(verbose: u8) {
    if verbose == 0 {
        return;
    }
    let default = if verbose == 1 {
        "polyai_sdk=debug,polyai=debug,warn"
    } else {
        "trace"
    };
    let filter = std::env::var("RUST_LOG")
        .ok()
        .filter(|v| !v.trim().is_empty())
        .unwrap_or_else(|| default.to_string());
    let filter = tracing_subscriber::EnvFilter::try_new(&filter)
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new(default));
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_ansi(output::stderr_color())
        .with_target(true)
        // The SDK opens a `polyai.request` span per call: print it when it closes, so that
        // every request shows (operation, method, path, time), not only retries and failures.
        .with_span_events(tracing_subscriber::fmt::format::FmtSpan::CLOSE)
        .try_init();
}

async fn run(cli: Cli) -> CliResult {
    let global = &cli.global;
    match &cli.command {
        Command::Profile(command) => profile::run(global, command),
        Command::Mock(args) => mock::run(args).await,
        Command::Chat(args) => chat::run(global, args).await,
        Command::Api(args) => api::run(global, args).await,
        Command::Actions(command) => actions::run(command).await,
        Command::Completions { shell } => {
            let shell = match shell {
                Shell::Bash => clap_complete::Shell::Bash,
                Shell::Zsh => clap_complete::Shell::Zsh,
                Shell::Fish => clap_complete::Shell::Fish,
            };
            clap_complete::generate(shell, &mut Cli::command(), "polyai", &mut std::io::stdout());
            Ok(())
        }
        Command::Conversations(command) => {
            let settings = Settings::resolve(global)?;
            match command {
                ConversationsCommand::List {
                    filters,
                    format,
                    limit,
                } => conversations::list(&settings, filters, *format, *limit).await,
                ConversationsCommand::Export {
                    filters,
                    output,
                    gzip,
                    shard,
                    checkpoint,
                    restart,
                    no_sync,
                } => {
                    conversations::export(
                        &settings,
                        conversations::ExportArgs {
                            filters,
                            output,
                            gzip: *gzip,
                            shard: shard.as_deref(),
                            checkpoint: checkpoint.as_deref(),
                            restart: *restart,
                            sync: !*no_sync,
                        },
                    )
                    .await
                }
            }
        }
        Command::Agents(command) => {
            let settings = Settings::resolve(global)?;
            agents::run(&settings, command).await
        }
        Command::Webhooks(WebhooksCommand::Listen {
            port,
            host,
            secret,
            forward,
            format,
            count,
        }) => webhooks::listen(*host, *port, secret, forward.as_deref(), *format, *count).await,
        Command::Webhooks(WebhooksCommand::Send {
            url,
            secret,
            event,
            body,
            event_id,
        }) => {
            webhooks::send(
                url,
                secret.as_deref(),
                *event,
                body.as_deref(),
                event_id.as_deref(),
            )
            .await
        }
        Command::Webhooks(WebhooksCommand::Endpoints(command)) => {
            let settings = Settings::resolve(global)?;
            webhooks::endpoints(&settings, command).await
        }
        Command::Audio(AudioCommand::Download {
            ids,
            from,
            filters,
            dir,
            parallel,
            direction,
            redacted,
        }) => {
            let settings = Settings::resolve(global)?;
            audio::download(
                &settings,
                audio::DownloadArgs {
                    ids,
                    from: from.as_deref(),
                    filters,
                    dir,
                    parallel: *parallel,
                    direction: *direction,
                    redacted: *redacted,
                },
            )
            .await
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_command_line_is_consistent() {
        Cli::command().debug_assert();
    }

    /// Every command, group or leaf, at any depth, has examples in its help.
    #[test]
    fn every_command_has_examples() {
        fn walk(command: &clap::Command, path: &str, missing: &mut Vec<String>) {
            let help = command
                .get_after_help()
                .or(command.get_after_long_help())
                .map(|h| h.to_string())
                .unwrap_or_default();
            if !help.contains("Examples:\n  polyai ") {
                missing.push(path.to_string());
            }
            for sub in command.get_subcommands() {
                walk(sub, &format!("{path} {}", sub.get_name()), missing);
            }
        }
        let mut missing = Vec::new();
        walk(&Cli::command(), "polyai", &mut missing);
        assert!(missing.is_empty(), "without examples: {missing:?}");
    }
}
