//! Transcript pull: the first `--records` conversations of a project through the v3 listing,
//! page by page (both sides fetch the same pages and stop at the same record).
//!
//! Ours: `Client::list_conversations(..).page_size(n).stream()`, each record decoded into
//! our `Conversation` type. Baseline: the same requests made by hand with the SDK's own
//! `reqwest` client (same pool), each page decoded into a `serde_json::Value`, the next
//! cursor read from it. A stricter second baseline, `typed`, makes the same hand-written
//! requests but decodes into the SDK's generated page type, so that only what the SDK adds
//! around the HTTP call and the decoding remains.

use futures::StreamExt;
use serde_json::Value;

use polyai_sdk::types::conversations::ListConversationsResponse;

use crate::measure::{Variant, interleaved};
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

    let variants = vec![
        Variant::new("baseline", || {
            baseline_pull::<Value>(&http, &url, &api_key, page_size, wanted)
        }),
        Variant::new("typed", || {
            baseline_pull::<ListConversationsResponse>(&http, &url, &api_key, page_size, wanted)
        }),
        Variant::new("ours", || {
            ours_pull(&client, &account, &project, page_size, wanted)
        }),
    ];
    let variants = args.select(variants)?;
    let mut report = interleaved(mock.as_ref(), reps, warmup, variants).await?;
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

/// A decoded page: how many records it held and the cursor of the next one.
trait DecodedPage: serde::de::DeserializeOwned {
    fn records(&self) -> BenchResult<u64>;
    fn next_cursor(&self) -> Option<&str>;
}

impl DecodedPage for Value {
    fn records(&self) -> BenchResult<u64> {
        let rows = self["conversations"]
            .as_array()
            .ok_or("a page without a conversations array")?;
        Ok(rows.len() as u64)
    }

    fn next_cursor(&self) -> Option<&str> {
        self["cursor"].as_str()
    }
}

impl DecodedPage for ListConversationsResponse {
    fn records(&self) -> BenchResult<u64> {
        Ok(self.conversations.len() as u64)
    }

    fn next_cursor(&self) -> Option<&str> {
        self.cursor.as_deref()
    }
}

async fn baseline_pull<P: DecodedPage>(
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
        let page: P = serde_json::from_slice(&body)?;
        records += page.records()?;
        std::hint::black_box(&page);
        if records >= wanted {
            return Ok(wanted);
        }
        match page.next_cursor() {
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
