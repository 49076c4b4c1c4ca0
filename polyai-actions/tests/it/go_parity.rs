//! Go parity, by differential testing (issue 12, point 6): every case of the committed corpus
//! (`tests/corpus/`, rendered by Go's own `text/template` through `oracle/`) is rendered by our
//! engine under the same `missingkey` mode, and the bytes (or the class of error) must be Go's.
//! Then 100,000 PRNG floats, printed by the engine, must hash to what Go's `%v` printed.
//!
//! Needs no Go: `cargo xtask template-corpus` regenerates the corpus and Go's results, and
//! `cargo xtask template-corpus --check` (CI) proves the committed results are still Go's.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use polyai_actions::template::{MissingKey, RenderOptions, Template, TemplateError};
use serde_json::Value;
use sha2::{Digest, Sha256};

/// How many differences are listed in full.
const SHOWN: usize = 20;

fn corpus_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/corpus")
}

fn read_json(path: &Path) -> Value {
    let text = std::fs::read_to_string(path)
        .unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{} is not JSON: {e}", path.display()))
}

fn text<'a>(value: &'a Value, key: &str) -> &'a str {
    value
        .get(key)
        .and_then(Value::as_str)
        .unwrap_or_else(|| panic!("corpus entry without a string {key:?}: {value}"))
}

/// Our result of one case, in the shape of Go's recorded result.
enum Ours {
    Output(String),
    Error(TemplateError),
}

fn render(template: &str, data: &Value, missing_key: &str) -> Ours {
    let mut options = RenderOptions::default();
    options.missing_key = match missing_key {
        "default" => MissingKey::GoDefault,
        "zero" => MissingKey::Zero,
        "error" => MissingKey::Error,
        other => panic!("unknown missing_key {other:?} in the corpus"),
    };
    match Template::parse(template).and_then(|t| t.render(data, &options)) {
        Ok(output) => Ours::Output(output),
        Err(error) => Ours::Error(error),
    }
}

fn kind_name(error: &TemplateError) -> String {
    match serde_json::to_value(error.kind) {
        Ok(Value::String(name)) => name,
        other => panic!("ErrorKind must serialise as a string, got {other:?}"),
    }
}

fn describe_ours(ours: &Ours) -> String {
    match ours {
        Ours::Output(output) => format!("ok {output:?}"),
        Ours::Error(error) => format!(
            "error {} at {:?}: {}",
            kind_name(error),
            error.position,
            error
        ),
    }
}

fn describe_go(go: &Value) -> String {
    if go.get("ok").and_then(Value::as_bool) == Some(true) {
        format!("ok {:?}", text(go, "output"))
    } else {
        format!(
            "error {} at line {} column {}: {}",
            text(go, "error_kind"),
            go.get("error_line")
                .map_or("-".to_string(), Value::to_string),
            go.get("error_column")
                .map_or("-".to_string(), Value::to_string),
            text(go, "error_message")
        )
    }
}

fn shorten(s: &str, max: usize) -> String {
    if s.chars().count() <= max {
        s.to_string()
    } else {
        let head: String = s.chars().take(max).collect();
        format!("{head}…")
    }
}

#[derive(Default)]
struct Tally {
    compared: usize,
    differences: Vec<String>,
    lines_compared: usize,
    lines_matching: usize,
    columns_compared: usize,
    columns_matching: usize,
}

#[test]
fn every_corpus_case_renders_as_go_rendered_it() {
    let dir = corpus_dir();
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("cannot list {}: {e}", dir.display()))
        .map(|entry| entry.expect("a directory entry").path())
        .filter(|p| p.to_string_lossy().ends_with(".cases.json"))
        .collect();
    files.sort();
    assert!(!files.is_empty(), "no corpus files in {}", dir.display());

    let mut tally = Tally::default();
    for cases_path in &files {
        let results_path = PathBuf::from(
            cases_path
                .to_string_lossy()
                .replace(".cases.json", ".go.json"),
        );
        let cases_file = read_json(cases_path);
        let results_file = read_json(&results_path);
        let group_data = cases_file.get("data");
        let cases = cases_file["cases"].as_array().expect("a cases array");
        let results = results_file["results"].as_array().expect("a results array");
        assert_eq!(
            cases.len(),
            results.len(),
            "{} and {} disagree on the number of cases",
            cases_path.display(),
            results_path.display()
        );
        for (case, go) in cases.iter().zip(results) {
            let name = text(case, "name");
            assert_eq!(name, text(go, "name"), "cases and results out of order");
            let template = text(case, "template");
            let data = case
                .get("data")
                .or(group_data)
                .unwrap_or_else(|| panic!("case {name} has no data"));
            let ours = render(template, data, text(case, "missing_key"));
            tally.compared += 1;
            let go_ok = go.get("ok").and_then(Value::as_bool) == Some(true);
            let same = match (&ours, go_ok) {
                (Ours::Output(output), true) => output == text(go, "output"),
                (Ours::Error(error), false) => {
                    if let (Some(line), Some(position)) =
                        (go.get("error_line").and_then(Value::as_u64), error.position)
                    {
                        tally.lines_compared += 1;
                        tally.lines_matching += usize::from(u64::from(position.line) == line);
                        if let Some(column) = go.get("error_column").and_then(Value::as_u64) {
                            tally.columns_compared += 1;
                            tally.columns_matching +=
                                usize::from(u64::from(position.column) == column);
                        }
                    }
                    kind_name(error) == text(go, "error_kind")
                }
                _ => false,
            };
            if !same {
                tally.differences.push(format!(
                    "DIFFERENCE {name}\n    template: {template:?}\n    data:     {}\n    missing_key: {}\n    Go:       {}\n    ours:     {}",
                    shorten(&data.to_string(), 300),
                    text(case, "missing_key"),
                    describe_go(go),
                    describe_ours(&ours)
                ));
            }
        }
    }

    println!(
        "{} cases compared with Go's recorded results, {} differences",
        tally.compared,
        tally.differences.len()
    );
    println!(
        "error positions: line matches Go in {} of {} errors where both give one, column in {} of {}",
        tally.lines_matching, tally.lines_compared, tally.columns_matching, tally.columns_compared
    );
    let mut listing = String::new();
    for difference in tally.differences.iter().take(SHOWN) {
        let _ = writeln!(listing, "{difference}");
    }
    if tally.differences.len() > SHOWN {
        let _ = writeln!(listing, "... and {} more", tally.differences.len() - SHOWN);
    }
    print!("{listing}");
    assert!(
        tally.compared >= 2_000,
        "the corpus must hold at least 2,000 cases; it has {}",
        tally.compared
    );
    assert!(
        tally.differences.is_empty(),
        "{} of {} cases differ from Go (listed above)",
        tally.differences.len(),
        tally.compared
    );
}

// --- floats -------------------------------------------------------------------------------------

/// The float check's parameters, the same as the oracle's run by `cargo xtask template-corpus`.
const FLOAT_SEED: u64 = 12;
const FLOAT_COUNT: usize = 100_000;

/// splitmix64, draw for draw the oracle's (`oracle/main.go`).
struct SplitMix64(u64);

impl SplitMix64 {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    /// The oracle's `nextFloat`: one of sixteen families chosen by `next() % 16` (any bit
    /// pattern but NaN and infinities; k/10^j; integers around 1e6 and 2^53; neighbours of 1e21
    /// and of powers of ten; small integers; subnormals and the largest values).
    fn next_float(&mut self) -> f64 {
        match self.next() % 16 {
            8 | 9 => {
                let k = self.next() % 100_000_000;
                let j = self.next() % 20;
                let p = 10u64.pow(j as u32);
                let f = k as f64 / p as f64;
                if self.next() & 1 == 1 { -f } else { f }
            }
            10 => (1_000_000i64 + (self.next() % 2001) as i64 - 1000) as f64,
            11 => f64::from_bits(
                1e21f64
                    .to_bits()
                    .wrapping_add(self.next() % 2001)
                    .wrapping_sub(1000),
            ),
            12 => ((1i64 << 53) + (self.next() % 4001) as i64 - 2000) as f64,
            13 => {
                let e = (self.next() % 61) as i64 - 30;
                let base: f64 = format!("1e{e}").parse().expect("a power of ten");
                f64::from_bits(
                    base.to_bits()
                        .wrapping_add(self.next() % 17)
                        .wrapping_sub(8),
                )
            }
            14 => ((self.next() % 2_000_001) as i64 - 1_000_000) as f64,
            15 => {
                let mut bits = if self.next() & 1 == 0 {
                    self.next() % (1 << 52)
                } else {
                    0x7fef_ffff_ffff_ffff - self.next() % 1000
                };
                if self.next() & 1 == 1 {
                    bits |= 1 << 63;
                }
                f64::from_bits(bits)
            }
            _ => loop {
                let f = f64::from_bits(self.next());
                if f.is_finite() {
                    return f;
                }
            },
        }
    }
}

#[test]
fn floats_print_as_go_prints_them() {
    let dir = corpus_dir();
    let expected_hash = std::fs::read_to_string(dir.join("floats.sha256"))
        .expect("floats.sha256 in the corpus")
        .trim()
        .to_string();
    let sample = std::fs::read_to_string(dir.join("floats.sample.tsv"))
        .expect("floats.sample.tsv in the corpus");
    let sample: Vec<(&str, &str)> = sample
        .lines()
        .map(|line| line.split_once('\t').expect("bits<TAB>text"))
        .collect();

    let template = Template::parse("{{.x}}").expect("{{.x}} parses");
    let options = RenderOptions::default();
    let mut rng = SplitMix64(FLOAT_SEED);
    let mut hash = Sha256::new();
    let mut sample_differences = Vec::new();
    for i in 0..FLOAT_COUNT {
        let f = rng.next_float();
        let data = serde_json::json!({ "x": f });
        let printed = template
            .render(&data, &options)
            .unwrap_or_else(|e| panic!("rendering {f:e} (bits {:016x}): {e}", f.to_bits()));
        hash.update(printed.as_bytes());
        hash.update(b"\n");
        if let Some((bits, go)) = sample.get(i) {
            let ours_bits = format!("{:016x}", f.to_bits());
            if *bits != ours_bits {
                panic!(
                    "value {i}: the PRNG drew bits {ours_bits}, the oracle {bits}: the two \
                     generators are not the same"
                );
            }
            if printed != *go {
                sample_differences.push(format!(
                    "DIFFERENCE float {i} (bits {bits}): Go {go:?}, ours {printed:?}"
                ));
            }
        }
    }
    let hash: String = hash.finalize().iter().map(|b| format!("{b:02x}")).collect();
    let differences = sample_differences.len()
        + usize::from(hash != expected_hash && sample_differences.is_empty());
    println!("{FLOAT_COUNT} floats checked, {differences} differences");
    for difference in sample_differences.iter().take(SHOWN) {
        println!("{difference}");
    }
    assert!(
        sample.len() >= 2_000,
        "the readable sample has {} values",
        sample.len()
    );
    assert!(
        sample_differences.is_empty(),
        "{} of the {} sampled floats print differently from Go (listed above)",
        sample_differences.len(),
        sample.len()
    );
    assert_eq!(
        hash,
        expected_hash,
        "the {FLOAT_COUNT} floats printed by the engine hash differently from Go's (the \
         sample agrees: the difference is beyond the first {} values)",
        sample.len()
    );
}
