//! `cargo xtask template-corpus [--check]`: the Go parity corpus of polyai-actions' template
//! engine (issue 12, point 6).
//!
//! The corpus lives in `polyai-actions/tests/corpus/`:
//! - `<group>.cases.json`: the cases, `{"group", "data"?, "cases": [{name, template, data?,
//!   missing_key}]}`, one case per line; a case without `data` renders over the group's `data`. The hand-written groups come from [`hand`] (one group per rule of Go's
//!   template semantics), the generated ones from [`generated`] (a seeded generator of templates
//!   inside PolyAI's subset crossed with JSON data full of edge cases). Both are deterministic.
//! - `<group>.go.json`: what Go's own `text/template` made of every case (the oracle,
//!   `polyai-actions/oracle`), one result per line.
//! - `floats.sha256` and `floats.sample.tsv`: the SHA-256 of [`FLOAT_COUNT`] PRNG floats printed
//!   by Go's `%v`, and the first [`FLOAT_SAMPLE`] of them in readable form.
//!
//! Write mode regenerates the cases, runs the oracle and writes everything; `--check` does the
//! same into memory and fails on any difference with the committed files. `cargo test -p
//! polyai-actions --test it go_parity` then compares the engine with the committed results and
//! needs no Go.

mod generated;
mod hand;

use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::Value;

/// Seed of the float check's PRNG (shared with `polyai-actions/tests/it/go_parity.rs`).
pub(crate) const FLOAT_SEED: u64 = 12;
/// How many floats the float check formats.
pub(crate) const FLOAT_COUNT: usize = 100_000;
/// How many of them are committed in readable form.
pub(crate) const FLOAT_SAMPLE: usize = 2_000;

/// Whether to write the corpus or compare it.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) enum Mode {
    Write,
    Check,
}

/// One case of the corpus: a template rendered over `data` (raw JSON text, so that a hand-written
/// number keeps its exact digits; `None`: the group's data) with one of Go's three `missingkey`
/// settings.
#[derive(Clone, Debug)]
pub(crate) struct Case {
    pub(crate) name: String,
    pub(crate) template: String,
    pub(crate) data: Option<String>,
    pub(crate) missing_key: &'static str,
}

/// Go's three `missingkey` settings, in the order cases are expanded.
pub(crate) const MODES: [&str; 3] = ["default", "zero", "error"];

/// A named group of cases, one file pair in the corpus, with the data of its cases that have
/// none of their own.
pub(crate) struct Group {
    pub(crate) name: String,
    pub(crate) data: Option<String>,
    pub(crate) cases: Vec<Case>,
}

/// Parses the command line of `template-corpus` and runs it.
pub(crate) fn run(args: &[String]) -> Result<(), String> {
    let mode = match args {
        [] => Mode::Write,
        [flag] if flag == "--check" => Mode::Check,
        _ => {
            return Err(format!(
                "usage: cargo xtask template-corpus [--check]; unexpected arguments {args:?}"
            ));
        }
    };
    let root = crate::workspace_root();
    let corpus = root.join("polyai-actions/tests/corpus");
    let mut groups = hand::groups();
    groups.extend(generated::groups());
    check_names(&groups)?;

    let oracle = build_oracle(&root)?;
    let scratch = target_dir(&root).join("template-corpus");
    std::fs::create_dir_all(&scratch).map_err(|e| format!("{}: {e}", scratch.display()))?;

    let mut drift = Vec::new();
    let mut cases_checked = 0usize;
    let mut differences = Vec::new();
    let mut go_versions = Vec::new();
    for group in &groups {
        let cases_text = cases_file(group);
        let cases_path = corpus.join(format!("{}.cases.json", group.name));
        let expected_path = corpus.join(format!("{}.go.json", group.name));
        let run_path = match mode {
            Mode::Write => {
                write(&cases_path, &cases_text)?;
                cases_path.clone()
            }
            Mode::Check => {
                if read_optional(&cases_path)?.as_deref() != Some(cases_text.as_str()) {
                    drift.push(format!(
                        "{} (the generator now writes something else)",
                        cases_path.display()
                    ));
                }
                let path = scratch.join(format!("{}.cases.json", group.name));
                write(&path, &cases_text)?;
                path
            }
        };
        let fresh = run_oracle_render(&oracle, &run_path)?;
        let go = fresh
            .get("go")
            .and_then(Value::as_str)
            .unwrap_or("?")
            .to_string();
        if !go_versions.contains(&go) {
            go_versions.push(go);
        }
        let results = results_of(&fresh, &run_path)?;
        if results.len() != group.cases.len() {
            return Err(format!(
                "the oracle returned {} results for {} cases of {}",
                results.len(),
                group.cases.len(),
                group.name
            ));
        }
        match mode {
            Mode::Write => write(&expected_path, &results_file(&group.name, &fresh, results))?,
            Mode::Check => {
                let committed = match read_optional(&expected_path)? {
                    Some(text) => serde_json::from_str::<Value>(&text)
                        .map_err(|e| format!("{}: {e}", expected_path.display()))?,
                    None => Value::Null,
                };
                let committed = committed
                    .get("results")
                    .and_then(Value::as_array)
                    .cloned()
                    .unwrap_or_default();
                for (case, result) in group.cases.iter().zip(results) {
                    cases_checked += 1;
                    let old = committed
                        .iter()
                        .find(|r| r.get("name").and_then(Value::as_str) == Some(&case.name));
                    if old != Some(result) {
                        differences.push((case.clone(), old.cloned(), result.clone()));
                    }
                }
            }
        }
        if mode == Mode::Write {
            cases_checked += group.cases.len();
        }
    }

    // Files of groups that no longer exist would still be read by the parity test.
    let known: Vec<String> = groups
        .iter()
        .flat_map(|g| {
            [
                format!("{}.cases.json", g.name),
                format!("{}.go.json", g.name),
            ]
        })
        .collect();
    for stale in corpus_files(&corpus)? {
        let file_name = stale
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        if !known.contains(&file_name) {
            match mode {
                Mode::Write => {
                    std::fs::remove_file(&stale).map_err(|e| format!("{}: {e}", stale.display()))?
                }
                Mode::Check => drift.push(format!(
                    "{} (no generator writes it any more)",
                    stale.display()
                )),
            }
        }
    }

    let floats = run_floats(&oracle, &corpus, mode)?;

    match mode {
        Mode::Write => {
            println!(
                "wrote {} cases in {} groups to {} (Go: {})",
                cases_checked,
                groups.len(),
                corpus.display(),
                go_versions.join(", ")
            );
            println!("wrote the hash of {FLOAT_COUNT} floats and a sample of {FLOAT_SAMPLE}");
            Ok(())
        }
        Mode::Check => {
            println!(
                "{cases_checked} cases checked against Go ({}), {} differences",
                go_versions.join(", "),
                differences.len()
            );
            for (case, old, new) in differences.iter().take(20) {
                println!(
                    "  {}: template {:?}, data {}, missing_key {}\n    committed: {}\n    Go now:    {}",
                    case.name,
                    case.template,
                    case.data.as_deref().unwrap_or("(the group's)"),
                    case.missing_key,
                    old.as_ref().map_or("(none)".to_string(), Value::to_string),
                    new
                );
            }
            println!(
                "{FLOAT_COUNT} floats checked, {} differences{}",
                floats.0, floats.1
            );
            for path in &drift {
                println!("  stale: {path}");
            }
            if differences.is_empty() && drift.is_empty() && floats.0 == 0 {
                Ok(())
            } else {
                Err(
                    "the committed corpus differs from Go's results; run `cargo xtask \
                     template-corpus` and review the diff"
                        .to_string(),
                )
            }
        }
    }
}

/// Case names must be unique across the corpus (the parity test reports them).
fn check_names(groups: &[Group]) -> Result<(), String> {
    let mut names: Vec<&str> = groups
        .iter()
        .flat_map(|g| g.cases.iter().map(|c| c.name.as_str()))
        .collect();
    names.sort_unstable();
    for pair in names.windows(2) {
        if pair[0] == pair[1] {
            return Err(format!(
                "two corpus cases are named {:?} (same group, template and data?)",
                pair[0]
            ));
        }
    }
    for group in groups {
        for case in &group.cases {
            let data =
                case.data.as_ref().or(group.data.as_ref()).ok_or_else(|| {
                    format!("case {} has no data and its group has none", case.name)
                })?;
            serde_json::from_str::<Value>(data)
                .map_err(|e| format!("case {}: data is not JSON: {e}", case.name))?;
        }
    }
    Ok(())
}

/// The cases file: the group's name and data, then one case per line (readable diffs). A case
/// without `data` renders over the group's `data`.
fn cases_file(group: &Group) -> String {
    let mut out = format!("{{\"group\": {},\n", json_string(&group.name));
    if let Some(data) = &group.data {
        let _ = writeln!(out, "\"data\": {data},");
    }
    out.push_str("\"cases\": [\n");
    for (i, case) in group.cases.iter().enumerate() {
        let data = case
            .data
            .as_ref()
            .map(|d| format!(", \"data\": {d}"))
            .unwrap_or_default();
        let _ = writeln!(
            out,
            "{{\"name\": {}, \"template\": {}{data}, \"missing_key\": {}}}{}",
            json_string(&case.name),
            json_string(&case.template),
            json_string(case.missing_key),
            if i + 1 == group.cases.len() { "" } else { "," }
        );
    }
    out.push_str("]}\n");
    out
}

/// The expected-results file, in the same one-per-line shape.
fn results_file(group: &str, fresh: &Value, results: &[Value]) -> String {
    let go = fresh.get("go").cloned().unwrap_or(Value::Null);
    let mut out = format!(
        "{{\"group\": {}, \"go\": {}, \"results\": [\n",
        json_string(group),
        go
    );
    for (i, result) in results.iter().enumerate() {
        out.push_str(&result.to_string());
        out.push_str(if i + 1 == results.len() { "\n" } else { ",\n" });
    }
    out.push_str("]}\n");
    out
}

fn results_of<'a>(fresh: &'a Value, path: &Path) -> Result<&'a Vec<Value>, String> {
    fresh
        .get("results")
        .and_then(Value::as_array)
        .ok_or_else(|| format!("the oracle wrote no results for {}", path.display()))
}

fn json_string(s: &str) -> String {
    Value::String(s.to_string()).to_string()
}

fn write(path: &Path, text: &str) -> Result<(), String> {
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    }
    std::fs::write(path, text).map_err(|e| format!("{}: {e}", path.display()))
}

fn read_optional(path: &Path) -> Result<Option<String>, String> {
    match std::fs::read_to_string(path) {
        Ok(text) => Ok(Some(text)),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(format!("{}: {e}", path.display())),
    }
}

/// The `*.cases.json` and `*.go.json` files in the corpus directory.
fn corpus_files(corpus: &Path) -> Result<Vec<PathBuf>, String> {
    let entries = match std::fs::read_dir(corpus) {
        Ok(entries) => entries,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(e) => return Err(format!("{}: {e}", corpus.display())),
    };
    let mut files = Vec::new();
    for entry in entries {
        let path = entry
            .map_err(|e| format!("{}: {e}", corpus.display()))?
            .path();
        let name = path.to_string_lossy();
        if name.ends_with(".cases.json") || name.ends_with(".go.json") {
            files.push(path);
        }
    }
    files.sort();
    Ok(files)
}

fn target_dir(root: &Path) -> PathBuf {
    std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| root.join("target"))
}

/// Builds the Go oracle once (`go build`), into the target directory. Also used by the
/// benchmark suite (Go's `text/template` beside ours).
pub(crate) fn build_oracle(root: &Path) -> Result<PathBuf, String> {
    let source = root.join("polyai-actions/oracle");
    let binary = target_dir(root).join("template-corpus/polyai-actions-oracle");
    let status = Command::new("go")
        .args(["build", "-o"])
        .arg(&binary)
        .arg(".")
        .current_dir(&source)
        // Standard library only: never fetch a toolchain or a module.
        .env("GOTOOLCHAIN", "local")
        .env("GOPROXY", "off")
        .status()
        .map_err(|e| {
            format!(
                "cannot run `go` ({e}); install Go (Debian: apt-get install golang-go) to \
                 regenerate or check the corpus"
            )
        })?;
    if !status.success() {
        return Err(format!("`go build` of {} failed", source.display()));
    }
    Ok(binary)
}

fn run_oracle(oracle: &Path, args: &[&str]) -> Result<String, String> {
    let output = Command::new(oracle)
        .args(args)
        .output()
        .map_err(|e| format!("{}: {e}", oracle.display()))?;
    if !output.status.success() {
        return Err(format!(
            "the oracle failed ({args:?}): {}",
            String::from_utf8_lossy(&output.stderr)
        ));
    }
    String::from_utf8(output.stdout).map_err(|e| format!("the oracle wrote non-UTF-8: {e}"))
}

fn run_oracle_render(oracle: &Path, cases: &Path) -> Result<Value, String> {
    let path = cases.to_string_lossy();
    let text = run_oracle(oracle, &["render", &path])?;
    serde_json::from_str(&text).map_err(|e| format!("the oracle's output for {path}: {e}"))
}

/// Runs the oracle's float mode; writes or compares `floats.sha256` and `floats.sample.tsv`.
/// Returns the number of differences and a note for the report (the sample is compared line by
/// line; a hash that differs while the sample agrees counts as one difference beyond it).
fn run_floats(oracle: &Path, corpus: &Path, mode: Mode) -> Result<(usize, String), String> {
    let text = run_oracle(
        oracle,
        &[
            "floats",
            "--seed",
            &FLOAT_SEED.to_string(),
            "--count",
            &FLOAT_COUNT.to_string(),
            "--sample",
            &FLOAT_SAMPLE.to_string(),
        ],
    )?;
    let (hash, sample) = text
        .split_once('\n')
        .ok_or("the oracle's float output has no hash line")?;
    let hash_path = corpus.join("floats.sha256");
    let sample_path = corpus.join("floats.sample.tsv");
    match mode {
        Mode::Write => {
            write(&hash_path, &format!("{hash}\n"))?;
            write(&sample_path, sample)?;
            Ok((0, String::new()))
        }
        Mode::Check => {
            let committed_hash = read_optional(&hash_path)?.unwrap_or_default();
            let committed_sample = read_optional(&sample_path)?.unwrap_or_default();
            let mut differences = sample
                .lines()
                .zip(committed_sample.lines())
                .filter(|(a, b)| a != b)
                .count();
            differences += sample
                .lines()
                .count()
                .abs_diff(committed_sample.lines().count());
            if committed_hash.trim() != hash.trim() {
                let note = format!(
                    " (hash {} differs from the committed {:?})",
                    hash.trim(),
                    committed_hash.trim()
                );
                return Ok((differences.max(1), note));
            }
            Ok((0, String::new()))
        }
    }
}

/// splitmix64, the PRNG of the generated cases.
pub(crate) struct Rng(u64);

impl Rng {
    pub(crate) fn new(seed: u64) -> Rng {
        Rng(seed)
    }

    pub(crate) fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    /// A number in `0..n` (n > 0).
    pub(crate) fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }

    /// True with probability `percent`/100.
    pub(crate) fn chance(&mut self, percent: usize) -> bool {
        self.below(100) < percent
    }

    pub(crate) fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len())]
    }
}

/// FNV-1a (64 bits): stable short names for hand-written cases.
pub(crate) fn fnv1a(parts: &[&str]) -> u64 {
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for part in parts {
        for byte in part.bytes().chain(std::iter::once(0)) {
            hash ^= u64::from(byte);
            hash = hash.wrapping_mul(0x0100_0000_01b3);
        }
    }
    hash
}
