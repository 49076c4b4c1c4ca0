//! The rule table in the lint module's docs (`src/lint/rules.md`) is generated from `RULES`;
//! this test fails when the two disagree. `BLESS=1 cargo test -p polyai-actions --test
//! it lint_rules_table` rewrites the file.

use polyai_actions::lint::{RULES, Severity};

fn table() -> String {
    let mut out = String::new();
    for r in RULES {
        let sev = match r.severity {
            Severity::Error => "error",
            Severity::Warning => "warning",
        };
        out.push_str(&format!("| `{}` | {} | {} |\n", r.code, sev, r.summary));
    }
    out
}

#[test]
fn rules_md_matches_rules() {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/src/lint/rules.md");
    let expected = table();
    if std::env::var_os("BLESS").is_some() {
        std::fs::write(path, &expected).unwrap();
    }
    let actual = std::fs::read_to_string(path).unwrap();
    assert_eq!(
        actual, expected,
        "run with BLESS=1 to regenerate src/lint/rules.md"
    );
}

#[test]
fn codes_are_unique_and_sorted() {
    let codes: Vec<&str> = RULES.iter().map(|r| r.code).collect();
    let mut sorted = codes.clone();
    sorted.sort();
    sorted.dedup();
    assert_eq!(codes, sorted);
    assert!(codes.iter().all(|c| c.len() == 5 && c.starts_with("PA")));
}
