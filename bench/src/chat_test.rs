//! `polyai chat test` at scale: the real binary runs `--scenarios` scripted scenarios, all at
//! once (`--concurrency` as many as there are scenarios unless told), against the mock.
//!
//! Each scenario is a greeting check and three turns with expectations (opening hours; a
//! booking that must call `check_availability`; a goodbye that must end the conversation),
//! so every run exercises the matching of text, functions and the end of a conversation.
//! Per round the scenario records the process's wall time (start-up and YAML parsing
//! included), the tool's own figures from its `--json` report (wall time, turns, p50/p99/max
//! turn latency), its peak RSS (`/usr/bin/time -f %M`, when installed) and the mock's CPU
//! share. A round in which any scenario failed ends the benchmark with an error: figures of a
//! broken run mean nothing.

use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::{Value, json};

use crate::measure::timed;
use crate::{Args, BenchResult};

/// Replies checked per scenario: the greeting and three turns.
const REPLIES_PER_SCENARIO: u64 = 4;

/// Runs the scenario.
pub async fn run(args: &Args) -> BenchResult<Value> {
    let base_url = args.text("base-url")?.trim_end_matches('/').to_owned();
    let api_key = args.text("api-key")?.to_owned();
    let agent = args.text("agent")?.to_owned();
    let cli = PathBuf::from(args.text("cli")?);
    let out_dir = PathBuf::from(args.text("out-dir")?);
    let scenarios: u64 = args.number("scenarios", 1000)?;
    let concurrency: u64 = args.number("concurrency", scenarios)?;
    let (reps, warmup) = args.repetitions(3)?;
    let mock = args.mock()?;
    if !cli.is_file() {
        return Err(format!("the polyai binary {} does not exist", cli.display()).into());
    }
    if scenarios == 0 || concurrency == 0 {
        return Err("--scenarios and --concurrency must be at least 1".into());
    }
    std::fs::create_dir_all(&out_dir)?;
    let file = out_dir.join("scenarios.yaml");
    std::fs::write(&file, scenario_file(scenarios))?;
    let report_path = out_dir.join("report.json");
    let time = Path::new("/usr/bin/time");

    let mut rounds = Vec::with_capacity(reps);
    for round in 0..warmup + reps {
        let _ = std::fs::remove_file(&report_path);
        let mut command = if time.exists() {
            let mut command = Command::new(time);
            command.args(["-f", "%M"]).arg(&cli);
            command
        } else {
            Command::new(&cli)
        };
        command
            .args(["chat", "test"])
            .arg(&file)
            .args(["--concurrency", &concurrency.to_string(), "--json"])
            .arg(&report_path)
            .env("POLYAI_API_KEY", &api_key)
            .env("POLYAI_BASE_URL", &base_url)
            .env("POLYAI_AGENT_ID", &agent)
            .env("POLYAI_CONFIG", out_dir.join("no-such-config.toml"))
            .env_remove("POLYAI_PROFILE")
            .env("NO_COLOR", "1");
        let (sample, output) = timed(mock.as_ref(), async {
            let output = command
                .output()
                .map_err(|e| format!("cannot run {}: {e}", cli.display()))?;
            BenchResult::Ok(output)
        })
        .await?;
        let stderr = String::from_utf8_lossy(&output.stderr);
        if !output.status.success() {
            let stdout = String::from_utf8_lossy(&output.stdout);
            let tail = &stdout[stdout.len().saturating_sub(2000)..];
            return Err(format!(
                "polyai chat test failed ({}): {tail}{}",
                output.status,
                stderr.trim()
            )
            .into());
        }
        let report: Value = serde_json::from_slice(&std::fs::read(&report_path)?)
            .map_err(|e| format!("polyai chat test wrote no JSON report: {e}"))?;
        let passed = report["passed"].as_u64().unwrap_or(0);
        let turns = report["turns"].as_u64().unwrap_or(0);
        if passed != scenarios || report["failed"].as_u64() != Some(0) {
            return Err(format!(
                "polyai chat test passed {passed} of {scenarios} scenarios: the benchmark's scenarios must all pass"
            )
            .into());
        }
        let rss = time
            .exists()
            .then(|| {
                stderr
                    .lines()
                    .last()
                    .and_then(|l| l.trim().parse::<u64>().ok())
            })
            .flatten();
        if round >= warmup {
            let latency = &report["turn_latency"];
            rounds.push(json!({
                "seconds": sample.elapsed.as_secs_f64(),
                "tool_wall_ms": report["wall_time_ms"],
                "turns": turns,
                "p50_ms": latency["p50_ms"],
                "p99_ms": latency["p99_ms"],
                "max_ms": latency["max_ms"],
                "peak_rss_kib": rss,
                "mock_cpu": sample.mock_cpu,
                "scenarios_passed": passed,
            }));
        }
    }
    Ok(json!({
        "scenarios": scenarios,
        "concurrency": concurrency,
        "replies_per_scenario": REPLIES_PER_SCENARIO,
        "rounds": rounds,
    }))
}

/// The YAML file of `count` scenarios, each slightly different so that no two send the same
/// lines.
fn scenario_file(count: u64) -> String {
    let mut text =
        String::from("defaults: { repeat: 1, threshold: 1.0, env: sandbox }\nscenarios:\n");
    for i in 0..count {
        text.push_str(&format!(
            "  - name: scenario {i}
    greeting: {{ contains: how can i help }}
    turns:
      - user: What are your opening hours? ({i})
        expect: {{ contains: [9am, 5pm], not: sorry }}
      - user: I'd like to book a table for {i}
        expect: {{ contains: which day, function: check_availability }}
      - user: Thanks, bye
        expect: {{ ended: true }}
"
        ));
    }
    text
}
