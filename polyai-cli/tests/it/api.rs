//! `polyai api`: every operation of every family is reachable through the real binary, and
//! arguments are checked by type before anything is sent.

use crate::common;

use std::io::Write;
use std::process::Stdio;

use common::{Mock, Scratch, bare, ok, polyai, run};
use polyai_mock::MockServer;
use polyai_sdk::operation_call::{Location, ValueKind, operations};

/// A value the parameter's type accepts.
fn sample(kind: ValueKind, values: &[&str]) -> String {
    if let Some(first) = values.first() {
        return first.to_string();
    }
    match kind {
        ValueKind::Integer | ValueKind::Number => "1".into(),
        ValueKind::Boolean => "true".into(),
        ValueKind::String | ValueKind::Array => "x1".into(),
    }
}

/// Every generated operation (those `cargo xtask coverage` reports as covered) goes out with
/// its method and its path filled in; the mock records what arrived.
#[test]
fn every_generated_operation_is_reachable() {
    let mock = Mock::start(MockServer::builder().conversations(5));
    let scratch = Scratch::new();
    let all = operations();
    assert!(all.len() >= 87, "{}", all.len());
    for op in all {
        mock.server.clear_requests();
        let mut args = Vec::new();
        let mut path = op.path.to_string();
        for p in op.parameters.iter().filter(|p| p.required) {
            let value = sample(p.kind, p.values);
            if p.location == Location::Path {
                path = path.replace(&format!("{{{}}}", p.name), &value);
            }
            args.push(format!("{}={value}", p.name));
        }
        let mut command = polyai(&mock, &scratch);
        command
            .env("POLYAI_CHAT_TOKEN", "chat-token")
            .env("POLYAI_OUTBOUND_TOKEN", "outbound-token")
            .env("POLYAI_DNI_API_KEY", "dni-key")
            .env_remove("POLYAI_ACCOUNT_ID")
            .env_remove("POLYAI_PROJECT_ID")
            .env_remove("POLYAI_AGENT_ID")
            .args(["api", op.id])
            .args(&args);
        if let Some(body) = op.body {
            command.args(["--body", body.example]);
        }
        let (output, stdout, stderr) = run(&mut command);
        let seen = mock.server.requests();
        assert!(
            seen.iter().any(|r| r.method == op.method && r.path == path),
            "{} {} {path}: not received (exit {:?})\nstdout: {stdout}\nstderr: {stderr}\nreceived: {:?}",
            op.id,
            op.method,
            output.status.code(),
            seen.iter()
                .map(|r| format!("{} {}", r.method, r.path))
                .collect::<Vec<_>>()
        );
    }
}

/// The three operations `cargo xtask coverage` reports as hand-written go through the SDK's
/// hand-written builders.
#[test]
fn every_hand_written_operation_is_reachable() {
    let mock = Mock::start(MockServer::builder().conversations(5));
    let scratch = Scratch::new();
    let wav = scratch.path("a.wav");
    std::fs::write(&wav, b"RIFF\x24\0\0\0WAVEfmt ").unwrap();
    let wav_arg = format!("@{}", wav.display());
    let cases: [(&str, Vec<&str>, &str, &str, &str); 3] = [
        (
            "replace_audio_cache_file",
            vec!["agentId=ag1", "entryId=7", "filename=a.wav"],
            wav_arg.as_str(),
            "PATCH",
            "/v1/agents/ag1/audio-cache/7/file",
        ),
        (
            "replace_audio_cache_details",
            vec![
                "agentId=ag1",
                "entryId=7",
                "text=Hello",
                "config={\"speed\": 1.1}",
            ],
            wav_arg.as_str(),
            "PUT",
            "/v1/agents/ag1/audio-cache/7/details",
        ),
        (
            "post_external_event",
            vec!["event_id_location=payload", "event_id_path=cid"],
            "{\"cid\": \"evt_1\"}",
            "POST",
            "/v1/external-events/webhook",
        ),
    ];
    for (id, args, body, method, path) in cases {
        mock.server.clear_requests();
        let (output, stdout, stderr) = run(polyai(&mock, &scratch)
            .args(["api", id])
            .args(&args)
            .args(["--body", body]));
        let seen = mock.server.requests();
        assert!(
            seen.iter().any(|r| r.method == method && r.path == path),
            "{id}: not received (exit {:?}) {stdout} {stderr} {:?}",
            output.status.code(),
            seen.iter()
                .map(|r| format!("{} {}", r.method, r.path))
                .collect::<Vec<_>>()
        );
    }
}

#[test]
fn help_lists_every_operation_with_examples() {
    let scratch = Scratch::new();
    let (help, _) = ok(bare(&scratch).args(["api", "--help"]));
    assert!(help.contains("Examples:\n  polyai "), "{help}");
    for op in operations() {
        assert!(
            help.contains(&format!("  {} ", op.id)),
            "{} in --help",
            op.id
        );
    }
    for id in [
        "post_external_event",
        "replace_audio_cache_details",
        "replace_audio_cache_file",
    ] {
        assert!(help.contains(id), "{id}");
    }
    let (described, _) = ok(bare(&scratch).args(["api", "list_conversations", "--describe"]));
    assert!(
        described.starts_with("GET /v3/{account_id}/{project_id}/conversations"),
        "{described}"
    );
    assert!(
        described.contains("client_env (query, String) one of sandbox, pre-release, live"),
        "{described}"
    );
}

#[test]
fn arguments_are_checked_by_type_before_anything_is_sent() {
    let mock = Mock::start(MockServer::builder().conversations(5));
    let scratch = Scratch::new();
    for (args, want) in [
        (
            &["api", "list_conversations", "client_env=prod"][..],
            "allowed: sandbox, pre-release, live",
        ),
        (
            &["api", "list_conversations", "limit=many"],
            "limit=\"many\" must be a number",
        ),
        (
            &["api", "list_conversations", "limit=0"],
            "limit=\"0\" is not valid",
        ),
        (
            &["api", "list_conversations", "colour=red"],
            "no parameter \"colour\"",
        ),
        (
            &["api", "create_branch", "--body", "{\"nom\": 1}"],
            "the body does not fit the operation",
        ),
        (
            &["api", "create_branch"],
            "a JSON body is required, for example",
        ),
        (
            &["api", "create_branch", "--body", "not json"],
            "the body is not JSON",
        ),
        (
            &[
                "api",
                "create_webhook_endpoint",
                "--body",
                "{\"name\": \"a\", \"url\": \"http://insecure\", \"event_types\": [\"alerts.triggered\"]}",
            ],
            "doesn't match pattern",
        ),
        (&["api", "get_agent", "junk"], "is not NAME=VALUE"),
        (&["api", "no_such_thing"], "there is no operation"),
    ] {
        let (output, _, stderr) = run(polyai(&mock, &scratch).args(args));
        assert_eq!(output.status.code(), Some(2), "{args:?}: {stderr}");
        assert!(stderr.contains(want), "{want:?} in {stderr}");
        common::assert_one_line_error(&stderr);
    }
    assert!(mock.server.requests().is_empty(), "nothing was sent");
}

#[test]
fn bodies_from_a_file_or_stdin_and_ids_from_the_configuration() {
    let mock = Mock::start(MockServer::builder().conversations(5));
    let scratch = Scratch::new();
    let file = scratch.path("branch.json");
    std::fs::write(&file, br#"{"branchName": "from-file"}"#).unwrap();
    let (stdout, _) = ok(polyai(&mock, &scratch)
        .args(["api", "create_branch", "--body"])
        .arg(format!("@{}", file.display())));
    let created: serde_json::Value = serde_json::from_str(&stdout).expect("pretty JSON");
    assert!(created["branchId"].is_string(), "{stdout}");

    let mut child = polyai(&mock, &scratch)
        .args(["api", "create_branch", "--body", "-"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(br#"{"branchName": "from-stdin"}"#)
        .unwrap();
    let output = child.wait_with_output().unwrap();
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let created: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    assert!(created["branchId"].is_string());

    // The agent id came from POLYAI_AGENT_ID.
    let agent = mock.server.agent_id();
    let posts: Vec<_> = mock
        .server
        .requests()
        .into_iter()
        .filter(|r| r.method == "POST")
        .map(|r| r.path)
        .collect();
    assert_eq!(posts, vec![format!("/v1/agents/{agent}/branches"); 2]);

    // -o writes the answer to a file; --dry-run sends nothing.
    let out = scratch.path("branches.json");
    ok(polyai(&mock, &scratch)
        .args(["api", "list_branches", "-o"])
        .arg(&out));
    let listed: serde_json::Value = serde_json::from_slice(&std::fs::read(&out).unwrap()).unwrap();
    let listed = listed.to_string();
    assert!(
        listed.contains("from-file") && listed.contains("from-stdin"),
        "{listed}"
    );
    mock.server.clear_requests();
    let (stdout, _) =
        ok(polyai(&mock, &scratch).args(["api", "delete_branch", "branchId=b1", "--dry-run"]));
    assert!(stdout.contains("(checked; not sent)"), "{stdout}");
    assert!(mock.server.requests().is_empty());
}

/// What `cargo xtask coverage` reads as ours: every `operationId` and every
/// `x-polyai-hand-written` entry of `openapi/*.yaml`.
fn documented_operations() -> (Vec<String>, Vec<String>) {
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/../openapi");
    let (mut generated, mut hand_written) = (Vec::new(), Vec::new());
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_none_or(|e| e != "yaml") {
            continue;
        }
        let doc: serde_yaml::Value =
            serde_yaml::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
        for item in doc["paths"]
            .as_mapping()
            .into_iter()
            .flat_map(|m| m.values())
        {
            for method in ["get", "put", "post", "delete", "patch"] {
                if let Some(id) = item[method]["operationId"].as_str() {
                    generated.push(id.to_string());
                }
            }
        }
        for entry in doc["x-polyai-hand-written"]
            .as_sequence()
            .into_iter()
            .flatten()
        {
            hand_written.push(entry["operation"].as_str().unwrap().to_string());
        }
    }
    generated.sort();
    hand_written.sort();
    (generated, hand_written)
}

#[test]
fn the_reachability_tests_cover_every_operation_our_documents_account_for() {
    let (generated, hand_written) = documented_operations();
    let table: Vec<String> = operations().iter().map(|o| o.id.to_string()).collect();
    assert_eq!(
        table, generated,
        "the SDK's table is every generated operation"
    );
    assert_eq!(
        hand_written,
        [
            "post_external_event",
            "replace_audio_cache_details",
            "replace_audio_cache_file"
        ],
        "every_hand_written_operation_is_reachable tests exactly these"
    );
}

#[test]
fn a_signing_secret_in_an_answer_is_masked_unless_asked() {
    let mock = Mock::start(MockServer::builder().conversations(5));
    let scratch = Scratch::new();
    let body = r#"{"name": "ops", "url": "https://example.com/hooks", "event_types": ["alerts.triggered"]}"#;
    let (stdout, stderr) =
        ok(polyai(&mock, &scratch).args(["api", "create_webhook_endpoint", "--body", body]));
    let created: serde_json::Value = serde_json::from_str(&stdout).unwrap();
    let id = created["id"].as_str().expect("an endpoint id").to_string();
    let secret = mock.server.webhook_signing_secret(&id).expect("a secret");
    assert_eq!(created["signing_secret"], "<secret>");
    assert!(!stdout.contains(&secret) && !stderr.contains(&secret));
    assert!(stderr.contains("signing_secret is masked"), "{stderr}");

    let rotate = ["api", "rotate_webhook_signing_secret"];
    let (stdout, _) = ok(polyai(&mock, &scratch)
        .args(rotate)
        .arg(format!("endpoint_id={id}"))
        .arg("--show-secrets"));
    let secret = mock.server.webhook_signing_secret(&id).unwrap();
    assert!(stdout.contains(&secret), "{stdout}");

    let file = scratch.path("secret.json");
    let (stdout, _) = ok(polyai(&mock, &scratch)
        .args(rotate)
        .arg(format!("endpoint_id={id}"))
        .arg("-o")
        .arg(&file));
    assert!(stdout.is_empty());
    let secret = mock.server.webhook_signing_secret(&id).unwrap();
    assert!(std::fs::read_to_string(&file).unwrap().contains(&secret));
    #[cfg(unix)]
    assert_eq!(common::mode(&file), 0o600);
}
