//! Plays a scripted conversation (one user line per line of a text file) against an agent
//! with debug chat, and prints the transcript with per-turn latency.
//!
//! ```sh
//! cargo run --example debug_chat_bot -- [SCRIPT.txt]
//! ```

use std::time::Instant;

use polyai_examples::{AnyResult, connect};
use polyai_sdk::Environment;

const DEFAULT_SCRIPT: &str =
    "Hello\nWhat are your opening hours?\nCan I book a table for four tonight?\nThanks, bye\n";

#[tokio::main]
async fn main() -> AnyResult<()> {
    let script = match std::env::args().nth(1) {
        Some(path) => std::fs::read_to_string(path)?,
        None => DEFAULT_SCRIPT.to_string(),
    };
    let target = connect().await?;
    let started = Instant::now();
    let mut session = target
        .client
        .debug_chat_session(&target.agent_id, Environment::Sandbox)
        .start()
        .await?;
    println!(
        "[{:>5} ms] agent: {}",
        started.elapsed().as_millis(),
        session.greeting().response.as_deref().unwrap_or_default()
    );
    let mut latencies = Vec::new();
    for line in script
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
    {
        println!("           you:   {line}");
        let sent = Instant::now();
        let reply = session.send(line).await?;
        let latency = sent.elapsed();
        latencies.push(latency);
        println!(
            "[{:>5} ms] agent: {}",
            latency.as_millis(),
            reply.response.as_deref().unwrap_or_default()
        );
        if session.is_ended() {
            println!("           (conversation ended by the agent)");
            break;
        }
    }
    latencies.sort();
    if let (Some(min), Some(max)) = (latencies.first(), latencies.last()) {
        let median = latencies[latencies.len() / 2];
        println!(
            "{} turns; latency min {min:?}, median {median:?}, max {max:?}",
            latencies.len()
        );
    }
    Ok(())
}
