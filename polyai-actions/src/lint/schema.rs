//! Rules for an action's parameter schema (`PA12x`).

use serde_json::{Map, Value};

use super::{Diagnostic, Location, diag};
use crate::method::Method;

/// Keywords whose subschemas apply to the same instance as the schema holding them.
const SAME_INSTANCE: [&str; 3] = ["allOf", "anyOf", "oneOf"];
const SAME_INSTANCE_SINGLE: [&str; 3] = ["if", "then", "else"];

pub(crate) fn lint(schema: &Value, method: Method, out: &mut Vec<Diagnostic>) {
    let validator = jsonschema::draft7::meta::validator();
    let mut meta_errors = 0;
    for e in validator.iter_errors(schema) {
        meta_errors += 1;
        let field = pointer_to_field("parameters", e.instance_path().as_str());
        out.push(diag(
            "PA120",
            Location::field(field),
            format!("the parameter schema is not a valid Draft 7 schema here: {e}; fix this part of the schema"),
        ));
    }
    if meta_errors > 0 {
        // The other checks assume a well-formed schema.
        return;
    }
    let Value::Object(root) = schema else {
        out.push(diag(
            "PA121",
            Location::field("parameters"),
            "the parameter schema must be an object schema: `{type: object, properties: {...}}`"
                .to_owned(),
        ));
        return;
    };
    match root.get("type") {
        Some(Value::String(t)) if t == "object" => {}
        Some(other) => out.push(diag(
            "PA121",
            Location::field("parameters.type"),
            format!(
                "the parameter schema has `type: {other}`; the parameters are always an object: write `type: object`"
            ),
        )),
        None => out.push(diag(
            "PA121",
            Location::field("parameters"),
            "the parameter schema has no `type`; add `type: object`".to_owned(),
        )),
    }
    required(root, "parameters", out);
    if method.sends_query() {
        compound_in_query(root, method, out);
    }
}

/// `parameters` + a JSON Pointer as a field path: `/properties/a/required/0` gives
/// `parameters.properties.a.required[0]`.
fn pointer_to_field(base: &str, pointer: &str) -> String {
    let mut out = base.to_owned();
    for seg in pointer.split('/').skip(1) {
        let seg = seg.replace("~1", "/").replace("~0", "~");
        if !seg.is_empty() && seg.chars().all(|c| c.is_ascii_digit()) {
            out.push_str(&format!("[{seg}]"));
        } else {
            out.push('.');
            out.push_str(&seg);
        }
    }
    out
}

/// Every (schema, path) applying to the same instance as `schema`, itself included.
fn same_instance<'a>(
    schema: &'a Map<String, Value>,
    at: &str,
    into: &mut Vec<(&'a Map<String, Value>, String)>,
) {
    into.push((schema, at.to_owned()));
    for kw in SAME_INSTANCE {
        if let Some(Value::Array(list)) = schema.get(kw) {
            for (i, s) in list.iter().enumerate() {
                if let Value::Object(m) = s {
                    same_instance(m, &format!("{at}.{kw}[{i}]"), into);
                }
            }
        }
    }
    for kw in SAME_INSTANCE_SINGLE {
        if let Some(Value::Object(m)) = schema.get(kw) {
            same_instance(m, &format!("{at}.{kw}"), into);
        }
    }
}

/// Checks that every `required` name is declared as a property of the object it applies to,
/// counting properties declared anywhere in the same `allOf`/`anyOf`/`oneOf`/`if`/`then`/`else`
/// group, then descends into property, item and definition schemas.
fn required(schema: &Map<String, Value>, at: &str, out: &mut Vec<Diagnostic>) {
    let mut group = Vec::new();
    same_instance(schema, at, &mut group);
    let declared: Vec<&str> = group
        .iter()
        .filter_map(|(s, _)| s.get("properties").and_then(Value::as_object))
        .flat_map(|p| p.keys().map(String::as_str))
        .collect();
    let patterned = group
        .iter()
        .any(|(s, _)| s.contains_key("patternProperties"));
    for (s, path) in &group {
        if let Some(Value::Array(names)) = s.get("required") {
            for (i, n) in names.iter().enumerate() {
                let Some(n) = n.as_str() else { continue };
                if !declared.contains(&n) && !patterned {
                    out.push(diag(
                        "PA122",
                        Location::field(format!("{path}.required[{i}]")),
                        format!(
                            "`{n}` is required but not declared in `properties`, so the agent is not told its type or meaning; declare it under `properties` or remove it from `required`"
                        ),
                    ));
                }
            }
        }
    }
    for (s, path) in &group {
        if let Some(Value::Object(props)) = s.get("properties") {
            for (k, v) in props {
                if let Value::Object(m) = v {
                    required(m, &format!("{path}.properties.{k}"), out);
                }
            }
        }
        match s.get("items") {
            Some(Value::Object(m)) => required(m, &format!("{path}.items"), out),
            Some(Value::Array(list)) => {
                for (i, v) in list.iter().enumerate() {
                    if let Value::Object(m) = v {
                        required(m, &format!("{path}.items[{i}]"), out);
                    }
                }
            }
            _ => {}
        }
        for kw in ["additionalProperties", "additionalItems", "contains", "not"] {
            if let Some(Value::Object(m)) = s.get(kw) {
                required(m, &format!("{path}.{kw}"), out);
            }
        }
        if let Some(Value::Object(defs)) = s.get("definitions") {
            for (k, v) in defs {
                if let Value::Object(m) = v {
                    required(m, &format!("{path}.definitions.{k}"), out);
                }
            }
        }
    }
}

fn types(schema: &Map<String, Value>) -> Vec<&str> {
    match schema.get("type") {
        Some(Value::String(t)) => vec![t.as_str()],
        Some(Value::Array(list)) => list.iter().filter_map(Value::as_str).collect(),
        _ => {
            // An untyped schema with `properties` or `items` describes an object or array too.
            let mut v = Vec::new();
            if schema.contains_key("properties") {
                v.push("object");
            }
            if schema.contains_key("items") {
                v.push("array");
            }
            v
        }
    }
}

fn compound_in_query(root: &Map<String, Value>, method: Method, out: &mut Vec<Diagnostic>) {
    let mut group = Vec::new();
    same_instance(root, "parameters", &mut group);
    for (s, path) in &group {
        let Some(Value::Object(props)) = s.get("properties") else {
            continue;
        };
        for (k, v) in props {
            let Value::Object(m) = v else { continue };
            let t = types(m);
            let kind = if t.contains(&"object") {
                "an object"
            } else if t.contains(&"array") {
                "an array"
            } else {
                continue;
            };
            out.push(diag(
                "PA124",
                Location::field(format!("{path}.properties.{k}")),
                format!(
                    "`{k}` is {kind}, but {method} sends parameters as query parameters and how PolyAI encodes {kind} there is undocumented; use POST with a body, or split it into string/number parameters"
                ),
            ));
        }
    }
}
