//! Issue 14, point 8: the resumable examples, killed mid-run and run again, finish the job
//! exactly once and leave nothing partial.

use std::collections::BTreeSet;
use std::path::Path;
use std::time::Duration;

use futures::TryStreamExt;
use polyai_mock::{Fault, FaultPlan, FaultRule, MockServer, Route};
use polyai_sdk::{Channel, Client};

use crate::support::{command, kill_when, run};

fn client(mock: &MockServer) -> Client {
    Client::builder()
        .api_key(mock.api_key())
        .base_url(mock.base_url())
        .build()
        .unwrap()
}

fn names(dir: &Path) -> BTreeSet<String> {
    std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pull_transcripts_killed_mid_run_finishes_with_every_conversation_once() {
    let mock = MockServer::builder()
        .conversations(3_000)
        .window_ending_now()
        // The 8th page never comes (until the faults are cleared): the run is mid-listing
        // when it is killed, whatever the machine's speed.
        .faults(
            FaultPlan::new().rule(
                FaultRule::new(Fault::Stall(Duration::from_secs(120)))
                    .on(Route::ListConversations)
                    .nth(8),
            ),
        )
        .start()
        .await;
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out.jsonl");
    let pull = || {
        let mut pull = command("pull_transcripts", &mock, dir.path());
        pull.args([out.to_str().unwrap(), "31"]);
        pull
    };
    let printed = tokio::task::block_in_place(|| {
        kill_when(pull(), |lines| {
            lines.iter().any(|l| l == "700 conversations written")
        })
    });
    assert!(
        !printed.iter().any(|l| l.starts_with("done")),
        "{printed:?}"
    );
    assert_eq!(std::fs::read_to_string(&out).unwrap().lines().count(), 700);
    assert!(dir.path().join("out.checkpoint").exists());
    // As if the process had died after writing a page but before its checkpoint: lines past
    // the checkpoint's length are cut by the rerun, which fetches that page again.
    let first_line = std::fs::read_to_string(&out)
        .unwrap()
        .lines()
        .next()
        .unwrap()
        .to_owned();
    std::fs::write(
        &out,
        format!("{}{first_line}\n", std::fs::read_to_string(&out).unwrap()),
    )
    .unwrap();
    mock.clear_faults();
    // Time has moved on: a window recomputed from the clock would not match the cursor.
    tokio::time::sleep(Duration::from_millis(1_100)).await;
    let printed = tokio::task::block_in_place(|| run(pull()));
    assert!(printed.contains("resuming the listing"), "{printed}");
    // The listing's default environment is `live`: what the SDK lists without a window.
    let expected: BTreeSet<String> = client(&mock)
        .list_conversations(mock.account_id(), mock.project_id())
        .stream()
        .map_ok(|c| c.id)
        .try_collect()
        .await
        .unwrap();
    assert!(expected.len() > 1_000, "{}", expected.len());
    assert!(
        printed.contains(&format!("done: {} conversations", expected.len())),
        "{printed}"
    );

    let text = std::fs::read_to_string(&out).unwrap();
    let ids: Vec<String> = text
        .lines()
        .map(|line| {
            let value: serde_json::Value = serde_json::from_str(line).expect("a JSON line");
            value["id"].as_str().expect("an id").to_owned()
        })
        .collect();
    let unique: BTreeSet<String> = ids.iter().cloned().collect();
    assert_eq!(ids.len(), expected.len(), "every conversation once");
    assert_eq!(unique, expected, "no conversation twice, none missing");
    assert_eq!(
        names(dir.path()),
        BTreeSet::from(["out.jsonl".to_owned()]),
        "no checkpoint left after a complete run"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn download_audio_killed_mid_download_resumes_its_partial_files() {
    let mock = MockServer::builder()
        .conversations(24)
        .window_ending_now()
        .audio_bytes(1_500_000)
        // Every recording stops after 600 kB (until the faults are cleared), so the run is
        // killed with four downloads half done.
        .faults(
            FaultPlan::new().rule(
                FaultRule::new(Fault::StallBody {
                    after_bytes: 600_000,
                    pause: Duration::from_secs(120),
                })
                .on(Route::GetAudio),
            ),
        )
        .start()
        .await;
    let dir = tempfile::tempdir().unwrap();
    let folder = dir.path().join("recordings");
    let download = || {
        let mut download = command("download_audio", &mock, dir.path());
        download.args([folder.to_str().unwrap(), "31", "4"]);
        download
    };
    tokio::task::block_in_place(|| {
        kill_when(download(), |_| {
            std::fs::read_dir(&folder).is_ok_and(|entries| {
                entries.flatten().any(|e| {
                    e.file_name().to_string_lossy().ends_with(".wav.part")
                        && e.metadata().is_ok_and(|m| m.len() > 0)
                })
            })
        })
    });
    let left = names(&folder);
    assert!(left.iter().any(|n| n.ends_with(".part")), "{left:?}");
    assert!(left.iter().any(|n| n.ends_with(".part.json")), "{left:?}");
    // A partial file of a recording the rerun does not ask for goes too.
    std::fs::write(folder.join(".CA_gone.wav.part"), b"RIFF").unwrap();
    mock.clear_faults();
    mock.clear_requests();

    let printed = tokio::task::block_in_place(|| run(download()));
    let continued: usize = printed
        .split("saved ")
        .nth(1)
        .and_then(|rest| rest.split('(').nth(1))
        .and_then(|rest| rest.split(' ').next())
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("no summary in {printed}"));
    assert!(continued >= 1, "{printed}");
    let audio = mock
        .requests()
        .into_iter()
        .filter(|r| r.route == Some(Route::GetAudio))
        .collect::<Vec<_>>();
    let header =
        |r: &polyai_mock::RecordedRequest, name: &str| r.headers.iter().any(|(n, _)| n == name);
    assert!(
        audio
            .iter()
            .any(|r| header(r, "range") && header(r, "if-range")),
        "the rerun continued a partial file with Range + If-Range"
    );

    // Every finished voice call is there, byte-identical to a clean download, and nothing
    // partial is left.
    let client = client(&mock);
    let calls: Vec<_> = client
        .list_conversations(mock.account_id(), mock.project_id())
        .stream()
        .try_collect::<Vec<_>>()
        .await
        .unwrap()
        .into_iter()
        .filter(|c| c.channel == Some(Channel::VoiceSip) && c.in_progress == Some(false))
        .collect();
    assert!(calls.len() >= 4, "{} calls", calls.len());
    let expected: BTreeSet<String> = calls.iter().map(|c| format!("{}.wav", c.id)).collect();
    assert_eq!(names(&folder), expected, "only complete recordings");
    let clean = tempfile::tempdir().unwrap();
    for call in &calls {
        let path = clean.path().join(format!("{}.wav", call.id));
        client.download_recording(call, &path).await.unwrap();
        assert!(
            std::fs::read(&path).unwrap()
                == std::fs::read(folder.join(format!("{}.wav", call.id))).unwrap(),
            "{} differs from a clean download",
            call.id
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn export_csv_killed_mid_download_finishes_with_complete_files_only() {
    let mock = MockServer::builder()
        .conversations(16)
        .window_ending_now()
        .audio_bytes(1_000_000)
        .faults(
            FaultPlan::new().rule(
                FaultRule::new(Fault::StallBody {
                    after_bytes: 500_000,
                    pause: Duration::from_secs(120),
                })
                .on(Route::GetAudio),
            ),
        )
        .start()
        .await;
    let dir = tempfile::tempdir().unwrap();
    let audio = dir.path().join("out/audio");
    let export = || {
        let mut export = command("export_csv", &mock, dir.path());
        export.args(["out", "31", "4"]);
        export
    };
    tokio::task::block_in_place(|| {
        kill_when(export(), |_| {
            std::fs::read_dir(&audio).is_ok_and(|entries| {
                entries.flatten().any(|e| {
                    e.file_name().to_string_lossy().ends_with(".wav.part")
                        && e.metadata().is_ok_and(|m| m.len() > 0)
                })
            })
        })
    });
    assert!(!dir.path().join("out/conversations.csv").exists());
    mock.clear_faults();
    mock.clear_requests();
    tokio::task::block_in_place(|| run(export()));
    let resumed = mock
        .requests()
        .into_iter()
        .filter(|r| r.route == Some(Route::GetAudio))
        .filter(|r| r.headers.iter().any(|(n, _)| n == "range"))
        .count();
    assert!(resumed >= 1, "a partial file was continued");
    let files = names(&audio);
    assert!(!files.is_empty());
    assert!(
        files
            .iter()
            .all(|n| n.ends_with(".wav") && !n.starts_with('.')),
        "{files:?}"
    );
    for name in &files {
        assert_eq!(
            std::fs::metadata(audio.join(name)).unwrap().len(),
            mock.audio_len()
        );
    }
    let csv = std::fs::read_to_string(dir.path().join("out/conversations.csv")).unwrap();
    assert_eq!(
        csv.matches(".wav").count(),
        files.len(),
        "every recording in the CSV"
    );
}

/// The in-run claim: a page that still fails after the client's retries does not end the
/// run; the listing resumes from that page's position.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pull_transcripts_resumes_a_page_that_failed_after_the_retries() {
    // Listing requests 3 to 5 fail: the third page's three attempts (the client's default).
    let mock = MockServer::builder()
        .conversations(800)
        .window_ending_now()
        .faults(
            FaultPlan::new().rule(
                FaultRule::new(Fault::Status(503))
                    .on(Route::ListConversations)
                    .trigger(polyai_mock::Trigger::Sequence(vec![3, 4, 5])),
            ),
        )
        .start()
        .await;
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out.jsonl");
    let mut pull = command("pull_transcripts", &mock, dir.path());
    pull.args([out.to_str().unwrap(), "31"]);
    let printed = tokio::task::block_in_place(|| run(pull));
    assert_eq!(mock.faults_injected().count("status"), 3, "{printed}");
    let expected: BTreeSet<String> = client(&mock)
        .list_conversations(mock.account_id(), mock.project_id())
        .stream()
        .map_ok(|c| c.id)
        .try_collect()
        .await
        .unwrap();
    let ids: Vec<String> = std::fs::read_to_string(&out)
        .unwrap()
        .lines()
        .map(|l| {
            serde_json::from_str::<serde_json::Value>(l).unwrap()["id"]
                .as_str()
                .unwrap()
                .to_owned()
        })
        .collect();
    assert_eq!(ids.len(), expected.len(), "{printed}");
    assert_eq!(ids.into_iter().collect::<BTreeSet<_>>(), expected);
}
