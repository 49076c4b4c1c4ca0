//! `polyai chat` and `polyai chat test`: the real binary against the embedded mock.

use crate::common;

use std::io::Write;
use std::process::Stdio;

use common::{Mock, Scratch, bare, dead_url, json_file, ok, polyai, run};
use polyai_mock::{Fault, FaultPlan, FaultRule, MockServer, Route};

const EXAMPLE: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/examples/scenarios.yaml");

#[test]
fn chat_and_chat_test_have_help_with_examples() {
    let scratch = Scratch::new();
    for command in [&["chat"][..], &["chat", "test"]] {
        let (help, _) = ok(bare(&scratch).args(command).arg("--help"));
        assert!(help.contains("Examples:\n  polyai "), "{command:?}: {help}");
    }
    let (help, _) = ok(bare(&scratch).args(["chat", "test", "--help"]));
    for word in [
        "contains", "regex", "not", "ended", "handoff", "function", "metadata",
    ] {
        assert!(help.contains(word), "{word} is documented: {help}");
    }
}

#[test]
fn an_interactive_chat_from_a_pipe_with_metadata_history_and_restart() {
    let mock = Mock::start(MockServer::builder());
    let scratch = Scratch::new();
    let mut child = polyai(&mock, &scratch)
        .args(["chat", "--env", "sandbox"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("polyai starts");
    child
        .stdin
        .take()
        .expect("stdin")
        .write_all(
            b"What are your opening hours?\n/metadata\n/history\n/bogus\n/restart\nbye\nhello again\n/quit\nnever sent\n",
        )
        .expect("the script is written");
    let output = child.wait_with_output().expect("polyai ends");
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "{stdout}\n{stderr}");

    let lines: Vec<&str> = stdout.lines().collect();
    assert!(lines[0].starts_with("-- conversation "), "{stdout}");
    assert!(lines[1].starts_with("agent ["), "{stdout}");
    assert!(lines[1].contains("How can I help"), "{stdout}");
    // Each reply carries its turn's latency.
    let replies: Vec<&&str> = lines.iter().filter(|l| l.starts_with("agent [")).collect();
    assert!(replies.iter().all(|l| l.contains(" ms]: ")), "{stdout}");
    assert!(stdout.contains("We're open from 9am"), "{stdout}");
    // /metadata prints the last reply's metadata as JSON.
    let start = stdout.find("\n{").expect("a JSON block") + 1;
    let end = start + stdout[start..].find("\n}").expect("its end") + 2;
    let metadata: serde_json::Value =
        serde_json::from_str(&stdout[start..end]).expect("/metadata is JSON");
    assert_eq!(metadata["currentNode"], "opening_hours");
    assert_eq!(metadata["citedTopic"], "opening_hours");
    // /history lists the greeting and the turn.
    assert!(
        stdout.contains("  1  you: What are your opening hours?"),
        "{stdout}"
    );
    assert!(stderr.contains("unknown command /bogus"), "{stderr}");
    // /restart starts a second session; bye ends it; the next line is not sent.
    assert!(stdout.contains("-- new conversation "), "{stdout}");
    assert!(stdout.contains("Goodbye!") && stdout.contains("-- the agent ended the conversation"));
    assert!(stdout.contains("-- the conversation has ended"), "{stdout}");
    assert!(!stdout.contains("never sent"), "/quit stops reading");
    assert_eq!(mock.server.debug_chat_sessions(), 2);
    assert!(stderr.contains("2 turn(s), mean latency"), "{stderr}");
}

#[test]
fn the_example_scenarios_pass_with_junit_and_json_reports() {
    let mock = Mock::start(MockServer::builder());
    let scratch = Scratch::new();
    let junit = scratch.path("reports/chat.xml");
    let json = scratch.path("reports/chat.json");
    let (stdout, _) = ok(polyai(&mock, &scratch)
        .args(["chat", "test", EXAMPLE, "--junit"])
        .arg(&junit)
        .arg("--json")
        .arg(&json));
    assert!(
        stdout.contains("PASS  opening hours  3/3 runs passed"),
        "{stdout}"
    );
    assert!(
        stdout
            .contains("PASS  booking calls check_availability  5/5 runs passed (100%, needs 80%)"),
        "{stdout}"
    );
    assert!(
        stdout.contains("3 scenario(s): 3 passed, 0 failed; 11 run(s)"),
        "{stdout}"
    );

    let report = json_file(&json);
    assert_eq!(report["scenarios"], 3);
    assert_eq!(report["passed"], 3);
    assert_eq!(report["runs"], 11);
    // A greeting and two turns, three times; a greeting and one turn, eight times.
    assert_eq!(report["turns"], 3 * 3 + 8 * 2);
    assert!(report["turn_latency"]["p99_ms"].as_f64().is_some());
    let booking = &report["results"][1];
    assert_eq!(booking["pass_rate"], 1.0);
    assert_eq!(booking["results"].as_array().map(Vec::len), Some(5));
    assert_eq!(mock.server.debug_chat_sessions(), 11);

    let xml = std::fs::read_to_string(&junit).unwrap();
    assert!(xml.starts_with("<?xml"), "{xml}");
    assert!(
        xml.contains("<testsuites name=\"polyai chat test\" tests=\"3\" failures=\"0\""),
        "{xml}"
    );
    assert_eq!(xml.matches("<testcase ").count(), 3);
    assert!(!xml.contains("<failure"), "{xml}");
}

const FAILING: &str = r#"
scenarios:
  - name: wrong hours
    repeat: 2
    turns:
      - user: When are you open?
        expect: { contains: midnight }
  - name: no handoff & no function
    turns:
      - user: I want a refund
        expect:
          handoff: true
          function: { name: issue_refund, arguments: { amount: 10 } }
          metadata: { currentNode: refund }
  - name: wrong arguments
    turns:
      - user: book it
        expect:
          function: { name: check_availability, arguments: { request: something else } }
  - name: ended too early
    turns:
      - user: bye
      - user: are you there?
  - name: this one passes
    turns:
      - user: hello
        expect: { regex: 'You said: "hello"', ended: false, handoff: false }
"#;

#[test]
fn failing_scenarios_exit_1_and_say_which_turn_broke_what() {
    let mock = Mock::start(MockServer::builder());
    let scratch = Scratch::new();
    let file = scratch.path("failing.yaml");
    std::fs::write(&file, FAILING).unwrap();
    let (junit, json) = (scratch.path("f.xml"), scratch.path("f.json"));
    let (output, stdout, stderr) = run(polyai(&mock, &scratch)
        .args(["chat", "test"])
        .arg(&file)
        .arg("--junit")
        .arg(&junit)
        .arg("--json")
        .arg(&json));
    assert_eq!(output.status.code(), Some(1), "{stdout}\n{stderr}");
    assert!(
        stderr.starts_with("error: 4 of 5 scenario(s) below their pass threshold"),
        "{stderr}"
    );
    assert!(
        stdout.contains("FAIL  wrong hours  0/2 runs passed (0%, needs 100%)"),
        "{stdout}"
    );
    assert!(
        stdout.contains("turn 1 (\"When are you open?\"): the reply does not contain \"midnight\""),
        "{stdout}"
    );
    assert!(
        stdout.contains("agent said: \"We're open from 9am"),
        "{stdout}"
    );
    assert!(
        stdout.contains("no handoff; function issue_refund was not called (called: none)"),
        "{stdout}"
    );
    assert!(
        stdout.contains("function check_availability was called with {\"request\":\"book it\"}"),
        "{stdout}"
    );
    assert!(
        stdout
            .contains("turn 2 (\"are you there?\"): the agent had already ended the conversation"),
        "{stdout}"
    );
    assert!(stdout.contains("PASS  this one passes  1/1"), "{stdout}");

    let report = json_file(&json);
    assert_eq!(
        (report["passed"].as_u64(), report["failed"].as_u64()),
        (Some(1), Some(4))
    );
    let wrong = &report["results"][0];
    assert_eq!(wrong["pass_rate"], 0.0);
    assert_eq!(wrong["results"][0]["failure"]["turn"], 1);
    assert_eq!(
        wrong["results"][0]["failure"]["message"],
        "the reply does not contain \"midnight\""
    );

    let xml = std::fs::read_to_string(&junit).unwrap();
    assert_eq!(xml.matches("<failure ").count(), 4, "{xml}");
    assert!(
        xml.contains("name=\"no handoff &amp; no function\""),
        "{xml}"
    );
}

#[test]
fn pass_rates_are_held_against_the_threshold() {
    // The mock answers one of the four runs' messages with a 400: three of four runs pass.
    let file_text = "scenarios:\n  - name: flaky\n    repeat: 4\n    turns:\n      - user: hours?\n        expect: { contains: 9am }\n";
    let scratch = Scratch::new();
    let file = scratch.path("flaky.yaml");
    std::fs::write(&file, file_text).unwrap();
    let fault = || {
        FaultPlan::new().rule(
            FaultRule::new(Fault::Status(400))
                .on(Route::SendDebugChat)
                .nth(2),
        )
    };
    for (threshold, code) in [("0.75", 0), ("1", 1)] {
        let mock = Mock::start(MockServer::builder().faults(fault()));
        let json = scratch.path("flaky.json");
        let (output, stdout, stderr) = run(polyai(&mock, &scratch)
            .args(["chat", "test", "--threshold", threshold])
            .arg(&file)
            .arg("--json")
            .arg(&json));
        assert_eq!(output.status.code(), Some(code), "{stdout}\n{stderr}");
        assert!(stdout.contains("3/4 runs passed (75%"), "{stdout}");
        assert!(stdout.contains("the request failed"), "{stdout}");
        let report = json_file(&json);
        assert_eq!(report["results"][0]["pass_rate"], 0.75);
        assert_eq!(report["results"][0]["passed"], code == 0);
    }
}

/// A refused key, a server failure or an unreachable host says nothing about the agent: the
/// runs are errors (JUnit `<error>`, JSON `error`) and the exit code is the error's.
#[test]
fn infrastructure_failures_are_errors_with_their_exit_code_not_failed_runs() {
    let file_text = "scenarios:\n  - name: hours\n    repeat: 2\n    turns:\n      - user: hours?\n        expect: { contains: 9am }\n";
    let scratch = Scratch::new();
    let file = scratch.path("hours.yaml");
    std::fs::write(&file, file_text).unwrap();
    let (junit, json) = (scratch.path("e.xml"), scratch.path("e.json"));
    let check = |output: std::process::Output, code: i32, stdout: &str, stderr: &str| {
        assert_eq!(output.status.code(), Some(code), "{stdout}\n{stderr}");
        assert!(stderr.contains("could not be judged"), "{stderr}");
        common::assert_one_line_error(stderr);
        assert!(!stderr.contains("below their pass threshold"), "{stderr}");
        assert!(stdout.contains("ERROR  hours  0/2 runs passed"), "{stdout}");
        let xml = std::fs::read_to_string(&junit).unwrap();
        assert!(
            xml.contains("<error message=\"2 run(s) could not be judged\""),
            "{xml}"
        );
        assert!(xml.contains("failures=\"0\" errors=\"1\""), "{xml}");
        assert!(!xml.contains("<failure"), "{xml}");
        let report = json_file(&json);
        assert_eq!(report["errored"], 1);
        let run = &report["results"][0]["results"][0];
        assert_eq!(run["error"]["exit_code"], code);
        assert!(run.get("failure").is_none(), "{run}");
    };

    // A wrong key: 401, exit 4.
    let mock = Mock::start(MockServer::builder());
    let (output, stdout, stderr) = run(polyai(&mock, &scratch)
        .env("POLYAI_API_KEY", "sk-wrong-key")
        .args(["chat", "test"])
        .arg(&file)
        .arg("--junit")
        .arg(&junit)
        .arg("--json")
        .arg(&json));
    check(output, 4, &stdout, &stderr);

    // PolyAI failing on its side past the SDK's retries: exit 6.
    let plan =
        FaultPlan::new().rule(FaultRule::new(Fault::ServiceUnavailable).on(Route::SendDebugChat));
    let mock = Mock::start(MockServer::builder().faults(plan));
    let (output, stdout, stderr) = run(polyai(&mock, &scratch)
        .args(["chat", "test"])
        .arg(&file)
        .arg("--junit")
        .arg(&junit)
        .arg("--json")
        .arg(&json));
    check(output, 6, &stdout, &stderr);

    // Nothing listening: exit 6.
    let dead = dead_url();
    let (output, stdout, stderr) = run(polyai(&mock, &scratch)
        .env("POLYAI_BASE_URL", &dead)
        .args(["chat", "test"])
        .arg(&file)
        .arg("--junit")
        .arg(&junit)
        .arg("--json")
        .arg(&json));
    check(output, 6, &stdout, &stderr);
}

#[test]
fn a_bad_scenario_file_is_diagnosed_with_file_line_and_column() {
    let mock = Mock::start(MockServer::builder());
    let scratch = Scratch::new();
    let cases = [
        (
            "scenarios:\n  - name: a\n    turns:\n      - user: hi\n        expect: { contain: x }\n",
            ":5:19: scenarios[0].turns[0].expect: unknown field `contain`",
        ),
        (
            "scenarios:\n  - name: a\n    turns:\n      - user: hi\n        expect:\n          regex: '(unclosed'\n",
            ":6:18: scenarios[0].turns[0].expect.regex: invalid regular expression",
        ),
        (
            "scenarios:\n  - name: a\n    threshold: 2\n    turns: [{user: hi}]\n",
            ":3:16: scenarios[0].threshold: threshold 2 is not between 0 and 1",
        ),
        (
            "scenarios:\n  - name: a\n    turns: []\n",
            ":3:12: scenarios[0].turns: a scenario needs at least one turn",
        ),
        (
            "scenarios:\n  - name: a\n    turns: [{user: hi}]\n  - name: a\n    turns: [{user: hi}]\n",
            ":4:11: scenarios[1].name: another scenario is named \"a\"",
        ),
    ];
    for (text, want) in cases {
        let file = scratch.path("bad.yaml");
        std::fs::write(&file, text).unwrap();
        let (output, _, stderr) = run(polyai(&mock, &scratch).args(["chat", "test"]).arg(&file));
        assert_eq!(output.status.code(), Some(2), "{stderr}");
        let first = stderr.lines().next().unwrap_or_default();
        assert!(
            first.starts_with(&format!("error: {}", file.display())),
            "{stderr}"
        );
        assert!(first.contains(want), "want {want:?} in {stderr}");
        common::assert_one_line_error(&stderr);
    }
    assert_eq!(mock.server.debug_chat_sessions(), 0, "nothing was sent");
}

#[test]
fn a_thousand_concurrent_scenarios_against_the_mock() {
    let mock = Mock::start(MockServer::builder());
    let scratch = Scratch::new();
    let mut text = String::from("scenarios:\n");
    for i in 0..1000 {
        text.push_str(&format!(
            "  - name: scenario {i}\n    turns:\n      - user: I'd like to book {i}\n        expect: {{ contains: which day, function: check_availability }}\n      - user: bye\n        expect: {{ ended: true }}\n"
        ));
    }
    let file = scratch.path("thousand.yaml");
    std::fs::write(&file, text).unwrap();
    let json = scratch.path("thousand.json");
    let (stdout, _) = ok(polyai(&mock, &scratch)
        .args(["chat", "test", "--concurrency", "1000"])
        .arg(&file)
        .arg("--json")
        .arg(&json));
    assert!(
        stdout.contains("1000 scenario(s): 1000 passed, 0 failed; 1000 run(s), 3000 turn(s)"),
        "{}",
        &stdout[stdout.len().saturating_sub(400)..]
    );
    let report = json_file(&json);
    assert_eq!(report["passed"], 1000);
    assert_eq!(mock.server.debug_chat_sessions(), 1000);
}

/// The agent's replies are printed without control characters: an escape sequence in a reply
/// (here echoed back by the mock agent) never reaches the terminal.
#[test]
fn agent_replies_carry_no_terminal_escapes() {
    let mock = Mock::start(MockServer::builder());
    let scratch = Scratch::new();
    let mut child = polyai(&mock, &scratch)
        .arg("chat")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("polyai starts");
    child
        .stdin
        .take()
        .expect("stdin")
        .write_all(b"hello \x1b[2J\x1b]0;owned\x07 there\n/history\n/quit\n")
        .unwrap();
    let output = child.wait_with_output().expect("polyai ends");
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(output.status.success(), "{stdout}");
    assert!(stdout.contains("You said:"), "{stdout:?}");
    assert!(
        stdout.contains("[2J"),
        "the text itself is kept: {stdout:?}"
    );
    assert!(
        !stdout.contains(['\x1b', '\x07']),
        "control characters reached stdout: {stdout:?}"
    );
}

#[test]
fn a_scripted_chat_stops_at_a_failed_turn_with_its_exit_code() {
    let plan = FaultPlan::new().rule(
        FaultRule::new(Fault::Status(404))
            .on(Route::SendDebugChat)
            .nth(1),
    );
    let mock = Mock::start(MockServer::builder().faults(plan));
    let scratch = Scratch::new();
    let mut child = polyai(&mock, &scratch)
        .arg("chat")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("polyai starts");
    child
        .stdin
        .take()
        .expect("stdin")
        .write_all(b"hello\nnever sent\n")
        .unwrap();
    let output = child.wait_with_output().expect("polyai ends");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(5), "{stderr}");
    common::assert_one_line_error(&stderr);
    let sends = mock
        .server
        .requests()
        .iter()
        .filter(|r| r.route == Some(Route::SendDebugChat))
        .count();
    assert_eq!(sends, 1, "the script stopped at the failed turn");
}
