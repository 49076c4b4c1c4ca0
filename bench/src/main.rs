//! `polyai-bench`: one benchmark scenario per invocation, printed as one JSON line.
//!
//! Each scenario runs our SDK and the leanest hand-written way to do the same job (the
//! *baseline*) in the same process, against the same server, interleaved, after a warm-up.
//! `cargo xtask bench` starts `polyai-mock` as a separate pinned process, runs every scenario
//! through this binary, and turns the JSON into the table of `BENCHMARKS.md`; run it directly
//! only to look at one scenario:
//!
//! ```text
//! polyai-bench transcripts  --base-url URL --api-key K --account A --project P
//!                           [--page-size 1000] [--expect N] [--reps 5] [--warmup 1] [--mock-pid PID]
//! polyai-bench small-calls  --base-url URL --api-key K --agent A [--calls 20000] [--tasks 64] ...
//! polyai-bench audio        --base-url URL --api-key K --agent A --conversation C
//!                           --variant ours|ours-fsync|reqwest --out FILE [--reps 3] ...
//! polyai-bench find-recording --base-url URL --api-key K --agent A
//! polyai-bench webhooks     [--deliveries 100000] [--body-bytes 600] [--reps 5] [--warmup 1]
//! polyai-bench debug-chat   --base-url URL --api-key K --agent A [--sessions 1000] [--turns 10]
//! polyai-bench actions      --out-dir DIR [--renders 100000] [--executions 20000] [--token-calls 10000]
//!                           [--reps 5] [--warmup 1]
//! polyai-bench action-breakdown [--requests 20000] [--service-core N]   (a diagnostic)
//! polyai-bench action-cold  [--runs 2000] [--evict-mib 64]              (a diagnostic)
//! polyai-bench action-lines [--variant raw|send|run] [--requests 300] [--evict-mib 64] (a diagnostic)
//! polyai-bench export       --base-url URL --api-key K --account A --project P --cli POLYAI
//!                           --out-dir DIR [--python-script export.py] [--records 100000] ...
//! polyai-bench chat-test    --base-url URL --api-key K --agent A --cli POLYAI --out-dir DIR
//!                           [--scenarios 1000] [--concurrency N] [--reps 3] [--warmup 1]
//! ```

mod actions;
mod audio;
mod chat_test;
mod debug_chat;
mod export;
mod measure;
mod small_calls;
mod transcripts;
mod webhooks;

use std::collections::HashMap;
use std::process::ExitCode;
use std::str::FromStr;

use serde_json::Value;

/// Errors of the benchmark binary: any failure ends the scenario with a message.
pub type BenchError = Box<dyn std::error::Error + Send + Sync>;

/// Result type of the benchmark binary.
pub type BenchResult<T> = Result<T, BenchError>;

/// The `--name value` options of one invocation.
pub struct Args {
    values: HashMap<String, String>,
}

impl Args {
    fn parse(mut raw: impl Iterator<Item = String>) -> BenchResult<Args> {
        let mut values = HashMap::new();
        while let Some(name) = raw.next() {
            let Some(key) = name.strip_prefix("--") else {
                return Err(format!("expected an option like --name, got {name:?}").into());
            };
            let value = raw.next().ok_or_else(|| format!("--{key} needs a value"))?;
            values.insert(key.to_owned(), value);
        }
        Ok(Args { values })
    }

    /// A required text option.
    pub fn text(&self, name: &str) -> BenchResult<&str> {
        self.values
            .get(name)
            .map(String::as_str)
            .ok_or_else(|| format!("--{name} is required").into())
    }

    /// An optional number, with its default.
    pub fn number<T: FromStr>(&self, name: &str, default: T) -> BenchResult<T> {
        match self.values.get(name) {
            None => Ok(default),
            Some(text) => text
                .parse()
                .map_err(|_| format!("--{name}: not a valid number: {text:?}").into()),
        }
    }

    /// How many measured repetitions and warm-up rounds to run.
    pub fn repetitions(&self, default_reps: usize) -> BenchResult<(usize, usize)> {
        let reps = self.number("reps", default_reps)?.max(1);
        let warmup = self.number("warmup", 1usize)?;
        Ok((reps, warmup))
    }

    /// Keeps the variants `--variants a,b` names (all of them without the option), e.g. to
    /// profile one side alone.
    pub fn select<'a>(
        &self,
        variants: Vec<measure::Variant<'a>>,
    ) -> BenchResult<Vec<measure::Variant<'a>>> {
        let Some(wanted) = self.values.get("variants") else {
            return Ok(variants);
        };
        let wanted: Vec<&str> = wanted.split(',').map(str::trim).collect();
        let kept: Vec<_> = variants
            .into_iter()
            .filter(|v| wanted.contains(&v.name))
            .collect();
        if kept.is_empty() {
            return Err(
                format!("--variants {wanted:?} names none of this scenario's variants").into(),
            );
        }
        Ok(kept)
    }

    /// The mock's process, when the driver passed its pid (for its CPU share).
    pub fn mock(&self) -> BenchResult<Option<measure::MockProcess>> {
        match self.values.get("mock-pid") {
            None => Ok(None),
            Some(pid) => {
                let pid = pid
                    .parse()
                    .map_err(|_| format!("--mock-pid: not a pid: {pid:?}"))?;
                Ok(Some(measure::MockProcess::new(pid)))
            }
        }
    }

    /// An SDK client for the server at `--base-url` with `--api-key`, configured as a user
    /// gets it by default (retries on, never triggered by a healthy mock).
    pub fn client(&self) -> BenchResult<polyai_sdk::Client> {
        Ok(polyai_sdk::Client::builder()
            .base_url(self.text("base-url")?)
            .api_key(self.text("api-key")?)
            .build()?)
    }
}

fn run(scenario: &str, args: &Args) -> BenchResult<Value> {
    match scenario {
        "webhooks" => webhooks::run(args),
        "actions" => actions::run(args),
        "action-breakdown" => actions::breakdown(args),
        "action-cold" => actions::cold(args),
        "action-lines" => actions::lines(args),
        _ => {
            let runtime = tokio::runtime::Builder::new_multi_thread()
                .enable_all()
                .build()?;
            runtime.block_on(async {
                match scenario {
                    "transcripts" => transcripts::run(args).await,
                    "small-calls" => small_calls::run(args).await,
                    "audio" => audio::run(args).await,
                    "find-recording" => audio::find_recording(args).await,
                    "debug-chat" => debug_chat::run(args).await,
                    "export" => export::run(args).await,
                    "chat-test" => chat_test::run(args).await,
                    other => Err(format!("unknown scenario {other:?}").into()),
                }
            })
        }
    }
}

fn usage() -> ExitCode {
    eprintln!(
        "usage: polyai-bench <transcripts|small-calls|audio|find-recording|webhooks|debug-chat|actions|action-breakdown|action-cold|action-lines|export|chat-test|action-service> [--option value]..."
    );
    ExitCode::from(2)
}

fn main() -> ExitCode {
    let mut raw = std::env::args().skip(1);
    let Some(scenario) = raw.next() else {
        return usage();
    };
    if scenario == "action-service" {
        // Not a scenario: the service the `actions` scenario starts in a process of its own.
        return match actions::serve_process() {
            Ok(()) => ExitCode::SUCCESS,
            Err(e) => {
                eprintln!("polyai-bench action-service: {e}");
                ExitCode::FAILURE
            }
        };
    }
    let outcome = Args::parse(raw).and_then(|args| run(&scenario, &args));
    match outcome {
        Ok(mut report) => {
            if let Value::Object(fields) = &mut report {
                fields.insert("scenario".into(), Value::from(scenario));
                fields.insert(
                    "peak_rss_kib".into(),
                    measure::peak_rss_kib().map_or(Value::Null, Value::from),
                );
            }
            println!("{report}");
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("polyai-bench {scenario}: {e}");
            ExitCode::FAILURE
        }
    }
}
