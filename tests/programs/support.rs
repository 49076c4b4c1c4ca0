//! Building and running the example programs.

use std::collections::HashMap;
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

use polyai_mock::MockServer;

/// The workspace root (this crate lives in `tests/`).
fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("the tests crate is in the workspace")
        .to_path_buf()
}

/// Builds every example once per test process and returns the path of `name`'s program.
pub fn example(name: &str) -> PathBuf {
    static BUILT: OnceLock<HashMap<String, PathBuf>> = OnceLock::new();
    let built = BUILT.get_or_init(|| {
        let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".to_owned());
        let output = Command::new(cargo)
            .current_dir(workspace_root())
            .args(["build", "--quiet", "--message-format=json"])
            // The whole workspace, as `cargo test --workspace` selects it: the same feature
            // set, so the examples that run already built are reused instead of built again
            // (and stored twice).
            .args(["--workspace", "--examples"])
            .stderr(Stdio::inherit())
            .output()
            .expect("cargo runs");
        assert!(output.status.success(), "building the examples failed");
        let mut programs = HashMap::new();
        for line in String::from_utf8_lossy(&output.stdout).lines() {
            let Ok(message) = serde_json::from_str::<serde_json::Value>(line) else {
                continue;
            };
            if let (Some(name), Some(path)) = (
                message["target"]["name"].as_str(),
                message["executable"].as_str(),
            ) {
                programs.insert(name.to_owned(), PathBuf::from(path));
            }
        }
        programs
    });
    built
        .get(name)
        .unwrap_or_else(|| panic!("cargo built no example named {name}"))
        .clone()
}

/// A command for the example `name`, pointed at `mock` through the variables the examples
/// read with a real API key (so the mock outlives the program and can be inspected).
pub fn command(name: &str, mock: &MockServer, dir: &Path) -> Command {
    let mut command = Command::new(example(name));
    command
        .current_dir(dir)
        .env_remove("POLYAI_EXAMPLES_MOCK_PORT")
        .env_remove("POLYAI_EXAMPLES_PROXY_URL")
        .env_remove("POLYAI_WEBHOOK_SECRET")
        .env_remove("POLYAI_AGENTS_BASE_URL")
        .env_remove("POLYAI_PLATFORM_BASE_URL")
        .env_remove("POLYAI_REGION")
        .env("POLYAI_API_KEY", mock.api_key())
        .env("POLYAI_BASE_URL", mock.base_url())
        .env("POLYAI_ACCOUNT_ID", mock.account_id())
        .env("POLYAI_PROJECT_ID", mock.project_id())
        .env("POLYAI_AGENT_ID", mock.agent_id())
        .stdin(Stdio::null());
    command
}

/// Runs to the end (at most 5 minutes) and returns stdout; fails on a non-zero exit.
pub fn run(mut command: Command) -> String {
    let output = wait_with_deadline(
        command
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("the example starts"),
    );
    let stdout = String::from_utf8_lossy(&output.stdout).into_owned();
    assert!(
        output.status.success(),
        "{:?} failed ({}):\n{stdout}\n{}",
        command.get_program(),
        output.status,
        String::from_utf8_lossy(&output.stderr)
    );
    stdout
}

/// Waits for the program (at most 5 minutes, then it is killed), reading its output as it
/// comes so that a full pipe never blocks it.
fn wait_with_deadline(mut child: Child) -> Output {
    use std::io::Read;
    let drain = |pipe: Option<Box<dyn Read + Send>>| {
        std::thread::spawn(move || {
            let mut bytes = Vec::new();
            if let Some(mut pipe) = pipe {
                let _ = pipe.read_to_end(&mut bytes);
            }
            bytes
        })
    };
    let stdout = drain(
        child
            .stdout
            .take()
            .map(|p| Box::new(p) as Box<dyn Read + Send>),
    );
    let stderr = drain(
        child
            .stderr
            .take()
            .map(|p| Box::new(p) as Box<dyn Read + Send>),
    );
    let deadline = Instant::now() + Duration::from_secs(300);
    let status = loop {
        if let Some(status) = child.try_wait().expect("waiting") {
            break status;
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            panic!("the example ran for more than 5 minutes");
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    Output {
        status,
        stdout: stdout.join().unwrap_or_default(),
        stderr: stderr.join().unwrap_or_default(),
    }
}

/// Starts the program and kills it (SIGKILL: no destructor, no flush runs) once `ready`
/// holds, checking it after every line the program prints and every 10 ms; returns the lines
/// it printed. Fails if the program ends before.
pub fn kill_when(mut command: Command, mut ready: impl FnMut(&[String]) -> bool) -> Vec<String> {
    let mut child = command
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("the example starts");
    let stdout = child.stdout.take().expect("piped");
    let (lines_tx, lines_rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines() {
            if lines_tx.send(line.unwrap_or_default()).is_err() {
                break;
            }
        }
    });
    let deadline = Instant::now() + Duration::from_secs(120);
    let mut lines = Vec::new();
    loop {
        match lines_rx.recv_timeout(Duration::from_millis(10)) {
            Ok(line) => lines.push(line),
            Err(std::sync::mpsc::RecvTimeoutError::Timeout) => {}
            Err(std::sync::mpsc::RecvTimeoutError::Disconnected) => {
                let status = child.wait().expect("waiting");
                panic!("the example ended ({status}) before it was killed:\n{lines:#?}");
            }
        }
        if ready(&lines) {
            child.kill().expect("SIGKILL");
            let status = child.wait().expect("waiting");
            assert!(!status.success(), "killed, not finished");
            return lines;
        }
        assert!(
            Instant::now() < deadline,
            "the example never got there: {lines:#?}"
        );
    }
}
