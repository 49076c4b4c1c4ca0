//! `cargo xtask bench`: runs `polyai-bench` against `polyai-mock` started as a separate
//! process, prints a table of medians and ratios, and writes it into `BENCHMARKS.md`.
//!
//! The mock is pinned to the last available core and the benchmark client to the first
//! (with `taskset`, when it exists and there are at least two cores), so neither steals the
//! other's CPU. Every scenario gets a fresh mock sized for it.

use std::fmt::Write as _;
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdout, Command, Stdio};
use std::time::Instant;

use serde_json::Value;

use crate::workspace_root;

const MIB: u64 = 1024 * 1024;
/// Markers delimiting the generated part of `BENCHMARKS.md`; the rest is kept as written.
const BEGIN: &str = "<!-- cargo xtask bench: begin generated results -->";
const END: &str = "<!-- cargo xtask bench: end generated results -->";
/// A scenario whose baseline kept the mock busier than this share of its core is reported
/// as bound by the mock.
const MOCK_BOUND: f64 = 0.85;

/// What the command line asked for.
struct Options {
    quick: bool,
    profile: String,
    reps: Option<usize>,
    only: Option<Vec<String>>,
    write: bool,
}

/// Sizes of one run of the suite.
struct Sizes {
    transcripts: u64,
    transcript_pool: u64,
    calls: u64,
    audio_mib: Vec<u64>,
    deliveries: u64,
    renders: u64,
    /// Action executions per variant and repetition (in-process and loopback).
    executions: u64,
    sessions: u64,
    /// Conversations in the export window, and in the mock (about 70% are in `live`).
    export_records: u64,
    export_pool: u64,
    /// Scenarios of `polyai chat test`, all run at once.
    chat_scenarios: u64,
    reps: usize,
    audio_reps: usize,
    chat_reps: usize,
    export_reps: usize,
}

impl Sizes {
    fn for_options(options: &Options) -> Sizes {
        let mut sizes = if options.quick {
            Sizes {
                transcripts: 5_000,
                transcript_pool: 8_000,
                calls: 2_000,
                audio_mib: vec![16],
                deliveries: 10_000,
                renders: 2_000,
                executions: 500,
                sessions: 100,
                export_records: 10_000,
                export_pool: 15_000,
                chat_scenarios: 100,
                reps: 2,
                audio_reps: 2,
                chat_reps: 1,
                export_reps: 1,
            }
        } else {
            Sizes {
                transcripts: 100_000,
                // About 70% of the mock's conversations are in `live`, the listing's default.
                transcript_pool: 150_000,
                calls: 20_000,
                audio_mib: vec![50, 200, 800],
                deliveries: 100_000,
                renders: 100_000,
                executions: 20_000,
                sessions: 1_000,
                export_records: 100_000,
                export_pool: 150_000,
                chat_scenarios: 1_000,
                reps: 5,
                audio_reps: 3,
                chat_reps: 3,
                // Five: the CLI's fsyncs make its runs sensitive to a moment of slow disk, and
                // with three a median can land on two such runs.
                export_reps: 5,
            }
        };
        if let Some(reps) = options.reps {
            sizes.reps = reps;
            sizes.audio_reps = reps;
            sizes.chat_reps = reps;
            sizes.export_reps = reps;
        }
        sizes
    }
}

const USAGE: &str = "\
usage: cargo xtask bench [--quick] [--profile dev|release] [--reps N] [--only LIST] [--no-write]

  --quick          small sizes (seconds, for CI); implies --profile dev and --no-write
  --profile P      cargo profile to build with (default release; dev with --quick)
  --reps N         measured repetitions per scenario (default 5; audio and chat 3)
  --only LIST      comma-separated scenarios: transcripts,small-calls,audio,webhooks,actions,debug-chat,export,chat-test;
                   implies --no-write (BENCHMARKS.md holds one run of the whole suite)
  --no-write       print the table without updating BENCHMARKS.md
";

fn parse(args: &[String]) -> Result<Options, String> {
    let mut options = Options {
        quick: false,
        profile: String::new(),
        reps: None,
        only: None,
        write: true,
    };
    let mut it = args.iter();
    while let Some(arg) = it.next() {
        let mut value = || {
            it.next()
                .cloned()
                .ok_or_else(|| format!("{arg} needs a value\n\n{USAGE}"))
        };
        match arg.as_str() {
            "--quick" => options.quick = true,
            "--profile" => options.profile = value()?,
            "--reps" => {
                let text = value()?;
                let reps = text
                    .parse::<usize>()
                    .ok()
                    .filter(|n| *n > 0)
                    .ok_or_else(|| format!("--reps: not a positive number: {text:?}"))?;
                options.reps = Some(reps);
            }
            "--only" => {
                options.only = Some(value()?.split(',').map(|s| s.trim().to_owned()).collect())
            }
            "--no-write" => options.write = false,
            "-h" | "--help" => return Err(USAGE.to_owned()),
            other => return Err(format!("unknown option {other:?}\n\n{USAGE}")),
        }
    }
    // BENCHMARKS.md's generated block is one run of the whole suite on one machine (its
    // header names the machine and the date), so neither a quick run nor a partial one may
    // replace it: a `--only` run would wipe every other scenario's rows.
    if options.quick || options.only.is_some() {
        options.write = false;
    }
    if options.profile.is_empty() {
        options.profile = if options.quick { "dev" } else { "release" }.to_owned();
    }
    Ok(options)
}

/// Entry point of `cargo xtask bench`.
pub fn run(args: &[String]) -> Result<(), String> {
    let options = parse(args)?;
    let sizes = Sizes::for_options(&options);
    let root = workspace_root();
    let bins = build(&root, &options.profile)?;
    let pinning = Pinning::detect();
    let machine = machine_description(&pinning, &options.profile);
    eprintln!("{machine}");
    let scratch = root.join("target").join("bench");
    std::fs::create_dir_all(&scratch)
        .map_err(|e| format!("creating {}: {e}", scratch.display()))?;

    let wanted = |name: &str| {
        options
            .only
            .as_ref()
            .is_none_or(|o| o.iter().any(|n| n == name))
    };
    let suite = Suite {
        bins: &bins,
        pinning: &pinning,
        sizes: &sizes,
        scratch: &scratch,
    };
    let started = Instant::now();
    let mut report = Report::default();
    if wanted("small-calls") {
        suite.small_calls(&mut report)?;
    }
    if wanted("transcripts") {
        suite.transcripts(&mut report)?;
    }
    if wanted("audio") {
        suite.audio(&mut report)?;
    }
    if wanted("webhooks") {
        suite.webhooks(&mut report)?;
    }
    if wanted("actions") {
        suite.actions(&mut report)?;
    }
    if wanted("debug-chat") {
        suite.debug_chat(&mut report)?;
    }
    if wanted("export") {
        suite.export(&mut report)?;
    }
    if wanted("chat-test") {
        suite.chat_test(&mut report)?;
    }
    let command = if options.quick {
        "cargo xtask bench --quick".to_owned()
    } else {
        "cargo xtask bench".to_owned()
    };
    let markdown = report.markdown(&machine, &command, started.elapsed().as_secs());
    println!("{markdown}");
    std::fs::write(
        scratch.join("results.json"),
        Value::from(report.raw.clone()).to_string(),
    )
    .map_err(|e| format!("writing results.json: {e}"))?;
    if options.write {
        write_benchmarks_md(&root.join("BENCHMARKS.md"), &markdown)?;
        eprintln!("BENCHMARKS.md updated");
    }
    if report.failures > 0 && !options.quick {
        eprintln!("{} target(s) missed: see the table", report.failures);
    }
    Ok(())
}

// ---------------------------------------------------------------------------------------------
// Building and running the two binaries

struct Binaries {
    mock: PathBuf,
    bench: PathBuf,
    /// The `polyai` command-line tool.
    cli: PathBuf,
}

fn build(root: &Path, profile: &str) -> Result<Binaries, String> {
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".to_owned());
    eprintln!("building polyai-mock, polyai-bench and polyai ({profile} profile)...");
    let mut command = Command::new(cargo);
    command
        .current_dir(root)
        .args(["build", "--quiet", "--profile", profile]);
    if profile == "dev" {
        // Quick mode runs in CI after `cargo test --workspace`: select the workspace as the
        // tests do (examples included, so dev-dependencies count) for the same feature set,
        // and the test step's build is reused instead of compiled and stored a second time.
        command.args(["--workspace", "--bins", "--examples"]);
    } else {
        command.args([
            "-p",
            "polyai-mock",
            "-p",
            "polyai-bench",
            "-p",
            "polyai-cli",
            "--bins",
        ]);
    }
    let status = command
        .status()
        .map_err(|e| format!("cannot run cargo: {e}"))?;
    if !status.success() {
        return Err(format!("cargo build failed ({status})"));
    }
    let target = std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| root.join("target"));
    let dir = target.join(if profile == "dev" { "debug" } else { profile });
    Ok(Binaries {
        mock: dir.join("polyai-mock"),
        bench: dir.join("polyai-bench"),
        cli: dir.join("polyai"),
    })
}

/// Which cores the mock and the client run on.
struct Pinning {
    /// `(client core, mock core)` when pinning is possible.
    cores: Option<(usize, usize)>,
    available: usize,
}

impl Pinning {
    fn detect() -> Pinning {
        let available = std::thread::available_parallelism().map_or(1, usize::from);
        let taskset = Command::new("taskset")
            .arg("--version")
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .is_ok_and(|s| s.success());
        Pinning {
            cores: (taskset && available >= 2).then_some((0, available - 1)),
            available,
        }
    }

    fn command(&self, program: &Path, core: impl Fn((usize, usize)) -> usize) -> Command {
        match self.cores {
            Some(cores) => {
                let mut command = Command::new("taskset");
                command.arg("-c").arg(core(cores).to_string()).arg(program);
                command
            }
            None => Command::new(program),
        }
    }

    fn describe(&self) -> String {
        match self.cores {
            Some((client, mock)) => format!(
                "mock pinned to core {mock}, benchmark client to core {client} (taskset; {} cores available)",
                self.available
            ),
            None => format!(
                "not pinned (taskset missing or only {} core available): figures are less stable",
                self.available
            ),
        }
    }
}

/// A running mock; killed when dropped.
struct Mock {
    child: Child,
    base_url: String,
    // Kept open so the mock's remaining start-up lines never meet a closed pipe.
    _stdout: BufReader<ChildStdout>,
}

const API_KEY: &str = "mock-api-key";
const ACCOUNT: &str = "ws-mock0001";
const AGENT: &str = "PROJECT-MOCK0001";

impl Mock {
    fn start(suite: &Suite, extra: &[String]) -> Result<Mock, String> {
        let mut child = suite
            .pinning
            .command(&suite.bins.mock, |(_, mock)| mock)
            .args(["--port", "0", "--no-log", "--api-key", API_KEY])
            .args(extra)
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .map_err(|e| format!("cannot start {}: {e}", suite.bins.mock.display()))?;
        let stdout = child
            .stdout
            .take()
            .ok_or("the mock's stdout is not piped")?;
        let mut stdout = BufReader::new(stdout);
        let mut line = String::new();
        let read = stdout.read_line(&mut line);
        let base_url = line
            .trim()
            .strip_prefix("polyai-mock listening on ")
            .map(str::to_owned);
        match (read, base_url) {
            (Ok(_), Some(base_url)) => Ok(Mock {
                child,
                base_url,
                _stdout: stdout,
            }),
            _ => {
                let _ = child.kill();
                let _ = child.wait();
                Err(format!(
                    "the mock did not start (first line {:?})",
                    line.trim()
                ))
            }
        }
    }

    fn pid(&self) -> String {
        self.child.id().to_string()
    }
}

impl Drop for Mock {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

struct Suite<'a> {
    bins: &'a Binaries,
    pinning: &'a Pinning,
    sizes: &'a Sizes,
    scratch: &'a Path,
}

impl Suite<'_> {
    /// Runs one `polyai-bench` invocation and returns its JSON report.
    fn bench(&self, scenario: &str, mock: Option<&Mock>, args: &[String]) -> Result<Value, String> {
        let mut command = self.pinning.command(&self.bins.bench, |(client, _)| client);
        command.arg(scenario);
        if let Some(mock) = mock {
            command
                .args(["--base-url", &mock.base_url, "--api-key", API_KEY])
                .args(["--mock-pid", &mock.pid()]);
        }
        let output = command
            .args(args)
            .stderr(Stdio::inherit())
            .output()
            .map_err(|e| format!("cannot run polyai-bench: {e}"))?;
        if !output.status.success() {
            return Err(format!(
                "polyai-bench {scenario} failed ({})",
                output.status
            ));
        }
        let stdout = String::from_utf8_lossy(&output.stdout);
        let line = stdout.lines().last().unwrap_or_default();
        serde_json::from_str(line)
            .map_err(|e| format!("polyai-bench {scenario} printed no report ({e}): {line:?}"))
    }

    fn reps(&self, reps: usize) -> [String; 4] {
        [
            "--reps".into(),
            reps.to_string(),
            "--warmup".into(),
            "1".into(),
        ]
    }

    fn small_calls(&self, report: &mut Report) -> Result<(), String> {
        eprintln!(
            "small calls: {} get-conversation calls from 64 tasks...",
            self.sizes.calls
        );
        let mock = Mock::start(self, &args(["--conversations", "5000"]))?;
        let mut extra = args(["--agent", AGENT, "--calls", &self.sizes.calls.to_string()]);
        extra.extend(args(["--tasks", "64"]));
        extra.extend(self.reps(self.sizes.reps));
        let result = self.bench("small-calls", Some(&mock), &extra)?;
        report.small_calls(&result);
        Ok(())
    }

    fn transcripts(&self, report: &mut Report) -> Result<(), String> {
        eprintln!(
            "transcript pull: {} conversations in pages of 1000...",
            self.sizes.transcripts
        );
        let pool = self.sizes.transcript_pool.to_string();
        let mock = Mock::start(self, &args(["--conversations", &pool]))?;
        let mut extra = args([
            "--account",
            ACCOUNT,
            "--project",
            AGENT,
            "--page-size",
            "1000",
        ]);
        extra.extend(args(["--records", &self.sizes.transcripts.to_string()]));
        extra.extend(self.reps(self.sizes.reps));
        let result = self.bench("transcripts", Some(&mock), &extra)?;
        report.transcripts(&result);
        Ok(())
    }

    fn audio(&self, report: &mut Report) -> Result<(), String> {
        for &mib in &self.sizes.audio_mib {
            eprintln!("audio to file: {mib} MiB...");
            let bytes = (mib * MIB).to_string();
            let mock = Mock::start(
                self,
                &args(["--conversations", "100", "--audio-bytes", &bytes]),
            )?;
            let found = self.bench("find-recording", Some(&mock), &args(["--agent", AGENT]))?;
            let conversation = found["conversation"]
                .as_str()
                .ok_or("find-recording returned no conversation")?
                .to_owned();
            let mut runs = Vec::new();
            for variant in ["curl", "reqwest", "ours", "ours-fsync"] {
                let out = self.scratch.join(format!("audio-{variant}.wav"));
                let mut extra = args(["--agent", AGENT, "--conversation", &conversation]);
                extra.extend(args([
                    "--variant",
                    variant,
                    "--out",
                    &out.to_string_lossy(),
                ]));
                extra.extend(self.reps(self.sizes.audio_reps));
                runs.push(self.bench("audio", Some(&mock), &extra)?);
            }
            report.audio(mib, &runs);
        }
        Ok(())
    }

    fn webhooks(&self, report: &mut Report) -> Result<(), String> {
        eprintln!(
            "webhook verification: {} deliveries...",
            self.sizes.deliveries
        );
        let mut extra = args(["--deliveries", &self.sizes.deliveries.to_string()]);
        extra.extend(args(["--body-bytes", "600"]));
        extra.extend(self.reps(self.sizes.reps));
        let result = self.bench("webhooks", None, &extra)?;
        report.webhooks(&result);
        Ok(())
    }

    /// Action rendering, ours (`polyai-bench actions`) and Go's own `text/template` (the
    /// template-corpus oracle's bench mode, pinned to the same core) over the same template and
    /// data, when Go is installed.
    fn actions(&self, report: &mut Report) -> Result<(), String> {
        let renders = self.sizes.renders.to_string();
        let executions = self.sizes.executions.to_string();
        eprintln!(
            "action rendering: {renders} renders; action execution: {executions} executions per variant, 10000 OAuth calls..."
        );
        let out_dir = self.scratch.join("actions");
        let mut extra = args([
            "--renders",
            &renders,
            "--executions",
            &executions,
            "--token-calls",
            "10000",
            "--out-dir",
            &out_dir.to_string_lossy(),
        ]);
        if let Some((_, service_core)) = self.pinning.cores {
            // The user's service runs on a core of its own, as the mock does.
            extra.extend(args(["--service-core", &service_core.to_string()]));
        }
        extra.extend(self.reps(self.sizes.reps));
        let ours = self.bench("actions", None, &extra)?;
        let go = match crate::template_corpus::build_oracle(&workspace_root()) {
            Ok(oracle) => Ok(self.go_renders(&oracle, &ours, &renders)?),
            Err(why) => Err(why),
        };
        report.actions(&ours, go);
        Ok(())
    }

    /// Go's renders of the benchmark's template: a warm-up, then `reps` runs; the medians are
    /// taken by the report. Fails if Go's output length differs from ours.
    fn go_renders(&self, oracle: &Path, ours: &Value, renders: &str) -> Result<Value, String> {
        let text = |key: &str| ours[key].as_str().unwrap_or_default().to_owned();
        let (template, data) = (text("template"), text("data"));
        let mut runs = Vec::new();
        for round in 0..=self.sizes.reps {
            let output = self
                .pinning
                .command(oracle, |(client, _)| client)
                .args(["bench", "--template", &template, "--data", &data])
                .args(["--iterations", renders, "--missing-key", "default"])
                .stderr(Stdio::inherit())
                .output()
                .map_err(|e| format!("cannot run the Go oracle: {e}"))?;
            if !output.status.success() {
                return Err(format!("the Go oracle's bench failed ({})", output.status));
            }
            let line = String::from_utf8_lossy(&output.stdout);
            let run: Value = serde_json::from_str(line.lines().last().unwrap_or_default())
                .map_err(|e| format!("the Go oracle printed no report ({e}): {line:?}"))?;
            if run["output_bytes"] != ours["output_bytes"] {
                return Err(format!(
                    "Go renders {} bytes where ours renders {}: not the same work",
                    run["output_bytes"], ours["output_bytes"]
                ));
            }
            if round > 0 {
                runs.push(run);
            }
        }
        Ok(serde_json::json!({
            "engine": runs.first().map(|r| r["engine"].clone()).unwrap_or_default(),
            "seconds": runs.iter().map(|r| r["seconds"].clone()).collect::<Vec<_>>(),
        }))
    }

    fn debug_chat(&self, report: &mut Report) -> Result<(), String> {
        eprintln!(
            "debug-chat bots: {} sessions x 10 turns...",
            self.sizes.sessions
        );
        let mock = Mock::start(self, &args(["--conversations", "100"]))?;
        let mut extra = args(["--agent", AGENT, "--turns", "10"]);
        extra.extend(args(["--sessions", &self.sizes.sessions.to_string()]));
        extra.extend(self.reps(self.sizes.chat_reps));
        let result = self.bench("debug-chat", Some(&mock), &extra)?;
        report.debug_chat(&result);
        Ok(())
    }
}

impl Suite<'_> {
    /// Export to JSON Lines: `polyai conversations export` (with and without its per-page
    /// fsync), the SDK library and Python `requests`, over one window holding exactly
    /// `export_records` conversations (`polyai-bench export` checks that all wrote the same
    /// bytes).
    fn export(&self, report: &mut Report) -> Result<(), String> {
        let records = self.sizes.export_records.to_string();
        eprintln!("export to JSON Lines: {records} conversations (polyai, library, Python)...");
        let pool = self.sizes.export_pool.to_string();
        let mock = Mock::start(self, &args(["--conversations", &pool]))?;
        let out_dir = self.scratch.join("export");
        let script = workspace_root()
            .join("bench")
            .join("python")
            .join("export.py");
        let mut extra = args([
            "--account",
            ACCOUNT,
            "--project",
            AGENT,
            "--records",
            &records,
        ]);
        extra.extend(args([
            "--page-size",
            "1000",
            "--cli",
            &self.bins.cli.to_string_lossy(),
        ]));
        extra.extend(args(["--out-dir", &out_dir.to_string_lossy()]));
        extra.extend(args(["--python-script", &script.to_string_lossy()]));
        extra.extend(self.reps(self.sizes.export_reps));
        let result = self.bench("export", Some(&mock), &extra)?;
        report.export(&result);
        Ok(())
    }

    /// `polyai chat test` with `chat_scenarios` scenarios run at once against the mock.
    fn chat_test(&self, report: &mut Report) -> Result<(), String> {
        let scenarios = self.sizes.chat_scenarios.to_string();
        eprintln!("polyai chat test: {scenarios} concurrent scenarios...");
        let mock = Mock::start(self, &args(["--conversations", "100"]))?;
        let out_dir = self.scratch.join("chat-test");
        let mut extra = args(["--agent", AGENT, "--scenarios", &scenarios]);
        extra.extend(args(["--cli", &self.bins.cli.to_string_lossy()]));
        extra.extend(args(["--out-dir", &out_dir.to_string_lossy()]));
        extra.extend(self.reps(self.sizes.chat_reps));
        let result = self.bench("chat-test", Some(&mock), &extra)?;
        report.chat_test(&result);
        Ok(())
    }
}

fn args<const N: usize>(items: [&str; N]) -> Vec<String> {
    items.iter().map(|s| (*s).to_owned()).collect()
}

// ---------------------------------------------------------------------------------------------
// Figures

/// The median of some numbers (`NaN` when there are none).
fn median(values: &[f64]) -> f64 {
    let mut sorted: Vec<f64> = values.iter().copied().filter(|v| v.is_finite()).collect();
    sorted.sort_by(f64::total_cmp);
    match sorted.len() {
        0 => f64::NAN,
        n if n % 2 == 1 => sorted[n / 2],
        n => (sorted[n / 2 - 1] + sorted[n / 2]) / 2.0,
    }
}

fn numbers(value: &Value) -> Vec<f64> {
    value
        .as_array()
        .map(|items| items.iter().filter_map(Value::as_f64).collect())
        .unwrap_or_default()
}

/// Median seconds and median mock CPU share of one variant's runs.
fn variant(runs: &Value) -> (f64, f64) {
    (
        median(&numbers(&runs["seconds"])),
        median(&numbers(&runs["mock_cpu"])),
    )
}

fn percent(share: f64) -> String {
    if share.is_finite() {
        format!("{:.0}%", share * 100.0)
    } else {
        "n/a".to_owned()
    }
}

#[derive(Default)]
struct Report {
    /// Rows of the summary table: scenario, baseline, ours, ratio, target, verdict.
    rows: Vec<[String; 6]>,
    /// The mock's share of its core during each baseline, for the ceiling section.
    ceiling: Vec<String>,
    details: Vec<String>,
    failures: usize,
    raw: serde_json::Map<String, Value>,
}

impl Report {
    fn verdict(&mut self, met: bool, mock_cpu: f64) -> String {
        let bound = mock_cpu.is_finite() && mock_cpu >= MOCK_BOUND;
        if !met {
            self.failures += 1;
        }
        match (met, bound) {
            (true, false) => "met".to_owned(),
            (true, true) => "met (mock-bound)".to_owned(),
            (false, false) => "**missed**".to_owned(),
            (false, true) => "**missed** (mock-bound)".to_owned(),
        }
    }

    fn transcripts(&mut self, result: &Value) {
        self.raw.insert("transcripts".into(), result.clone());
        let units = result["units"].as_f64().unwrap_or(f64::NAN);
        let (base, base_cpu) = variant(&result["baseline"]);
        let (ours, ours_cpu) = variant(&result["ours"]);
        let ratio = ours / base;
        let verdict = self.verdict(ratio <= 1.10, base_cpu);
        self.rows.push([
            format!("Transcript pull, {units} conversations, pages of 1000"),
            format!("{base:.3} s ({:.0}/s)", units / base),
            format!("{ours:.3} s ({:.0}/s)", units / ours),
            format!("{ratio:.3}x time"),
            "<= 1.10x".into(),
            verdict,
        ]);
        let (typed, _) = variant(&result["typed"]);
        if typed.is_finite() {
            self.rows.push([
                "Transcript pull, against raw reqwest decoding into our types".into(),
                format!("{typed:.3} s ({:.0}/s)", units / typed),
                format!("{ours:.3} s"),
                format!("{:.3}x time", ours / typed),
                "(no target)".into(),
                "what the SDK adds".into(),
            ]);
        }
        self.ceiling.push(format!(
            "| Transcript pull | {} | {} |",
            percent(base_cpu),
            percent(ours_cpu)
        ));
    }

    fn small_calls(&mut self, result: &Value) {
        self.raw.insert("small_calls".into(), result.clone());
        let units = result["units"].as_f64().unwrap_or(f64::NAN);
        let (base, base_cpu) = variant(&result["baseline"]);
        let (ours, ours_cpu) = variant(&result["ours"]);
        let (base_rate, our_rate) = (units / base, units / ours);
        let ratio = our_rate / base_rate;
        let verdict = self.verdict(ratio >= 0.95, base_cpu);
        self.rows.push([
            format!("Small calls, {units} get-conversation from 64 tasks"),
            format!("{base_rate:.0} calls/s"),
            format!("{our_rate:.0} calls/s"),
            format!("{ratio:.3}x throughput"),
            ">= 0.95x".into(),
            verdict,
        ]);
        let (typed, _) = variant(&result["typed"]);
        if typed.is_finite() {
            self.rows.push([
                "Small calls, against raw reqwest decoding into our types".into(),
                format!("{:.0} calls/s", units / typed),
                format!("{our_rate:.0} calls/s"),
                format!("{:.3}x throughput", typed / ours),
                "(no target)".into(),
                "what the SDK adds".into(),
            ]);
        }
        self.ceiling.push(format!(
            "| Small calls | {} | {} |",
            percent(base_cpu),
            percent(ours_cpu)
        ));
        if base_cpu.is_finite() && base_cpu > 0.0 {
            self.details.push(format!(
                "Mock ceiling: the baseline's {base_rate:.0} calls/s kept the mock's core {} busy, so one mock core serves about {:.0} get-conversation calls/s.",
                percent(base_cpu),
                base_rate / base_cpu
            ));
        }
    }

    fn audio(&mut self, mib: u64, runs: &[Value]) {
        self.raw
            .insert(format!("audio_{mib}mib"), Value::from(runs.to_vec()));
        let find = |name: &str| runs.iter().find(|r| r["variant"] == name);
        let throughput = |name: &str| {
            find(name).map_or((f64::NAN, f64::NAN), |r| {
                let (secs, cpu) = variant(&r["runs"]);
                (
                    r["bytes"].as_f64().unwrap_or(f64::NAN) / MIB as f64 / secs,
                    cpu,
                )
            })
        };
        let rss_mib = |name: &str, key: &str| {
            find(name)
                .and_then(|r| r[key].as_f64())
                .map_or(f64::NAN, |kib| kib / 1024.0)
        };
        let (curl, curl_cpu) = throughput("curl");
        let (raw, _) = throughput("reqwest");
        let (ours, ours_cpu) = throughput("ours");
        let (ours_sync, _) = throughput("ours-fsync");
        let ratio = ours / curl;
        let our_rss = rss_mib("ours", "peak_rss_kib").max(rss_mib("ours-fsync", "peak_rss_kib"));
        let verdict = self.verdict(ratio >= 0.9, curl_cpu);
        self.rows.push([
            format!("Audio to file, {mib} MiB: throughput"),
            format!("curl {curl:.0} MiB/s; reqwest loop {raw:.0} MiB/s"),
            format!("{ours:.0} MiB/s ({ours_sync:.0} MiB/s with the default fsync)"),
            format!("{ratio:.3}x curl"),
            ">= 0.9x".into(),
            verdict,
        ]);
        let verdict = self.verdict(our_rss <= 32.0, f64::NAN);
        self.rows.push([
            format!("Audio to file, {mib} MiB: peak RSS"),
            format!(
                "curl {:.1} MiB; reqwest loop {:.1} MiB",
                rss_mib("curl", "child_peak_rss_kib"),
                rss_mib("reqwest", "peak_rss_kib")
            ),
            format!("{our_rss:.1} MiB"),
            String::new(),
            "<= 32 MiB".into(),
            verdict,
        ]);
        self.ceiling.push(format!(
            "| Audio {mib} MiB (curl / ours) | {} | {} |",
            percent(curl_cpu),
            percent(ours_cpu)
        ));
    }

    fn webhooks(&mut self, result: &Value) {
        self.raw.insert("webhooks".into(), result.clone());
        let units = result["units"].as_f64().unwrap_or(f64::NAN);
        let base = median(&numbers(&result["baseline"]["seconds"])) / units * 1e6;
        let ours = median(&numbers(&result["ours"]["seconds"])) / units * 1e6;
        let ratio = ours / base;
        let verdict = self.verdict(ratio <= 1.2, f64::NAN);
        self.rows.push([
            format!(
                "Webhook verification, {units} deliveries of {} bytes",
                result["body_bytes"]
            ),
            format!("{base:.3} us/verify"),
            format!("{ours:.3} us/verify"),
            format!("{ratio:.3}x time"),
            "<= 1.2x".into(),
            verdict,
        ]);
    }

    fn actions(&mut self, ours: &Value, go: Result<Value, String>) {
        self.raw.insert("actions".into(), ours.clone());
        let units = ours["units"].as_f64().unwrap_or(f64::NAN);
        let rate = |runs: &Value| units / median(&numbers(&runs["seconds"]));
        let (full, template) = (rate(&ours["full"]), rate(&ours["template_only"]));
        let scenario = format!(
            "Action rendering, {units} renders of a {}-byte booking body",
            ours["output_bytes"]
        );
        match go {
            Ok(go) => {
                self.raw.insert("actions_go".into(), go.clone());
                let go_rate = rate(&go);
                let engine = go["engine"].as_str().unwrap_or("Go text/template");
                for (what, ours_rate) in [
                    ("schema validation + template + request", full),
                    ("template only", template),
                ] {
                    let ratio = ours_rate / go_rate;
                    let verdict = self.verdict(ratio >= 1.0, f64::NAN);
                    self.rows.push([
                        format!("{scenario}: {what}, against {engine} (template only)"),
                        format!("{go_rate:.0} renders/s"),
                        format!("{ours_rate:.0} renders/s"),
                        format!("{ratio:.2}x throughput"),
                        ">= 1.0x".into(),
                        verdict,
                    ]);
                }
            }
            Err(why) => {
                eprintln!("Go is not available for the action-rendering comparison: {why}");
                self.rows.push([
                    format!("{scenario}: schema validation + template + request"),
                    "Go not installed: not compared".into(),
                    format!("{full:.0} renders/s (template only {template:.0})"),
                    "-".into(),
                    ">= 1.0x of Go".into(),
                    "not compared".into(),
                ]);
            }
        }
        self.action_execution(&ours["execution"]);
    }

    /// Action execution: in-process and over loopback against raw reqwest sending the same
    /// prepared request (target >= 0.95x), and OAuth token requests per 10,000 calls (target 1).
    fn action_execution(&mut self, execution: &Value) {
        if execution.is_null() {
            return;
        }
        let units = execution["executions"].as_f64().unwrap_or(f64::NAN);
        let rate = |name: &str| units / median(&numbers(&execution[name]["seconds"]));
        let in_process = rate("in_process");
        let (ours, raw, send_only) = (
            rate("loopback_ours"),
            rate("loopback_raw"),
            rate("loopback_send_only"),
        );
        self.rows.push([
            format!("Action execution in-process (ServiceClient into an axum Router), {units} runs: validate + template + request + handler + outcome"),
            "(no baseline)".into(),
            format!("{in_process:.0} actions/s ({:.2} us/action)", 1e6 / in_process),
            String::new(),
            "(figure)".into(),
            "measured".into(),
        ]);
        let ratio = ours / raw;
        let verdict = self.verdict(ratio >= 0.95, f64::NAN);
        let service = match execution["service_core"].as_u64() {
            Some(core) => format!("service process pinned to core {core}"),
            None => "service process unpinned".to_owned(),
        };
        self.rows.push([
            format!("Action execution over loopback HTTP, {units} sequential runs, {service} (ReqwestClient; baseline: raw reqwest sending the prepared request)"),
            format!("{raw:.0} requests/s"),
            format!("{ours:.0} actions/s (send only: {send_only:.0} requests/s, {:.3}x raw)", send_only / raw),
            format!("{ratio:.3}x throughput"),
            ">= 0.95x".into(),
            verdict,
        ]);
        let (same_ours, same_raw) = (rate("same_core_ours"), rate("same_core_raw"));
        if same_ours.is_finite() && same_raw.is_finite() {
            self.rows.push([
                format!("The same over loopback with the service on a thread on the client's core (worst case: the service's work queues behind the client's), {units} runs"),
                format!("{same_raw:.0} requests/s"),
                format!("{same_ours:.0} actions/s"),
                format!("{:.3}x throughput", same_ours / same_raw),
                "(figure; the target is read on the row above)".into(),
                "measured".into(),
            ]);
        }
        let oauth = &execution["oauth"];
        let calls = oauth["calls"].as_u64().unwrap_or(0);
        let fetches = oauth["token_fetches"].as_u64().unwrap_or(u64::MAX);
        let per_10k = if calls == 0 {
            f64::NAN
        } else {
            fetches as f64 * 10_000.0 / calls as f64
        };
        let seconds = oauth["seconds"].as_f64().unwrap_or(f64::NAN);
        let verdict = self.verdict(calls > 0 && per_10k <= 1.0, f64::NAN);
        self.rows.push([
            format!("OAuth 2.0 client credentials via conv_api, {calls} calls from 64 tasks within one token lifetime (in-process)"),
            "(no baseline)".into(),
            format!("{fetches} token request(s) ({:.0} calls/s)", calls as f64 / seconds),
            format!("{per_10k:.1} per 10,000 calls"),
            "1 per 10,000".into(),
            verdict,
        ]);
    }

    fn debug_chat(&mut self, result: &Value) {
        self.raw.insert("debug_chat".into(), result.clone());
        let rounds = result["rounds"].as_array().cloned().unwrap_or_default();
        let field = |name: &str| {
            median(
                &rounds
                    .iter()
                    .filter_map(|r| r[name].as_f64())
                    .collect::<Vec<_>>(),
            )
        };
        let sessions = result["sessions"].as_u64().unwrap_or(0);
        let finished = rounds
            .iter()
            .filter_map(|r| r["sessions_finished"].as_u64())
            .min()
            .unwrap_or(0);
        let rss = result["peak_rss_kib"].as_f64().unwrap_or(f64::NAN) / 1024.0;
        let cpu = field("mock_cpu");
        let verdict = self.verdict(finished == sessions && sessions > 0, cpu);
        self.rows.push([
            format!("Debug-chat bots, {sessions} sessions x 10 turns"),
            "(no baseline)".into(),
            format!(
                "{:.0} turns/s; p50 {:.1} ms, p99 {:.1} ms; peak RSS {rss:.1} MiB",
                field("turns_per_second"),
                field("p50_ms"),
                field("p99_ms")
            ),
            format!("{finished}/{sessions} finished"),
            "all finish".into(),
            verdict,
        ]);
        self.ceiling.push(format!(
            "| Debug-chat bots (ours only) | n/a | {} |",
            percent(cpu)
        ));
    }

    /// The export rows: the CLI against the library (with and without the CLI's per-page
    /// fsync) and against Python, and everyone's peak memory.
    fn export(&mut self, result: &Value) {
        self.raw.insert("export".into(), result.clone());
        let units = result["units"].as_f64().unwrap_or(f64::NAN);
        let mib = result["bytes"].as_f64().unwrap_or(f64::NAN) / MIB as f64;
        let (library, library_cpu) = variant(&result["library"]);
        let (cli, cli_cpu) = variant(&result["cli"]);
        let (no_sync, _) = variant(&result["cli-no-sync"]);
        let scenario = format!("Export to JSON Lines, {units} conversations ({mib:.0} MiB)");
        let rate = |secs: f64| format!("{secs:.3} s ({:.0}/s)", units / secs);
        for (what, secs) in [
            ("polyai conversations export", cli),
            ("polyai ... --no-sync", no_sync),
        ] {
            let ratio = library / secs;
            let verdict = self.verdict(ratio >= 0.95, library_cpu);
            self.rows.push([
                format!("{scenario}: `{what}` against the SDK library"),
                format!("library {}", rate(library)),
                rate(secs),
                format!("{ratio:.3}x throughput"),
                ">= 0.95x".into(),
                verdict,
            ]);
        }
        let rss = |name: &str| {
            result["child_peak_rss_kib"][name]
                .as_f64()
                .map_or("n/a".to_owned(), |kib| format!("{:.1} MiB", kib / 1024.0))
        };
        let (python, python_cpu) = variant(&result["python"]);
        if python.is_finite() {
            let ratio = python / cli;
            let verdict = self.verdict(ratio >= 3.0, python_cpu);
            self.rows.push([
                format!("{scenario}: `polyai conversations export` against Python requests"),
                format!(
                    "Python {} ({})",
                    rate(python),
                    result["python_version"].as_str().unwrap_or("?")
                ),
                rate(cli),
                format!("{ratio:.2}x throughput"),
                ">= 3x".into(),
                verdict,
            ]);
        } else {
            self.rows.push([
                format!("{scenario}: `polyai conversations export` against Python requests"),
                "python3 with requests not installed: not compared".into(),
                rate(cli),
                "-".into(),
                ">= 3x".into(),
                "not compared".into(),
            ]);
        }
        let cpu = |name: &str| median(&numbers(&result[name]["cpu_seconds"]));
        let (library_cpu_s, cli_cpu_s) = (cpu("library"), cpu("cli"));
        if library_cpu_s.is_finite() && cli_cpu_s.is_finite() {
            self.rows.push([
                format!("{scenario}: CPU time (user + system), less sensitive to a loaded machine"),
                format!(
                    "library {library_cpu_s:.2} s; Python {:.2} s",
                    cpu("python")
                ),
                format!(
                    "{cli_cpu_s:.2} s ({:.2} s with --no-sync)",
                    cpu("cli-no-sync")
                ),
                format!(
                    "{:.3}x the library's; Python used {:.2}x the CLI's",
                    cli_cpu_s / library_cpu_s,
                    cpu("python") / cli_cpu_s
                ),
                "(no target)".into(),
                String::new(),
            ]);
        }
        let library_rss = result["peak_rss_kib"]
            .as_f64()
            .map_or("n/a".to_owned(), |kib| format!("{:.1} MiB", kib / 1024.0));
        self.rows.push([
            format!("{scenario}: peak RSS"),
            format!(
                "library (whole bench process) {library_rss}; Python {}",
                rss("python")
            ),
            format!("{} ({} with --no-sync)", rss("cli"), rss("cli-no-sync")),
            String::new(),
            "(no target)".into(),
            String::new(),
        ]);
        self.ceiling.push(format!(
            "| Export (library / polyai) | {} | {} |",
            percent(library_cpu),
            percent(cli_cpu)
        ));
    }

    /// The `polyai chat test` row: wall time, turn latency and peak memory (medians over
    /// rounds); every round must have passed every scenario (`polyai-bench` checks it).
    fn chat_test(&mut self, result: &Value) {
        self.raw.insert("chat_test".into(), result.clone());
        let rounds = result["rounds"].as_array().cloned().unwrap_or_default();
        let field = |name: &str| {
            median(
                &rounds
                    .iter()
                    .filter_map(|r| r[name].as_f64())
                    .collect::<Vec<_>>(),
            )
        };
        let scenarios = result["scenarios"].as_u64().unwrap_or(0);
        let passed = rounds
            .iter()
            .filter_map(|r| r["scenarios_passed"].as_u64())
            .min()
            .unwrap_or(0);
        let cpu = field("mock_cpu");
        let verdict = self.verdict(passed == scenarios && scenarios > 0, cpu);
        let replies = result["replies_per_scenario"].as_u64().unwrap_or(0);
        let rss = field("peak_rss_kib") / 1024.0;
        self.rows.push([
            format!(
                "`polyai chat test`, {scenarios} scenarios x {replies} checked replies, {} at once",
                result["concurrency"]
            ),
            "(no baseline)".into(),
            format!(
                "wall {:.2} s ({:.0} turns/s); turn p50 {:.1} ms, p99 {:.1} ms; peak RSS {rss:.1} MiB",
                field("seconds"),
                field("turns") / field("seconds"),
                field("p50_ms"),
                field("p99_ms"),
            ),
            format!("{passed}/{scenarios} passed"),
            "all pass".into(),
            verdict,
        ]);
        self.ceiling.push(format!(
            "| `polyai chat test` (ours only) | n/a | {} |",
            percent(cpu)
        ));
    }

    fn markdown(&self, machine: &str, command: &str, seconds: u64) -> String {
        let mut out = String::new();
        let _ = writeln!(out, "Measured with `{command}` ({seconds} s in all).\n");
        let _ = writeln!(out, "{machine}\n");
        let _ = writeln!(
            out,
            "| Scenario | Baseline | polyai-sdk | Ratio | Target | Verdict |"
        );
        let _ = writeln!(out, "|---|---|---|---|---|---|");
        for row in &self.rows {
            let _ = writeln!(out, "| {} |", row.join(" | "));
        }
        if !self.ceiling.is_empty() {
            let _ = writeln!(
                out,
                "\nThe mock's share of its one core (median over runs; {}% or more means the scenario is bound by the mock):\n",
                (MOCK_BOUND * 100.0) as u32
            );
            let _ = writeln!(out, "| Scenario | During the baseline | During ours |");
            let _ = writeln!(out, "|---|---|---|");
            for line in &self.ceiling {
                let _ = writeln!(out, "{line}");
            }
        }
        for detail in &self.details {
            let _ = writeln!(out, "\n{detail}");
        }
        out
    }
}

// ---------------------------------------------------------------------------------------------
// The machine and BENCHMARKS.md

fn first_line_of(command: &str, args: &[&str]) -> Option<String> {
    let output = Command::new(command).args(args).output().ok()?;
    let text = String::from_utf8_lossy(&output.stdout);
    text.lines().next().map(|l| l.trim().to_owned())
}

fn machine_description(pinning: &Pinning, profile: &str) -> String {
    let cpuinfo = std::fs::read_to_string("/proc/cpuinfo").unwrap_or_default();
    let cpu = cpuinfo
        .lines()
        .find_map(|l| l.strip_prefix("model name"))
        .map(|l| l.trim_start_matches([' ', '\t', ':']).to_owned())
        .unwrap_or_else(|| "unknown CPU".to_owned());
    let meminfo = std::fs::read_to_string("/proc/meminfo").unwrap_or_default();
    let memory = meminfo
        .lines()
        .find_map(|l| l.strip_prefix("MemTotal:"))
        .and_then(|l| l.trim().trim_end_matches("kB").trim().parse::<f64>().ok())
        .map_or_else(
            || "unknown".to_owned(),
            |kib| format!("{:.1} GiB", kib / 1024.0 / 1024.0),
        );
    let kernel = std::fs::read_to_string("/proc/sys/kernel/osrelease")
        .map(|s| s.trim().to_owned())
        .unwrap_or_else(|_| "unknown".to_owned());
    let rustc = first_line_of("rustc", &["--version"]).unwrap_or_else(|| "rustc ?".to_owned());
    let curl = first_line_of("curl", &["--version"])
        .and_then(|l| l.split_whitespace().nth(1).map(str::to_owned))
        .unwrap_or_else(|| "?".to_owned());
    let date = first_line_of("date", &["-u", "+%Y-%m-%d"]).unwrap_or_default();
    format!(
        "Machine: {cpu}, {} logical CPUs, {memory} RAM, Linux {kernel}; {rustc}, `{profile}` profile, curl {curl}; {}. Date: {date}.",
        pinning.available,
        pinning.describe()
    )
}

/// Replaces the generated part of `BENCHMARKS.md`, keeping everything outside the markers.
fn write_benchmarks_md(path: &Path, generated: &str) -> Result<(), String> {
    let existing = std::fs::read_to_string(path).unwrap_or_default();
    let block = format!("{BEGIN}\n{generated}{END}");
    let updated = match (existing.find(BEGIN), existing.find(END)) {
        (Some(start), Some(end)) if start < end => {
            format!(
                "{}{block}{}",
                &existing[..start],
                &existing[end + END.len()..]
            )
        }
        _ => format!(
            "# Benchmarks\n\nReproduce with `cargo xtask bench` (see the README).\n\n{block}\n"
        ),
    };
    std::fs::write(path, updated).map_err(|e| format!("writing {}: {e}", path.display()))
}

#[cfg(test)]
mod tests {
    use super::parse;

    fn args(list: &[&str]) -> Vec<String> {
        list.iter().map(|s| (*s).to_owned()).collect()
    }

    #[test]
    fn only_a_full_run_of_the_whole_suite_updates_benchmarks_md() {
        assert!(parse(&args(&[])).unwrap().write);
        assert!(!parse(&args(&["--quick"])).unwrap().write);
        assert!(!parse(&args(&["--no-write"])).unwrap().write);
        let partial = parse(&args(&["--only", "actions,export"])).unwrap();
        assert!(
            !partial.write,
            "a partial run must not replace the whole table"
        );
        assert_eq!(
            partial.only.as_deref(),
            Some(&["actions".to_owned(), "export".to_owned()][..])
        );
    }
}
