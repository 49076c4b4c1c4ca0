//! Project automation for polyai-rs.
//!
//! ```text
//! cargo xtask generate           regenerate polyai-sdk/src/generated/ from openapi/*.yaml
//! cargo xtask generate --check   fail (exit 1) if the committed code differs from a fresh run
//! cargo xtask coverage           table of PolyAI's reference operations against openapi/*.yaml
//! cargo xtask bench [--quick]    benchmarks against polyai-mock; writes BENCHMARKS.md
//! cargo xtask contract           the examples and every operation through Stoplight Prism
//! cargo xtask template-corpus [--check]  polyai-actions' Go parity corpus, rendered by Go
//! ```

mod bench;
mod contract;
mod coverage;
mod generate;
mod generate_cli;
mod template_corpus;

use std::process::ExitCode;

const USAGE: &str = "\
usage: cargo xtask <command>

commands:
  generate [--check]   generate polyai-sdk/src/generated/ from openapi/*.yaml;
                       with --check, compare instead of writing and fail on drift
  coverage             list every operation of PolyAI's reference documents and how
                       openapi/*.yaml covers it; fail if one is unaccounted for
  bench [--quick]      run polyai-bench against polyai-mock (a separate, pinned process),
                       print medians and ratios and write them into BENCHMARKS.md
                       (`cargo xtask bench --help` for the options)
  contract             run the examples and a request of every SDK operation through
                       Stoplight Prism (PolyAI's published documents, proxy mode) in front
                       of polyai-mock; fail on request violations (`--help` for options)
  template-corpus [--check]
                       regenerate polyai-actions/tests/corpus/ and Go's results for it
                       (needs Go); with --check, compare and fail on any difference
";

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let result = match args.first().map(String::as_str) {
        Some("generate") => match &args[1..] {
            [] => generate::run(generate::Mode::Write),
            [flag] if flag == "--check" => generate::run(generate::Mode::Check),
            _ => Err(format!(
                "unexpected arguments to generate: {:?}\n\n{USAGE}",
                &args[1..]
            )),
        },
        Some("coverage") => coverage::run(),
        Some("bench") => bench::run(&args[1..]),
        Some("contract") => contract::run(&args[1..]),
        Some("template-corpus") => template_corpus::run(&args[1..]),
        Some("-h" | "--help" | "help") | None => {
            print!("{USAGE}");
            return ExitCode::SUCCESS;
        }
        Some(other) => Err(format!("unknown command `{other}`\n\n{USAGE}")),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("error: {message}");
            ExitCode::FAILURE
        }
    }
}

/// The workspace root (the parent of this crate's manifest directory).
pub(crate) fn workspace_root() -> std::path::PathBuf {
    let manifest = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    manifest.parent().unwrap_or(manifest).to_path_buf()
}
