//! Export to JSON Lines: one time window of Conversations v3, every conversation with its
//! turns, written one per line to a file, by three contenders doing the same job against the
//! same mock:
//!
//! - `library`: the SDK's listing stream (`list_conversations(..).since(..).until(..)
//!   .stream()`), each conversation encoded with `serde_json` into a buffered file;
//! - `cli`: the real `polyai conversations export` binary with its defaults (a checkpoint and
//!   an fsync of the output and the checkpoint after every page), and `cli-no-sync`, the
//!   same with `--no-sync`;
//! - `python`: `bench/python/export.py`, a `requests` script paging the listing with the
//!   cursor (skipped, and said so, when `python3` or `requests` is missing).
//!
//! The window is chosen so that it holds exactly `--records` conversations: the first
//! `--records` of the listing (newest first) are read once, and the window runs from the
//! start time of the last of them to just after that of the first. Child processes inherit
//! this process's core, so all contenders share one core.
//!
//! Only the job is timed (for the binaries: process start to exit, start-up included). After
//! every run, untimed, the output is read back: its lines, bytes and a hash of its content must
//! be the same for every contender and every run, or the scenario fails.

use std::hash::Hasher;
use std::io::{BufWriter, Read, Write};
use std::path::{Path, PathBuf};
use std::process::Command;

use futures::StreamExt;
use polyai_sdk::Timestamp;
use serde_json::{Value, json};

use crate::measure::{MockProcess, Sample, samples_json, timed};
use crate::{Args, BenchResult};

/// What one contender needs to run.
struct Job<'a> {
    client: &'a polyai_sdk::Client,
    base_url: &'a str,
    api_key: &'a str,
    account: &'a str,
    project: &'a str,
    since: Timestamp,
    until: Timestamp,
    page_size: u32,
    cli: &'a Path,
    python: Option<&'a Path>,
    /// `POLYAI_CONFIG` for the CLI: a path that does not exist, so no profile of the
    /// machine's user is read.
    no_config: PathBuf,
}

/// The content of one output file: lines, bytes and a hash of the bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Fingerprint {
    lines: u64,
    bytes: u64,
    hash: u64,
}

/// Runs the scenario.
pub async fn run(args: &Args) -> BenchResult<Value> {
    let base_url = args.text("base-url")?.trim_end_matches('/').to_owned();
    let api_key = args.text("api-key")?.to_owned();
    let account = args.text("account")?.to_owned();
    let project = args.text("project")?.to_owned();
    let cli = PathBuf::from(args.text("cli")?);
    let out_dir = PathBuf::from(args.text("out-dir")?);
    let page_size: u32 = args.number("page-size", 1000)?;
    let wanted: u64 = args.number("records", 100_000)?;
    let (reps, warmup) = args.repetitions(5)?;
    let mock = args.mock()?;
    let client = args.client()?;
    std::fs::create_dir_all(&out_dir)?;
    if !cli.is_file() {
        return Err(format!("the polyai binary {} does not exist", cli.display()).into());
    }
    let script = args.values.get("python-script").map(PathBuf::from);
    let python = match &script {
        Some(script) => match python_with_requests() {
            Ok(version) => Some((script.as_path(), version)),
            Err(why) => {
                eprintln!("export: the Python contender is skipped: {why}");
                None
            }
        },
        None => None,
    };

    let (since, until) = window(&client, &account, &project, page_size, wanted).await?;
    let job = Job {
        client: &client,
        base_url: &base_url,
        api_key: &api_key,
        account: &account,
        project: &project,
        since,
        until,
        page_size,
        cli: &cli,
        python: python.as_ref().map(|(p, _)| *p),
        no_config: out_dir.join("no-such-config.toml"),
    };

    let mut names = vec!["library", "cli", "cli-no-sync"];
    if job.python.is_some() {
        names.push("python");
    }
    // `--variants a,b` keeps some contenders only, e.g. to profile one of them.
    if let Some(wanted) = args.values.get("variants") {
        let wanted: Vec<&str> = wanted.split(',').map(str::trim).collect();
        names.retain(|name| wanted.contains(name));
        if names.is_empty() {
            return Err(format!(
                "--variants {wanted:?} names none of {{library, cli, cli-no-sync, python}}"
            )
            .into());
        }
    }
    let mut samples: Vec<Vec<Sample>> = vec![Vec::with_capacity(reps); names.len()];
    let mut child_rss: Vec<Option<u64>> = vec![None; names.len()];
    let mut cpu: Vec<Vec<Option<f64>>> = vec![Vec::with_capacity(reps); names.len()];
    let mut reference: Option<(&str, Fingerprint)> = None;
    for round in 0..warmup + reps {
        for turn in 0..names.len() {
            let index = (round + turn) % names.len();
            let name = names[index];
            let out = out_dir.join(format!("export-{name}.jsonl"));
            let (sample, rss, cpu_seconds) = run_one(&job, name, &out, mock.as_ref()).await?;
            let found = fingerprint(&out)?;
            match reference {
                None => reference = Some((name, found)),
                Some((first, expected)) if expected != found => {
                    return Err(format!(
                        "{name} wrote {} lines ({} bytes) that differ from what {first} wrote ({} lines, {} bytes): not the same export",
                        found.lines, found.bytes, expected.lines, expected.bytes
                    )
                    .into());
                }
                Some(_) => {}
            }
            remove_outputs(&out)?;
            if round >= warmup {
                samples[index].push(sample);
                child_rss[index] = child_rss[index].max(rss);
                cpu[index].push(cpu_seconds);
            }
        }
    }
    let Some((_, content)) = reference else {
        return Err("no export ran".into());
    };
    if content.lines != wanted {
        return Err(format!(
            "the window [{since}, {until}) holds {} conversations where {wanted} were expected (conversations sharing a start time at its edge?)",
            content.lines
        )
        .into());
    }

    let mut report = serde_json::Map::new();
    report.insert("units".into(), json!(content.lines));
    report.insert("bytes".into(), json!(content.bytes));
    report.insert("page_size".into(), json!(page_size));
    report.insert("since".into(), json!(since.to_string()));
    report.insert("until".into(), json!(until.to_string()));
    report.insert(
        "python_version".into(),
        json!(python.as_ref().map(|(_, v)| v.clone())),
    );
    let mut rss = serde_json::Map::new();
    for (index, name) in names.iter().enumerate() {
        let mut runs = samples_json(&samples[index]);
        runs["cpu_seconds"] = json!(cpu[index]);
        report.insert((*name).into(), runs);
        rss.insert((*name).into(), json!(child_rss[index]));
    }
    report.insert("child_peak_rss_kib".into(), Value::Object(rss));
    Ok(Value::Object(report))
}

/// The window holding exactly the first `wanted` conversations of the listing: from the start
/// time of the last of them (inclusive) to one millisecond after that of the first (exclusive).
async fn window(
    client: &polyai_sdk::Client,
    account: &str,
    project: &str,
    page_size: u32,
    wanted: u64,
) -> BenchResult<(Timestamp, Timestamp)> {
    let mut stream = client
        .list_conversations(account, project)
        .page_size(page_size)
        .stream()
        .take(usize::try_from(wanted)?);
    let (mut newest, mut oldest, mut seen) = (None::<Timestamp>, None::<Timestamp>, 0u64);
    while let Some(conversation) = stream.next().await {
        let conversation = conversation?;
        let started: Timestamp = conversation
            .started_at
            .as_deref()
            .ok_or_else(|| format!("conversation {} has no started_at", conversation.id))?
            .parse()?;
        newest = Some(newest.map_or(started, |t| t.max(started)));
        oldest = Some(oldest.map_or(started, |t| t.min(started)));
        seen += 1;
    }
    match (oldest, newest) {
        (Some(oldest), Some(newest)) if seen == wanted => Ok((
            oldest,
            Timestamp::from_unix_millis(newest.unix_millis().saturating_add(1)),
        )),
        _ => Err(format!(
            "the listing holds only {seen} conversations, fewer than the {wanted} asked for"
        )
        .into()),
    }
}

/// One timed run of one contender; returns the sample, for a child process its peak RSS, and
/// the CPU time (user + system) the contender used.
async fn run_one(
    job: &Job<'_>,
    name: &str,
    out: &Path,
    mock: Option<&MockProcess>,
) -> BenchResult<(Sample, Option<u64>, Option<f64>)> {
    remove_outputs(out)?;
    match name {
        "library" => {
            let this = MockProcess::new(std::process::id());
            let before = this.cpu_seconds();
            let (sample, _) = timed(mock, library_export(job, out)).await?;
            let cpu = before.zip(this.cpu_seconds()).map(|(b, a)| a - b);
            Ok((sample, None, cpu))
        }
        "cli" | "cli-no-sync" | "python" => {
            let mut command = child_command(job, name, out)?;
            let (sample, (rss, cpu)) = timed(mock, async { run_child(name, &mut command) }).await?;
            Ok((sample, rss, cpu))
        }
        other => Err(format!("unknown export contender {other:?}").into()),
    }
}

/// The library's export: the SDK's stream, `serde_json` into a buffered file.
async fn library_export(job: &Job<'_>, out: &Path) -> BenchResult<u64> {
    let file = std::fs::File::create(out)?;
    let mut writer = BufWriter::with_capacity(1 << 20, file);
    let mut stream = job
        .client
        .list_conversations(job.account, job.project)
        .since(job.since)
        .until(job.until)
        .page_size(job.page_size)
        .stream();
    let mut written = 0u64;
    while let Some(conversation) = stream.next().await {
        serde_json::to_writer(&mut writer, &conversation?)?;
        writer.write_all(b"\n")?;
        written += 1;
    }
    writer.flush()?;
    Ok(written)
}

/// The command line of a child contender, under `/usr/bin/time -f "%M %U %S"` when it is
/// installed (for the child's peak RSS and CPU time).
fn child_command(job: &Job<'_>, name: &str, out: &Path) -> BenchResult<Command> {
    let time = Path::new("/usr/bin/time");
    let (program, mut args): (&Path, Vec<String>) = match name {
        "python" => {
            let script = job.python.ok_or("no Python script")?;
            let args = vec![
                script.to_string_lossy().into_owned(),
                "--base-url".into(),
                job.base_url.into(),
                "--api-key".into(),
                job.api_key.into(),
                "--account".into(),
                job.account.into(),
                "--project".into(),
                job.project.into(),
                "--since".into(),
                job.since.to_string(),
                "--until".into(),
                job.until.to_string(),
                "--page-size".into(),
                job.page_size.to_string(),
                "--out".into(),
                out.to_string_lossy().into_owned(),
            ];
            (Path::new("python3"), args)
        }
        _ => {
            let mut args = vec![
                "conversations".into(),
                "export".into(),
                "--since".into(),
                job.since.to_string(),
                "--until".into(),
                job.until.to_string(),
                "--page-size".into(),
                job.page_size.to_string(),
                "--restart".into(),
                "--output".into(),
                out.to_string_lossy().into_owned(),
            ];
            if name == "cli-no-sync" {
                args.push("--no-sync".into());
            }
            (job.cli, args)
        }
    };
    let mut command = if time.exists() {
        let mut command = Command::new(time);
        let mut wrapped = vec!["-f".to_owned(), "%M %U %S".to_owned()];
        wrapped.push(program.to_string_lossy().into_owned());
        wrapped.append(&mut args);
        command.args(wrapped);
        command
    } else {
        let mut command = Command::new(program);
        command.args(args);
        command
    };
    command
        .env("POLYAI_API_KEY", job.api_key)
        .env("POLYAI_BASE_URL", job.base_url)
        .env("POLYAI_ACCOUNT_ID", job.account)
        .env("POLYAI_PROJECT_ID", job.project)
        .env("POLYAI_CONFIG", &job.no_config)
        .env_remove("POLYAI_PROFILE")
        .env("NO_COLOR", "1");
    Ok(command)
}

/// Runs a child to its end and returns its peak RSS (KiB) and CPU time (s) when known; its
/// standard error is shown only when it fails. (What it wrote is counted afterwards from the
/// file.)
fn run_child(name: &str, command: &mut Command) -> BenchResult<(Option<u64>, Option<f64>)> {
    let output = command
        .output()
        .map_err(|e| format!("cannot start the {name} contender: {e}"))?;
    let stderr = String::from_utf8_lossy(&output.stderr);
    if !output.status.success() {
        return Err(format!(
            "the {name} contender failed ({}): {}",
            output.status,
            stderr.trim()
        )
        .into());
    }
    if !Path::new("/usr/bin/time").exists() {
        return Ok((None, None));
    }
    // The last line is `/usr/bin/time`'s: peak RSS, user seconds, system seconds.
    let last = stderr.lines().last().unwrap_or_default();
    let fields: Vec<&str> = last.split_whitespace().collect();
    let rss = fields.first().and_then(|f| f.parse().ok());
    let cpu = match (fields.get(1), fields.get(2)) {
        (Some(user), Some(system)) => user
            .parse::<f64>()
            .ok()
            .zip(system.parse::<f64>().ok())
            .map(|(u, s)| u + s),
        _ => None,
    };
    Ok((rss, cpu))
}

/// Lines, bytes and a hash of a file's content.
fn fingerprint(path: &Path) -> BenchResult<Fingerprint> {
    let mut file = std::fs::File::open(path)
        .map_err(|e| format!("cannot read the export {}: {e}", path.display()))?;
    let mut hasher = std::hash::DefaultHasher::new();
    let mut buffer = vec![0u8; 1 << 20];
    let (mut lines, mut bytes) = (0u64, 0u64);
    loop {
        let n = file.read(&mut buffer)?;
        if n == 0 {
            break;
        }
        let chunk = &buffer[..n];
        lines += chunk.iter().filter(|b| **b == b'\n').count() as u64;
        bytes += n as u64;
        hasher.write(chunk);
    }
    Ok(Fingerprint {
        lines,
        bytes,
        hash: hasher.finish(),
    })
}

/// Removes an output and the CLI's checkpoint beside it, if they exist.
fn remove_outputs(out: &Path) -> BenchResult<()> {
    let mut checkpoint = out.as_os_str().to_owned();
    checkpoint.push(".checkpoint");
    for path in [out.to_path_buf(), PathBuf::from(checkpoint)] {
        match std::fs::remove_file(&path) {
            Ok(()) => {}
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => return Err(format!("cannot remove {}: {e}", path.display()).into()),
        }
    }
    Ok(())
}

/// The version of `python3` when it can import `requests`.
fn python_with_requests() -> Result<String, String> {
    let output = Command::new("python3")
        .args([
            "-c",
            "import sys, requests; print(sys.version.split()[0], 'requests', requests.__version__)",
        ])
        .output()
        .map_err(|e| format!("cannot run python3: {e}"))?;
    if !output.status.success() {
        return Err(format!(
            "python3 cannot import requests (pip install requests): {}",
            String::from_utf8_lossy(&output.stderr).trim()
        ));
    }
    Ok(String::from_utf8_lossy(&output.stdout).trim().to_owned())
}
