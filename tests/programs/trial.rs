//! Issue 14, point 7: the newcomer trial's three programs, run as a user would, judged by
//! their effects: the CSV has the rows and the recordings, the note is in the mock, every
//! bot finished.

use std::collections::BTreeSet;
use std::process::Command;

use futures::TryStreamExt;
use polyai_mock::MockServer;
use polyai_sdk::conversations::Conversation;
use polyai_sdk::{Channel, Client};

use crate::support::{command, example, run};

async fn listed(mock: &MockServer) -> Vec<Conversation> {
    Client::builder()
        .api_key(mock.api_key())
        .base_url(mock.base_url())
        .build()
        .unwrap()
        .list_conversations(mock.account_id(), mock.project_id())
        .stream()
        .try_collect()
        .await
        .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn export_csv_writes_a_row_per_conversation_and_every_recording() {
    let mock = MockServer::builder()
        .conversations(80)
        .window_ending_now()
        .start()
        .await;
    let dir = tempfile::tempdir().unwrap();
    let mut export = command("export_csv", &mock, dir.path());
    export.args(["out", "31", "8"]);
    let printed = tokio::task::block_in_place(|| run(export));

    let conversations = listed(&mock).await;
    let csv = std::fs::read_to_string(dir.path().join("out/conversations.csv")).unwrap();
    let mut lines = csv.lines();
    assert_eq!(
        lines.next(),
        Some("id,started_at,channel,in_progress,turns,duration_s,recording")
    );
    let rows: Vec<Vec<&str>> = lines.map(|l| l.split(',').collect()).collect();
    assert_eq!(rows.len(), conversations.len(), "one row per conversation");
    assert!(
        printed.contains(&format!("wrote {} rows", rows.len())),
        "{printed}"
    );
    let ids: BTreeSet<&str> = rows.iter().map(|r| r[0]).collect();
    let expected: BTreeSet<&str> = conversations.iter().map(|c| c.id.as_str()).collect();
    assert_eq!(ids, expected);

    let calls: BTreeSet<String> = conversations
        .iter()
        .filter(|c| c.channel == Some(Channel::VoiceSip) && c.in_progress == Some(false))
        .map(|c| format!("audio/{}.wav", c.id))
        .collect();
    assert!(!calls.is_empty() && calls.len() < conversations.len());
    let linked: BTreeSet<String> = rows
        .iter()
        .filter(|r| r.len() == 7 && !r[6].is_empty())
        .map(|r| r[6].to_owned())
        .collect();
    assert_eq!(
        linked, calls,
        "a recording for every finished voice call, none for the rest"
    );
    for path in &linked {
        let len = std::fs::metadata(dir.path().join("out").join(path))
            .unwrap()
            .len();
        assert_eq!(len, mock.audio_len(), "{path}");
    }
    let files = std::fs::read_dir(dir.path().join("out/audio"))
        .unwrap()
        .count();
    assert_eq!(files, calls.len(), "nothing else in the audio folder");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn webhook_backend_verifies_a_delivery_fetches_the_conversation_and_writes_a_note() {
    let mock = MockServer::builder().conversations(20).start().await;
    let dir = tempfile::tempdir().unwrap();
    // The self-signed demo runs only against the embedded mock: with POLYAI_API_KEY (a real
    // account, as far as the example can tell) and no POLYAI_WEBHOOK_SECRET it refuses to
    // start, before it binds or sends anything.
    let refused = command("webhook_backend", &mock, dir.path())
        .output()
        .expect("the example runs");
    assert!(!refused.status.success());
    let stderr = String::from_utf8_lossy(&refused.stderr);
    assert!(
        stderr.contains("POLYAI_WEBHOOK_SECRET is not set"),
        "{stderr}"
    );
    assert!(
        mock.requests().is_empty(),
        "nothing was sent to the account"
    );
    // The demo: the embedded mock (no API key), its requests sent on to this test's mock
    // through the example's proxy setting, so the note can be read here.
    let mut demo = command("webhook_backend", &mock, dir.path());
    demo.env_remove("POLYAI_API_KEY")
        .env("POLYAI_EXAMPLES_PROXY_URL", mock.base_url());
    let printed = tokio::task::block_in_place(|| run(demo));
    assert!(
        printed.contains("the signed delivery was answered with 200"),
        "{printed}"
    );
    let first = &listed(&mock).await[0];
    let note = mock.note(&first.id).expect("a note in the mock");
    assert!(note.starts_with("reviewed by webhook_backend: "), "{note}");
    assert!(
        note.ends_with(&format!("channel {}", first.channel.as_ref().unwrap())),
        "{note}"
    );
    // The handler fetched the conversation before it wrote the note.
    let routes: Vec<_> = mock
        .requests()
        .into_iter()
        .filter_map(|r| r.route)
        .collect();
    let fetched = routes
        .iter()
        .position(|r| *r == polyai_mock::Route::GetConversation);
    let noted = routes
        .iter()
        .position(|r| *r == polyai_mock::Route::UpsertNote);
    assert!(fetched.is_some() && fetched < noted, "{routes:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn twenty_chat_bots_finish_and_report_p95_latency() {
    let mock = MockServer::builder().start().await;
    let dir = tempfile::tempdir().unwrap();
    let printed = tokio::task::block_in_place(|| run(command("chat_bots", &mock, dir.path())));
    assert!(printed.contains("20 bots finished, 80 turns"), "{printed}");
    assert!(printed.contains("p95 "), "{printed}");
    let started = mock
        .requests()
        .iter()
        .filter(|r| r.route == Some(polyai_mock::Route::StartDebugChat))
        .count();
    assert_eq!(started, 20, "one debug-chat session per bot");
}

/// As a newcomer runs them first: no arguments, no environment, the embedded mock.
#[test]
fn the_trial_programs_run_without_arguments_on_the_embedded_mock() {
    let dir = tempfile::tempdir().unwrap();
    for (name, expected) in [
        ("export_csv", "rows to"),
        (
            "webhook_backend",
            "read back: Some(\"reviewed by webhook_backend",
        ),
        ("chat_bots", "20 bots finished"),
    ] {
        let mut program = Command::new(example(name));
        program.current_dir(dir.path());
        for (variable, _) in std::env::vars_os() {
            if variable.to_string_lossy().starts_with("POLYAI_") {
                program.env_remove(variable);
            }
        }
        let printed = run(program);
        assert!(printed.contains(expected), "{name}: {printed}");
    }
}
