//! Transcript pull: the first `--records` conversations of a project through the v3 listing,
//! page by page (both sides fetch the same pages and stop at the same record).
//!
//! Ours: `Client::list_conversations(..).page_size(n).stream()`, each record decoded into
//! our `Conversation` type. Baseline: the same requests made by hand with the SDK's own
//! `reqwest` client (same pool), each page decoded into a `serde_json::Value`, the next
//! cursor read from it.

use futures::StreamExt;
use serde_json::Value;

use crate::measure::interleaved;
use crate::{Args, BenchResult};

/// Runs the scenario.
pub async fn run(args: &Args) -> BenchResult<Value> {
    let base_url = args.text("base-url")?.trim_end_matches('/').to_owned();
    let api_key = args.text("api-key")?.to_owned();
    let account = args.text("account")?.to_owned();
    let project = args.text("project")?.to_owned();
    let page_size: u32 = args.number("page-size", 1000)?;
    let wanted: u64 = args.number("records", 100_000)?;
    let (reps, warmup) = args.repetitions(5)?;
    let mock = args.mock()?;
    let client = args.client()?;
    let http = client.http_client().clone();
    let url = format!("{base_url}/v3/{account}/{project}/conversations");

    let baseline = || baseline_pull(&http, &url, &api_key, page_size, wanted);
    let ours = || ours_pull(&client, &account, &project, page_size, wanted);
    let mut report = interleaved(mock.as_ref(), reps, warmup, baseline, ours).await?;
    if let Some(units) = report["units"].as_u64()
        && units != wanted
    {
        return Err(format!(
            "the listing holds only {units} conversations, fewer than the {wanted} asked for"
        )
        .into());
    }
    report["page_size"] = Value::from(page_size);
    Ok(report)
}

async fn baseline_pull(
    http: &reqwest::Client,
    url: &str,
    api_key: &str,
    page_size: u32,
    wanted: u64,
) -> BenchResult<u64> {
    let limit = page_size.to_string();
    let mut cursor: Option<String> = None;
    let mut records = 0u64;
    loop {
        let mut request = http
            .get(url)
            .header("x-api-key", api_key)
            .query(&[("limit", limit.as_str())]);
        if let Some(cursor) = &cursor {
            request = request.query(&[("cursor", cursor.as_str())]);
        }
        let response = request.send().await?.error_for_status()?;
        let body = response.bytes().await?;
        let page: Value = serde_json::from_slice(&body)?;
        let rows = page["conversations"]
            .as_array()
            .ok_or("a page without a conversations array")?;
        records += rows.len() as u64;
        std::hint::black_box(&page);
        if records >= wanted {
            return Ok(wanted);
        }
        match page["cursor"].as_str() {
            Some(next) if !next.is_empty() => cursor = Some(next.to_owned()),
            _ => return Ok(records),
        }
    }
}

async fn ours_pull(
    client: &polyai_sdk::Client,
    account: &str,
    project: &str,
    page_size: u32,
    wanted: u64,
) -> BenchResult<u64> {
    let mut stream = client
        .list_conversations(account, project)
        .page_size(page_size)
        .stream()
        .take(wanted as usize);
    let mut records = 0u64;
    while let Some(conversation) = stream.next().await {
        std::hint::black_box(&conversation?);
        records += 1;
    }
    Ok(records)
}
