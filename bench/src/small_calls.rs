//! Small calls under concurrency: many get-conversation calls from a fixed number of tasks.
//!
//! Ours: `client.data().get_agent_conversation()...send()`, decoded into
//! `AgentConversationDetail`. Baseline: the same
//! `GET` through the SDK's own `reqwest` client (same connection pool), decoded into a
//! `serde_json::Value`; and `typed`, the same raw `GET` decoded into the SDK's generated
//! `AgentConversationDetail`, which leaves only what the SDK adds around the call. All share
//! one work counter across the tasks, so every call is made exactly once per run.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use serde_json::Value;

use polyai_sdk::types::data::AgentConversationDetail;

use crate::measure::{Variant, interleaved};
use crate::{Args, BenchResult};

/// Runs the scenario.
pub async fn run(args: &Args) -> BenchResult<Value> {
    let base_url = args.text("base-url")?.trim_end_matches('/').to_owned();
    let api_key: Arc<str> = args.text("api-key")?.into();
    let agent: Arc<str> = args.text("agent")?.into();
    let calls: u64 = args.number("calls", 20_000)?;
    let tasks: usize = args.number("tasks", 64)?;
    let distinct: u64 = args.number("distinct", 1_000)?;
    let (reps, warmup) = args.repetitions(5)?;
    let mock = args.mock()?;
    let client = args.client()?;
    let http = client.http_client().clone();

    let ids: Arc<[String]> = conversation_ids(&http, &base_url, &api_key, &agent, distinct)
        .await?
        .into();
    let urls: Arc<[String]> = ids
        .iter()
        .map(|id| format!("{base_url}/v1/agents/{agent}/conversations/{id}"))
        .collect();

    let raw = |decode: fn(&[u8]) -> BenchResult<()>| {
        let (http, urls, api_key) = (http.clone(), urls.clone(), api_key.clone());
        fan_out(calls, tasks, move |i| {
            let (http, urls, api_key) = (http.clone(), urls.clone(), api_key.clone());
            async move {
                let url = &urls[(i % urls.len() as u64) as usize];
                let response = http
                    .get(url)
                    .header("x-api-key", &*api_key)
                    .send()
                    .await?
                    .error_for_status()?;
                decode(&response.bytes().await?)
            }
        })
    };
    let ours = || {
        let (client, ids, agent) = (client.clone(), ids.clone(), agent.clone());
        fan_out(calls, tasks, move |i| {
            let (client, ids, agent) = (client.clone(), ids.clone(), agent.clone());
            async move {
                let id = &ids[(i % ids.len() as u64) as usize];
                let detail = client
                    .data()
                    .get_agent_conversation()
                    .agent_id(&*agent)
                    .conversation_id(&**id)
                    .send()
                    .await?
                    .into_inner();
                std::hint::black_box(detail);
                Ok(())
            }
        })
    };
    let variants = vec![
        Variant::new("baseline", || raw(decode::<Value>)),
        Variant::new("typed", || raw(decode::<AgentConversationDetail>)),
        Variant::new("ours", ours),
    ];
    let variants = args.select(variants)?;
    let mut report = interleaved(mock.as_ref(), reps, warmup, variants).await?;
    report["tasks"] = Value::from(tasks);
    report["distinct_conversations"] = Value::from(ids.len());
    Ok(report)
}

/// Decodes a body into `T` and drops it.
fn decode<T: serde::de::DeserializeOwned>(body: &[u8]) -> BenchResult<()> {
    std::hint::black_box(serde_json::from_slice::<T>(body)?);
    Ok(())
}

/// Makes calls `0..calls` from `tasks` concurrent tasks; returns how many were made.
async fn fan_out<F, Fut>(calls: u64, tasks: usize, call: F) -> BenchResult<u64>
where
    F: Fn(u64) -> Fut + Clone + Send + 'static,
    Fut: Future<Output = BenchResult<()>> + Send,
{
    let next = Arc::new(AtomicU64::new(0));
    let workers: Vec<_> = (0..tasks.max(1))
        .map(|_| {
            let (next, call) = (next.clone(), call.clone());
            tokio::spawn(async move {
                let mut made = 0u64;
                loop {
                    let i = next.fetch_add(1, Ordering::Relaxed);
                    if i >= calls {
                        return Ok::<u64, crate::BenchError>(made);
                    }
                    call(i).await?;
                    made += 1;
                }
            })
        })
        .collect();
    let mut made = 0;
    for worker in workers {
        made += worker.await??;
    }
    Ok(made)
}

/// The ids of the first `count` conversations of the agent (set-up, not timed).
pub async fn conversation_ids(
    http: &reqwest::Client,
    base_url: &str,
    api_key: &str,
    agent: &str,
    count: u64,
) -> BenchResult<Vec<String>> {
    let mut ids = Vec::new();
    while (ids.len() as u64) < count {
        let url = format!("{base_url}/v1/agents/{agent}/conversations");
        let page: Value = http
            .get(&url)
            .header("x-api-key", api_key)
            .query(&[("limit", 100), ("offset", ids.len())])
            .send()
            .await?
            .error_for_status()?
            .json()
            .await?;
        let rows = page["conversations"]
            .as_array()
            .cloned()
            .unwrap_or_default();
        if rows.is_empty() {
            break;
        }
        ids.extend(
            rows.iter()
                .filter_map(|row| row["conversationId"].as_str().map(str::to_owned)),
        );
    }
    ids.truncate(count as usize);
    if ids.is_empty() {
        return Err("the server listed no conversations for the agent".into());
    }
    Ok(ids)
}
