//! The CLI's one error type: a message, a hint saying what to do, and the exit code.
//!
//! Errors are printed as one `error:` line and, when there is one, one `hint:` line; never as a
//! Rust `Debug` dump. The exit codes are documented in `polyai --help` and the README.

use std::fmt;

/// Exit codes of `polyai`.
pub mod exit {
    /// Everything worked.
    pub const SUCCESS: u8 = 0;
    /// The operation failed (an API error, a local file error, some downloads failed).
    pub const FAILURE: u8 = 1;
    /// The command line or an input value is wrong (clap uses 2 too).
    pub const USAGE: u8 = 2;
    /// The configuration is missing or unsafe (no API key, no region, a key file readable by
    /// others).
    pub const CONFIG: u8 = 3;
    /// PolyAI refused the credentials (401) or the permission (403).
    pub const AUTH: u8 = 4;
    /// What was asked for does not exist (404).
    pub const NOT_FOUND: u8 = 5;
    /// PolyAI was unavailable, rate limiting or unreachable after the SDK's retries; rerunning
    /// later may work (exports and downloads resume where they stopped).
    pub const UNAVAILABLE: u8 = 6;
}

/// A failure of a command: what went wrong, what to do about it, and the exit code.
#[derive(Debug)]
pub struct CliError {
    /// What went wrong, in one line.
    pub message: String,
    /// What to do about it, when there is something to say.
    pub hint: Option<String>,
    /// The process exit code (see [`exit`]).
    pub code: u8,
}

impl CliError {
    /// A failure with exit code [`exit::FAILURE`].
    pub fn failure(message: impl Into<String>) -> Self {
        CliError {
            message: message.into(),
            hint: None,
            code: exit::FAILURE,
        }
    }

    /// A wrong input value (exit code [`exit::USAGE`]).
    pub fn usage(message: impl Into<String>) -> Self {
        CliError {
            code: exit::USAGE,
            ..CliError::failure(message)
        }
    }

    /// A missing or unsafe configuration (exit code [`exit::CONFIG`]).
    pub fn config(message: impl Into<String>) -> Self {
        CliError {
            code: exit::CONFIG,
            ..CliError::failure(message)
        }
    }

    /// Adds the hint line.
    pub fn hint(mut self, hint: impl Into<String>) -> Self {
        self.hint = Some(hint.into());
        self
    }

    /// A local file operation that failed.
    pub fn io(what: impl fmt::Display, error: std::io::Error) -> Self {
        CliError::failure(format!("{what}: {error}"))
    }
}

impl fmt::Display for CliError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&one_line(&self.message))
    }
}

/// Folds a message onto one line, with no control character left in it.
pub fn one_line(text: &str) -> String {
    // Control characters other than whitespace (ESC, C1 controls such as U+009B) become spaces
    // too: messages can quote what a peer sent, and must not drive the user's terminal.
    crate::output::sanitize(text)
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
}

impl From<polyai_sdk::Error> for CliError {
    fn from(error: polyai_sdk::Error) -> Self {
        use polyai_sdk::Error as E;
        // A listing's error names the SDK's resume mechanism; the CLI resumes by itself (an
        // export from its checkpoint), so the cause is what the user needs.
        let message = error.underlying().to_string();
        let status = error.status().map(|s| s.as_u16());
        let (code, hint) = match (error.underlying(), status) {
            (_, Some(401)) => (
                exit::AUTH,
                "PolyAI refused the API key: check POLYAI_API_KEY (or the profile's stored key) \
                 and that the key belongs to this region (--region)",
            ),
            (_, Some(403)) => (
                exit::AUTH,
                "the API key may not do this: check that it belongs to this account and project",
            ),
            (E::NotFound(_), _) => (
                exit::NOT_FOUND,
                "check the ids (--account, --project, --agent) and the region",
            ),
            (E::RateLimited { .. }, _) => (
                exit::UNAVAILABLE,
                "PolyAI is rate limiting this key: wait and run the command again",
            ),
            (E::Timeout { .. } | E::Transport(_), _) => (
                exit::UNAVAILABLE,
                "PolyAI could not be reached: check the network, the region and any base-URL \
                 override (POLYAI_BASE_URL), then run the command again",
            ),
            (E::InvalidInput(_), _) => (exit::USAGE, "fix the value named above; nothing was sent"),
            (_, Some(s)) if s >= 500 => (
                exit::UNAVAILABLE,
                "PolyAI failed on its side: run the command again later",
            ),
            _ => (exit::FAILURE, "run with --verbose to see the requests"),
        };
        CliError {
            message,
            hint: Some(hint.to_string()),
            code,
        }
    }
}

/// The result type of the CLI's commands.
pub type CliResult<T = ()> = Result<T, CliError>;

/// The body of a generated SDK call's answer, or its [`polyai_sdk::Error`] as a [`CliError`].
/// Every generated operation the CLI uses goes through here.
pub async fn call<T>(
    result: Result<polyai_sdk::ResponseValue<T>, polyai_sdk::Error>,
) -> CliResult<T> {
    result
        .map(polyai_sdk::ResponseValue::into_inner)
        .map_err(CliError::from)
}

/// The error of a write to standard output. A closed pipe (`polyai ... | head`) is not a
/// failure: it ends the command quietly with status 0.
pub fn stdout_write(error: std::io::Error) -> CliError {
    if error.kind() == std::io::ErrorKind::BrokenPipe {
        return CliError {
            code: exit::SUCCESS,
            ..CliError::failure("standard output was closed")
        };
    }
    CliError::io("cannot write to standard output", error)
}

/// The error of JSON written straight to standard output (see [`stdout_write`]).
pub fn stdout_json(error: serde_json::Error) -> CliError {
    match error.io_error_kind() {
        Some(kind) => stdout_write(std::io::Error::from(kind)),
        None => CliError::failure(format!("cannot encode the output: {error}")),
    }
}

#[cfg(test)]
mod tests {
    use super::one_line;

    #[test]
    fn one_line_folds_whitespace_and_drops_terminal_controls() {
        assert_eq!(one_line("a\n  b\tc"), "a b c");
        // ESC sequences and an 8-bit CSI a peer could quote into a message.
        let folded = one_line("bad header \u{1b}[31mred\u{1b}[0m and \u{9b}2J");
        assert!(!folded.chars().any(char::is_control), "{folded:?}");
        assert_eq!(folded, "bad header [31mred [0m and 2J");
    }
}
