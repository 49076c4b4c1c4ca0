//! Issue 3: audio downloads resume with Range/206, restart on 200, and never leave a partial
//! file at the destination.

use std::sync::{Arc, Mutex};

use polyai_sdk::{Client, Error, RetryPolicy};
use polyai_tests::{RawReply, RawServer, sha256_hex};

/// A deterministic 1 MiB "recording".
fn recording() -> Vec<u8> {
    let mut state = 0x9e37_79b9_7f4a_7c15u64;
    (0..1024 * 1024)
        .map(|_| {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            state as u8
        })
        .collect()
}

fn client(server: &RawServer) -> Client {
    Client::builder()
        .api_key("k")
        .base_url(server.base_url())
        .retry_policy(RetryPolicy::disabled())
        .build()
        .unwrap()
}

fn leftovers(dir: &std::path::Path) -> Vec<String> {
    std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect()
}

#[tokio::test]
async fn a_cut_transfer_resumes_with_range_and_ends_byte_identical() {
    let source = Arc::new(recording());
    let body = Arc::clone(&source);
    let server = RawServer::start(move |n, request| match n {
        0 => RawReply::audio(&body, "\"v1\"", Some(300_000)),
        _ => RawReply::audio_from(
            &body,
            request.range_start().expect("a Range header"),
            "\"v1\"",
        ),
    })
    .await;
    let dir = tempfile::tempdir().unwrap();
    let target = dir.path().join("call.wav");
    let progress = Arc::new(Mutex::new(Vec::new()));
    let seen = Arc::clone(&progress);
    let saved = client(&server)
        .audio("agent", "CA1")
        .on_progress(move |done, total| seen.lock().unwrap().push((done, total)))
        .save_to(&target)
        .await
        .expect("saved");
    let written = std::fs::read(&target).unwrap();
    assert_eq!(sha256_hex(&written), sha256_hex(&source));
    assert_eq!(saved.bytes, source.len() as u64);
    assert_eq!((saved.resumes, saved.restarts), (1, 0));
    let requests = server.requests();
    assert_eq!(requests.len(), 2);
    let resumed_at = requests[1].range_start().unwrap();
    assert!(resumed_at > 0 && resumed_at <= 300_000, "{resumed_at}");
    assert_eq!(requests[1].header("if-range"), Some("\"v1\""));
    assert_eq!(requests[1].header("accept"), Some("audio/wav"));
    let progress = progress.lock().unwrap();
    assert_eq!(
        progress.last(),
        Some(&(source.len() as u64, Some(source.len() as u64)))
    );
    assert!(
        progress.windows(2).all(|w| w[0].0 <= w[1].0),
        "progress only grows"
    );
    assert_eq!(
        leftovers(dir.path()),
        vec!["call.wav".to_string()],
        "no temporary file left"
    );
}

#[tokio::test]
async fn a_resume_answered_with_200_starts_over_cleanly() {
    let source = Arc::new(recording());
    let body = Arc::clone(&source);
    let server = RawServer::start(move |n, _| match n {
        0 => RawReply::audio(&body, "\"v1\"", Some(500_000)),
        _ => RawReply::audio(&body, "\"v2\"", None),
    })
    .await;
    let dir = tempfile::tempdir().unwrap();
    let target = dir.path().join("call.wav");
    let saved = client(&server)
        .audio("agent", "CA1")
        .save_to(&target)
        .await
        .expect("saved");
    assert_eq!(
        sha256_hex(&std::fs::read(&target).unwrap()),
        sha256_hex(&source)
    );
    assert_eq!((saved.resumes, saved.restarts), (0, 1));
    assert_eq!(leftovers(dir.path()), vec!["call.wav".to_string()]);
}

#[tokio::test]
async fn a_transfer_that_keeps_failing_leaves_no_file() {
    let source = Arc::new(recording());
    let body = Arc::clone(&source);
    let server = RawServer::start(move |_, _| RawReply::audio(&body, "\"v1\"", Some(1000))).await;
    let dir = tempfile::tempdir().unwrap();
    let target = dir.path().join("call.wav");
    let error = client(&server)
        .audio("agent", "CA1")
        .max_resumes(2)
        .save_to(&target)
        .await
        .expect_err("fails");
    assert!(matches!(error, Error::Transfer(_)), "{error:?}");
    assert!(!target.exists());
    assert!(
        leftovers(dir.path()).is_empty(),
        "{:?}",
        leftovers(dir.path())
    );
    assert_eq!(server.requests().len(), 3, "first attempt and two resumes");
}

#[tokio::test]
async fn a_resume_at_the_wrong_offset_is_refused() {
    let source = Arc::new(recording());
    let body = Arc::clone(&source);
    let server = RawServer::start(move |n, _| match n {
        0 => RawReply::audio(&body, "\"v1\"", Some(4096)),
        _ => RawReply::audio_from(&body, 10, "\"v1\""),
    })
    .await;
    let dir = tempfile::tempdir().unwrap();
    let target = dir.path().join("call.wav");
    let error = client(&server)
        .audio("agent", "CA1")
        .save_to(&target)
        .await
        .expect_err("bad range");
    assert!(error.to_string().contains("wrong place"), "{error}");
    assert!(leftovers(dir.path()).is_empty());
}

#[tokio::test]
async fn a_missing_recording_is_not_found_and_leaves_no_file() {
    let server = RawServer::start(|_, _| RawReply {
        status: "404 Not Found".into(),
        headers: vec![
            ("Content-Type".into(), "application/json".into()),
            ("Content-Length".into(), "74".into()),
            ("X-PolyAI-Correlation-Id".into(), "corr-9".into()),
        ],
        body: br#"{"success":false,"error_code":"NOT_FOUND","error_message":"no recording!!"}"#
            .to_vec(),
        cut_after: None,
        stall: None,
    })
    .await;
    let dir = tempfile::tempdir().unwrap();
    let target = dir.path().join("call.wav");
    let error = client(&server)
        .audio("agent", "CA404")
        .save_to(&target)
        .await
        .expect_err("404");
    assert!(
        matches!(&error, Error::NotFound(api) if api.correlation_id.as_deref() == Some("corr-9")),
        "{error:?}"
    );
    assert!(leftovers(dir.path()).is_empty());
}

#[tokio::test]
async fn a_body_longer_than_announced_is_refused() {
    let source = Arc::new(recording());
    let body = Arc::clone(&source);
    let server = RawServer::start(move |_, _| {
        let mut reply = RawReply::audio(&body, "\"v1\"", None);
        reply.headers.retain(|(n, _)| n != "Content-Length");
        reply.headers.push(("Content-Length".into(), "100".into()));
        reply
    })
    .await;
    let dir = tempfile::tempdir().unwrap();
    let target = dir.path().join("call.wav");
    // hyper stops at the declared length, so the file is exactly the announced 100 bytes.
    let saved = client(&server)
        .audio("agent", "CA1")
        .save_to(&target)
        .await
        .expect("saved");
    assert_eq!(saved.bytes, 100);
    assert_eq!(std::fs::read(&target).unwrap(), source[..100].to_vec());
}
