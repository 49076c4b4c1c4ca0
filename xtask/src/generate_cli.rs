//! The operation table behind `Client::call_operation` and `polyai api OPERATION`: part of
//! `cargo xtask generate [--check]`, written to `polyai-sdk/src/operation_call/table.rs`.
//!
//! For every operation of `openapi/*.yaml` it records the id, family (document), method, path,
//! summary, each parameter (name, location, required, JSON kind, allowed values) and the body
//! (required or not, and a minimal example built from the schema). It also emits the typed
//! checks: each parameter value and each body is deserialised into the very Rust type the
//! generated builder of that operation takes (read from the freshly generated code with
//! `syn`), so `call_operation` refuses what the typed builders would refuse, before sending.

use crate::generate::rustfmt;
use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::Path;

use serde_json::{Value, json};

const OUTPUT: &str = "polyai-sdk/src/operation_call/table.rs";
const METHODS: [&str; 5] = ["get", "put", "post", "delete", "patch"];

/// Writes (or, with `check`, compares) the table, given the generated SDK sources by file name
/// (`agents.rs` ...) as `generate` produced them.
pub fn run(root: &Path, generated: &BTreeMap<String, String>, check: bool) -> Result<(), String> {
    let text = rustfmt(&render(&root.join("openapi"), generated)?)?;
    let path = root.join(OUTPUT);
    let current = std::fs::read_to_string(&path).ok();
    if check {
        return if current.as_deref() == Some(text.as_str()) {
            println!("operation table is up to date ({OUTPUT})");
            Ok(())
        } else {
            Err(format!(
                "{OUTPUT} has drifted from openapi/: run `cargo xtask generate` and commit the result"
            ))
        };
    }
    if current.as_deref() == Some(text.as_str()) {
        println!("unchanged {OUTPUT}");
        return Ok(());
    }
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir)
            .map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
    }
    std::fs::write(&path, &text).map_err(|e| format!("cannot write {OUTPUT}: {e}"))?;
    println!("wrote     {OUTPUT} ({} lines)", text.lines().count());
    Ok(())
}

struct Param {
    name: String,
    location: &'static str,
    required: bool,
    kind: &'static str,
    values: Vec<String>,
    description: String,
    rust_type: String,
}

struct Op {
    id: String,
    module: String,
    method: String,
    path: String,
    summary: String,
    params: Vec<Param>,
    /// (required, example JSON, Rust type)
    body: Option<(bool, String, String)>,
}

fn render(spec_dir: &Path, generated: &BTreeMap<String, String>) -> Result<String, String> {
    let mut files: Vec<_> = std::fs::read_dir(spec_dir)
        .map_err(|e| format!("cannot read {}: {e}", spec_dir.display()))?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "yaml"))
        .collect();
    files.sort();
    let mut ops = Vec::new();
    for file in files {
        let name = file
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        let module = name.trim_end_matches(".yaml").replace(['-', '.'], "_");
        let text = std::fs::read_to_string(&file).map_err(|e| format!("{name}: {e}"))?;
        let doc: Value = serde_yaml::from_str(&text).map_err(|e| format!("{name}: {e}"))?;
        let source = generated
            .get(&format!("{module}.rs"))
            .ok_or_else(|| format!("no generated code for {name}"))?;
        let builders = builder_fields(source).map_err(|e| format!("{module}.rs: {e}"))?;
        collect(&doc, &name, &module, &builders, &mut ops)?;
    }
    ops.sort_by(|a, b| a.id.cmp(&b.id));
    Ok(emit(&ops))
}

/// `$ref`s resolved within the document.
fn resolve<'a>(doc: &'a Value, mut value: &'a Value) -> &'a Value {
    for _ in 0..32 {
        let Some(reference) = value.get("$ref").and_then(Value::as_str) else {
            return value;
        };
        let mut target = doc;
        for part in reference.trim_start_matches("#/").split('/') {
            target = &target[part];
        }
        value = target;
    }
    value
}

fn collect(
    doc: &Value,
    file: &str,
    module: &str,
    builders: &BTreeMap<String, BTreeMap<String, String>>,
    ops: &mut Vec<Op>,
) -> Result<(), String> {
    let Some(paths) = doc.get("paths").and_then(Value::as_object) else {
        return Ok(());
    };
    for (path, item) in paths {
        let shared: Vec<Value> = item
            .get("parameters")
            .and_then(Value::as_array)
            .cloned()
            .unwrap_or_default();
        for method in METHODS {
            let Some(op) = item.get(method) else { continue };
            let id = op["operationId"]
                .as_str()
                .ok_or_else(|| format!("{file}: {method} {path} has no operationId"))?
                .to_string();
            let builder = builders
                .get(&pascal(&id))
                .ok_or_else(|| format!("{file}: no generated builder {} for {id}", pascal(&id)))?;
            let mut params = Vec::new();
            let own: Vec<Value> = op
                .get("parameters")
                .and_then(Value::as_array)
                .cloned()
                .unwrap_or_default();
            for raw in shared.iter().chain(own.iter()) {
                let p = resolve(doc, raw);
                let name = p["name"].as_str().unwrap_or_default().to_string();
                if params.iter().any(|q: &Param| q.name == name) {
                    continue;
                }
                let location = match p["in"].as_str() {
                    Some("path") => "Path",
                    Some("query") => "Query",
                    other => {
                        return Err(format!(
                            "{file}: {id}: parameter {name} in {other:?} is not supported"
                        ));
                    }
                };
                let schema = resolve(doc, &p["schema"]);
                let kind = kind_of(schema);
                let values = schema
                    .get("enum")
                    .and_then(Value::as_array)
                    .map(|v| {
                        v.iter()
                            .filter_map(|x| x.as_str().map(str::to_string))
                            .collect()
                    })
                    .unwrap_or_default();
                let field = snake(&name);
                let rust_type = builder
                    .get(&field)
                    .ok_or_else(|| {
                        format!(
                            "{file}: {id}: the builder has no field {field} for parameter {name}"
                        )
                    })?
                    .clone();
                let description = p
                    .get("description")
                    .or_else(|| schema.get("description"))
                    .and_then(Value::as_str)
                    .unwrap_or_default();
                params.push(Param {
                    name,
                    location,
                    required: p["required"].as_bool().unwrap_or(false) || location == "Path",
                    kind,
                    values,
                    description: first_sentence(description),
                    rust_type,
                });
            }
            let body = match op.get("requestBody") {
                None => None,
                Some(raw) => {
                    let body = resolve(doc, raw);
                    let schema = resolve(doc, &body["content"]["application/json"]["schema"]);
                    let rust_type = builder
                        .get("body")
                        .ok_or_else(|| format!("{file}: {id}: the builder has no body field"))?
                        .clone();
                    let example = example(doc, schema, 0);
                    Some((
                        body["required"].as_bool().unwrap_or(false),
                        example.to_string(),
                        rust_type,
                    ))
                }
            };
            let summary = op
                .get("summary")
                .or_else(|| op.get("description"))
                .and_then(Value::as_str)
                .map(first_sentence)
                .unwrap_or_default();
            ops.push(Op {
                id,
                module: module.to_string(),
                method: method.to_uppercase(),
                path: path.clone(),
                summary,
                params,
                body,
            });
        }
    }
    Ok(())
}

fn first_sentence(text: &str) -> String {
    let line = text.split_whitespace().collect::<Vec<_>>().join(" ");
    match line.find(". ") {
        Some(at) => line[..=at].to_string(),
        None => line,
    }
}

fn kind_of(schema: &Value) -> &'static str {
    match schema.get("type").and_then(Value::as_str) {
        Some("integer") => "Integer",
        Some("number") => "Number",
        Some("boolean") => "Boolean",
        Some("array") => "Array",
        _ => "String",
    }
}

/// A minimal body the schema accepts: required properties only, the first allowed value, the
/// smallest length or number, well-formed dates and ids.
fn example(doc: &Value, schema: &Value, depth: usize) -> Value {
    let schema = resolve(doc, schema);
    if depth > 12 {
        return Value::Null;
    }
    if let Some(example) = schema.get("example") {
        return example.clone();
    }
    if let Some(first) = schema
        .get("enum")
        .and_then(Value::as_array)
        .and_then(|v| v.first())
    {
        return first.clone();
    }
    for key in ["oneOf", "anyOf"] {
        if let Some(first) = schema
            .get(key)
            .and_then(Value::as_array)
            .and_then(|v| v.first())
        {
            return example(doc, first, depth + 1);
        }
    }
    if let Some(all) = schema.get("allOf").and_then(Value::as_array) {
        let mut merged = serde_json::Map::new();
        for part in all {
            match example(doc, part, depth + 1) {
                Value::Object(map) => merged.extend(map),
                other if all.len() == 1 => return other,
                _ => {}
            }
        }
        return Value::Object(merged);
    }
    let ty = schema.get("type").and_then(Value::as_str);
    match ty {
        Some("integer") | Some("number") => {
            let min = schema.get("minimum").and_then(Value::as_f64).unwrap_or(1.0);
            if ty == Some("integer") {
                json!(min as i64)
            } else {
                json!(min)
            }
        }
        Some("boolean") => json!(false),
        Some("array") => {
            let n = schema.get("minItems").and_then(Value::as_u64).unwrap_or(0);
            let item = example(doc, &schema["items"], depth + 1);
            Value::Array((0..n).map(|_| item.clone()).collect())
        }
        Some("string") => {
            let value = match schema.get("format").and_then(Value::as_str) {
                Some("date-time") => "2026-11-01T00:00:00Z".to_string(),
                Some("date") => "2026-11-01".to_string(),
                Some("uuid") => "00000000-0000-4000-8000-000000000000".to_string(),
                Some("email") => "someone@example.com".to_string(),
                Some("uri") | Some("url") => "https://example.com/".to_string(),
                _ => {
                    // A value the `pattern` accepts, from a few common shapes.
                    let pattern = schema.get("pattern").and_then(Value::as_str);
                    let fits = |candidate: &str| {
                        pattern.is_none_or(|p| {
                            regress::Regex::new(p).is_ok_and(|re| re.find(candidate).is_some())
                        })
                    };
                    [
                        "x",
                        "https://example.com/",
                        "x-1",
                        "2026-11-01T00:00:00Z",
                        "X1",
                    ]
                    .into_iter()
                    .find(|c| fits(c))
                    .unwrap_or("x")
                    .to_string()
                }
            };
            let min = schema.get("minLength").and_then(Value::as_u64).unwrap_or(1) as usize;
            if value.len() >= min {
                json!(value)
            } else {
                json!("x".repeat(min))
            }
        }
        _ => {
            let mut out = serde_json::Map::new();
            let required: Vec<&str> = schema
                .get("required")
                .and_then(Value::as_array)
                .map(|r| r.iter().filter_map(Value::as_str).collect())
                .unwrap_or_default();
            if let Some(props) = schema.get("properties").and_then(Value::as_object) {
                for name in required {
                    if let Some(p) = props.get(name) {
                        out.insert(name.to_string(), example(doc, p, depth + 1));
                    }
                }
            }
            Value::Object(out)
        }
    }
}

fn pascal(id: &str) -> String {
    id.split(['_', '-'])
        .filter(|p| !p.is_empty())
        .map(|p| {
            let mut c = p.chars();
            c.next().map_or(String::new(), |f| {
                f.to_uppercase().collect::<String>() + c.as_str()
            })
        })
        .collect()
}

fn snake(name: &str) -> String {
    let mut out = String::new();
    let mut previous_lower = false;
    for c in name.chars() {
        if c.is_ascii_uppercase() {
            if previous_lower {
                out.push('_');
            }
            out.push(c.to_ascii_lowercase());
            previous_lower = false;
        } else if c == '-' || c == '.' {
            out.push('_');
            previous_lower = false;
        } else {
            out.push(c);
            previous_lower = c.is_ascii_lowercase() || c.is_ascii_digit();
        }
    }
    out
}

/// Each builder struct of the generated `builder` module: field name to the Rust type it
/// holds (the `T` of `Result<T, String>`), with `types::` paths made absolute.
fn builder_fields(source: &str) -> Result<BTreeMap<String, BTreeMap<String, String>>, String> {
    let file = syn::parse_file(source).map_err(|e| format!("cannot parse: {e}"))?;
    let module = file
        .items
        .iter()
        .find_map(|item| match item {
            syn::Item::Mod(m) if m.ident == "builder" => m.content.as_ref(),
            _ => None,
        })
        .ok_or("no builder module")?;
    let mut out = BTreeMap::new();
    for item in &module.1 {
        let syn::Item::Struct(s) = item else { continue };
        let mut fields = BTreeMap::new();
        for field in &s.fields {
            let Some(ident) = &field.ident else { continue };
            if let Some(inner) = result_ok_type(&field.ty) {
                fields.insert(ident.to_string(), type_string(inner)?);
            }
        }
        out.insert(s.ident.to_string(), fields);
    }
    Ok(out)
}

fn result_ok_type(ty: &syn::Type) -> Option<&syn::Type> {
    let syn::Type::Path(path) = ty else {
        return None;
    };
    let last = path.path.segments.last()?;
    if last.ident != "Result" {
        return None;
    }
    let syn::PathArguments::AngleBracketed(args) = &last.arguments else {
        return None;
    };
    match args.args.first()? {
        syn::GenericArgument::Type(t) => Some(t),
        _ => None,
    }
}

/// A type as source text; `types::builder::X` becomes `types::X` (what `.body()` converts from)
/// and `types::...` is resolved to `super::MODULE::types::...` by the caller's `use`.
fn type_string(ty: &syn::Type) -> Result<String, String> {
    match ty {
        syn::Type::Path(path) => {
            let mut out = String::new();
            if path.path.leading_colon.is_some() {
                out.push_str("::");
            }
            let segments: Vec<_> = path
                .path
                .segments
                .iter()
                .filter(|s| s.ident != "builder")
                .collect();
            for (i, segment) in segments.iter().enumerate() {
                if i > 0 {
                    out.push_str("::");
                }
                out.push_str(&segment.ident.to_string());
                if let syn::PathArguments::AngleBracketed(args) = &segment.arguments {
                    let inner: Result<Vec<String>, String> = args
                        .args
                        .iter()
                        .map(|a| match a {
                            syn::GenericArgument::Type(t) => type_string(t),
                            _ => Err("a non-type generic argument".to_string()),
                        })
                        .collect();
                    let _ = write!(out, "<{}>", inner?.join(", "));
                }
            }
            Ok(out)
        }
        _ => Err("a builder field of an unsupported type".to_string()),
    }
}

fn emit(ops: &[Op]) -> String {
    let mut t = String::from(
        "// @generated by `cargo xtask generate` (xtask/src/generate_cli.rs). DO NOT EDIT.\n\
         //! Every generated operation: its parameters and body for `Client::call_operation`, and\n\
         //! the typed checks (each value deserialised into the type its generated builder takes).\n\n\
         use super::{BodyInfo, Location, OperationInfo, ParameterInfo, ValueKind, typed};\n\n\
         /// Every generated operation, sorted by id.\n\
         pub(super) static OPERATIONS: &[OperationInfo] = &[\n",
    );
    for op in ops {
        let _ = write!(
            t,
            "OperationInfo {{ id: {:?}, family: {:?}, method: {:?}, path: {:?}, summary: {:?}, parameters: &[",
            op.id, op.module, op.method, op.path, op.summary
        );
        for p in &op.params {
            let _ = write!(
                t,
                "ParameterInfo {{ name: {:?}, location: Location::{}, required: {}, kind: ValueKind::{}, values: &{:?}, description: {:?} }},",
                p.name, p.location, p.required, p.kind, p.values, p.description
            );
        }
        t.push_str("], body: ");
        match &op.body {
            Some((required, example, _)) => {
                let _ = write!(
                    t,
                    "Some(BodyInfo {{ required: {required}, example: {example:?} }})"
                );
            }
            None => t.push_str("None"),
        }
        t.push_str(" },\n");
    }
    t.push_str("];\n\n");
    t.push_str(
        "/// Deserialises a parameter value into the type the operation's builder takes.\n\
         pub(super) fn check_parameter(operation: &str, name: &str, value: serde_json::Value) -> Result<(), String> {\n\
         match (operation, name) {\n",
    );
    for op in ops {
        for p in &op.params {
            let _ = writeln!(
                t,
                "({:?}, {:?}) => typed::<{}>(value),",
                op.id,
                p.name,
                absolute(&p.rust_type, &op.module)
            );
        }
    }
    t.push_str("_ => Err(format!(\"{operation} has no parameter {name}\")),\n}\n}\n\n");
    t.push_str(
        "/// Deserialises a JSON body into the type the operation's builder takes.\n\
         pub(super) fn check_body(operation: &str, body: serde_json::Value) -> Result<(), String> {\n\
         match operation {\n",
    );
    for op in ops {
        if let Some((_, _, rust_type)) = &op.body {
            let _ = writeln!(
                t,
                "{:?} => typed::<{}>(body),",
                op.id,
                absolute(rust_type, &op.module)
            );
        }
    }
    t.push_str("_ => Err(format!(\"{operation} takes no body\")),\n}\n}\n");
    t
}

fn absolute(rust_type: &str, module: &str) -> String {
    // `types::` only ever starts a path segment after `<`, `, ` or at the start.
    let mut out = String::new();
    let mut rest = rust_type;
    while let Some(at) = rest.find("types::") {
        let before = &rest[..at];
        let boundary = before.is_empty() || before.ends_with('<') || before.ends_with(' ');
        out.push_str(before);
        if boundary {
            let _ = write!(out, "crate::generated::{module}::");
        }
        out.push_str("types::");
        rest = &rest[at + "types::".len()..];
    }
    out.push_str(rest);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_follow_progenitor() {
        assert_eq!(pascal("list_conversations"), "ListConversations");
        assert_eq!(snake("agentId"), "agent_id");
        assert_eq!(snake("account_id"), "account_id");
        assert_eq!(
            absolute("Option<types::X>", "agents"),
            "Option<crate::generated::agents::types::X>"
        );
    }

    #[test]
    fn examples_hold_required_fields_only() {
        let doc = json!({"components": {"schemas": {"E": {"type": "string", "enum": ["a", "b"]}}}});
        let schema = json!({
            "type": "object",
            "required": ["e", "n", "list"],
            "properties": {
                "e": {"$ref": "#/components/schemas/E"},
                "n": {"type": "integer", "minimum": 1000},
                "list": {"type": "array", "minItems": 1, "items": {"type": "string", "format": "date"}},
                "optional": {"type": "string"}
            }
        });
        assert_eq!(
            example(&doc, &schema, 0),
            json!({"e": "a", "n": 1000, "list": ["2026-11-01"]})
        );
    }
}
