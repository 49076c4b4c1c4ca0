//! The fault-injection schedule shared by the reliability suite and the secret-hygiene test:
//! the server answers 503, 429 with `Retry-After`, resets connections mid-response, truncates
//! bodies (declares more than it sends) and stalls, by request number.

#![allow(missing_docs)]

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use futures::TryStreamExt;
use polyai_sdk::{Client, RetryPolicy};
use serde_json::json;

use crate::{RawReply, RawRequest, RawServer};

/// The API key used by the fault suite; the hygiene test checks that it never leaks.
pub const SECRET_KEY: &str = "sk-live-SECRET-4b1d-reliability";

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Fault {
    Unavailable,
    RateLimited,
    ResetMidBody,
    Truncated,
    Stall,
}

/// The schedule: request number -> fault (or none). Deterministic, and never two faults in a
/// row, so that a policy of a few attempts always gets through.
pub fn scheduled(n: usize) -> Option<Fault> {
    match n % 11 {
        1 => Some(Fault::Unavailable),
        3 => Some(Fault::RateLimited),
        5 => Some(Fault::ResetMidBody),
        7 => Some(Fault::Truncated),
        9 => Some(Fault::Stall),
        _ => None,
    }
}

#[derive(Default)]
pub struct Tally {
    injected: Mutex<HashMap<Fault, usize>>,
}

impl Tally {
    /// Counts one injected fault.
    pub fn record(&self, fault: Fault) {
        *self.injected.lock().unwrap().entry(fault).or_default() += 1;
    }
    /// Faults injected so far.
    pub fn total(&self) -> usize {
        self.injected.lock().unwrap().values().sum()
    }
    /// Prints how many faults were injected and survived.
    pub fn report(&self, scenario: &str, survived: bool) {
        let injected = self.injected.lock().unwrap();
        let total: usize = injected.values().sum();
        println!(
            "[fault suite] {scenario}: injected {total} faults {:?}; survived {}",
            *injected,
            if survived { total } else { 0 }
        );
    }
}

/// Wraps a good answer in the scheduled fault.
pub fn apply(fault: Option<Fault>, good: RawReply, tally: &Tally) -> RawReply {
    let Some(fault) = fault else { return good };
    tally.record(fault);
    match fault {
        Fault::Unavailable => RawReply::json(
            "503 Service Unavailable",
            &json!({"success": false, "error_code": "SERVICE_UNAVAILABLE"}),
        ),
        Fault::RateLimited => RawReply::json(
            "429 Too Many Requests",
            &json!({"success": false, "error_code": "RATE_LIMITED"}),
        )
        .header("Retry-After", "0"),
        Fault::ResetMidBody => RawReply {
            cut_after: Some(good.body.len() / 2),
            ..good
        },
        Fault::Truncated => {
            let mut reply = good;
            let declared = reply.body.len() + 1000;
            reply
                .headers
                .retain(|(n, _)| !n.eq_ignore_ascii_case("content-length"));
            reply
                .headers
                .push(("Content-Length".into(), declared.to_string()));
            reply.cut_after = Some(reply.body.len());
            reply
        }
        Fault::Stall => RawReply {
            stall: Some(Duration::from_millis(1500)),
            ..good
        },
    }
}

pub fn suite_client(server: &RawServer) -> Client {
    Client::builder()
        .api_key(SECRET_KEY)
        .base_url(server.base_url())
        .read_timeout(Duration::from_millis(400))
        .retry_policy(
            RetryPolicy::standard()
                .max_attempts(5)
                .initial_backoff(Duration::from_millis(2))
                .max_backoff(Duration::from_millis(20)),
        )
        .build()
        .unwrap()
}

pub fn query_value(request: &RawRequest, name: &str) -> Option<String> {
    let query = request.target.split_once('?')?.1;
    query
        .split('&')
        .filter_map(|p| p.split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v.to_string())
}

/// Lists 10,000 conversations under faults; returns the tally for the hygiene test.
pub async fn listing_scenario() -> Arc<Tally> {
    const TOTAL: usize = 10_000;
    let tally = Arc::new(Tally::default());
    let server_tally = Arc::clone(&tally);
    let server = RawServer::start(move |n, request| {
        let offset: usize = query_value(request, "cursor").and_then(|c| c.strip_prefix('o').and_then(|o| o.parse().ok())).unwrap_or(0);
        let limit: usize = query_value(request, "limit").and_then(|l| l.parse().ok()).unwrap_or(1000);
        let end = (offset + limit).min(TOTAL);
        let items: Vec<_> = (offset..end).map(|i| json!({"id": format!("CA{i:05}"), "num_turns": 2, "turns": [{"user_input": "hi"}]})).collect();
        let cursor = (end < TOTAL).then(|| format!("o{end}"));
        let good = RawReply::json("200 OK", &json!({"conversations": items, "cursor": cursor}));
        apply(scheduled(n), good, &server_tally)
    })
    .await;
    let client = suite_client(&server);
    let ids: Vec<String> = client
        .list_conversations("acme", "support")
        .page_size(200)
        .stream()
        .map_ok(|c| c.id)
        .try_collect()
        .await
        .expect("the listing survives every fault");
    assert_eq!(ids.len(), TOTAL);
    assert!(
        ids.iter()
            .enumerate()
            .all(|(i, id)| *id == format!("CA{i:05}")),
        "each exactly once, in order"
    );
    assert!(
        tally.total() >= 10,
        "faults were injected: {}",
        tally.total()
    );
    tally.report("listing 10,000 conversations", true);
    tally
}
