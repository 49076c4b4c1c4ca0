//! The route table agrees with our OpenAPI documents and with the crate docs.
//!
//! Every operation of every `openapi/*.yaml` document (its `paths` and its
//! `x-polyai-hand-written` entries) must be a row of the table with the same method and path
//! template, every row must be such an operation, and the route list in `src/lib.rs` must list
//! exactly the rows.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use polyai_mock::Route;
use serde_yaml::Value;

const METHODS: [&str; 5] = ["get", "post", "put", "patch", "delete"];

type Documented = BTreeMap<String, (String, String, String)>;

/// Adds one documented operation (from `paths` or an `x-polyai-hand-written` entry); an
/// operation id seen before fails the test, naming both documents.
fn record(ops: &mut Documented, id: &str, operation: (String, String, String)) {
    let document = operation.2.clone();
    if let Some(previous) = ops.insert(id.to_owned(), operation) {
        panic!(
            "operation id {id} appears twice ({} and {document})",
            previous.2
        );
    }
}

#[test]
#[should_panic(expected = "operation id get_thing appears twice (a.yaml and b.yaml)")]
fn a_duplicate_operation_id_fails() {
    let mut ops = Documented::new();
    let op = |doc: &str| ("GET".to_owned(), "/v1/thing".to_owned(), doc.to_owned());
    record(&mut ops, "get_thing", op("a.yaml"));
    record(&mut ops, "get_thing", op("b.yaml"));
}

/// `operation id -> (METHOD, template, document)` for every operation of our documents.
fn documented() -> Documented {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../openapi");
    let mut ops = BTreeMap::new();
    let mut files: Vec<_> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "yaml"))
        .collect();
    files.sort();
    assert!(!files.is_empty(), "no documents in {}", dir.display());
    for file in files {
        let name = file.file_name().unwrap().to_string_lossy().into_owned();
        let doc: Value = serde_yaml::from_str(&std::fs::read_to_string(&file).unwrap()).unwrap();
        if let Some(paths) = doc.get("paths").and_then(Value::as_mapping) {
            for (path, item) in paths {
                let path = path.as_str().unwrap();
                for method in METHODS {
                    if let Some(op) = item.get(method) {
                        let id = op["operationId"].as_str().unwrap_or_else(|| {
                            panic!("{name}: {method} {path} has no operationId")
                        });
                        record(
                            &mut ops,
                            id,
                            (method.to_uppercase(), path.to_owned(), name.clone()),
                        );
                    }
                }
            }
        }
        if let Some(entries) = doc
            .get("x-polyai-hand-written")
            .and_then(Value::as_sequence)
        {
            for entry in entries {
                record(
                    &mut ops,
                    entry["operation"].as_str().unwrap(),
                    (
                        entry["method"].as_str().unwrap().to_uppercase(),
                        entry["path"].as_str().unwrap().to_owned(),
                        name.clone(),
                    ),
                );
            }
        }
    }
    ops
}

#[test]
fn every_documented_operation_is_routed_and_every_route_is_documented() {
    let docs = documented();
    let routed: BTreeMap<&str, Route> = Route::all().map(|r| (r.operation_id(), r)).collect();

    let missing: Vec<String> = docs
        .iter()
        .filter(|(id, _)| !routed.contains_key(id.as_str()))
        .map(|(id, (_, _, doc))| format!("{id} ({doc})"))
        .collect();
    let undocumented: Vec<&str> = routed
        .keys()
        .copied()
        .filter(|id| !docs.contains_key(*id))
        .collect();
    let mismatched: Vec<String> = docs
        .iter()
        .filter_map(|(id, (method, path, _))| {
            let route = routed.get(id.as_str())?;
            let (m, t) = (route.method().to_string(), route.template());
            (m != *method || t != path)
                .then(|| format!("{id}: table {m} {t}, document {method} {path}"))
        })
        .collect();
    assert!(
        missing.is_empty() && undocumented.is_empty() && mismatched.is_empty(),
        "the route table and openapi/*.yaml disagree.\n\
         {} documented operation(s) have no row: {}\n\
         rows without an operation: {undocumented:?}\n\
         rows whose method or path differ: {mismatched:#?}",
        missing.len(),
        missing.join(", ")
    );
    println!(
        "the mock serves {} of {} documented operations",
        routed.len(),
        docs.len()
    );
}

/// The `| METHOD path | operation id | ... |` lines of the route list in `src/lib.rs`.
fn listed_in_crate_docs() -> BTreeSet<(String, String, String)> {
    let lib =
        std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("src/lib.rs")).unwrap();
    let start = lib
        .find("<!-- routes -->")
        .expect("route list start marker in lib.rs");
    let end = lib
        .find("<!-- /routes -->")
        .expect("route list end marker in lib.rs");
    lib[start..end]
        .lines()
        .filter_map(|line| {
            let cells: Vec<&str> = line
                .trim_start_matches("//!")
                .trim()
                .trim_matches('|')
                .split(" | ")
                .map(|c| c.trim().trim_matches('`'))
                .collect();
            let (method, path) = cells.first()?.split_once(' ')?;
            if !METHODS.contains(&method.to_lowercase().as_str()) {
                return None;
            }
            Some((
                method.to_owned(),
                path.to_owned(),
                (*cells.get(1)?).to_owned(),
            ))
        })
        .collect()
}

#[test]
fn the_crate_docs_list_exactly_the_rows() {
    let listed = listed_in_crate_docs();
    let rows: BTreeSet<(String, String, String)> = Route::all()
        .map(|r| {
            (
                r.method().to_string(),
                r.template().to_owned(),
                r.operation_id().to_owned(),
            )
        })
        .collect();
    let missing: Vec<_> = rows.difference(&listed).collect();
    let extra: Vec<_> = listed.difference(&rows).collect();
    assert!(
        missing.is_empty() && extra.is_empty(),
        "src/lib.rs's route list is out of date.\nadd: {missing:#?}\nremove: {extra:#?}"
    );
}

/// The handler modules `src/routes.rs` imports (its `use crate::{...}` list).
fn handler_modules(src: &Path) -> Vec<String> {
    let routes = std::fs::read_to_string(src.join("routes.rs")).unwrap();
    let start = routes
        .find("use crate::{")
        .expect("routes.rs imports its handler modules with `use crate::{...}`");
    let end = start + routes[start..].find("};").unwrap();
    routes[start + "use crate::{".len()..end]
        .split(',')
        .map(|m| m.trim().to_owned())
        .filter(|m| !m.is_empty())
        .collect()
}

#[test]
fn handler_modules_import_neither_the_server_nor_the_router() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let modules = handler_modules(&src);
    assert!(modules.len() > 10, "{modules:?}");
    let forbidden = [
        "use crate::server",
        "use crate::scripting",
        "use crate::routes",
        "use crate::pipeline",
        "use crate::MockServer",
        "impl MockServer",
        "impl crate::MockServer",
    ];
    let mut found = Vec::new();
    for module in &modules {
        let text = std::fs::read_to_string(src.join(format!("{module}.rs"))).unwrap();
        for (n, line) in text.lines().enumerate() {
            if forbidden.iter().any(|f| line.trim_start().starts_with(f)) {
                found.push(format!("src/{module}.rs:{}: {}", n + 1, line.trim()));
            }
        }
    }
    assert!(
        found.is_empty(),
        "handler modules import only request/envelope/state and their own types; the public \
         MockServer handle lives in server.rs and scripting.rs:\n{}",
        found.join("\n")
    );
}
