//! Load-tests an agent with debug chat: N bots (20 by default) hold scripted conversations at
//! the same time, and the program prints the reply latency over every turn (p50, p95, max).
//!
//! ```sh
//! cargo run --example chat_bots -- [BOTS]
//! ```

use std::time::{Duration, Instant};

use polyai_examples::{AnyResult, connect};
use polyai_sdk::Client;
use polyai_sdk::conversations::Environment;

const SCRIPT: &[&str] = &[
    "Hello",
    "What are your opening hours?",
    "Can I book a table for four tonight?",
    "Thanks, bye",
];

/// One bot's conversation; returns the latency of each reply.
async fn bot(client: Client, agent_id: String) -> AnyResult<Vec<Duration>> {
    let mut session = client
        .debug_chat_session(&agent_id, Environment::Sandbox)
        .start()
        .await?;
    let mut latencies = Vec::new();
    for line in SCRIPT {
        let sent = Instant::now();
        session.send(*line).await?;
        latencies.push(sent.elapsed());
        if session.is_ended() {
            break;
        }
    }
    Ok(latencies)
}

/// The nearest-rank percentile `p` (0 to 100) of sorted values.
fn percentile(sorted: &[Duration], p: usize) -> Duration {
    let rank = (sorted.len() * p).div_ceil(100).max(1);
    sorted[rank.min(sorted.len()) - 1]
}

#[tokio::main]
async fn main() -> AnyResult<()> {
    let bots: usize = std::env::args()
        .nth(1)
        .map(|b| b.parse())
        .transpose()?
        .unwrap_or(20)
        .max(1);
    let target = connect().await?;
    let started = Instant::now();
    let mut running = tokio::task::JoinSet::new();
    for _ in 0..bots {
        running.spawn(bot(target.client.clone(), target.agent_id.clone()));
    }
    let mut latencies = Vec::new();
    let mut finished = 0usize;
    while let Some(outcome) = running.join_next().await {
        latencies.extend(outcome??);
        finished += 1;
    }
    latencies.sort();
    let Some(max) = latencies.last().copied() else {
        return Err("no bot got a reply".into());
    };
    println!(
        "{finished} bots finished, {} turns in {:.2?}; reply latency p50 {:.1?}, p95 {:.1?}, max {max:.1?}",
        latencies.len(),
        started.elapsed(),
        percentile(&latencies, 50),
        percentile(&latencies, 95),
    );
    Ok(())
}
