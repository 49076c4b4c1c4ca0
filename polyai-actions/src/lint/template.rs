//! Rules for an action's body template (`PA2xx`), on the parsed tree of
//! [`crate::template`].

use serde_json::{Map, Value};

use super::{Diagnostic, Location, diag};
use crate::action::ApiAction;
use crate::template::ast::{self, Command, Function, Node, NumberValue, Operand, Pipeline};
use crate::template::{ErrorKind, Position, Template, TemplateError};

/// The top-level keys of the data a body template sees.
const ROOTS: [&str; 3] = ["parameters", "variables", "static_variables"];

pub(crate) fn lint(action: &ApiAction, out: &mut Vec<Diagnostic>) {
    let Some(source) = &action.body_template else {
        return;
    };
    let template = match Template::parse(source) {
        Ok(t) => t,
        Err(e) => {
            out.push(parse_error(source, &e));
            return;
        }
    };
    let schema = action.parameters.as_object();
    let mut cx = Cx {
        schema,
        json_body: looks_like_json(source),
        out,
        guards: Vec::new(),
    };
    cx.nodes(template.root(), &Dot::Root);
}

fn at(position: Option<Position>) -> Location {
    let mut loc = Location::field("body_template");
    if let Some(p) = position {
        loc.line = Some(p.line);
        loc.column = Some(p.column);
    }
    loc
}

fn parse_error(source: &str, e: &TemplateError) -> Diagnostic {
    if e.kind == ErrorKind::Parse
        && let Some(h) = hyphenated_field(source, e.position)
    {
        return diag(
            "PA207",
            at(Some(h.position)),
            format!(
                "`{}` uses the hyphenated key `{}` as a field, which Go's template parser refuses; write {}",
                h.written, h.key, h.suggestion
            ),
        );
    }
    match e.kind {
        ErrorKind::Unsupported => diag(
            "PA202",
            at(e.position),
            format!(
                "{}; PolyAI's templates allow only if/else/with/end, `$v :=` variables, and the functions eq ne lt le gt ge and or not index",
                e.message
            ),
        ),
        _ => diag(
            "PA201",
            at(e.position),
            format!(
                "the body template does not parse: {}; fix its syntax",
                e.message
            ),
        ),
    }
}

/// A body whose first non-blank character is `{` or `[` is taken to be JSON.
fn looks_like_json(source: &str) -> bool {
    matches!(source.trim_start().chars().next(), Some('{' | '['))
}

struct Hyphenated {
    position: Position,
    written: String,
    key: String,
    suggestion: String,
}

fn is_ident(c: char) -> bool {
    c.is_alphanumeric() || c == '_'
}

/// Finds a field chain with a hyphenated key (`.parameters.order-number`) inside an action,
/// preferring one on the line of the parse error.
fn hyphenated_field(source: &str, near: Option<Position>) -> Option<Hyphenated> {
    let mut found: Vec<Hyphenated> = Vec::new();
    let mut search = 0;
    while let Some(open) = source[search..].find("{{").map(|i| i + search) {
        let close = source[open..].find("}}").map_or(source.len(), |i| i + open);
        let action = &source[open..close];
        scan_action(source, open, action, &mut found);
        search = close.min(source.len());
        if close >= source.len() {
            break;
        }
    }
    let line = near.map(|p| p.line);
    let pick = found
        .iter()
        .position(|h| Some(h.position.line) == line)
        .unwrap_or(0);
    if found.is_empty() {
        None
    } else {
        Some(found.swap_remove(pick))
    }
}

fn scan_action(source: &str, base: usize, action: &str, found: &mut Vec<Hyphenated>) {
    let chars: Vec<(usize, char)> = action.char_indices().collect();
    let mut i = 0;
    while i < chars.len() {
        let (_, c) = chars[i];
        // The start of a chain: `.x` or `$x` / `$.` not preceded by an identifier character.
        let starts = (c == '.' || c == '$') && (i == 0 || !is_ident(chars[i - 1].1));
        if c == '"' || c == '`' {
            // Skip string literals.
            let quote = c;
            i += 1;
            while i < chars.len() && chars[i].1 != quote {
                if chars[i].1 == '\\' && quote == '"' {
                    i += 1;
                }
                i += 1;
            }
            i += 1;
            continue;
        }
        if !starts {
            i += 1;
            continue;
        }
        let start = i;
        let mut segments: Vec<String> = Vec::new(); // keys, hyphens kept
        let mut var = String::new();
        if c == '$' {
            var.push('$');
            i += 1;
            while i < chars.len() && is_ident(chars[i].1) {
                var.push(chars[i].1);
                i += 1;
            }
        }
        while i < chars.len() && chars[i].1 == '.' {
            i += 1;
            let mut key = String::new();
            while i < chars.len() && (is_ident(chars[i].1) || chars[i].1 == '-') {
                key.push(chars[i].1);
                i += 1;
            }
            if key.is_empty() {
                break;
            }
            segments.push(key);
        }
        let Some(bad) = segments
            .iter()
            .position(|k| k.contains('-') && !k.starts_with('-') && !k.ends_with('-'))
        else {
            continue;
        };
        let offset = base + chars[start].0;
        let prefix_keys: String = segments[..bad].iter().map(|k| format!(".{k}")).collect();
        let receiver = match (var.as_str(), prefix_keys.is_empty()) {
            ("", true) => ".".to_owned(),
            ("", false) => prefix_keys.clone(),
            (v, _) => format!("{v}{prefix_keys}"),
        };
        let key = segments[bad].clone();
        let indexed = format!("index {receiver} {key:?}");
        let rest: String = segments[bad + 1..]
            .iter()
            .map(|k| format!(".{k}"))
            .collect();
        let suggestion = if rest.is_empty() {
            format!("`{indexed}` (for example `{{{{{indexed}}}}}`)")
        } else {
            format!("`({indexed}){rest}`")
        };
        let written = format!(
            "{var}{}",
            segments.iter().map(|k| format!(".{k}")).collect::<String>()
        );
        found.push(Hyphenated {
            position: position_of(source, offset),
            written,
            key,
            suggestion,
        });
    }
}

/// The 1-based line and column (in characters) of a byte offset.
fn position_of(source: &str, offset: usize) -> Position {
    let before = &source[..offset.min(source.len())];
    let line = before.matches('\n').count() + 1;
    let line_start = before.rfind('\n').map_or(0, |i| i + 1);
    let column = before[line_start..].chars().count() + 1;
    Position {
        offset,
        line: u32::try_from(line).unwrap_or(u32::MAX),
        column: u32::try_from(column).unwrap_or(u32::MAX),
    }
}

/// What dot refers to, as keys from the root.
#[derive(Clone, Debug)]
enum Dot {
    Root,
    Path(Vec<String>),
    Unknown,
}

/// How a value is used, which decides whether its absence fails the render (in PolyAI's
/// documented mode, as [`MissingKey::Platform`](crate::template::MissingKey::Platform) models
/// it).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Use {
    /// Printed: an absent value is an error.
    Print,
    /// Tested for truth (`if`, `with`, `and`, `or`, `not`): absent is false.
    Truth,
    /// Compared with `eq`/`ne`: absent equals only nil.
    Equality,
    /// Ordered with `lt le gt ge`: absent is an error.
    Order,
    /// Stored in a variable: nothing happens until it is used.
    Assign,
    /// Any other use (an argument of `index`, a value piped on): treated as an error.
    Value,
}

impl Use {
    fn tolerates_absent(self) -> bool {
        matches!(self, Use::Truth | Use::Equality | Use::Assign)
    }
}

/// A data reference resolved to keys from the root.
struct Ref {
    keys: Vec<String>,
    position: Position,
}

struct Cx<'a, 'o> {
    schema: Option<&'a Map<String, Value>>,
    json_body: bool,
    out: &'o mut Vec<Diagnostic>,
    /// Paths known to be present: conditions of the enclosing `if`/`with` bodies.
    guards: Vec<Vec<String>>,
}

impl Cx<'_, '_> {
    fn nodes(&mut self, nodes: &[Node], dot: &Dot) {
        for node in nodes {
            match node {
                Node::Action(a) => {
                    let usage = if a.prints() {
                        self.printed(&a.pipeline, dot);
                        Use::Print
                    } else {
                        Use::Assign
                    };
                    self.pipeline(&a.pipeline, dot, usage);
                }
                Node::If(n) => {
                    self.pipeline(&n.pipeline, dot, Use::Truth);
                    let added = self.condition_guards(&n.pipeline, dot);
                    let depth = self.guards.len();
                    self.guards.extend(added);
                    self.nodes(&n.list, dot);
                    self.guards.truncate(depth);
                    if let Some(e) = &n.else_list {
                        self.nodes(e, dot);
                    }
                }
                Node::With(n) => {
                    self.pipeline(&n.pipeline, dot, Use::Truth);
                    let added = self.condition_guards(&n.pipeline, dot);
                    let inner = match single_ref(&n.pipeline, dot) {
                        Some(r) => Dot::Path(r.keys),
                        None => Dot::Unknown,
                    };
                    let depth = self.guards.len();
                    self.guards.extend(added);
                    self.nodes(&n.list, &inner);
                    self.guards.truncate(depth);
                    if let Some(e) = &n.else_list {
                        self.nodes(e, dot);
                    }
                }
                _ => {}
            }
        }
    }

    /// The paths a true condition proves present: its bare operands, and those of `and`.
    fn condition_guards(&self, pipeline: &Pipeline, dot: &Dot) -> Vec<Vec<String>> {
        let mut out = Vec::new();
        if let [cmd] = pipeline.commands.as_slice() {
            match cmd.args.first() {
                Some(Operand::Function(f)) if f.function == Function::And => {
                    for a in &cmd.args[1..] {
                        if let Some(r) = operand_ref(a, dot) {
                            out.push(r.keys);
                        }
                    }
                }
                _ => {
                    if let Some(r) = command_ref(cmd, dot) {
                        out.push(r.keys);
                    }
                }
            }
        }
        out
    }

    /// Checks every data reference in a pipeline whose value is used as `usage`.
    fn pipeline(&mut self, pipeline: &Pipeline, dot: &Dot, usage: Use) {
        let last = pipeline.commands.len().saturating_sub(1);
        for (i, cmd) in pipeline.commands.iter().enumerate() {
            // An earlier command's value feeds the next command: a plain value.
            self.command(cmd, dot, if i == last { usage } else { Use::Value });
        }
    }

    fn command(&mut self, cmd: &Command, dot: &Dot, usage: Use) {
        let func = match cmd.args.first() {
            Some(Operand::Function(f)) => Some(f.function),
            _ => None,
        };
        let Some(func) = func else {
            for a in &cmd.args {
                self.operand(a, dot, usage);
            }
            return;
        };
        if func.is_comparison() {
            self.int_literal_comparison(cmd, func, dot);
        }
        let args = &cmd.args[1..];
        match func {
            // `index X "k"` is one reference, used as the command's value is.
            Function::Index => {
                if let Some(r) = command_ref(cmd, dot) {
                    self.reference(&r, usage);
                } else {
                    for a in args {
                        self.operand(a, dot, Use::Value);
                    }
                }
            }
            // Go's rule: an absent value equals only nil; no error.
            Function::Eq | Function::Ne => {
                for a in args {
                    self.operand(a, dot, Use::Equality);
                }
            }
            Function::Lt | Function::Le | Function::Gt | Function::Ge => {
                for a in args {
                    self.operand(a, dot, Use::Order);
                }
            }
            Function::Not => {
                for a in args {
                    self.operand(a, dot, Use::Truth);
                }
            }
            // Operands are tested for truth; the one returned (any of them) is used as the
            // command's value: in a printed action a missing one would be printed.
            Function::And | Function::Or => {
                let inner = if usage == Use::Print {
                    Use::Print
                } else {
                    Use::Truth
                };
                for a in args {
                    self.operand(a, dot, inner);
                }
            }
        }
    }

    fn operand(&mut self, a: &Operand, dot: &Dot, usage: Use) {
        match a {
            Operand::Pipeline(p) => self.pipeline(p, dot, usage),
            Operand::Chain(c) => {
                if let Some(r) = operand_ref(a, dot) {
                    self.reference(&r, usage);
                } else {
                    self.operand(&c.operand, dot, Use::Value);
                }
            }
            other => {
                if let Some(r) = operand_ref(other, dot) {
                    self.reference(&r, usage);
                }
            }
        }
    }

    /// PA209, PA203 and PA208 for one reference.
    fn reference(&mut self, r: &Ref, usage: Use) {
        let Some(root) = r.keys.first() else { return };
        if !ROOTS.contains(&root.as_str()) {
            self.out.push(diag(
                "PA209",
                at(Some(r.position)),
                format!(
                    "`.{root}` is not in the template's data, which holds only `.parameters`, `.variables` and `.static_variables`; fix the name"
                ),
            ));
            return;
        }
        if root != "parameters" {
            return;
        }
        let Some(schema) = self.schema else { return };
        let mut level: &Map<String, Value> = schema;
        for (depth, key) in r.keys.iter().enumerate().skip(1) {
            let group = group(level);
            let declared = declared_property(&group, key);
            let Some(child) = declared else {
                if declares_properties(&group) && !open_ended(&group) {
                    let parent = dotted(&r.keys[..depth]);
                    self.out.push(diag(
                        "PA203",
                        at(Some(r.position)),
                        format!(
                            "`{}` is not a declared parameter (`{parent}` declares {}); the value will always be missing: fix the name or add it to the schema's `properties`",
                            dotted(&r.keys[..=depth]),
                            list_properties(&group)
                        ),
                    ));
                }
                return;
            };
            let required = unconditionally_required(&group, key);
            let last = depth + 1 == r.keys.len();
            let guarded = (usage.tolerates_absent() && last)
                || self
                    .guards
                    .iter()
                    .any(|g| g.len() > depth && r.keys.starts_with(g));
            if !required && !guarded {
                let path = dotted(&r.keys[..=depth]);
                self.out.push(diag(
                    "PA208",
                    at(Some(r.position)),
                    format!(
                        "`{path}` is optional (not in `required`) but used outside a guard; when the agent leaves it out the render fails: wrap the use in `{{{{if {path}}}}}...{{{{end}}}}` (or `{{{{with}}}}`), or make it required"
                    ),
                ));
                return;
            }
            let Some(child) = child.as_object() else {
                return;
            };
            level = child;
        }
    }

    /// PA204 (string in a JSON body) and PA205 (number printed by `%v`).
    fn printed(&mut self, pipeline: &Pipeline, dot: &Dot) {
        let Some(r) = single_ref(pipeline, dot) else {
            return;
        };
        let Some(schema) = schema_of(self.schema, &r.keys) else {
            return;
        };
        let path = dotted(&r.keys);
        let t = types(schema);
        if self.json_body && t.contains(&"string") && !safe_strings(schema) {
            self.out.push(diag(
                "PA204",
                at(Some(r.position)),
                format!(
                    "the string `{path}` is printed into a JSON body as it is, with no escaping: a `\"`, `\\` or line break in the value breaks the JSON; restrict the value with an `enum` or a `pattern` such as `^[^\"\\\\]*$`, or keep free text out of the body"
                ),
            ));
        }
        if (t.contains(&"number") || t.contains(&"integer")) && !small_integer(schema, &t) {
            self.out.push(diag(
                "PA205",
                at(Some(r.position)),
                format!(
                    "the number `{path}` is printed with Go's %v: 1000000 prints as `1e+06` and 0.00001 as `1e-05`; if the service needs plain digits, make it an integer with `minimum`/`maximum` within ±999999, or a string"
                ),
            ));
        }
    }

    /// PA206: `gt .parameters.qty 5` fails in Go (int literal against a float64).
    fn int_literal_comparison(&mut self, cmd: &Command, f: Function, dot: &Dot) {
        let has_data = cmd.args[1..].iter().any(|a| is_data(a, dot));
        if !has_data {
            return;
        }
        for a in &cmd.args[1..] {
            if let Operand::Number(n) = a
                && matches!(n.value, NumberValue::Int(_))
            {
                self.out.push(diag(
                    "PA206",
                    at(Some(n.position)),
                    format!(
                        "`{} ... {}` compares an integer literal with a JSON value; JSON numbers are float64 in Go, so this fails with \"incompatible types for comparison\": write `{}.0`",
                        f.name(),
                        n.text,
                        n.text
                    ),
                ));
            }
        }
    }
}

/// The schema of the parameter at `keys` (`["parameters", "customer", "email"]`).
fn schema_of<'a>(
    schema: Option<&'a Map<String, Value>>,
    keys: &[String],
) -> Option<&'a Map<String, Value>> {
    if keys.first().map(String::as_str) != Some("parameters") {
        return None;
    }
    let mut level = schema?;
    for key in &keys[1..] {
        let g = group(level);
        level = declared_property(&g, key)?.as_object()?;
    }
    Some(level)
}

/// Whether an operand reads template data (not a literal, not a plain variable).
fn is_data(a: &Operand, dot: &Dot) -> bool {
    match a {
        Operand::Field(_) | Operand::Chain(_) => true,
        Operand::Variable(v) => !v.fields.is_empty(),
        Operand::Dot(_) => !matches!(dot, Dot::Root),
        Operand::Pipeline(p) => p.commands.iter().any(|c| {
            matches!(c.args.first(), Some(Operand::Function(f)) if f.function == Function::Index)
                || c.args.iter().any(|x| is_data(x, dot))
        }),
        _ => false,
    }
}

fn single_ref(pipeline: &Pipeline, dot: &Dot) -> Option<Ref> {
    match pipeline.commands.as_slice() {
        [cmd] => command_ref(cmd, dot),
        _ => None,
    }
}

/// A command that is one reference: a single operand, or `index X "k" ...` with literal keys.
fn command_ref(cmd: &Command, dot: &Dot) -> Option<Ref> {
    match cmd.args.as_slice() {
        [single] => operand_ref(single, dot),
        [Operand::Function(f), receiver, keys @ ..]
            if f.function == Function::Index && !keys.is_empty() =>
        {
            let mut r = operand_ref(receiver, dot)?;
            for k in keys {
                match k {
                    Operand::String(s) => r.keys.push(s.value.clone()),
                    _ => return None,
                }
            }
            r.position = cmd.position;
            Some(r)
        }
        _ => None,
    }
}

fn operand_ref(op: &Operand, dot: &Dot) -> Option<Ref> {
    let from_dot = |names: &[ast::FieldName]| -> Option<Vec<String>> {
        let mut keys = match dot {
            Dot::Root => Vec::new(),
            Dot::Path(p) => p.clone(),
            Dot::Unknown => return None,
        };
        keys.extend(names.iter().map(|n| n.name.clone()));
        Some(keys)
    };
    match op {
        Operand::Field(f) => Some(Ref {
            keys: from_dot(&f.names)?,
            position: f.position,
        }),
        Operand::Dot(p) => match dot {
            Dot::Path(keys) => Some(Ref {
                keys: keys.clone(),
                position: *p,
            }),
            _ => None,
        },
        Operand::Variable(v) if v.name == "$" && !v.fields.is_empty() => Some(Ref {
            keys: v.fields.iter().map(|n| n.name.clone()).collect(),
            position: v.position,
        }),
        Operand::Chain(c) => {
            let Operand::Pipeline(p) = c.operand.as_ref() else {
                return None;
            };
            let mut r = single_ref(p, dot)?;
            r.keys.extend(c.fields.iter().map(|n| n.name.clone()));
            r.position = c.position;
            Some(r)
        }
        Operand::Pipeline(p) => single_ref(p, dot),
        _ => None,
    }
}

fn dotted(keys: &[String]) -> String {
    let mut s = String::new();
    for k in keys {
        if k.chars().all(is_ident) && !k.is_empty() {
            s.push('.');
            s.push_str(k);
        } else {
            s = format!("(index {} {k:?})", if s.is_empty() { "." } else { &s });
        }
    }
    s
}

/// A schema and the subschemas applying to the same value (`allOf`/`anyOf`/`oneOf`/`then`...).
fn group(schema: &Map<String, Value>) -> Vec<&Map<String, Value>> {
    let mut out = vec![schema];
    let mut i = 0;
    while i < out.len() {
        let s = out[i];
        for kw in ["allOf", "anyOf", "oneOf"] {
            if let Some(Value::Array(list)) = s.get(kw) {
                out.extend(list.iter().filter_map(Value::as_object));
            }
        }
        for kw in ["if", "then", "else"] {
            if let Some(Value::Object(m)) = s.get(kw) {
                out.push(m);
            }
        }
        i += 1;
    }
    out
}

fn declared_property<'a>(group: &[&'a Map<String, Value>], key: &str) -> Option<&'a Value> {
    group
        .iter()
        .filter_map(|s| s.get("properties").and_then(Value::as_object))
        .find_map(|p| p.get(key))
}

fn declares_properties(group: &[&Map<String, Value>]) -> bool {
    group.iter().any(|s| s.contains_key("properties"))
}

/// `patternProperties` or a schema-valued `additionalProperties` admit names not listed.
fn open_ended(group: &[&Map<String, Value>]) -> bool {
    group.iter().any(|s| {
        s.contains_key("patternProperties")
            || matches!(s.get("additionalProperties"), Some(Value::Object(_)))
    })
}

fn list_properties(group: &[&Map<String, Value>]) -> String {
    let mut names: Vec<&str> = group
        .iter()
        .filter_map(|s| s.get("properties").and_then(Value::as_object))
        .flat_map(|p| p.keys().map(String::as_str))
        .collect();
    names.dedup();
    if names.is_empty() {
        "no properties".to_owned()
    } else {
        names.join(", ")
    }
}

/// Required by the schema itself or by an `allOf` entry (not conditionally).
fn unconditionally_required(group: &[&Map<String, Value>], key: &str) -> bool {
    let listed = |s: &Map<String, Value>| matches!(s.get("required"), Some(Value::Array(r)) if r.iter().any(|n| n.as_str() == Some(key)));
    let Some(first) = group.first() else {
        return false;
    };
    listed(first)
        || matches!(first.get("allOf"), Some(Value::Array(list))
            if list.iter().filter_map(Value::as_object).any(listed))
}

fn types(schema: &Map<String, Value>) -> Vec<&str> {
    match schema.get("type") {
        Some(Value::String(t)) => vec![t.as_str()],
        Some(Value::Array(list)) => list.iter().filter_map(Value::as_str).collect(),
        _ => Vec::new(),
    }
}

/// A string schema whose values cannot break JSON: an `enum`/`const` of safe strings, a
/// `format` whose values never hold `"` or `\\`, or a `pattern` (trusted as the author's
/// restriction: a regular expression is not analysed).
fn safe_strings(schema: &Map<String, Value>) -> bool {
    let safe = |v: &Value| match v {
        Value::String(s) => !s.chars().any(|c| c == '"' || c == '\\' || c.is_control()),
        _ => true,
    };
    const SAFE_FORMATS: [&str; 7] = [
        "date",
        "date-time",
        "time",
        "uuid",
        "ipv4",
        "ipv6",
        "hostname",
    ];
    if schema.contains_key("pattern") {
        return true;
    }
    if let Some(Value::String(f)) = schema.get("format")
        && SAFE_FORMATS.contains(&f.as_str())
    {
        return true;
    }
    match (schema.get("enum"), schema.get("const")) {
        (Some(Value::Array(list)), _) => list.iter().all(safe),
        (_, Some(v)) => safe(v),
        _ => false,
    }
}

/// An integer schema bounded within ±999999 always prints as plain digits.
fn small_integer(schema: &Map<String, Value>, types: &[&str]) -> bool {
    if types.contains(&"number") {
        return false;
    }
    let bound = |kw: &str| schema.get(kw).and_then(Value::as_f64);
    let low = bound("minimum").or_else(|| bound("exclusiveMinimum"));
    let high = bound("maximum").or_else(|| bound("exclusiveMaximum"));
    matches!((low, high), (Some(l), Some(h)) if l > -1_000_000.0 && h < 1_000_000.0)
}
