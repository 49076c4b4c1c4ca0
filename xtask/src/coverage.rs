//! `cargo xtask coverage`: every operation of PolyAI's published documents, checked against
//! ours.
//!
//! The reference documents are read from `../shared/reference/openapi/*.json` (relative to the
//! workspace root), or from the directory named by `POLYAI_REFERENCE_DIR`. They are OpenAPI 3.1, which `openapiv3` does not read, so both they and
//! our `openapi/*.yaml` are walked as generic JSON / YAML values. Each reference operation
//! (method and path; path parameter names may differ) is reported as one of:
//!
//! - `covered`: some `openapi/*.yaml` has an operation with the same method and path;
//! - `hand-written: <sdk>`: listed in a root `x-polyai-hand-written` entry of one of our
//!   documents (operations the generator cannot handle, written by hand in polyai-sdk); the
//!   entry's `sdk` key names the polyai-sdk function that implements it, for example
//!   `Client::replace_audio_cache_file`;
//! - `left out: <reason>`: listed in a root `x-polyai-left-out` entry of one of our documents
//!   (deliberate exclusions);
//! - `MISSING`: none of the above, which makes the command fail.
//!
//! The `mock` column says whether `polyai-mock` serves our operation (a row of its route
//! table, `polyai_mock::Route::all()`, with the operation's id). The output is a Markdown
//! table followed by two summary lines: reference coverage, and how many of the operations of
//! our `openapi/*.yaml` documents the mock serves (with the ones it does not).

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};

const REFERENCE_DIR: &str = "../shared/reference/openapi";
const SPEC_DIR: &str = "openapi";
const METHODS: [&str; 8] = [
    "get", "put", "post", "delete", "options", "head", "patch", "trace",
];

/// An operation key: upper-case method and the path with every `{...}` segment reduced to `{}`.
type Key = (String, String);

/// Where one of our documents accounts for an operation.
struct Ours {
    /// Document file name, e.g. `agents.yaml`.
    document: String,
    /// operationId (or the planned name of a hand-written operation).
    operation_id: String,
}

/// A deliberate exclusion or hand-written operation, with its reason.
struct Listed {
    ours: Ours,
    reason: String,
    /// For hand-written operations: the polyai-sdk function implementing it (`sdk` key).
    sdk: Option<String>,
    /// Whether some reference operation matched this entry.
    used: bool,
}

#[derive(Default)]
struct OurDocuments {
    generated: BTreeMap<Key, Ours>,
    hand_written: BTreeMap<Key, Listed>,
    left_out: BTreeMap<Key, Listed>,
}

enum Status<'a> {
    Covered(&'a Ours),
    HandWritten(&'a Listed),
    LeftOut(&'a str),
    Missing,
}

pub fn run() -> Result<(), String> {
    let root = crate::workspace_root();
    // `POLYAI_REFERENCE_DIR` points elsewhere (for example from a git worktree).
    let reference_dir = std::env::var_os("POLYAI_REFERENCE_DIR")
        .map_or_else(|| root.join(REFERENCE_DIR), PathBuf::from);
    if !reference_dir.is_dir() {
        return Err(format!(
            "reference documents not found: {} does not exist (expected PolyAI's published \
             OpenAPI documents there, relative to the workspace root as {REFERENCE_DIR})",
            reference_dir.display()
        ));
    }
    let mut ours = load_ours(&root.join(SPEC_DIR))?;
    let reference = load_reference(&reference_dir)?;
    if reference.is_empty() {
        return Err(format!(
            "no *.json documents in {}",
            reference_dir.display()
        ));
    }

    let mut table = String::from(
        "| reference document | method | path | status | our operationId | mock |\n\
         |---|---|---|---|---|---|\n",
    );
    let (mut covered, mut hand_written, mut left_out, mut missing) = (0, 0, 0, 0);
    let mut missing_rows = Vec::new();
    for (document, method, path) in &reference {
        let key = (method.clone(), normalise(path));
        if let Some(listed) = ours.hand_written.get_mut(&key) {
            listed.used = true;
        }
        if let Some(listed) = ours.left_out.get_mut(&key) {
            listed.used = true;
        }
        let status = if let Some(found) = ours.generated.get(&key) {
            Status::Covered(found)
        } else if let Some(listed) = ours.hand_written.get(&key) {
            Status::HandWritten(listed)
        } else if let Some(listed) = ours.left_out.get(&key) {
            Status::LeftOut(&listed.reason)
        } else {
            Status::Missing
        };
        let (text, id, served) = match status {
            Status::Covered(found) => {
                covered += 1;
                (
                    "covered".to_string(),
                    format!("`{}` ({})", found.operation_id, found.document),
                    mock_cell(&found.operation_id),
                )
            }
            Status::HandWritten(listed) => {
                hand_written += 1;
                let text = match &listed.sdk {
                    Some(sdk) => format!("hand-written: `{}`", cell(sdk)),
                    None => "hand-written".to_string(),
                };
                (
                    text,
                    format!("`{}` ({})", listed.ours.operation_id, listed.ours.document),
                    mock_cell(&listed.ours.operation_id),
                )
            }
            Status::LeftOut(reason) => {
                left_out += 1;
                (format!("left out: {}", cell(reason)), "-".to_string(), "-")
            }
            Status::Missing => {
                missing += 1;
                missing_rows.push(format!("{method} {path} ({document})"));
                ("**MISSING**".to_string(), "-".to_string(), "-")
            }
        };
        let _ = writeln!(
            table,
            "| {document} | {method} | `{path}` | {text} | {id} | {served} |"
        );
    }
    print!("{table}");

    // Our own operations that PolyAI's documents do not list (informational only).
    let reference_keys: std::collections::BTreeSet<Key> = reference
        .iter()
        .map(|(_, method, path)| (method.clone(), normalise(path)))
        .collect();
    let extra: Vec<String> = ours
        .generated
        .iter()
        .filter(|(key, _)| !reference_keys.contains(*key))
        .map(|((method, path), found)| {
            format!(
                "{method} {path}: `{}` ({})",
                found.operation_id, found.document
            )
        })
        .collect();
    if !extra.is_empty() {
        println!("\nOperations in {SPEC_DIR}/ with no reference counterpart:");
        for line in &extra {
            println!("- {line}");
        }
    }
    for (kind, entries) in [
        ("x-polyai-hand-written", &ours.hand_written),
        ("x-polyai-left-out", &ours.left_out),
    ] {
        for ((method, path), listed) in entries.iter().filter(|(_, listed)| !listed.used) {
            eprintln!(
                "warning: {SPEC_DIR}/{}: {kind} entry {method} {path} matches no reference operation",
                listed.ours.document
            );
        }
    }

    let total = reference.len();
    println!(
        "\n{total} reference operations: {covered} covered, {hand_written} hand-written, \
         {left_out} left out, {missing} missing"
    );
    // What the mock serves, over every operation of our documents.
    let mut our_ids: std::collections::BTreeSet<&str> = ours
        .generated
        .values()
        .map(|o| o.operation_id.as_str())
        .collect();
    our_ids.extend(
        ours.hand_written
            .values()
            .map(|l| l.ours.operation_id.as_str()),
    );
    let not_served: Vec<&str> = our_ids
        .iter()
        .copied()
        .filter(|id| polyai_mock::Route::operation(id).is_err())
        .collect();
    println!(
        "polyai-mock serves {} of the {} operations of {SPEC_DIR}/*.yaml{}",
        our_ids.len() - not_served.len(),
        our_ids.len(),
        if not_served.is_empty() {
            String::new()
        } else {
            format!("; not served: {}", not_served.join(", "))
        }
    );
    if missing > 0 {
        return Err(format!(
            "{missing} reference operation(s) are neither covered, hand-written nor left out \
             with a reason:\n  {}\nadd them to a document in {SPEC_DIR}/, or list them under \
             `x-polyai-hand-written` or `x-polyai-left-out` at a document's root",
            missing_rows.join("\n  ")
        ));
    }
    Ok(())
}

/// The `mock` cell: whether polyai-mock's route table has the operation.
fn mock_cell(operation_id: &str) -> &'static str {
    if polyai_mock::Route::operation(operation_id).is_ok() {
        "served"
    } else {
        "**not served**"
    }
}

/// Reduces every `{name}` path segment to `{}`, so that parameter names do not matter.
fn normalise(path: &str) -> String {
    path.split('/')
        .map(|segment| {
            if segment.starts_with('{') && segment.ends_with('}') {
                "{}"
            } else {
                segment
            }
        })
        .collect::<Vec<_>>()
        .join("/")
}

/// Keeps a reason on one table row: no line breaks, no column separators.
fn cell(text: &str) -> String {
    text.split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
        .replace('|', "\\|")
}

fn sorted_files(dir: &Path, extension: &str) -> Result<Vec<PathBuf>, String> {
    let entries =
        std::fs::read_dir(dir).map_err(|e| format!("cannot read {}: {e}", dir.display()))?;
    let mut paths: Vec<PathBuf> = entries
        .filter_map(|entry| entry.ok().map(|e| e.path()))
        .filter(|path| path.extension().is_some_and(|ext| ext == extension))
        .collect();
    paths.sort();
    Ok(paths)
}

fn file_name(path: &Path) -> String {
    path.file_name()
        .map(|name| name.to_string_lossy().into_owned())
        .unwrap_or_default()
}

/// Every (document, METHOD, path) of the reference documents, in document order, then path,
/// then method.
fn load_reference(dir: &Path) -> Result<Vec<(String, String, String)>, String> {
    let mut operations = Vec::new();
    for path in sorted_files(dir, "json")? {
        let name = file_name(&path);
        let text = std::fs::read_to_string(&path)
            .map_err(|e| format!("{}: cannot read: {e}", path.display()))?;
        let document: serde_json::Value = serde_json::from_str(&text)
            .map_err(|e| format!("{}: not valid JSON: {e}", path.display()))?;
        let Some(paths) = document.get("paths").and_then(serde_json::Value::as_object) else {
            continue;
        };
        let mut found: Vec<(String, String)> = Vec::new();
        for (route, item) in paths {
            let Some(item) = item.as_object() else {
                continue;
            };
            for method in METHODS {
                if item.contains_key(method) {
                    found.push((route.clone(), method.to_uppercase()));
                }
            }
        }
        found.sort_by(|a, b| {
            a.0.cmp(&b.0)
                .then_with(|| method_rank(&a.1).cmp(&method_rank(&b.1)))
        });
        operations.extend(
            found
                .into_iter()
                .map(|(route, method)| (name.clone(), method, route)),
        );
    }
    Ok(operations)
}

fn method_rank(method: &str) -> usize {
    METHODS
        .iter()
        .position(|m| m.eq_ignore_ascii_case(method))
        .unwrap_or(METHODS.len())
}

fn load_ours(dir: &Path) -> Result<OurDocuments, String> {
    let mut ours = OurDocuments::default();
    for path in sorted_files(dir, "yaml")? {
        let name = file_name(&path);
        let text = std::fs::read_to_string(&path)
            .map_err(|e| format!("{SPEC_DIR}/{name}: cannot read: {e}"))?;
        let document: serde_yaml::Value = serde_yaml::from_str(&text)
            .map_err(|e| format!("{SPEC_DIR}/{name}: not valid YAML: {e}"))?;

        if let Some(paths) = document
            .get("paths")
            .and_then(serde_yaml::Value::as_mapping)
        {
            for (route, item) in paths {
                let Some(route) = route.as_str() else {
                    continue;
                };
                for method in METHODS {
                    let Some(operation) = item.get(method) else {
                        continue;
                    };
                    let operation_id = operation
                        .get("operationId")
                        .and_then(serde_yaml::Value::as_str)
                        .unwrap_or("(no operationId)")
                        .to_string();
                    ours.generated.insert(
                        (method.to_uppercase(), normalise(route)),
                        Ours {
                            document: name.clone(),
                            operation_id,
                        },
                    );
                }
            }
        }
        for (extension, target, needs_sdk) in [
            ("x-polyai-hand-written", &mut ours.hand_written, true),
            ("x-polyai-left-out", &mut ours.left_out, false),
        ] {
            let Some(entries) = document.get(extension) else {
                continue;
            };
            let entries = entries.as_sequence().ok_or_else(|| {
                format!("{SPEC_DIR}/{name}: {extension} must be a list of {{method, path, reason}}")
            })?;
            for (index, entry) in entries.iter().enumerate() {
                let field = |key: &str| {
                    entry
                        .get(key)
                        .and_then(serde_yaml::Value::as_str)
                        .map(str::trim)
                        .filter(|value| !value.is_empty())
                };
                let (Some(method), Some(route), Some(reason)) =
                    (field("method"), field("path"), field("reason"))
                else {
                    return Err(format!(
                        "{SPEC_DIR}/{name}: {extension} entry {} needs non-empty `method`, \
                         `path` and `reason`",
                        index + 1
                    ));
                };
                let sdk = field("sdk").map(str::to_string);
                if needs_sdk && sdk.is_none() {
                    return Err(format!(
                        "{SPEC_DIR}/{name}: {extension} entry {} ({method} {route}) needs a \
                         non-empty `sdk` naming the polyai-sdk function that implements it, \
                         e.g. `sdk: Client::replace_audio_cache_file`",
                        index + 1
                    ));
                }
                target.insert(
                    (method.to_uppercase(), normalise(route)),
                    Listed {
                        ours: Ours {
                            document: name.clone(),
                            operation_id: field("operation").unwrap_or("-").to_string(),
                        },
                        reason: reason.to_string(),
                        sdk,
                        used: false,
                    },
                );
            }
        }
    }
    Ok(ours)
}

#[cfg(test)]
mod tests {
    use super::{cell, normalise};

    #[test]
    fn path_parameter_names_do_not_matter() {
        assert_eq!(
            normalise("/v1/agents/{agentId}/conversations/{conversationId}"),
            normalise("/v1/agents/{agent_id}/conversations/{id}")
        );
        assert_ne!(normalise("/v1/agents/{agentId}"), normalise("/v1/agents/x"));
    }

    #[test]
    fn reasons_stay_on_one_row() {
        assert_eq!(cell("a\n b | c"), "a b \\| c");
    }
}
