//! Helpers of the CLI tests: an embedded mock on 127.0.0.1 and the real `polyai` binary,
//! run with an environment that points at it and nothing else.

#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use polyai_mock::{MockServer, MockServerBuilder};

/// A mock served by its own runtime, so that tests can run the binary synchronously.
pub struct Mock {
    pub server: MockServer,
    _runtime: tokio::runtime::Runtime,
}

impl Mock {
    pub fn start(builder: MockServerBuilder) -> Mock {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .expect("a runtime");
        let server = runtime.block_on(builder.start());
        Mock {
            server,
            _runtime: runtime,
        }
    }

    /// Runs a future on the mock's runtime (for set-up through the SDK).
    pub fn block_on<F: std::future::Future>(&self, future: F) -> F::Output {
        self._runtime.block_on(future)
    }

    /// An SDK client pointed at the mock.
    pub fn client(&self) -> polyai_sdk::Client {
        polyai_sdk::Client::builder()
            .api_key(self.server.api_key())
            .base_url(self.server.base_url())
            .build()
            .expect("a client")
    }

    /// The data window of the mock as `--since`/`--until` arguments.
    pub fn window_args(&self) -> [String; 4] {
        let (start, end) = self.server.time_window();
        [
            "--since".into(),
            polyai_sdk::Timestamp::from(start).to_string(),
            "--until".into(),
            // One millisecond past the newest conversation would do; a minute is plenty.
            polyai_sdk::Timestamp::from(end + std::time::Duration::from_secs(60)).to_string(),
        ]
    }
}

/// A scratch folder with the config file path inside it.
pub struct Scratch {
    pub dir: tempfile::TempDir,
}

impl Scratch {
    pub fn new() -> Scratch {
        Scratch {
            dir: tempfile::tempdir().expect("a temporary folder"),
        }
    }
    pub fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }
    pub fn config(&self) -> PathBuf {
        self.path("config/polyai/config.json")
    }
}

/// `polyai` with a clean environment: only PATH, HOME (the scratch folder), NO_COLOR and
/// POLYAI_CONFIG; nothing pointing at a real PolyAI.
pub fn bare(scratch: &Scratch) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_polyai"));
    command
        .env_clear()
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .env("HOME", scratch.dir.path())
        .env("NO_COLOR", "1")
        .env("POLYAI_CONFIG", scratch.config())
        .current_dir(scratch.dir.path());
    command
}

/// `polyai` pointed at the mock through the environment.
pub fn polyai(mock: &Mock, scratch: &Scratch) -> Command {
    let mut command = bare(scratch);
    command
        .env("POLYAI_BASE_URL", mock.server.base_url())
        .env("POLYAI_API_KEY", mock.server.api_key())
        .env("POLYAI_ACCOUNT_ID", mock.server.account_id())
        .env("POLYAI_PROJECT_ID", mock.server.project_id())
        .env("POLYAI_AGENT_ID", mock.server.agent_id());
    command
}

/// Runs the command and returns its output, with stdout and stderr as text.
pub fn run(command: &mut Command) -> (Output, String, String) {
    let output = command.output().expect("the polyai binary runs");
    let stdout = String::from_utf8_lossy(&output.stdout).into_owned();
    let stderr = String::from_utf8_lossy(&output.stderr).into_owned();
    (output, stdout, stderr)
}

/// Runs the command, which must succeed; returns stdout and stderr.
pub fn ok(command: &mut Command) -> (String, String) {
    let (output, stdout, stderr) = run(command);
    assert!(
        output.status.success(),
        "polyai failed with {:?}\nstdout: {stdout}\nstderr: {stderr}",
        output.status
    );
    (stdout, stderr)
}

/// The ids of a JSON Lines file (gzip is detected).
pub fn ids_of(path: &Path) -> Vec<String> {
    use std::io::Read;
    let bytes = std::fs::read(path).expect("the output exists");
    let mut text = String::new();
    if bytes.starts_with(&[0x1f, 0x8b]) {
        flate2::read::MultiGzDecoder::new(&bytes[..])
            .read_to_string(&mut text)
            .expect("valid gzip");
    } else {
        text = String::from_utf8(bytes).expect("UTF-8");
    }
    text.lines()
        .map(|line| {
            let value: serde_json::Value =
                serde_json::from_str(line).unwrap_or_else(|e| panic!("{line:?}: {e}"));
            value["id"].as_str().expect("an id").to_string()
        })
        .collect()
}

/// Checks the error output convention: an `error:` line, a `hint:` line, nothing else, and no
/// Rust Debug dump.
pub fn assert_one_line_error(stderr: &str) {
    let lines: Vec<&str> = stderr.lines().collect();
    assert_eq!(
        lines.len(),
        2,
        "one error line and one hint line: {stderr:?}"
    );
    assert!(lines[0].starts_with("error: "), "{stderr:?}");
    assert!(lines[1].starts_with("hint: "), "{stderr:?}");
    for debug in [
        "Api(",
        "ApiError {",
        "Listing {",
        "InvalidInput(",
        "Os {",
        "kind:",
    ] {
        assert!(!stderr.contains(debug), "a Debug dump in {stderr:?}");
    }
}

/// A child process that is killed when the guard is dropped (a failing test leaves nothing
/// running behind it).
pub struct Running(Option<std::process::Child>);

impl Running {
    pub fn new(child: std::process::Child) -> Running {
        Running(Some(child))
    }
    pub fn child(&mut self) -> &mut std::process::Child {
        self.0.as_mut().expect("the child is there until consumed")
    }
    /// Waits for the child to end by itself and returns its output.
    pub fn wait_with_output(mut self) -> Output {
        self.0
            .take()
            .expect("the child is there until consumed")
            .wait_with_output()
            .expect("the child ends")
    }
    /// Kills the child (SIGKILL on Unix) and reaps it.
    pub fn kill(mut self) {
        if let Some(mut child) = self.0.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

impl Drop for Running {
    fn drop(&mut self) {
        if let Some(child) = self.0.as_mut() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

/// `http://127.0.0.1:PORT` where nothing listens (a port bound, then released).
pub fn dead_url() -> String {
    let closed = std::net::TcpListener::bind("127.0.0.1:0").expect("a free port");
    let url = format!("http://{}", closed.local_addr().expect("its address"));
    drop(closed);
    url
}

/// The permission bits of a file.
#[cfg(unix)]
pub fn mode(path: &Path) -> u32 {
    use std::os::unix::fs::PermissionsExt;
    std::fs::metadata(path)
        .expect("the file exists")
        .permissions()
        .mode()
        & 0o777
}

/// The webhook endpoint id (`whe_...`) that `webhooks endpoints create` names on stderr.
pub fn endpoint_id_in(stderr: &str) -> String {
    stderr
        .split_whitespace()
        .find(|w| w.starts_with("whe_"))
        .unwrap_or_else(|| panic!("an endpoint id in {stderr}"))
        .to_string()
}

/// A JSON file (a report, a checkpoint), parsed.
pub fn json_file(path: &Path) -> serde_json::Value {
    let text = std::fs::read_to_string(path).expect("the file exists");
    serde_json::from_str(&text).expect("the file is JSON")
}
