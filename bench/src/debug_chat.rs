//! Debug-chat bots: many concurrent sessions, each starting a chat and sending a fixed number
//! of turns, one after another. Reports turns per second, SDK-side latency of each turn
//! (from `send` called to reply decoded) and whether every session finished.

use std::time::{Duration, Instant};

use polyai_sdk::Environment;
use serde_json::{Value, json};

use crate::measure::timed;
use crate::{Args, BenchResult};

/// Runs the scenario: `--warmup` small untimed rounds, then `--reps` full ones.
pub async fn run(args: &Args) -> BenchResult<Value> {
    let agent = args.text("agent")?.to_owned();
    let sessions: usize = args.number("sessions", 1_000)?;
    let turns: usize = args.number("turns", 10)?;
    let (reps, warmup) = args.repetitions(3)?;
    let mock = args.mock()?;
    let client = args.client()?;

    for _ in 0..warmup {
        round(&client, &agent, sessions.min(50), turns).await?;
    }
    let mut rounds = Vec::new();
    for _ in 0..reps {
        let (sample, (finished, mut latencies)) =
            timed(mock.as_ref(), round(&client, &agent, sessions, turns)).await?;
        latencies.sort_unstable();
        let secs = sample.elapsed.as_secs_f64();
        rounds.push(json!({
            "seconds": secs,
            "mock_cpu": sample.mock_cpu,
            "sessions_finished": finished,
            "turns": latencies.len(),
            "turns_per_second": latencies.len() as f64 / secs,
            "p50_ms": percentile(&latencies, 0.50),
            "p99_ms": percentile(&latencies, 0.99),
            "max_ms": percentile(&latencies, 1.0),
        }));
    }
    Ok(json!({ "sessions": sessions, "turns_per_session": turns, "rounds": rounds }))
}

/// One round: all sessions at once. Returns how many finished and every turn's latency.
async fn round(
    client: &polyai_sdk::Client,
    agent: &str,
    sessions: usize,
    turns: usize,
) -> BenchResult<(usize, Vec<Duration>)> {
    let bots: Vec<_> = (0..sessions)
        .map(|bot| {
            let (client, agent) = (client.clone(), agent.to_owned());
            tokio::spawn(async move {
                let mut session = client
                    .debug_chat_session(agent, Environment::Sandbox)
                    .start()
                    .await?;
                let mut latencies = Vec::with_capacity(turns);
                for turn in 0..turns {
                    let sent = Instant::now();
                    let reply = session
                        .send(format!(
                            "Question {turn} from bot {bot}: what are your hours?"
                        ))
                        .await?;
                    latencies.push(sent.elapsed());
                    std::hint::black_box(reply);
                    if session.is_ended() && turn + 1 < turns {
                        return Err(
                            format!("session of bot {bot} ended after {} turns", turn + 1).into(),
                        );
                    }
                }
                Ok::<_, crate::BenchError>(latencies)
            })
        })
        .collect();
    let mut finished = 0;
    let mut all = Vec::with_capacity(sessions * turns);
    let mut failures = Vec::new();
    for bot in bots {
        match bot.await? {
            Ok(latencies) => {
                finished += 1;
                all.extend(latencies);
            }
            Err(e) => failures.push(e.to_string()),
        }
    }
    if let Some(first) = failures.first() {
        return Err(format!(
            "{} of {sessions} sessions failed; the first: {first}",
            failures.len()
        )
        .into());
    }
    Ok((finished, all))
}

/// The latency at quantile `q` (0..=1) of sorted samples, in milliseconds.
fn percentile(sorted: &[Duration], q: f64) -> Option<f64> {
    if sorted.is_empty() {
        return None;
    }
    let rank = ((sorted.len() - 1) as f64 * q).round() as usize;
    Some(sorted[rank.min(sorted.len() - 1)].as_secs_f64() * 1e3)
}
