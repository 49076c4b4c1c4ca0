//! Confirmation before anything that changes live configuration.

use std::io::{BufRead, IsTerminal};

use crate::error::{CliError, CliResult};

/// Asks `question` on a terminal (yes only on `y` or `yes`); without a terminal, refuses
/// unless `--yes` was given, so that a script never changes something by accident.
pub fn confirm(question: &str, yes: bool) -> CliResult {
    if yes {
        return Ok(());
    }
    let stdin = std::io::stdin();
    if !stdin.is_terminal() {
        return Err(CliError::usage(format!(
            "{question}: not confirmed (standard input is not a terminal)"
        ))
        .hint("pass --yes to confirm from a script"));
    }
    eprint!("{question} [y/N] ");
    let mut answer = String::new();
    stdin
        .lock()
        .read_line(&mut answer)
        .map_err(|e| CliError::io("cannot read the answer", e))?;
    match answer.trim().to_ascii_lowercase().as_str() {
        "y" | "yes" => Ok(()),
        _ => Err(CliError::failure("cancelled; nothing was changed")),
    }
}
