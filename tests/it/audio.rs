//! Issue 3: audio downloads resume with Range/206, restart on 200, and never leave a partial
//! file at the destination.

use std::sync::{Arc, Mutex};

use polyai_sdk::audio::SavedAudio;
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

/// Saves recording CA1 of `server` to `call.wav` in a new temporary directory, which must
/// succeed: what the save reports, and the directory (removed when dropped).
async fn save_ca1(server: &RawServer) -> (SavedAudio, tempfile::TempDir) {
    let dir = tempfile::tempdir().unwrap();
    let saved = client(server)
        .audio("agent", "CA1")
        .save_to(dir.path().join("call.wav"))
        .await
        .expect("saved");
    (saved, dir)
}

/// Nothing is in `dir`: no recording, no partial file, no record.
fn assert_nothing_left(dir: &std::path::Path) {
    assert_eq!(leftovers(dir), Vec::<String>::new());
}

/// The names in `dir`, sorted.
fn leftovers(dir: &std::path::Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
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
    let (saved, dir) = save_ca1(&server).await;
    let target = dir.path().join("call.wav");
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
    assert_nothing_left(dir.path());
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
    assert_nothing_left(dir.path());
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
    assert_nothing_left(dir.path());
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

// Issue 11, point 6: a cancelled save leaves nothing behind.

/// A server that sends the response head and the first `sent` bytes of `body`, then keeps the
/// connection open without sending anything more (a transfer stalled mid-body).
struct StallingServer {
    base_url: String,
    task: tokio::task::JoinHandle<()>,
}

impl StallingServer {
    async fn start(body: Arc<Vec<u8>>, sent: usize) -> StallingServer {
        use tokio::io::{AsyncReadExt, AsyncWriteExt};
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let base_url = format!("http://{}", listener.local_addr().unwrap());
        let task = tokio::spawn(async move {
            while let Ok((mut socket, _)) = listener.accept().await {
                let body = Arc::clone(&body);
                tokio::spawn(async move {
                    let mut head = Vec::new();
                    while !head.windows(4).any(|w| w == b"\r\n\r\n") {
                        let mut chunk = [0u8; 1024];
                        match socket.read(&mut chunk).await {
                            Ok(0) | Err(_) => return,
                            Ok(n) => head.extend_from_slice(&chunk[..n]),
                        }
                    }
                    let reply = format!(
                        "HTTP/1.1 200 OK\r\nContent-Type: audio/wav\r\nContent-Length: {}\r\nETag: \"v1\"\r\n\r\n",
                        body.len()
                    );
                    if socket.write_all(reply.as_bytes()).await.is_err()
                        || socket.write_all(&body[..sent]).await.is_err()
                    {
                        return;
                    }
                    let _ = socket.flush().await;
                    // Hold the connection open until the client goes away.
                    let mut rest = [0u8; 64];
                    let _ = socket.read(&mut rest).await;
                });
            }
        });
        StallingServer { base_url, task }
    }
}

impl Drop for StallingServer {
    fn drop(&mut self) {
        self.task.abort();
    }
}

fn is_partial(name: &str) -> bool {
    name != "call.wav"
}

/// A save against a stalling server, whose progress callback records whether a temporary
/// file was present in `dir` while bytes were arriving (so the tests below check a file that
/// really existed).
fn stalled_save(
    server: &StallingServer,
    dir: &std::path::Path,
    seen_partial: Arc<std::sync::atomic::AtomicBool>,
) -> impl std::future::Future<Output = Result<polyai_sdk::audio::SavedAudio, Error>> + Send + 'static
{
    let client = Client::builder()
        .api_key("k")
        .base_url(&server.base_url)
        .retry_policy(RetryPolicy::disabled())
        .build()
        .unwrap();
    let watched = dir.to_path_buf();
    client
        .audio("agent", "CA1")
        .on_progress(move |done, _| {
            if done > 0 && leftovers(&watched).iter().any(|n| is_partial(n)) {
                seen_partial.store(true, std::sync::atomic::Ordering::SeqCst);
            }
        })
        .save_to(dir.join("call.wav"))
}

/// Waits until `flag` is set (at most 10 s).
async fn until(flag: &std::sync::atomic::AtomicBool) {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    while !flag.load(std::sync::atomic::Ordering::SeqCst) {
        assert!(
            std::time::Instant::now() < deadline,
            "the transfer never started"
        );
        tokio::time::sleep(std::time::Duration::from_millis(5)).await;
    }
}

#[tokio::test]
async fn a_save_cut_short_by_a_timeout_leaves_no_partial_file() {
    let server = StallingServer::start(Arc::new(recording()), 400_000).await;
    let dir = tempfile::tempdir().unwrap();
    let seen = Arc::new(std::sync::atomic::AtomicBool::new(false));
    // Generous, so that on a loaded machine the first bytes still arrive before it fires.
    let outcome = tokio::time::timeout(
        std::time::Duration::from_secs(2),
        stalled_save(&server, dir.path(), Arc::clone(&seen)),
    )
    .await;
    assert!(outcome.is_err(), "the server stalls, so the timeout fires");
    assert!(
        seen.load(std::sync::atomic::Ordering::SeqCst),
        "a partial file existed mid-transfer"
    );
    assert!(!dir.path().join("call.wav").exists());
    assert_eq!(
        leftovers(dir.path()),
        Vec::<String>::new(),
        "no temporary file left"
    );
}

#[tokio::test]
async fn a_save_dropped_by_select_leaves_no_partial_file() {
    let server = StallingServer::start(Arc::new(recording()), 300_000).await;
    let dir = tempfile::tempdir().unwrap();
    let seen = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let save = stalled_save(&server, dir.path(), Arc::clone(&seen));
    tokio::select! {
        _ = save => panic!("the server stalls, so the save cannot finish"),
        _ = until(&seen) => {}
    }
    assert!(
        seen.load(std::sync::atomic::Ordering::SeqCst),
        "a partial file existed mid-transfer"
    );
    assert!(!dir.path().join("call.wav").exists());
    assert_eq!(
        leftovers(dir.path()),
        Vec::<String>::new(),
        "no temporary file left"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_aborted_save_task_leaves_no_partial_file() {
    let server = StallingServer::start(Arc::new(recording()), 300_000).await;
    let dir = tempfile::tempdir().unwrap();
    let seen = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let task = tokio::spawn(stalled_save(&server, dir.path(), Arc::clone(&seen)));
    until(&seen).await;
    task.abort();
    let joined = task.await;
    assert!(
        joined.is_err_and(|e| e.is_cancelled()),
        "the task was cancelled"
    );
    assert!(!dir.path().join("call.wav").exists());
    assert_eq!(
        leftovers(dir.path()),
        Vec::<String>::new(),
        "no temporary file left"
    );
}

// Issue 11, point 7: a resume never stitches two versions of a recording.

/// Another 1 MiB recording of the same length: every byte differs from `recording()`.
fn other_version() -> Vec<u8> {
    recording().into_iter().map(|b| !b).collect()
}

/// A whole recording with no validator at all (no `ETag`, no `Last-Modified`).
fn bare_audio(body: &[u8], cut_after: Option<usize>) -> RawReply {
    let mut reply = RawReply::audio(body, "", cut_after);
    reply.headers.retain(|(n, _)| n != "ETag");
    reply
}

/// `206` from `start` carrying `validator` headers of the caller's choice.
fn partial_with(body: &[u8], start: usize, headers: &[(&str, &str)]) -> RawReply {
    let mut reply = RawReply::audio_from(body, start, "");
    reply.headers.retain(|(n, _)| n != "ETag");
    for (name, value) in headers {
        reply = reply.header(name, value);
    }
    reply
}

fn assert_exactly(saved: &[u8], version: &[u8]) {
    assert_eq!(saved.len(), version.len());
    assert!(
        sha256_hex(saved) == sha256_hex(version),
        "the saved file is not that version (first difference at byte {:?})",
        saved.iter().zip(version).position(|(a, b)| a != b)
    );
}

#[tokio::test]
async fn without_a_validator_a_resume_starts_over_instead_of_stitching() {
    let (first, second) = (Arc::new(recording()), Arc::new(other_version()));
    let (a, b) = (Arc::clone(&first), Arc::clone(&second));
    // The version changes after the first response; the server honours any Range it gets.
    let server = RawServer::start(move |n, request| match (n, request.range_start()) {
        (0, _) => bare_audio(&a, Some(300_000)),
        (_, Some(start)) => partial_with(&b, start, &[]),
        (_, None) => bare_audio(&b, None),
    })
    .await;
    let (saved, dir) = save_ca1(&server).await;
    let target = dir.path().join("call.wav");
    assert_exactly(&std::fs::read(&target).unwrap(), &second);
    assert_eq!((saved.resumes, saved.restarts), (0, 1));
    let requests = server.requests();
    assert_eq!(requests.len(), 2);
    assert_eq!(
        requests[1].header("range"),
        None,
        "no Range without a validator"
    );
    assert_eq!(requests[1].header("if-range"), None);
    assert_eq!(leftovers(dir.path()), vec!["call.wav".to_string()]);
}

#[tokio::test]
async fn a_weak_etag_is_no_validator_even_with_a_last_modified() {
    let (first, second) = (Arc::new(recording()), Arc::new(other_version()));
    let (a, b) = (Arc::clone(&first), Arc::clone(&second));
    // RFC 9110 13.1.5: If-Range never carries a weak tag, nor a date when there is a tag.
    let dated = |reply: RawReply| {
        reply
            .header("Last-Modified", "Tue, 03 Nov 2026 10:00:00 GMT")
            .header("Date", "Tue, 03 Nov 2026 12:00:00 GMT")
    };
    let server = RawServer::start(move |n, request| match (n, request.range_start()) {
        (0, _) => dated(RawReply::audio(&a, "W/\"same\"", Some(300_000))),
        (_, Some(start)) => dated(RawReply::audio_from(&b, start, "W/\"same\"")),
        (_, None) => dated(RawReply::audio(&b, "W/\"same\"", None)),
    })
    .await;
    let (saved, dir) = save_ca1(&server).await;
    let target = dir.path().join("call.wav");
    assert_exactly(&std::fs::read(&target).unwrap(), &second);
    assert_eq!((saved.resumes, saved.restarts), (0, 1));
    let requests = server.requests();
    assert_eq!(requests[1].header("range"), None);
    assert_eq!(requests[1].header("if-range"), None);
}

#[tokio::test]
async fn a_206_of_another_version_is_not_appended() {
    let (first, second) = (Arc::new(recording()), Arc::new(other_version()));
    let (a, b) = (Arc::clone(&first), Arc::clone(&second));
    // A server (or proxy) that ignores If-Range and answers 206 with the new version's tag.
    let server = RawServer::start(move |n, request| match (n, request.range_start()) {
        (0, _) => RawReply::audio(&a, "\"v1\"", Some(300_000)),
        (_, Some(start)) => RawReply::audio_from(&b, start, "\"v2\""),
        (_, None) => RawReply::audio(&b, "\"v2\"", None),
    })
    .await;
    let (saved, dir) = save_ca1(&server).await;
    let target = dir.path().join("call.wav");
    assert_exactly(&std::fs::read(&target).unwrap(), &second);
    assert_eq!((saved.resumes, saved.restarts), (0, 1));
    let requests = server.requests();
    assert_eq!(requests.len(), 3, "first try, refused resume, fresh start");
    assert_eq!(requests[1].header("if-range"), Some("\"v1\""));
    assert_eq!(
        requests[2].header("range"),
        None,
        "the fresh start asks for the whole file"
    );
    assert_eq!(leftovers(dir.path()), vec!["call.wav".to_string()]);
}

#[tokio::test]
async fn a_server_that_keeps_switching_versions_fails_with_a_transfer_error() {
    let versions = Arc::new([recording(), other_version()]);
    let served = Arc::clone(&versions);
    let server = RawServer::start(move |n, request| {
        let body = &served[n % 2];
        let tag = format!("\"v{}\"", n % 2);
        match request.range_start() {
            Some(start) => RawReply::audio_from(body, start, &tag),
            None => RawReply::audio(body, &tag, Some(300_000)),
        }
    })
    .await;
    let dir = tempfile::tempdir().unwrap();
    let target = dir.path().join("call.wav");
    let error = client(&server)
        .audio("agent", "CA1")
        .max_resumes(3)
        .save_to(&target)
        .await
        .expect_err("never the same version twice");
    assert!(matches!(error, Error::Transfer(_)), "{error:?}");
    assert_nothing_left(dir.path());
}

#[tokio::test]
async fn a_strong_last_modified_resumes_with_if_range_and_a_weak_one_starts_over() {
    let source = Arc::new(recording());
    // Date at least one second after Last-Modified makes the date a strong validator
    // (RFC 9110 8.8.2.2); the same second does not.
    for (date, resumes) in [
        ("Tue, 03 Nov 2026 10:00:01 GMT", 1),
        ("Tue, 03 Nov 2026 10:00:00 GMT", 0),
    ] {
        let body = Arc::clone(&source);
        let modified = "Tue, 03 Nov 2026 10:00:00 GMT";
        let server = RawServer::start(move |n, request| {
            let headers = [("Last-Modified", modified), ("Date", date)];
            match (n, request.range_start()) {
                (0, _) => {
                    let mut reply = bare_audio(&body, Some(300_000));
                    for (name, value) in headers {
                        reply = reply.header(name, value);
                    }
                    reply
                }
                (_, Some(start)) if request.header("if-range") == Some(modified) => {
                    partial_with(&body, start, &headers)
                }
                _ => bare_audio(&body, None),
            }
        })
        .await;
        let dir = tempfile::tempdir().unwrap();
        let target = dir.path().join("call.wav");
        let saved = client(&server)
            .audio("agent", "CA1")
            .save_to(&target)
            .await
            .expect("saved");
        assert_exactly(&std::fs::read(&target).unwrap(), &source);
        assert_eq!(
            (saved.resumes, saved.restarts),
            (resumes, 1 - resumes),
            "Date {date}"
        );
        let second = &server.requests()[1];
        if resumes == 1 {
            assert_eq!(second.header("if-range"), Some(modified));
            assert!(second.range_start().is_some());
        } else {
            assert_eq!(second.header("range"), None);
            assert_eq!(second.header("if-range"), None);
        }
    }
}

#[tokio::test]
async fn recordings_are_asked_for_without_content_coding() {
    let source = Arc::new(recording());
    let body = Arc::clone(&source);
    let server = RawServer::start(move |n, request| match (n, request.range_start()) {
        (0, _) => RawReply::audio(&body, "\"v1\"", Some(300_000)),
        (_, Some(start)) => RawReply::audio_from(&body, start, "\"v1\""),
        (_, None) => RawReply::audio(&body, "\"v1\"", None),
    })
    .await;
    let dir = tempfile::tempdir().unwrap();
    client(&server)
        .audio("agent", "CA1")
        .save_to(dir.path().join("call.wav"))
        .await
        .expect("saved");
    let mut stream = client(&server)
        .audio("agent", "CA1")
        .stream()
        .await
        .expect("stream");
    while let Some(chunk) = futures::StreamExt::next(&mut stream).await {
        chunk.expect("a chunk");
    }
    let requests = server.requests();
    assert_eq!(requests.len(), 3, "first try, resume, stream");
    for request in &requests {
        assert_eq!(
            request.header("accept-encoding"),
            Some("identity"),
            "{request:?}"
        );
    }
}

#[tokio::test]
async fn a_compressed_recording_is_refused() {
    let source = Arc::new(recording());
    let body = Arc::clone(&source);
    let server = RawServer::start(move |_, _| {
        RawReply::audio(&body[..1000], "\"v1\"", None).header("Content-Encoding", "gzip")
    })
    .await;
    let dir = tempfile::tempdir().unwrap();
    let target = dir.path().join("call.wav");
    let error = client(&server)
        .audio("agent", "CA1")
        .save_to(&target)
        .await
        .expect_err("gzip is not a recording");
    assert!(matches!(error, Error::Decode { .. }), "{error:?}");
    assert!(error.to_string().contains("gzip"), "{error}");
    assert_nothing_left(dir.path());
    let error = client(&server)
        .audio("agent", "CA1")
        .stream()
        .await
        .expect_err("gzip is not a recording");
    assert!(matches!(error, Error::Decode { .. }), "{error:?}");
}

#[tokio::test]
async fn against_the_mock_a_reset_resumes_through_if_range_and_matches_a_clean_download() {
    use polyai_mock::{Fault, FaultPlan, FaultRule, MockServer, Route};
    let server = MockServer::builder()
        .audio_seconds(30.0)
        .faults(
            FaultPlan::new().rule(
                FaultRule::new(Fault::Reset {
                    after_bytes: 200_000,
                })
                .on(Route::GetAudio)
                .nth(1),
            ),
        )
        .start()
        .await;
    let client = Client::builder()
        .api_key(server.api_key())
        .base_url(server.base_url())
        .retry_policy(RetryPolicy::disabled())
        .build()
        .unwrap();
    let conversation = server.conversation_id();
    let dir = tempfile::tempdir().unwrap();
    let (cut, clean) = (dir.path().join("cut.wav"), dir.path().join("clean.wav"));
    let saved = client
        .audio(server.agent_id(), &conversation)
        .save_to(&cut)
        .await
        .expect("saved");
    assert_eq!((saved.resumes, saved.restarts), (1, 0));
    client
        .audio(server.agent_id(), &conversation)
        .save_to(&clean)
        .await
        .expect("saved");
    assert_exactly(
        &std::fs::read(&cut).unwrap(),
        &std::fs::read(&clean).unwrap(),
    );
    let audio: Vec<_> = server
        .requests()
        .into_iter()
        .filter(|r| r.route == Some(Route::GetAudio))
        .collect();
    let header = |r: &polyai_mock::RecordedRequest, name: &str| {
        r.headers
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.clone())
    };
    assert_eq!(audio.len(), 3, "cut, resume, clean");
    assert_eq!(audio[1].status, 206);
    assert!(header(&audio[1], "if-range").is_some_and(|tag| tag.starts_with('"')));
    assert!(
        audio
            .iter()
            .all(|r| header(r, "accept-encoding").as_deref() == Some("identity"))
    );
}

// Issue 14, point 8: a save of a process that died mid-transfer is continued by the next save
// to the same destination, from its partial file, and nothing partial outlives a complete save.

/// What a process that died mid-save leaves: a save against a stalling server is polled until
/// its partial file holds bytes on disk, then forgotten (its destructors never run, as in a
/// killed process). The leftovers are copied into a fresh directory `into`, so the claim the
/// forgotten save still holds in this process is not in the way; returns the partial's length.
async fn leftovers_of_a_dead_save(source: &Arc<Vec<u8>>, into: &std::path::Path) -> u64 {
    let server = StallingServer::start(Arc::clone(source), 400_000).await;
    let dying = tempfile::tempdir().unwrap();
    let save = stalled_save(&server, dying.path(), Arc::default());
    let mut save = Box::pin(save);
    let partial = dying.path().join(".call.wav.part");
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    loop {
        tokio::select! {
            _ = &mut save => panic!("the save against a stalling server ended"),
            _ = tokio::time::sleep(std::time::Duration::from_millis(5)) => {}
        }
        if std::fs::metadata(&partial).is_ok_and(|m| m.len() > 0) {
            break;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "no bytes reached the partial file"
        );
    }
    std::mem::forget(save);
    let names = leftovers(dying.path());
    assert_eq!(
        names,
        [".call.wav.part", ".call.wav.part.json"],
        "the leftovers of a dead save"
    );
    for name in &names {
        std::fs::copy(dying.path().join(name), into.join(name)).unwrap();
    }
    let len = std::fs::metadata(into.join(".call.wav.part"))
        .unwrap()
        .len();
    assert!(len > 0 && len <= 400_000, "{len}");
    len
}

#[tokio::test]
async fn a_save_continues_the_partial_file_of_a_process_that_died() {
    let source = Arc::new(recording());
    let dir = tempfile::tempdir().unwrap();
    let left = leftovers_of_a_dead_save(&source, dir.path()).await;
    let body = Arc::clone(&source);
    let server = RawServer::start(move |_, request| match request.range_start() {
        Some(start) => RawReply::audio_from(&body, start, "\"v1\""),
        None => RawReply::audio(&body, "\"v1\"", None),
    })
    .await;
    let saved = client(&server)
        .audio("agent", "CA1")
        .save_to(dir.path().join("call.wav"))
        .await
        .expect("saved");
    assert_eq!(saved.resumed_from, left);
    assert_eq!(saved.bytes, source.len() as u64);
    assert_exactly(
        &std::fs::read(dir.path().join("call.wav")).unwrap(),
        &source,
    );
    let requests = server.requests();
    assert_eq!(requests.len(), 1, "only the rest was asked for");
    assert_eq!(requests[0].range_start(), Some(left as usize));
    assert_eq!(requests[0].header("if-range"), Some("\"v1\""));
    assert_eq!(
        leftovers(dir.path()),
        ["call.wav"],
        "no partial file after the save"
    );
}

#[tokio::test]
async fn a_partial_file_of_a_recording_that_changed_is_started_over() {
    let source = Arc::new(recording());
    let dir = tempfile::tempdir().unwrap();
    leftovers_of_a_dead_save(&source, dir.path()).await;
    // The recording was replaced meanwhile: If-Range fails and the server sends it whole.
    let newer = Arc::new(other_version());
    let body = Arc::clone(&newer);
    let server = RawServer::start(move |_, _| RawReply::audio(&body, "\"v2\"", None)).await;
    let saved = client(&server)
        .audio("agent", "CA1")
        .save_to(dir.path().join("call.wav"))
        .await
        .expect("saved");
    assert_eq!(saved.resumed_from, 0);
    assert_exactly(&std::fs::read(dir.path().join("call.wav")).unwrap(), &newer);
    assert_eq!(server.requests()[0].header("if-range"), Some("\"v1\""));
    assert_eq!(leftovers(dir.path()), ["call.wav"]);
}

#[tokio::test]
async fn a_partial_file_of_another_request_is_not_continued() {
    let source = Arc::new(recording());
    let dir = tempfile::tempdir().unwrap();
    leftovers_of_a_dead_save(&source, dir.path()).await;
    let body = Arc::clone(&source);
    let server = RawServer::start(move |_, _| RawReply::audio(&body, "\"v1\"", None)).await;
    // The dead save asked for the combined recording; this one for the caller's side only,
    // which is another file even if a server gave both the same validator.
    let saved = client(&server)
        .audio("agent", "CA1")
        .direction(polyai_sdk::audio::AudioDirection::User)
        .save_to(dir.path().join("call.wav"))
        .await
        .expect("saved");
    assert_eq!(saved.resumed_from, 0);
    let requests = server.requests();
    assert_eq!(
        requests[0].header("range"),
        None,
        "{:?}",
        requests[0].headers
    );
    assert_exactly(
        &std::fs::read(dir.path().join("call.wav")).unwrap(),
        &source,
    );
    assert_eq!(leftovers(dir.path()), ["call.wav"]);
}

#[tokio::test]
async fn leftover_partial_files_are_removed_on_request() {
    let source = Arc::new(recording());
    let dir = tempfile::tempdir().unwrap();
    leftovers_of_a_dead_save(&source, dir.path()).await;
    std::fs::write(dir.path().join("kept.wav"), b"RIFF").unwrap();
    assert_eq!(
        polyai_sdk::audio::remove_partial_files(dir.path()).unwrap(),
        1
    );
    assert_eq!(leftovers(dir.path()), ["kept.wav"]);
}

#[test]
fn a_partial_file_a_running_save_holds_is_not_removed() {
    let dir = tempfile::tempdir().unwrap();
    // A dead save's leftovers, and a running save's files (its partial file locked).
    for name in [
        ".dead.wav.part",
        ".dead.wav.part.json",
        ".busy.wav.part",
        ".busy.wav.part.json",
    ] {
        std::fs::write(dir.path().join(name), b"bytes").unwrap();
    }
    let running = std::fs::File::open(dir.path().join(".busy.wav.part")).unwrap();
    running.lock().unwrap();
    assert_eq!(
        polyai_sdk::audio::remove_partial_files(dir.path()).unwrap(),
        1
    );
    assert_eq!(
        leftovers(dir.path()),
        [".busy.wav.part", ".busy.wav.part.json"],
        "the running save's files are left alone"
    );
    // Once that save is gone, its leftovers are removed too.
    drop(running);
    assert_eq!(
        polyai_sdk::audio::remove_partial_files(dir.path()).unwrap(),
        1
    );
    assert_nothing_left(dir.path());
}

#[tokio::test]
async fn two_saves_to_one_destination_at_once_are_refused() {
    let source = Arc::new(recording());
    let server = StallingServer::start(Arc::clone(&source), 10_000).await;
    let dir = tempfile::tempdir().unwrap();
    let started = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let first = tokio::spawn(stalled_save(&server, dir.path(), Arc::clone(&started)));
    until(&started).await;
    let second = stalled_save(&server, dir.path(), Arc::default())
        .await
        .expect_err("the destination is being saved");
    assert!(matches!(second, Error::InvalidInput(_)), "{second:?}");
    first.abort();
    let _ = first.await;
    assert_nothing_left(dir.path());
}

#[tokio::test]
async fn a_save_is_refused_while_another_process_holds_the_partial_file() {
    let source = Arc::new(recording());
    let body = Arc::clone(&source);
    let server = RawServer::start(move |_, _| RawReply::audio(&body, "\"v1\"", None)).await;
    let dir = tempfile::tempdir().unwrap();
    // Another process's save: its partial file, open and locked. A lock taken through a file
    // opened separately conflicts with this process's own (flock locks belong to the open
    // file, not to the process), so this stands in for a second process.
    let partial = dir.path().join(".call.wav.part");
    std::fs::write(&partial, b"RIFF and the first bytes").unwrap();
    let other = std::fs::OpenOptions::new()
        .write(true)
        .open(&partial)
        .unwrap();
    other.lock().unwrap();
    let error = client(&server)
        .audio("agent", "CA1")
        .save_to(dir.path().join("call.wav"))
        .await
        .expect_err("the partial file is locked by another save");
    assert!(matches!(error, Error::InvalidInput(_)), "{error:?}");
    assert!(error.to_string().contains("another process"), "{error}");
    assert!(server.requests().is_empty(), "nothing was asked for");
    assert_eq!(
        std::fs::read(&partial).unwrap(),
        b"RIFF and the first bytes",
        "the other save's file is left as it was"
    );
    // Once the other save is gone (its lock with it), the destination saves.
    drop(other);
    client(&server)
        .audio("agent", "CA1")
        .save_to(dir.path().join("call.wav"))
        .await
        .expect("saved once the lock is released");
    assert_exactly(
        &std::fs::read(dir.path().join("call.wav")).unwrap(),
        &source,
    );
    assert_eq!(leftovers(dir.path()), ["call.wav"]);
}

// Issue 14, point 4: a listed conversation's recording without working out the agent id, and
// channels as an open enum.

#[tokio::test]
async fn a_listed_voice_call_downloads_its_recording_and_a_chat_has_none() {
    use futures::TryStreamExt;
    use polyai_sdk::Channel;
    let server = polyai_mock::MockServer::builder()
        .conversations(60)
        .start()
        .await;
    let client = Client::builder()
        .api_key(server.api_key())
        .base_url(server.base_url())
        .retry_policy(RetryPolicy::disabled())
        .build()
        .unwrap();
    let listed: Vec<_> = client
        .list_conversations(server.account_id(), server.project_id())
        .stream()
        .try_collect()
        .await
        .unwrap();
    let voice = listed
        .iter()
        .find(|c| c.channel == Some(Channel::VoiceSip) && c.in_progress == Some(false))
        .expect("a finished voice call");
    let chat = listed
        .iter()
        .find(|c| c.channel.as_ref().is_some_and(|c| !c.is_voice()))
        .expect("a chat");
    let dir = tempfile::tempdir().unwrap();
    let saved = client
        .download_recording(voice, dir.path().join("voice.wav"))
        .await
        .expect("a finished voice call has a recording");
    assert_eq!(saved.bytes, server.audio_len());
    let by_ids = client
        .audio(server.project_id(), &voice.id)
        .stream()
        .await
        .unwrap()
        .try_fold(Vec::new(), |mut all, chunk| async move {
            all.extend_from_slice(&chunk);
            Ok(all)
        })
        .await
        .unwrap();
    assert_exactly(
        &std::fs::read(dir.path().join("voice.wav")).unwrap(),
        &by_ids,
    );
    let error = client
        .download_recording(chat, dir.path().join("chat.wav"))
        .await
        .expect_err("a chat has no recording");
    assert!(matches!(error, Error::NotFound(_)), "{error:?}");
    assert_eq!(
        error.error_code(),
        Some("CONVERSATIONS_RECORDING_NOT_FOUND")
    );
    assert_eq!(leftovers(dir.path()), ["voice.wav"]);

    // Without a project id nothing is sent.
    let mut orphan = voice.clone();
    orphan.project_id = None;
    let before = server.requests().len();
    let error = client.recording(&orphan).expect_err("no project id");
    assert!(matches!(error, Error::InvalidInput(_)), "{error:?}");
    assert_eq!(server.requests().len(), before);
}

#[tokio::test]
async fn the_channel_filter_and_the_listed_channels_are_typed() {
    use futures::TryStreamExt;
    use polyai_sdk::Channel;
    let server = polyai_mock::MockServer::builder()
        .conversations(60)
        .start()
        .await;
    let client = Client::builder()
        .api_key(server.api_key())
        .base_url(server.base_url())
        .build()
        .unwrap();
    let chats: Vec<_> = client
        .list_conversations(server.account_id(), server.project_id())
        .channel(Channel::Webchat)
        .stream()
        .try_collect()
        .await
        .unwrap();
    assert!(!chats.is_empty());
    assert!(chats.iter().all(|c| c.channel == Some(Channel::Webchat)));
    let request = server.requests().pop().unwrap();
    assert!(
        request
            .query
            .as_deref()
            .is_some_and(|q| q.contains("channel=WEBCHAT")),
        "{request:?}"
    );
    // A listed conversation keeps its channel through a serde round trip.
    let json = serde_json::to_value(&chats[0]).unwrap();
    assert_eq!(json["channel"], "WEBCHAT");
    let back: polyai_sdk::conversations::Conversation = serde_json::from_value(json).unwrap();
    assert_eq!(back, chats[0]);
    let mut other = serde_json::to_value(&chats[0]).unwrap();
    other["channel"] = "WHATSAPP".into();
    let other: polyai_sdk::conversations::Conversation = serde_json::from_value(other).unwrap();
    assert_eq!(other.channel, Some(Channel::Other("WHATSAPP".into())));
}

#[tokio::test]
async fn a_partial_file_that_already_holds_every_byte_is_fetched_again_after_a_416() {
    let source = Arc::new(recording());
    let dir = tempfile::tempdir().unwrap();
    leftovers_of_a_dead_save(&source, dir.path()).await;
    // The process died after the last byte was written but before the rename.
    std::fs::write(dir.path().join(".call.wav.part"), source.as_slice()).unwrap();
    let body = Arc::clone(&source);
    let server = RawServer::start(move |_, request| match request.range_start() {
        Some(_) => RawReply::json(
            "416 Range Not Satisfiable",
            &serde_json::json!({"success": false, "error_code": "RANGE_NOT_SATISFIABLE"}),
        ),
        None => RawReply::audio(&body, "\"v1\"", None),
    })
    .await;
    let saved = client(&server)
        .audio("agent", "CA1")
        .save_to(dir.path().join("call.wav"))
        .await
        .expect("saved");
    assert_eq!(saved.resumed_from, 0);
    assert_exactly(
        &std::fs::read(dir.path().join("call.wav")).unwrap(),
        &source,
    );
    let requests = server.requests();
    assert_eq!(requests.len(), 2, "the resume, then the whole file");
    assert_eq!(requests[0].range_start(), Some(source.len()));
    assert_eq!(leftovers(dir.path()), ["call.wav"]);
}

// Issue 14 review, point 3: a generated operation answering with bytes hands out a stream
// whose failures are the SDK's own errors, not reqwest's (which keep the URL's query).

#[tokio::test]
async fn a_body_cut_mid_stream_on_a_generated_call_is_an_sdk_error_without_the_query() {
    use futures::TryStreamExt;
    let body = recording();
    let server = RawServer::start(move |_, _| RawReply::audio(&body, "\"v1\"", Some(4096))).await;
    let answer = client(&server)
        .data()
        .get_conversation_audio()
        .agent_id("AGENT-1")
        .conversation_id("CONV-1")
        .direction(polyai_sdk::types::data::GetConversationAudioDirection::User)
        .redacted(true)
        .send()
        .await
        .expect("the headers arrive");
    assert_eq!(answer.status(), 200);
    let mut stream: polyai_sdk::ByteStream = answer.into_inner();
    let mut received = 0;
    let error: Error = loop {
        match stream.try_next().await {
            Ok(Some(chunk)) => received += chunk.len(),
            Ok(None) => panic!("the cut body ended cleanly after {received} bytes"),
            Err(error) => break error,
        }
    };
    assert!(received <= 4096, "{received} bytes before the cut");
    assert!(
        matches!(error, Error::Transport(_) | Error::Timeout { .. }),
        "{error:?}"
    );
    assert!(error.is_retryable(), "{error:?}");
    let shown = format!("{error} {error:?}");
    assert!(!shown.contains("redacted=true"), "the query shows: {shown}");
    assert!(
        !shown.contains("direction=user"),
        "the query shows: {shown}"
    );
}
