//! The real `polyai` binary against the embedded mock on 127.0.0.1.

use crate::common;

use std::collections::HashSet;
use std::io::{BufRead, BufReader, Write};
use std::process::Stdio;
use std::time::{Duration, Instant};

#[cfg(unix)]
use common::mode;
use common::{
    Mock, Running, Scratch, assert_one_line_error, bare, dead_url, endpoint_id_in, ids_of, ok,
    polyai, run,
};
use polyai_mock::{Fault, FaultPlan, FaultRule, MockServer, Route};

// ---------------------------------------------------------------- conventions

/// The subcommands a `--help` lists under `Commands:` (clap's own `help` left out).
fn subcommands_of(help: &str) -> Vec<String> {
    let mut names = Vec::new();
    let mut inside = false;
    for line in help.lines() {
        if line == "Commands:" {
            inside = true;
            continue;
        }
        if !inside {
            continue;
        }
        if line.trim().is_empty() || !line.starts_with(' ') {
            break;
        }
        // An entry starts after two spaces; a wrapped description is indented further.
        if let Some(entry) = line.strip_prefix("  ")
            && !entry.starts_with(' ')
            && let Some(name) = entry.split_whitespace().next()
            && name != "help"
        {
            names.push(name.to_string());
        }
    }
    names
}

/// Every command of the tree, groups and leaves alike, found by walking the binary's own help
/// from the root down, has examples in its --help.
#[test]
fn every_command_has_help_with_examples() {
    let scratch = Scratch::new();
    let (root, _) = ok(bare(&scratch).arg("--help"));
    assert!(
        root.contains("Examples:") && root.contains("Exit codes:"),
        "{root}"
    );
    let mut pending: Vec<Vec<String>> = subcommands_of(&root)
        .into_iter()
        .map(|name| vec![name])
        .collect();
    let mut seen = Vec::new();
    while let Some(command) = pending.pop() {
        let (help, _) = ok(bare(&scratch).args(&command).arg("--help"));
        assert!(help.contains("Examples:\n  polyai "), "{command:?}: {help}");
        for sub in subcommands_of(&help) {
            let mut path = command.clone();
            path.push(sub);
            pending.push(path);
        }
        seen.push(command.join(" "));
    }
    // The walk reaches the groups and the deepest leaves.
    for expected in [
        "profile",
        "webhooks",
        "webhooks endpoints",
        "webhooks endpoints rotate-secret",
        "chat test",
        "actions lint",
        "api",
    ] {
        assert!(seen.iter().any(|s| s == expected), "{expected}: {seen:?}");
    }
}

#[test]
fn completions_for_bash_zsh_and_fish() {
    let scratch = Scratch::new();
    for shell in ["bash", "zsh", "fish"] {
        let (script, _) = ok(bare(&scratch).args(["completions", shell]));
        assert!(script.contains("polyai"), "{shell}");
        assert!(
            script.contains("conversations") && script.contains("--since"),
            "{shell}"
        );
    }
    let (output, _, stderr) = run(bare(&scratch).args(["completions", "tcsh"]));
    assert_eq!(output.status.code(), Some(2), "{stderr}");
}

#[test]
fn errors_are_one_line_with_a_hint_and_documented_exit_codes() {
    let mock = Mock::start(MockServer::builder().conversations(20));
    let scratch = Scratch::new();

    // A refused key: exit 4, and the key itself never printed.
    let (output, stdout, stderr) = run(polyai(&mock, &scratch)
        .env("POLYAI_API_KEY", "sk-live-DO-NOT-PRINT-4242")
        .args(["conversations", "list", "--since", "30d"]));
    assert_eq!(output.status.code(), Some(4), "{stderr}");
    assert_one_line_error(&stderr);
    assert!(stderr.contains("401"), "{stderr}");
    assert!(!stderr.contains("DO-NOT-PRINT") && !stdout.contains("DO-NOT-PRINT"));

    // No key at all: a configuration error, exit 3.
    let (output, _, stderr) = run(polyai(&mock, &scratch)
        .env_remove("POLYAI_API_KEY")
        .args(["conversations", "list"]));
    assert_eq!(output.status.code(), Some(3), "{stderr}");
    assert_one_line_error(&stderr);
    assert!(stderr.contains("POLYAI_API_KEY"), "{stderr}");

    // A bad value: exit 2.
    let (output, _, stderr) =
        run(polyai(&mock, &scratch).args(["conversations", "list", "--since", "yesterday"]));
    assert_eq!(output.status.code(), Some(2), "{stderr}");
    assert_one_line_error(&stderr);

    // Nothing listening: PolyAI unreachable, exit 6.
    let url = dead_url();
    let (output, _, stderr) = run(polyai(&mock, &scratch).env("POLYAI_BASE_URL", &url).args([
        "conversations",
        "list",
        "--since",
        "1d",
        "--page-size",
        "1",
    ]));
    assert_eq!(output.status.code(), Some(6), "{stderr}");
    assert!(stderr.lines().any(|l| l.starts_with("hint: ")), "{stderr}");
    assert!(!stderr.contains("kind:"), "{stderr}");

    // No colour anywhere under NO_COLOR (and not on a pipe).
    assert!(!stderr.contains('\u{1b}'));
}

#[test]
fn verbose_shows_the_sdk_requests_without_the_key() {
    let mock = Mock::start(
        MockServer::builder()
            .conversations(20)
            .api_key("sk-distinctive-7781"),
    );
    let scratch = Scratch::new();
    let (stdout, stderr) = ok(polyai(&mock, &scratch).args([
        "-v",
        "conversations",
        "list",
        "--since",
        "2020-01-01",
        "--limit",
        "1",
    ]));
    assert_eq!(stdout.lines().count(), 1);
    assert!(stderr.contains("polyai.request"), "{stderr}");
    assert!(stderr.contains("list_conversations"), "{stderr}");
    assert!(!stderr.contains(mock.server.api_key()), "{stderr}");
    assert!(!stderr.contains('\u{1b}'), "NO_COLOR: {stderr}");

    let (_, quiet) = ok(polyai(&mock, &scratch).args([
        "conversations",
        "list",
        "--since",
        "2020-01-01",
        "--limit",
        "1",
    ]));
    assert!(!quiet.contains("polyai.request"), "{quiet}");

    // Everything (-vv: the HTTP stack's own tracing too) still never shows the key.
    let (_, everything) = ok(polyai(&mock, &scratch).args([
        "-vv",
        "conversations",
        "list",
        "--since",
        "2020-01-01",
        "--limit",
        "1",
    ]));
    assert!(everything.lines().count() > 1, "{everything}");
    assert!(!everything.contains("sk-distinctive-7781"), "{everything}");
}

// ---------------------------------------------------------------- configuration

#[test]
fn profiles_store_the_key_only_when_asked_and_owner_only() {
    let mock = Mock::start(MockServer::builder().conversations(30));
    let scratch = Scratch::new();
    let config = scratch.config();
    let url = mock.server.base_url();

    // Without --store-key the key in the environment is not written.
    ok(bare(&scratch)
        .env("POLYAI_API_KEY", mock.server.api_key())
        .args([
            "profile",
            "add",
            "nokey",
            "--base-url",
            &url,
            "--account",
            "acme",
        ]));
    let text = std::fs::read_to_string(&config).unwrap();
    assert!(!text.contains(mock.server.api_key()), "{text}");
    assert!(text.contains("acme"));

    // With --store-key it is, from standard input, and the file is 0600.
    let mut child = bare(&scratch)
        .args([
            "profile",
            "add",
            "mock",
            "--base-url",
            &url,
            "--store-key",
            "--use",
        ])
        .args([
            "--account",
            mock.server.account_id(),
            "--project",
            mock.server.project_id(),
        ])
        .args(["--agent", mock.server.agent_id()])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(format!("{}\n", mock.server.api_key()).as_bytes())
        .unwrap();
    let output = child.wait_with_output().unwrap();
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let text = std::fs::read_to_string(&config).unwrap();
    assert!(text.contains(mock.server.api_key()));
    #[cfg(unix)]
    assert_eq!(mode(&config), 0o600);

    // The listing never shows the key; the profile alone reaches the mock.
    let (list, _) = ok(bare(&scratch).args(["profile", "list"]));
    assert!(!list.contains(mock.server.api_key()), "{list}");
    assert!(list.contains("* mock") && list.contains("stored"), "{list}");
    let (stdout, _) = ok(bare(&scratch).args(["conversations", "list", "--since", "2020-01-01"]));
    assert!(
        !stdout.is_empty(),
        "the profile's settings reached the mock"
    );

    // `use` switches; `show` tells the source and never the key.
    ok(bare(&scratch).args(["profile", "use", "nokey"]));
    let (show, _) = ok(bare(&scratch).args(["profile", "show"]));
    assert!(show.contains("profile:     nokey"), "{show}");
    let (show, _) = ok(bare(&scratch).args(["--profile", "mock", "profile", "show"]));
    assert!(
        show.contains("(set)") && !show.contains(mock.server.api_key()),
        "{show}"
    );
    let (output, _, stderr) = run(bare(&scratch).args(["profile", "use", "missing"]));
    assert_eq!(output.status.code(), Some(2), "{stderr}");

    // A key file that others can read is refused, naming the fix.
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&config, std::fs::Permissions::from_mode(0o644)).unwrap();
        let (output, _, stderr) = run(bare(&scratch).args(["profile", "list"]));
        assert_eq!(output.status.code(), Some(3), "{stderr}");
        assert_one_line_error(&stderr);
        assert!(stderr.contains("chmod 600"), "{stderr}");
        assert!(!stderr.contains(mock.server.api_key()));
        // Rewriting the file (here: removing a profile) is refused too until it is fixed,
        // and once fixed every write keeps it owner-only.
        std::fs::set_permissions(&config, std::fs::Permissions::from_mode(0o600)).unwrap();
        ok(bare(&scratch).args(["profile", "remove", "nokey"]));
        assert_eq!(mode(&config), 0o600);
    }
}

#[test]
fn flags_win_over_the_environment_which_wins_over_the_profile() {
    let scratch = Scratch::new();
    ok(bare(&scratch).args([
        "profile",
        "add",
        "p",
        "--account",
        "from-profile",
        "--region",
        "uk",
    ]));
    let show = |command: &mut std::process::Command| ok(command.args(["profile", "show"])).0;
    let row = |text: &str, name: &str| {
        text.lines()
            .find(|l| l.starts_with(name))
            .unwrap_or_else(|| panic!("{name} in {text}"))[name.len()..]
            .split_whitespace()
            .collect::<Vec<_>>()
            .join(" ")
    };
    let text = show(&mut bare(&scratch));
    assert_eq!(row(&text, "account"), "from-profile profile p");
    assert_eq!(row(&text, "region"), "uk profile p");
    let text = show(bare(&scratch).env("POLYAI_ACCOUNT_ID", "from-env"));
    assert_eq!(row(&text, "account"), "from-env env POLYAI_ACCOUNT_ID");
    let text = show(
        bare(&scratch)
            .env("POLYAI_ACCOUNT_ID", "from-env")
            .args(["--account", "from-flag"]),
    );
    assert_eq!(row(&text, "account"), "from-flag flag");
    assert_eq!(row(&text, "api key"), "- not set");
}

#[test]
fn polyai_mock_prints_the_environment_that_reaches_it() {
    let scratch = Scratch::new();
    let mut child = Running::new(
        bare(&scratch)
            .args(["mock", "--port", "0", "--conversations", "40", "--now"])
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap(),
    );
    let mut lines = BufReader::new(child.child().stdout.take().unwrap()).lines();
    let mut env = Vec::new();
    for line in lines.by_ref() {
        let line = line.unwrap();
        if line.starts_with('#') {
            break;
        }
        let (name, value) = line
            .strip_prefix("export ")
            .and_then(|l| l.split_once('='))
            .unwrap_or_else(|| panic!("an export line: {line:?}"));
        env.push((name.to_string(), value.to_string()));
    }
    let names: Vec<&str> = env.iter().map(|(n, _)| n.as_str()).collect();
    assert_eq!(
        names,
        [
            "POLYAI_BASE_URL",
            "POLYAI_API_KEY",
            "POLYAI_ACCOUNT_ID",
            "POLYAI_PROJECT_ID",
            "POLYAI_AGENT_ID"
        ]
    );
    assert!(env[0].1.starts_with("http://127.0.0.1:"));
    let (stdout, _) = ok(bare(&scratch).envs(env.iter().map(|(n, v)| (n, v))).args([
        "conversations",
        "list",
        "--since",
        "30d",
        "--env",
        "live",
    ]));
    let count = stdout.lines().count();
    assert!(count > 0 && count <= 40, "{count} live conversations of 40");
    child.kill();
}

// ---------------------------------------------------------------- conversations

#[test]
fn list_formats_and_filters() {
    let mock = Mock::start(MockServer::builder().conversations(300));
    let scratch = Scratch::new();
    let window = mock.window_args();
    let list = |extra: &[&str]| {
        ok(polyai(&mock, &scratch)
            .args(["conversations", "list"])
            .args(&window)
            .args(extra))
        .0
    };
    // Piped: JSON Lines.
    let jsonl = list(&[]);
    let ids: Vec<String> = jsonl
        .lines()
        .map(|l| {
            serde_json::from_str::<serde_json::Value>(l).unwrap()["id"]
                .as_str()
                .unwrap()
                .to_string()
        })
        .collect();
    assert!(!ids.is_empty());
    assert_eq!(ids.len(), ids.iter().collect::<HashSet<_>>().len());
    // Small pages give the same listing.
    assert_eq!(list(&["--page-size", "7"]), jsonl);
    // JSON: one array of the same records.
    let json: Vec<serde_json::Value> = serde_json::from_str(&list(&["--format", "json"])).unwrap();
    assert_eq!(json.len(), ids.len());
    // CSV and table: a header, then one line per conversation.
    let csv = list(&["--format", "csv"]);
    assert!(csv.starts_with("id,started_at,channel,environment,turns"));
    assert_eq!(csv.lines().count(), ids.len() + 1);
    let table = list(&["--format", "table", "--limit", "5"]);
    assert!(table.starts_with("ID "));
    assert_eq!(table.lines().count(), 6);
    assert!(table.lines().nth(1).unwrap().starts_with(&ids[0]));
    // Filters reach the server.
    let limited = list(&["--limit", "3"]);
    assert_eq!(limited.lines().count(), 3);
    for (args, field, expected) in [
        (&["--channel", "WEBCHAT"][..], "channel", "WEBCHAT"),
        (&["--env", "sandbox"], "environment", "sandbox"),
    ] {
        let text = list(args);
        assert!(!text.is_empty(), "{args:?}");
        for line in text.lines() {
            let value: serde_json::Value = serde_json::from_str(line).unwrap();
            assert_eq!(value[field], expected, "{args:?}");
        }
    }
    let searched = list(&[
        "--search",
        "postcode",
        "--turn-type",
        "user",
        "--include-latency",
    ]);
    for line in searched.lines() {
        assert!(line.to_lowercase().contains("postcode"), "{line}");
        assert!(line.contains("\"latency\""), "{line}");
    }
    let sampled = list(&["--sample"]).lines().count();
    assert!(sampled < ids.len(), "a sample is smaller than the whole");
    // Exclusive filters are refused before anything is sent.
    let (output, _, stderr) =
        run(polyai(&mock, &scratch).args(["conversations", "list", "--search", "a", "--sample"]));
    assert_eq!(output.status.code(), Some(2), "{stderr}");
}

#[test]
fn shards_are_disjoint_and_their_union_is_the_whole_export() {
    let mock = Mock::start(MockServer::builder().conversations(900));
    let scratch = Scratch::new();
    let window = mock.window_args();
    let export = |output: &str, extra: &[&str]| {
        ok(polyai(&mock, &scratch)
            .args(["conversations", "export", "-o", output, "--page-size", "50"])
            .args(&window)
            .args(extra))
    };
    let (_, stderr) = export("whole.jsonl.gz", &[]);
    assert!(stderr.contains("exported"), "{stderr}");
    assert!(
        !stderr.contains('\r') && !stderr.contains('\u{1b}'),
        "no bar on a pipe: {stderr:?}"
    );
    let whole = ids_of(&scratch.path("whole.jsonl.gz"));
    assert!(whole.len() > 500, "{}", whole.len());
    let mut union = Vec::new();
    for i in 1..=4 {
        export(&format!("part{i}.jsonl"), &["--shard", &format!("{i}/4")]);
        union.extend(ids_of(&scratch.path(&format!("part{i}.jsonl"))));
    }
    assert_eq!(
        union.len(),
        union.iter().collect::<HashSet<_>>().len(),
        "disjoint"
    );
    assert_eq!(
        union.iter().collect::<HashSet<_>>(),
        whole.iter().collect::<HashSet<_>>(),
        "the union is the whole"
    );
    // A finished export is not redone; another query against its checkpoint is refused.
    let before = std::fs::read(scratch.path("whole.jsonl.gz")).unwrap();
    let (_, stderr) = export("whole.jsonl.gz", &[]);
    assert!(stderr.contains("already complete"), "{stderr}");
    assert_eq!(
        std::fs::read(scratch.path("whole.jsonl.gz")).unwrap(),
        before
    );
    let (output, _, stderr) = run(polyai(&mock, &scratch)
        .args([
            "conversations",
            "export",
            "-o",
            "whole.jsonl.gz",
            "--channel",
            "WEBCHAT",
        ])
        .args(&window));
    assert_eq!(output.status.code(), Some(2), "{stderr}");
    assert_one_line_error(&stderr);
    // An existing file without a checkpoint is not overwritten silently.
    std::fs::write(scratch.path("precious.jsonl"), "keep me\n").unwrap();
    let (output, _, stderr) = run(polyai(&mock, &scratch)
        .args(["conversations", "export", "-o", "precious.jsonl"])
        .args(&window));
    assert_eq!(output.status.code(), Some(2), "{stderr}");
    assert_eq!(
        std::fs::read_to_string(scratch.path("precious.jsonl")).unwrap(),
        "keep me\n"
    );
}

/// The checkpoint's fields the test reads.
fn checkpoint(path: &std::path::Path) -> Option<(u64, u64, bool)> {
    let text = std::fs::read_to_string(path).ok()?;
    let value: serde_json::Value = serde_json::from_str(&text).ok()?;
    Some((
        value["count"].as_u64()?,
        value["bytes"].as_u64()?,
        value["done"].as_bool()?,
    ))
}

fn kill_mid_export_and_resume(output: &str) {
    let conversations = 6_000;
    let mock = Mock::start(
        MockServer::builder()
            .conversations(conversations)
            // Slow pages, so that the kill lands in the middle of the export.
            .faults(
                FaultPlan::new().rule(
                    FaultRule::new(Fault::Stall(Duration::from_millis(100)))
                        .on(Route::ListConversations),
                ),
            ),
    );
    let scratch = Scratch::new();
    let window = mock.window_args();
    let out = scratch.path(output);
    let checkpoint_path = scratch.path(&format!("{output}.checkpoint"));
    let export = || {
        let mut command = polyai(&mock, &scratch);
        command
            .args([
                "conversations",
                "export",
                "-o",
                output,
                "--page-size",
                "100",
                "--env",
                "live",
            ])
            .args(&window);
        command
    };

    let mut child = Running::new(
        export()
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap(),
    );
    // Wait (bounded) until some pages are checkpointed, then SIGKILL.
    let deadline = Instant::now() + Duration::from_secs(120);
    loop {
        if checkpoint(&checkpoint_path).is_some_and(|(count, _, _)| count >= 500) {
            break;
        }
        assert!(Instant::now() < deadline, "the export never got going");
        assert!(
            child.child().try_wait().unwrap().is_none(),
            "the export ended before the kill"
        );
        std::thread::sleep(Duration::from_millis(5));
    }
    child.kill();
    let (count, bytes, done) = checkpoint(&checkpoint_path).unwrap();
    assert!(!done, "killed mid-run");
    assert!(count >= 500);
    // Whatever was written after the last checkpoint (here, a torn record, as a kill between
    // a write and its checkpoint leaves) is cut off on resume.
    let length = std::fs::metadata(&out).unwrap().len();
    assert!(length >= bytes);
    std::fs::OpenOptions::new()
        .append(true)
        .open(&out)
        .unwrap()
        .write_all(b"{\"id\":\"CAtorn")
        .unwrap();

    mock.server.clear_faults();
    let (_, stderr) = ok(&mut export());
    assert!(stderr.contains("resuming"), "{stderr}");
    let ids = ids_of(&out);
    let unique: HashSet<&String> = ids.iter().collect();
    assert_eq!(unique.len(), ids.len(), "no conversation written twice");

    // The same export without a kill has exactly the same records.
    let (_, _) = ok(polyai(&mock, &scratch)
        .args([
            "conversations",
            "export",
            "-o",
            "reference.jsonl",
            "--env",
            "live",
        ])
        .args(&window));
    let reference = ids_of(&scratch.path("reference.jsonl"));
    assert_eq!(ids, reference, "nothing lost, same order");
    assert!(checkpoint(&checkpoint_path).unwrap().2, "done");
}

#[test]
fn a_killed_export_resumes_without_losing_or_repeating_a_record() {
    kill_mid_export_and_resume("out.jsonl");
}

#[test]
fn a_killed_gzip_export_resumes_without_losing_or_repeating_a_record() {
    kill_mid_export_and_resume("out.jsonl.gz");
}

// ---------------------------------------------------------------- audio

#[test]
fn audio_download_in_bulk_skips_complete_files_and_resumes() {
    let mock = Mock::start(
        MockServer::builder()
            .conversations(60)
            .audio_bytes(40_000)
            // Every third download is cut; the SDK resumes it.
            .faults(
                FaultPlan::new().rule(
                    FaultRule::new(Fault::Reset {
                        after_bytes: 10_000,
                    })
                    .on(Route::GetAudio)
                    .every(3),
                ),
            ),
    );
    let scratch = Scratch::new();
    let window = mock.window_args();
    let (_, stderr) = ok(polyai(&mock, &scratch)
        .args(["audio", "download", "--dir", "rec", "--parallel", "3"])
        .args(&window));
    let files: Vec<_> = std::fs::read_dir(scratch.path("rec"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    assert!(!files.is_empty(), "{stderr}");
    for file in &files {
        assert_eq!(
            file.extension().unwrap(),
            "wav",
            "no partial file left: {file:?}"
        );
        assert_eq!(
            std::fs::metadata(file).unwrap().len(),
            mock.server.audio_len()
        );
    }
    let summary = stderr.lines().last().unwrap();
    assert!(
        summary.starts_with(&format!("{} saved, 0 already complete", files.len())),
        "{summary}"
    );

    // A rerun from an export file skips every complete file and fetches only what is missing.
    ok(polyai(&mock, &scratch)
        .args(["conversations", "export", "-o", "all.jsonl"])
        .args(&window));
    std::fs::remove_file(&files[0]).unwrap();
    let (_, stderr) = ok(polyai(&mock, &scratch).args([
        "audio",
        "download",
        "--from",
        "all.jsonl",
        "--dir",
        "rec",
    ]));
    let summary = stderr.lines().last().unwrap();
    assert!(
        summary.starts_with(&format!("1 saved, {} already complete", files.len() - 1)),
        "{summary}"
    );

    // Ids on the command line; one without a recording is counted, not failed.
    let id = mock.server.conversation_id();
    let (_, stderr) = ok(polyai(&mock, &scratch).args([
        "audio",
        "download",
        &id,
        "CAnothere",
        "--dir",
        "single",
        "--direction",
        "user",
    ]));
    assert!(
        scratch.path(&format!("single/{id}.user.wav")).is_file(),
        "{stderr}"
    );
    assert!(stderr.contains("1 without a recording"), "{stderr}");
}

#[test]
fn audio_download_never_writes_outside_its_folder() {
    let mock = Mock::start(MockServer::builder().conversations(5));
    let scratch = Scratch::new();
    std::fs::write(
        scratch.path("ids.jsonl"),
        format!(
            "{{\"id\":\"../escaped\"}}\n{}\n",
            mock.server.conversation_id()
        ),
    )
    .unwrap();
    let (output, _, stderr) = run(polyai(&mock, &scratch).args([
        "audio",
        "download",
        "--from",
        "ids.jsonl",
        "--dir",
        "rec",
    ]));
    assert_eq!(output.status.code(), Some(1), "{stderr}");
    assert!(stderr.contains("cannot be a file name"), "{stderr}");
    assert!(!scratch.path("escaped.wav").exists());
    assert!(
        scratch
            .path(&format!("rec/{}.wav", mock.server.conversation_id()))
            .exists()
    );
    let last: Vec<&str> = stderr.lines().rev().take(2).collect();
    assert!(
        last[0].starts_with("hint: ") && last[1].starts_with("error: "),
        "{stderr}"
    );
}

#[test]
fn audio_download_leaves_alone_a_recording_another_run_is_saving() {
    // Two overlapping runs of a nightly job: the recording the other run is saving (its
    // partial file locked, as the SDK's save holds it) fails in this run with a clear line,
    // the other recordings are saved, and the other run's file is not touched.
    let mock = Mock::start(MockServer::builder().conversations(5));
    let scratch = Scratch::new();
    let busy = mock.server.conversation_id();
    std::fs::create_dir_all(scratch.path("rec")).unwrap();
    let partial = scratch.path(&format!("rec/.{busy}.wav.part"));
    std::fs::write(&partial, b"the other run's first bytes").unwrap();
    let other_run = std::fs::OpenOptions::new()
        .write(true)
        .open(&partial)
        .unwrap();
    other_run.lock().unwrap();
    let window = mock.window_args();
    let (output, _, stderr) = run(polyai(&mock, &scratch)
        .args(["audio", "download", "--dir", "rec"])
        .args(&window));
    assert_eq!(output.status.code(), Some(1), "{stderr}");
    assert!(
        stderr.contains("being saved by another process"),
        "{stderr}"
    );
    assert!(stderr.contains(" 1 failed"), "{stderr}");
    assert_eq!(
        std::fs::read(&partial).unwrap(),
        b"the other run's first bytes"
    );
    assert!(!scratch.path(&format!("rec/{busy}.wav")).exists());

    // Once the other run is done, a rerun saves the rest and skips what is complete.
    drop(other_run);
    let (_, stderr) = ok(polyai(&mock, &scratch)
        .args(["audio", "download", "--dir", "rec"])
        .args(&window));
    assert!(stderr.contains("1 saved, "), "{stderr}");
    assert_eq!(
        std::fs::metadata(scratch.path(&format!("rec/{busy}.wav")))
            .unwrap()
            .len(),
        mock.server.audio_len()
    );
}

// ---------------------------------------------------------------- webhooks

/// Starts `polyai webhooks listen` on a free port; returns the child and its URL.
fn listener(
    scratch: &Scratch,
    extra: &[&str],
) -> (Running, String, BufReader<std::process::ChildStderr>) {
    // JSON output unless the test asks for another format.
    let format: &[&str] = if extra.contains(&"--format") {
        &[]
    } else {
        &["--format", "json"]
    };
    let mut child = Running::new(
        bare(scratch)
            .args(["webhooks", "listen", "--port", "0"])
            .args(format)
            .args(extra)
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap(),
    );
    let mut stderr = BufReader::new(child.child().stderr.take().unwrap());
    let mut line = String::new();
    stderr.read_line(&mut line).unwrap();
    let url = line
        .split_whitespace()
        .find(|w| w.starts_with("http://127.0.0.1:"))
        .unwrap_or_else(|| panic!("the address in {line:?}"))
        .to_string();
    (child, url, stderr)
}

#[test]
fn webhooks_listen_verifies_prints_forwards_and_answers_polyai() {
    let scratch = Scratch::new();
    let secret = "whsec_cli_test_secret";
    // B: the "developer's handler", itself a verifying listener, receives what A forwards.
    let (handler, handler_url, _handler_err) =
        listener(&scratch, &["--secret", secret, "--count", "2"]);
    let (receiver, url, mut receiver_err) = listener(
        &scratch,
        &[
            "--secret",
            secret,
            "--count",
            "2",
            "--forward",
            &handler_url,
        ],
    );
    let send = |extra: &[&str]| {
        run(bare(&scratch)
            .env("POLYAI_WEBHOOK_SECRET", secret)
            .args(["webhooks", "send", &url])
            .args(extra))
    };

    // A wrong secret: 401, and the delivery is not printed or forwarded.
    let (output, stdout, stderr) =
        run(bare(&scratch).args(["webhooks", "send", &url, "--secret", "whsec_wrong"]));
    assert_eq!(output.status.code(), Some(1), "{stdout}{stderr}");
    assert!(stdout.contains("401"), "{stdout}");
    let mut line = String::new();
    receiver_err.read_line(&mut line).unwrap();
    assert!(line.contains("rejected") && line.contains("401"), "{line}");
    assert!(
        !line.contains(secret) && !line.contains("whsec_wrong"),
        "{line}"
    );

    // A good one: 200; printed as JSON; forwarded with its headers (B verifies it too).
    let (output, stdout, stderr) = send(&["--event-id", "evt_one"]);
    assert!(output.status.success(), "{stdout}{stderr}");
    assert!(stdout.contains("200"), "{stdout}");
    // Its retry: acknowledged as a duplicate, not processed again.
    let (output, stdout, _) = send(&["--event-id", "evt_one"]);
    assert!(
        output.status.success() && stdout.contains("200"),
        "{stdout}"
    );
    receiver_err.read_line(&mut line).unwrap();
    assert!(line.contains("duplicate"), "{line}");
    // A second event ends A (--count 2).
    let (output, _, _) = send(&["--event-id", "evt_two", "--event", "alerts.resolved"]);
    assert!(output.status.success());

    let receiver = receiver.wait_with_output();
    assert!(receiver.status.success());
    let printed: Vec<serde_json::Value> = String::from_utf8_lossy(&receiver.stdout)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(printed.len(), 2, "{printed:?}");
    assert_eq!(printed[0]["event_id"], "evt_one");
    assert_eq!(printed[0]["event_type"], "alerts.triggered");
    assert_eq!(printed[0]["payload"]["alert"]["metric"], "api_errors");
    assert_eq!(printed[1]["event_type"], "alerts.resolved");
    let handler = handler.wait_with_output();
    let forwarded = String::from_utf8_lossy(&handler.stdout);
    assert!(
        forwarded.contains("\"event_id\":\"evt_one\""),
        "{forwarded}"
    );
}

/// Text a webhook sender chose is printed without its control characters: an escape sequence
/// in an alert's fields never reaches the terminal.
#[test]
fn webhook_text_output_carries_no_terminal_escapes() {
    let scratch = Scratch::new();
    let secret = "whsec_escape_test";
    let (receiver, url, _stderr) = listener(
        &scratch,
        &["--format", "text", "--secret", secret, "--count", "1"],
    );
    let body = r#"{"event_type": "alerts.triggered", "alert": {"id": "ar_\u001b[2J\u001b]0;owned\u0007x", "metric": "api\u001b[31m_errors\r", "current_value": 3}}"#;
    let (output, stdout, stderr_text) = run(bare(&scratch)
        .env("POLYAI_WEBHOOK_SECRET", secret)
        .args(["webhooks", "send", &url, "--body", body]));
    assert!(output.status.success(), "{stdout}{stderr_text}");
    let printed = receiver.wait_with_output();
    let text = String::from_utf8_lossy(&printed.stdout);
    assert!(text.contains("alerts.triggered"), "{text:?}");
    assert!(text.contains("[2J") && text.contains("_errors"), "{text:?}");
    assert!(
        !text.contains(['\x1b', '\x07', '\r']),
        "control characters reached stdout: {text:?}"
    );
}

#[test]
fn webhooks_listen_answers_502_when_the_forward_fails_so_polyai_retries() {
    let scratch = Scratch::new();
    let dead = format!("{}/", dead_url());
    let (receiver, url, _err) = listener(&scratch, &["--secret", "whsec_x", "--forward", &dead]);
    let (output, stdout, _) = run(bare(&scratch).args([
        "webhooks",
        "send",
        &url,
        "--secret",
        "whsec_x",
        "--event-id",
        "evt_f",
    ]));
    assert_eq!(output.status.code(), Some(1));
    assert!(stdout.contains("502"), "{stdout}");
    // Not committed: the retry is processed again (and fails again), not taken as a duplicate.
    let (_, stdout, _) = run(bare(&scratch).args([
        "webhooks",
        "send",
        &url,
        "--secret",
        "whsec_x",
        "--event-id",
        "evt_f",
    ]));
    assert!(stdout.contains("502"), "{stdout}");
    receiver.kill();
}

#[test]
fn webhook_endpoints_create_list_update_rotate_delete() {
    let mock = Mock::start(MockServer::builder().conversations(1));
    let scratch = Scratch::new();
    let secret_file = scratch.path("hook.secret");
    let (_, stderr) = ok(polyai(&mock, &scratch)
        .args([
            "webhooks",
            "endpoints",
            "create",
            "--name",
            "ops",
            "--url",
            "https://hooks.example/ops",
            "--event-type",
            "alerts.triggered",
            "--header",
            "X-Token=abc",
            "--secret-file",
        ])
        .arg(&secret_file));
    let id = endpoint_id_in(&stderr);
    let first_secret = std::fs::read_to_string(&secret_file).unwrap();
    assert!(!first_secret.is_empty());
    #[cfg(unix)]
    assert_eq!(mode(&secret_file), 0o600);
    assert!(
        !stderr.contains(&first_secret),
        "the secret went to the file only"
    );

    let (list, _) = ok(polyai(&mock, &scratch).args(["webhooks", "endpoints", "list"]));
    let rows: Vec<serde_json::Value> = list
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(rows.len(), 1);
    assert_eq!(rows[0]["id"], id.as_str());
    assert!(!list.contains(&first_secret));

    // Changing live configuration needs a confirmation: refused from a script without --yes.
    let (output, _, stderr) = run(polyai(&mock, &scratch)
        .args(["webhooks", "endpoints", "update", &id, "--disable"])
        .stdin(Stdio::null()));
    assert_eq!(output.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("--yes"), "{stderr}");
    let (stdout, _) = ok(polyai(&mock, &scratch).args([
        "webhooks",
        "endpoints",
        "update",
        &id,
        "--disable",
        "--yes",
        "--name",
        "ops2",
    ]));
    assert!(
        stdout.contains("enabled=no") && stdout.contains("ops2"),
        "{stdout}"
    );
    let (list, _) = ok(polyai(&mock, &scratch).args([
        "webhooks",
        "endpoints",
        "list",
        "--enabled",
        "false",
        "--format",
        "table",
    ]));
    assert!(list.contains(&id), "{list}");

    let (stdout, _) =
        ok(polyai(&mock, &scratch).args(["webhooks", "endpoints", "rotate-secret", &id, "--yes"]));
    let rotated = stdout.trim();
    assert!(
        !rotated.is_empty() && rotated != first_secret,
        "a new secret"
    );

    ok(polyai(&mock, &scratch).args(["webhooks", "endpoints", "delete", &id, "--yes"]));
    let (list, _) = ok(polyai(&mock, &scratch).args(["webhooks", "endpoints", "list"]));
    assert!(list.trim().is_empty(), "{list}");
    let (output, _, stderr) =
        run(polyai(&mock, &scratch).args(["webhooks", "endpoints", "delete", &id, "--yes"]));
    assert_eq!(output.status.code(), Some(5), "{stderr}");
    assert_one_line_error(&stderr);

    // http:// is refused before anything is sent.
    let (output, _, stderr) = run(polyai(&mock, &scratch).args([
        "webhooks",
        "endpoints",
        "create",
        "--name",
        "x",
        "--url",
        "http://insecure.example",
        "--event-type",
        "alerts.triggered",
    ]));
    assert_eq!(output.status.code(), Some(2), "{stderr}");
}

/// A `--secret-file` that already exists with wider permissions ends up owner-only: the mode
/// given when creating a file does not apply to an existing one.
#[cfg(unix)]
#[test]
fn a_signing_secret_written_over_an_existing_readable_file_is_owner_only() {
    use std::os::unix::fs::PermissionsExt;
    let mock = Mock::start(MockServer::builder().conversations(1));
    let scratch = Scratch::new();
    let secret_file = scratch.path("existing.secret");
    std::fs::write(&secret_file, "old").unwrap();
    std::fs::set_permissions(&secret_file, std::fs::Permissions::from_mode(0o644)).unwrap();
    let (_, stderr) = ok(polyai(&mock, &scratch)
        .args([
            "webhooks",
            "endpoints",
            "create",
            "--name",
            "ops",
            "--url",
            "https://hooks.example/ops",
            "--event-type",
            "alerts.triggered",
            "--secret-file",
        ])
        .arg(&secret_file));
    assert_eq!(mode(&secret_file), 0o600, "{stderr}");
    let id = endpoint_id_in(&stderr);
    let secret = std::fs::read_to_string(&secret_file).unwrap();
    assert_eq!(Some(secret), mock.server.webhook_signing_secret(&id));

    std::fs::set_permissions(&secret_file, std::fs::Permissions::from_mode(0o644)).unwrap();
    ok(polyai(&mock, &scratch)
        .args([
            "webhooks",
            "endpoints",
            "rotate-secret",
            &id,
            "--yes",
            "--secret-file",
        ])
        .arg(&secret_file));
    assert_eq!(mode(&secret_file), 0o600);
    let rotated = std::fs::read_to_string(&secret_file).unwrap();
    assert_eq!(Some(rotated), mock.server.webhook_signing_secret(&id));

    // `polyai api -o` with a secret in the answer: the same for an existing file.
    let answer = scratch.path("answer.json");
    std::fs::write(&answer, "").unwrap();
    std::fs::set_permissions(&answer, std::fs::Permissions::from_mode(0o644)).unwrap();
    ok(polyai(&mock, &scratch)
        .args(["api", "rotate_webhook_signing_secret"])
        .arg(format!("endpoint_id={id}"))
        .arg("-o")
        .arg(&answer));
    assert_eq!(mode(&answer), 0o600);
}

/// An endpoint's delivery headers (the receiver's credentials) are masked in every listing and
/// in `polyai api` answers unless `--show-secrets` asks for them; their names stay visible.
#[test]
fn webhook_endpoint_headers_are_masked_unless_asked() {
    let mock = Mock::start(MockServer::builder().conversations(1));
    let scratch = Scratch::new();
    let credential = "Bearer receiver-credential-7731";
    let (_, stderr) = ok(polyai(&mock, &scratch).args([
        "webhooks",
        "endpoints",
        "create",
        "--name",
        "ops",
        "--url",
        "https://hooks.example/ops",
        "--event-type",
        "alerts.triggered",
        "--header",
        &format!("Authorization={credential}"),
        "--secret-file",
        "hook.secret",
    ]));
    let id = endpoint_id_in(&stderr);
    for format in ["json", "jsonl", "csv", "table"] {
        let (stdout, stderr) =
            ok(polyai(&mock, &scratch).args(["webhooks", "endpoints", "list", "--format", format]));
        assert!(stdout.contains(&id), "{format}: {stdout}");
        assert!(
            !stdout.contains("receiver-credential") && !stderr.contains("receiver-credential"),
            "{format}: {stdout}"
        );
        if format.starts_with("json") {
            assert!(stdout.contains("Authorization"), "{format}: {stdout}");
            assert!(stderr.contains("headers is masked"), "{stderr}");
        }
    }
    let (stdout, _) = ok(polyai(&mock, &scratch).args([
        "webhooks",
        "endpoints",
        "list",
        "--format",
        "jsonl",
        "--show-secrets",
    ]));
    let row: serde_json::Value = serde_json::from_str(stdout.trim()).unwrap();
    assert_eq!(row["headers"]["Authorization"], credential);

    for call in [
        vec!["api".to_string(), "list_webhook_endpoints".to_string()],
        vec![
            "api".to_string(),
            "get_webhook_endpoint".to_string(),
            format!("endpoint_id={id}"),
        ],
    ] {
        let (stdout, stderr) = ok(polyai(&mock, &scratch).args(&call));
        assert!(
            stdout.contains("Authorization") && !stdout.contains("receiver-credential"),
            "{call:?}: {stdout}"
        );
        assert!(stderr.contains("headers is masked"), "{call:?}: {stderr}");
        let (stdout, _) = ok(polyai(&mock, &scratch).args(&call).arg("--show-secrets"));
        assert!(stdout.contains(credential), "{call:?}: {stdout}");
    }
}

// ---------------------------------------------------------------- agents

/// What each environment runs, from `agents deployments` (JSON Lines).
fn active(
    mock: &Mock,
    scratch: &Scratch,
) -> std::collections::BTreeMap<String, Option<(String, String)>> {
    let (stdout, _) = ok(polyai(mock, scratch).args(["agents", "deployments"]));
    stdout
        .lines()
        .map(|line| {
            let value: serde_json::Value = serde_json::from_str(line).unwrap();
            let deployment = value["deployment"].as_object().map(|d| {
                (
                    d["id"].as_str().unwrap().to_string(),
                    d["version"].as_str().unwrap().to_string(),
                )
            });
            (
                value["environment"].as_str().unwrap().to_string(),
                deployment,
            )
        })
        .collect()
}

#[test]
fn agents_release_flow_publish_promote_rollback_with_confirmation() {
    let mock = Mock::start(MockServer::builder().conversations(1));
    let scratch = Scratch::new();
    let agent = mock.server.agent_id().to_string();

    let (stdout, _) = ok(polyai(&mock, &scratch).args(["agents", "list"]));
    assert!(stdout.contains(&agent), "{stdout}");
    let (stdout, _) = ok(polyai(&mock, &scratch).args(["agents", "branches", "--format", "table"]));
    assert!(stdout.lines().any(|l| l.starts_with("main")), "{stdout}");
    assert!(active(&mock, &scratch).values().all(Option::is_none));

    // Sandbox needs no confirmation; a repeat is "nothing to do", exit 0.
    let (stdout, _) = ok(polyai(&mock, &scratch).args(["agents", "publish", "--message", "v1"]));
    assert!(stdout.starts_with("published: "), "{stdout}");
    let (stdout, _) = ok(polyai(&mock, &scratch).args(["agents", "publish"]));
    assert!(stdout.starts_with("nothing to do"), "{stdout}");

    // Anything past sandbox is refused from a script without --yes, and nothing changes.
    for args in [
        &["agents", "promote", "--from", "sandbox"][..],
        &["agents", "publish", "--env", "live"],
    ] {
        let (output, _, stderr) = run(polyai(&mock, &scratch).args(args).stdin(Stdio::null()));
        assert_eq!(output.status.code(), Some(2), "{args:?}: {stderr}");
        assert_one_line_error(&stderr);
    }
    assert!(active(&mock, &scratch)["pre-release"].is_none());

    let promote =
        |from: &str, to: &str| {
            ok(polyai(&mock, &scratch)
                .args(["agents", "promote", "--from", from, "--to", to, "--yes"]))
        };
    promote("sandbox", "pre-release");
    promote("pre-release", "live");
    let first = active(&mock, &scratch);
    let (v1_live, v1) = first["live"].clone().expect("live runs v1");

    // A second version (through the SDK: a branch with a topic, merged; the merge publishes
    // it to sandbox), promoted to live.
    let client = mock.client();
    mock.block_on(async {
        let agents = client.agents();
        let branch = agents
            .create_branch()
            .agent_id(agent.as_str())
            .body_map(|b| b.branch_name("v2".to_string()))
            .send()
            .await
            .unwrap()
            .into_inner();
        agents
            .create_knowledge_base_topic()
            .agent_id(agent.as_str())
            .branch_id(branch.branch_id.as_str())
            .body_map(|b| b.name("Hours".to_string()).content("8 to 8".to_string()))
            .send()
            .await
            .unwrap();
        agents
            .merge_branch()
            .agent_id(agent.as_str())
            .branch_id(branch.branch_id.as_str())
            .body_map(|b| b.deployment_message("v2".to_string()))
            .send()
            .await
            .unwrap();
    });
    promote("sandbox", "pre-release");
    promote("pre-release", "live");
    let second = active(&mock, &scratch);
    let (_, v2) = second["live"].clone().unwrap();
    assert_ne!(v1, v2);

    // History, newest first, then the rollback of live to v1.
    let (history, _) =
        ok(polyai(&mock, &scratch).args(["agents", "deployments", "--history", "--env", "live"]));
    assert_eq!(history.lines().count(), 2, "{history}");
    let (output, _, _) = run(polyai(&mock, &scratch)
        .args(["agents", "rollback", &v1_live])
        .stdin(Stdio::null()));
    assert_eq!(output.status.code(), Some(2));
    let (stdout, _) = ok(polyai(&mock, &scratch).args([
        "agents",
        "rollback",
        &v1_live,
        "--yes",
        "--message",
        "back",
    ]));
    assert!(stdout.starts_with("rolled back: "), "{stdout}");
    assert_eq!(
        active(&mock, &scratch)["live"].as_ref().unwrap().1,
        v1,
        "live runs v1 again"
    );
    // Rolling back to what already runs is nothing to do.
    let (stdout, _) = ok(polyai(&mock, &scratch).args(["agents", "rollback", &v1_live, "--yes"]));
    assert!(stdout.starts_with("nothing to do"), "{stdout}");
    // An unknown deployment: not found, exit 5.
    let (output, _, stderr) =
        run(polyai(&mock, &scratch).args(["agents", "rollback", "nope", "--yes"]));
    assert_eq!(output.status.code(), Some(5), "{stderr}");
}

/// Runs `command` (its program, arguments and environment) on a pseudo-terminal through
/// util-linux's `script`, and returns its exit status and what it drew on the terminal.
#[cfg(target_os = "linux")]
fn on_a_terminal(command: &std::process::Command) -> (std::process::ExitStatus, String) {
    let line = std::iter::once(command.get_program())
        .chain(command.get_args())
        .map(|word| polyai_actions::render::shell_quote(word.as_encoded_bytes()))
        .collect::<Vec<_>>()
        .join(" ");
    let mut script = std::process::Command::new("script");
    script
        .args(["--quiet", "--return", "--command", &line, "/dev/null"])
        .env_clear()
        .env("TERM", "xterm-256color")
        .stdin(Stdio::null());
    for (name, value) in command.get_envs() {
        if let Some(value) = value {
            script.env(name, value);
        }
    }
    if let Some(dir) = command.get_current_dir() {
        script.current_dir(dir);
    }
    let output = script
        .output()
        .expect("util-linux's script runs (it gives the command a terminal)");
    (
        output.status,
        String::from_utf8_lossy(&output.stdout).into_owned(),
    )
}

#[cfg(target_os = "linux")]
#[test]
fn progress_is_a_bar_on_a_terminal_and_plain_lines_otherwise() {
    let mock = Mock::start(
        MockServer::builder()
            .conversations(300)
            .audio_bytes(20_000)
            // Slow pages, so that the export lasts long enough for the bar to be drawn.
            .faults(
                FaultPlan::new().rule(
                    FaultRule::new(Fault::Stall(Duration::from_millis(20)))
                        .on(Route::ListConversations),
                ),
            ),
    );
    let scratch = Scratch::new();
    let window = mock.window_args();
    let mut export = polyai(&mock, &scratch);
    export
        .args([
            "conversations",
            "export",
            "-o",
            "all.jsonl",
            "--page-size",
            "20",
        ])
        .args(&window);

    // Piped: no bar and no escape sequence, only plain lines, ending with the summary.
    let (_, stderr) = ok(&mut export);
    assert!(!stderr.contains('\x1b'), "{stderr:?}");
    assert!(!stderr.contains("ETA"), "{stderr:?}");
    let summary = stderr.lines().last().expect("a summary line").to_owned();
    assert!(summary.starts_with("exported "), "{summary}");
    // Again from the start (without its checkpoint the export would be complete already).
    std::fs::remove_file(scratch.path("all.jsonl")).unwrap();
    std::fs::remove_file(scratch.path("all.jsonl.checkpoint")).unwrap();

    // On a terminal: a bar (drawn and redrawn with escape sequences) with the share of the
    // window, the count, the rate and an ETA; then the same summary line.
    let (status, drawn) = on_a_terminal(&export);
    assert!(status.success(), "{drawn}");
    assert!(drawn.contains('\x1b'), "a bar is drawn: {drawn:?}");
    assert!(drawn.contains("% of the window"), "{drawn:?}");
    assert!(drawn.contains(" conversations, "), "{drawn:?}");
    assert!(drawn.contains("/s, "), "the rate: {drawn:?}");
    assert!(drawn.contains("ETA "), "{drawn:?}");
    assert!(drawn.contains(&summary), "{drawn:?}");

    // The audio download's bar counts files.
    let mut audio = polyai(&mock, &scratch);
    audio
        .args(["audio", "download", "--dir", "rec", "--parallel", "4"])
        .args(&window);
    let (status, drawn) = on_a_terminal(&audio);
    assert!(status.success(), "{drawn}");
    assert!(drawn.contains('\x1b'), "a bar is drawn: {drawn:?}");
    assert!(drawn.contains(" files "), "{drawn:?}");
    assert!(drawn.contains("ETA "), "{drawn:?}");
    assert!(drawn.contains(" saved, "), "the summary: {drawn:?}");
}

#[test]
fn export_to_stdout_pipes_into_audio_download_from_stdin() {
    let mock = Mock::start(MockServer::builder().conversations(30).audio_bytes(2_000));
    let scratch = Scratch::new();
    let window = mock.window_args();
    let (stdout, _) = ok(polyai(&mock, &scratch)
        .args(["conversations", "export", "-o", "-", "--page-size", "4"])
        .args(&window));
    assert!(
        !scratch.path("-.checkpoint").exists(),
        "stdout exports keep no checkpoint"
    );
    let ids: Vec<String> = stdout
        .lines()
        .map(|l| {
            serde_json::from_str::<serde_json::Value>(l).unwrap()["id"]
                .as_str()
                .unwrap()
                .to_string()
        })
        .collect();
    assert!(!ids.is_empty());
    // The same records as the listing.
    let (listed, _) = ok(polyai(&mock, &scratch)
        .args(["conversations", "list"])
        .args(&window));
    assert_eq!(listed, stdout);

    let mut child = polyai(&mock, &scratch)
        .args([
            "audio",
            "download",
            "--from",
            "-",
            "--dir",
            "rec",
            "--parallel",
            "2",
        ])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(stdout.as_bytes())
        .unwrap();
    let output = child.wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "{stderr}");
    let saved = std::fs::read_dir(scratch.path("rec")).unwrap().count();
    let summary = stderr.lines().last().unwrap();
    assert!(
        summary.starts_with(&format!("{saved} saved, 0 already complete")),
        "{summary}"
    );
    assert!(
        summary.contains(&format!("{} without a recording", ids.len() - saved)),
        "{summary}"
    );
}

#[test]
fn each_host_family_can_be_pointed_elsewhere() {
    let mock = Mock::start(MockServer::builder().conversations(10));
    let scratch = Scratch::new();
    let dead = dead_url();
    let base = mock.server.base_url();
    // The v3 listing goes to the Platform family: a dead Agents host does not matter to it.
    let (stdout, _) = ok(polyai(&mock, &scratch)
        .env_remove("POLYAI_BASE_URL")
        .args(["--platform-base-url", &base, "--agents-base-url", &dead])
        .args([
            "conversations",
            "list",
            "--since",
            "2020-01-01",
            "--limit",
            "2",
        ]));
    assert_eq!(stdout.lines().count(), 2);
    // The Agents API lives on the Agents family: that host is unreachable.
    let (output, _, stderr) = run(polyai(&mock, &scratch)
        .env_remove("POLYAI_BASE_URL")
        .args(["--platform-base-url", &base, "--agents-base-url", &dead])
        .args(["agents", "list"]));
    assert_eq!(output.status.code(), Some(6), "{stderr}");
}

#[test]
fn export_refuses_what_it_cannot_resume_safely() {
    let mock = Mock::start(MockServer::builder().conversations(50));
    let scratch = Scratch::new();
    let window = mock.window_args();
    let export = |extra: &[&str]| {
        run(polyai(&mock, &scratch)
            .args(["conversations", "export", "-o", "e.jsonl"])
            .args(&window)
            .args(extra))
    };
    for bad in ["0/2", "3/2", "x"] {
        let (output, _, stderr) = export(&["--shard", bad]);
        assert_eq!(output.status.code(), Some(2), "{bad}: {stderr}");
        assert_one_line_error(&stderr);
    }
    let (output, _, stderr) =
        run(polyai(&mock, &scratch).args(["conversations", "export", "-o", "e.jsonl"]));
    assert_eq!(
        output.status.code(),
        Some(2),
        "--since is required: {stderr}"
    );

    // Shards resolve their window on each machine: relative times and the default --until
    // (now) would differ between machines, so they are refused before anything is sent.
    let (start, end) = (window[1].as_str(), window[3].as_str());
    for times in [
        &["--since", "7d"][..],
        &["--since", start],
        &["--since", start, "--until", "now"],
        &["--since", "2d", "--until", end],
        &["--since", start, "--until", "1h"],
    ] {
        let (output, _, stderr) = run(polyai(&mock, &scratch)
            .args(["conversations", "export", "-o", "s.jsonl", "--shard", "1/2"])
            .args(times));
        assert_eq!(output.status.code(), Some(2), "{times:?}: {stderr}");
        assert_one_line_error(&stderr);
        assert!(
            stderr.contains("absolute") || stderr.contains("explicit --until"),
            "{times:?}: {stderr}"
        );
        assert!(
            stderr.contains("hint: with --shard give absolute times"),
            "{stderr}"
        );
    }
    assert!(!scratch.path("s.jsonl").exists());
    // A random sample or a semantic search has no stable order to resume from.
    for ordering in [&["--sample"][..], &["--semantic", "refund"]] {
        let (output, _, stderr) = export(ordering);
        assert_eq!(output.status.code(), Some(2), "{ordering:?}: {stderr}");
        assert_one_line_error(&stderr);
        assert!(stderr.contains("cannot resume exactly once"), "{stderr}");
    }
    assert!(!scratch.path("e.jsonl").exists());
    // Streamed once to stdout (no resume), a sample is fine.
    let (sample, _) = ok(polyai(&mock, &scratch)
        .args(["conversations", "export", "-o", "-", "--sample"])
        .args(&window));
    assert!(sample.lines().count() > 0);

    let (output, _, _) = export(&[]);
    assert!(output.status.success());
    let whole = ids_of(&scratch.path("e.jsonl"));
    // An output cut shorter than its checkpoint was changed by someone else: refused.
    let text = std::fs::read_to_string(scratch.path("e.jsonl.checkpoint")).unwrap();
    let mut checkpoint: serde_json::Value = serde_json::from_str(&text).unwrap();
    checkpoint["done"] = false.into();
    std::fs::write(scratch.path("e.jsonl.checkpoint"), checkpoint.to_string()).unwrap();
    std::fs::write(scratch.path("e.jsonl"), "").unwrap();
    let (output, _, stderr) = export(&[]);
    assert_eq!(output.status.code(), Some(1), "{stderr}");
    assert!(stderr.contains("shorter"), "{stderr}");
    // --restart redoes it from scratch.
    let (output, _, stderr) = export(&["--restart"]);
    assert!(output.status.success(), "{stderr}");
    assert_eq!(ids_of(&scratch.path("e.jsonl")), whole);
}

/// Exported lines are whole conversations, turns included; a checkpoint names the host it was
/// made on and does not resume against another one.
#[test]
fn exported_lines_carry_turns_and_a_checkpoint_resumes_only_on_its_host() {
    let mock = Mock::start(MockServer::builder().conversations(30));
    let other = Mock::start(MockServer::builder().conversations(30));
    let scratch = Scratch::new();
    let window = mock.window_args();
    ok(polyai(&mock, &scratch)
        .args(["conversations", "export", "-o", "h.jsonl"])
        .args(&window));
    let text = std::fs::read_to_string(scratch.path("h.jsonl")).unwrap();
    assert!(text.lines().count() > 0);
    for line in text.lines() {
        let conversation: serde_json::Value = serde_json::from_str(line).unwrap();
        let turns = conversation["turns"].as_array();
        assert!(
            turns.is_some_and(|t| !t.is_empty()),
            "a conversation without its turns: {line}"
        );
    }

    let checkpoint_path = scratch.path("h.jsonl.checkpoint");
    let mut checkpoint = common::json_file(&checkpoint_path);
    assert_eq!(checkpoint["query"]["host"], mock.server.base_url().as_str());
    checkpoint["done"] = false.into();
    std::fs::write(&checkpoint_path, checkpoint.to_string()).unwrap();
    let (output, _, stderr) = run(polyai(&mock, &scratch)
        .env("POLYAI_BASE_URL", other.server.base_url())
        .args(["conversations", "export", "-o", "h.jsonl"])
        .args(&window));
    assert_eq!(output.status.code(), Some(2), "{stderr}");
    assert_one_line_error(&stderr);
    assert!(
        stderr.contains(&format!("was made against {}", mock.server.base_url())),
        "{stderr}"
    );
    assert_eq!(
        std::fs::read_to_string(scratch.path("h.jsonl")).unwrap(),
        text
    );
    assert!(
        other.server.requests().is_empty(),
        "nothing was sent to the other host"
    );
}

#[test]
fn an_export_resumes_a_page_that_failed_after_the_sdk_retries() {
    // The SDK tries a request 3 times; requests 3..=5 of the listing fail, so the second page
    // fails for good once, and the export resumes it from its position.
    let mock = Mock::start(
        MockServer::builder().conversations(60).faults(
            FaultPlan::new().rule(
                FaultRule::new(Fault::ServiceUnavailable)
                    .on(Route::ListConversations)
                    .requests([2, 3, 4]),
            ),
        ),
    );
    let scratch = Scratch::new();
    let window = mock.window_args();
    let (_, stderr) = ok(polyai(&mock, &scratch)
        .args([
            "conversations",
            "export",
            "-o",
            "r.jsonl",
            "--page-size",
            "10",
        ])
        .args(&window));
    assert!(
        stderr.contains("warning: a listing page failed"),
        "{stderr}"
    );
    assert_eq!(
        mock.server.faults_injected().count("service_unavailable"),
        3
    );
    mock.server.clear_faults();
    let ids = ids_of(&scratch.path("r.jsonl"));
    ok(polyai(&mock, &scratch)
        .args([
            "conversations",
            "export",
            "-o",
            "clean.jsonl",
            "--page-size",
            "10",
        ])
        .args(&window));
    assert_eq!(
        ids,
        ids_of(&scratch.path("clean.jsonl")),
        "nothing lost or repeated"
    );
}

#[test]
fn a_closed_pipe_ends_a_listing_quietly() {
    let mock = Mock::start(MockServer::builder().conversations(3_000));
    let scratch = Scratch::new();
    for args in [
        &[
            "conversations",
            "list",
            "--since",
            "2020-01-01",
            "--page-size",
            "10",
        ][..],
        &[
            "conversations",
            "list",
            "--since",
            "2020-01-01",
            "--format",
            "json",
        ],
        &[
            "conversations",
            "export",
            "--since",
            "2020-01-01",
            "-o",
            "-",
        ],
    ] {
        let mut child = Running::new(
            polyai(&mock, &scratch)
                .args(args)
                .stdout(Stdio::piped())
                .stderr(Stdio::piped())
                .spawn()
                .unwrap(),
        );
        // Like `| head -1`: read a little, then close the pipe.
        let mut first = String::new();
        BufReader::new(child.child().stdout.take().unwrap())
            .read_line(&mut first)
            .unwrap();
        assert!(first.starts_with('{') || first.starts_with('['), "{first}");
        let output = child.wait_with_output();
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(output.status.success(), "{args:?}: {stderr}");
        assert!(stderr.is_empty(), "{args:?}: {stderr}");
    }
}
