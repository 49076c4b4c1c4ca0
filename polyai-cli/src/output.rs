//! Terminal detection, colour, and progress reporting (a bar on a terminal, plain log lines
//! otherwise).

use std::io::IsTerminal;
use std::time::{Duration, Instant};

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

/// Whether `NO_COLOR` asks for no colour (any non-empty value, as no-color.org says).
pub fn no_color() -> bool {
    std::env::var_os("NO_COLOR").is_some_and(|v| !v.is_empty())
}

/// Whether standard error is a terminal that takes colour.
pub fn stderr_color() -> bool {
    std::io::stderr().is_terminal()
        && !no_color()
        && std::env::var("TERM").map_or(true, |t| t != "dumb")
}

/// Whether standard output is a terminal.
pub fn stdout_is_terminal() -> bool {
    std::io::stdout().is_terminal()
}

/// Whether standard error is a terminal (progress bars go there).
pub fn stderr_is_terminal() -> bool {
    std::io::stderr().is_terminal() && std::env::var("TERM").map_or(true, |t| t != "dumb")
}

/// `text` safe to show on a terminal: every control character (escape sequences start with
/// ESC; also CR, BEL, backspace, newlines) becomes a space, so that text PolyAI, an agent or a
/// webhook sender chose cannot move the cursor, rewrite lines or change the terminal's state.
pub fn sanitize(text: &str) -> String {
    text.chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect()
}

/// Prints the error and hint lines on stderr.
pub fn print_error(message: &str, hint: Option<&str>) {
    let (red, yellow, reset) = if stderr_color() {
        ("\x1b[1;31m", "\x1b[33m", "\x1b[0m")
    } else {
        ("", "", "")
    };
    eprintln!("{red}error:{reset} {}", crate::error::one_line(message));
    if let Some(hint) = hint {
        eprintln!("{yellow}hint:{reset} {}", crate::error::one_line(hint));
    }
}

/// Reports the progress of a long operation: an indicatif bar when stderr is a terminal,
/// otherwise a log line at most every `interval` (and one at the end).
pub struct Progress {
    bar: Option<ProgressBar>,
    started: Instant,
    last_line: Instant,
    interval: Duration,
}

impl Progress {
    /// A progress report over `length` units, drawn with `template` on a terminal.
    pub fn new(length: u64, template: &str) -> Progress {
        let bar = stderr_is_terminal().then(|| {
            let bar = ProgressBar::with_draw_target(Some(length), ProgressDrawTarget::stderr());
            let style = ProgressStyle::with_template(template)
                .unwrap_or_else(|_| ProgressStyle::default_bar())
                .progress_chars("=> ");
            bar.set_style(style);
            bar
        });
        let now = Instant::now();
        Progress {
            bar,
            started: now,
            last_line: now,
            interval: Duration::from_secs(2),
        }
    }

    /// Seconds since the start, at least a millisecond.
    pub fn elapsed_secs(&self) -> f64 {
        self.started.elapsed().as_secs_f64().max(0.001)
    }

    /// Sets the bar's position and message; without a terminal, prints `line()` when the
    /// interval has passed.
    pub fn update(&mut self, position: u64, message: String, line: impl FnOnce() -> String) {
        match &self.bar {
            Some(bar) => {
                bar.set_position(position);
                bar.set_message(message);
            }
            None => {
                if self.last_line.elapsed() >= self.interval {
                    self.last_line = Instant::now();
                    eprintln!("{}", line());
                }
            }
        }
    }

    /// Prints a line above the bar (or as is, without a terminal).
    pub fn println(&self, line: &str) {
        match &self.bar {
            Some(bar) => bar.println(line),
            None => eprintln!("{line}"),
        }
    }

    /// Ends the report: clears the bar and prints the summary line.
    pub fn finish(self, summary: &str) {
        if let Some(bar) = &self.bar {
            bar.finish_and_clear();
        }
        eprintln!("{summary}");
    }
}

/// Bytes as a short human figure (KiB, MiB, GiB).
pub fn bytes(n: u64) -> String {
    const UNITS: [&str; 4] = ["B", "KiB", "MiB", "GiB"];
    let mut value = n as f64;
    let mut unit = 0;
    while value >= 1024.0 && unit < UNITS.len() - 1 {
        value /= 1024.0;
        unit += 1;
    }
    if unit == 0 {
        format!("{n} B")
    } else {
        format!("{value:.1} {}", UNITS[unit])
    }
}
