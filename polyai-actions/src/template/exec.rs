//! The evaluator: walks the parsed tree over JSON data with Go's value types and Go's rules
//! (`text/template/exec.go` and `funcs.go`). It borrows from the data and the tree and never
//! clones a JSON value; the only allocations are the output and the variable stack.

use super::ast::*;
use super::print::{push_integer, write_float, write_map, write_slice};
use super::{ErrorKind, MissingKey, Position, RenderOptions, Template, TemplateError};
use serde_json::{Map, Value};

/// Why a value is absent, for the platform mode's messages.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Why {
    Missing,
    Null,
}

/// Where an absent value came from: the template text `start..end` that produced it.
#[derive(Clone, Copy)]
struct Origin<'a> {
    start: usize,
    end: usize,
    why: Why,
    key: Option<&'a str>,
}

/// A value with Go's type. `Invalid` is Go's zero `reflect.Value` (a missing key, an untyped
/// nil); `NilIface` is an `interface{}` holding nil (a JSON null inside a map or array, or the
/// zero value `missingkey=zero` substitutes). Everything else is a concrete Go value.
#[derive(Clone, Copy)]
enum Val<'a> {
    Invalid(Option<Origin<'a>>),
    NilIface(Option<Origin<'a>>),
    Bool(bool),
    Int(i64),
    /// A `uint8`: a byte of a string, from `index "abc" 0`.
    Byte(u8),
    Float(f64),
    Str(&'a str),
    Map(&'a Map<String, Value>),
    Slice(&'a [Value]),
}

impl<'a> Val<'a> {
    fn from_json(v: &'a Value, origin: Option<Origin<'a>>) -> Val<'a> {
        match v {
            Value::Null => Val::NilIface(origin.map(|o| Origin {
                why: Why::Null,
                ..o
            })),
            Value::Bool(b) => Val::Bool(*b),
            Value::Number(n) => Val::Float(n.as_f64().unwrap_or(f64::NAN)),
            Value::String(s) => Val::Str(s),
            Value::Array(a) => Val::Slice(a),
            Value::Object(m) => Val::Map(m),
        }
    }

    /// Go's `indirectInterface`: a nil interface becomes the zero value.
    fn indirect(self) -> Val<'a> {
        match self {
            Val::NilIface(o) => Val::Invalid(o),
            v => v,
        }
    }

    fn type_name(self) -> &'static str {
        match self {
            Val::Invalid(_) => "<nil>",
            Val::NilIface(_) => "interface {}",
            Val::Bool(_) => "bool",
            Val::Int(_) => "int",
            Val::Byte(_) => "uint8",
            Val::Float(_) => "float64",
            Val::Str(_) => "string",
            Val::Map(_) => "map[string]interface {}",
            Val::Slice(_) => "[]interface {}",
        }
    }

    fn absent(self) -> Option<Option<Origin<'a>>> {
        match self {
            Val::Invalid(o) | Val::NilIface(o) => Some(o),
            _ => None,
        }
    }
}

/// Prints a value that is there (not `Invalid` nor a nil interface, which [`State::print`]
/// handles) with Go's `%v`.
fn push_present(out: &mut String, v: Val<'_>) {
    match v {
        Val::Invalid(_) | Val::NilIface(_) => {}
        Val::Bool(b) => out.push_str(if b { "true" } else { "false" }),
        Val::Int(i) => push_integer(out, i),
        Val::Byte(b) => push_integer(out, b as i64),
        Val::Float(f) => write_float(out, f),
        Val::Str(s) => out.push_str(s),
        Val::Map(m) => write_map(out, m),
        Val::Slice(a) => write_slice(out, a),
    }
}

/// Prints a JSON string, number or boolean found in the data as an action prints it; `false`
/// (nothing written) for anything else.
pub(super) fn push_json_scalar(out: &mut String, value: &Value) -> bool {
    match value {
        Value::String(_) | Value::Number(_) | Value::Bool(_) => {
            push_present(out, Val::from_json(value, None));
            true
        }
        _ => false,
    }
}

/// Go's truth of a JSON value found in the data (as `{{if}}` takes it).
pub(super) fn json_truth(value: &Value) -> bool {
    truth(Val::from_json(value, None).indirect())
}

/// Go's `isTrue`.
fn truth(v: Val<'_>) -> bool {
    match v {
        Val::Invalid(_) | Val::NilIface(_) => false,
        Val::Bool(b) => b,
        Val::Int(i) => i != 0,
        Val::Byte(b) => b != 0,
        Val::Float(f) => f != 0.0,
        Val::Str(s) => !s.is_empty(),
        Val::Map(m) => !m.is_empty(),
        Val::Slice(s) => !s.is_empty(),
    }
}

/// Go's `basicKind` classes.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Basic {
    Invalid,
    Bool,
    Int,
    Uint,
    Float,
    Str,
}

fn basic(v: Val<'_>) -> Basic {
    match v {
        Val::Bool(_) => Basic::Bool,
        Val::Int(_) => Basic::Int,
        Val::Byte(_) => Basic::Uint,
        Val::Float(_) => Basic::Float,
        Val::Str(_) => Basic::Str,
        _ => Basic::Invalid,
    }
}

type CallResult<T> = Result<T, (ErrorKind, String)>;

const INCOMPATIBLE: &str = "incompatible types for comparison";
const INVALID_TYPE: &str = "invalid type for comparison";

fn as_int(v: Val<'_>) -> i64 {
    if let Val::Int(i) = v { i } else { 0 }
}

fn as_uint(v: Val<'_>) -> u64 {
    if let Val::Byte(b) = v { b as u64 } else { 0 }
}

/// Go's `eq arg1 arg2...`.
fn eq(argv: &[Val<'_>]) -> CallResult<bool> {
    let a = argv[0].indirect();
    if argv.len() == 1 {
        return Err((
            ErrorKind::MissingArgument,
            "missing argument for comparison".into(),
        ));
    }
    let k1 = basic(a);
    for b in &argv[1..] {
        let b = b.indirect();
        let k2 = basic(b);
        let t = if k1 != k2 {
            match (k1, k2) {
                (Basic::Int, Basic::Uint) => as_int(a) >= 0 && as_int(a) as u64 == as_uint(b),
                (Basic::Uint, Basic::Int) => as_int(b) >= 0 && as_uint(a) == as_int(b) as u64,
                _ => {
                    if !matches!(a, Val::Invalid(_)) && !matches!(b, Val::Invalid(_)) {
                        return Err((ErrorKind::IncompatibleTypes, INCOMPATIBLE.into()));
                    }
                    false
                }
            }
        } else {
            match (a, b) {
                (Val::Bool(x), Val::Bool(y)) => x == y,
                (Val::Float(x), Val::Float(y)) => x == y,
                (Val::Int(x), Val::Int(y)) => x == y,
                (Val::Str(x), Val::Str(y)) => x == y,
                (Val::Byte(x), Val::Byte(y)) => x == y,
                _ => {
                    // Maps, slices and the zero value: only nil compares.
                    let (na, nb) = (matches!(a, Val::Invalid(_)), matches!(b, Val::Invalid(_)));
                    let same_kind = matches!(
                        (a, b),
                        (Val::Map(_), Val::Map(_)) | (Val::Slice(_), Val::Slice(_))
                    );
                    if !same_kind && !na && !nb {
                        return Err((
                            ErrorKind::InvalidComparison,
                            format!(
                                "non-comparable types {} and {}",
                                a.type_name(),
                                b.type_name()
                            ),
                        ));
                    }
                    if na || nb {
                        na == nb
                    } else {
                        return Err((
                            ErrorKind::InvalidComparison,
                            format!("non-comparable type {}", b.type_name()),
                        ));
                    }
                }
            }
        };
        if t {
            return Ok(true);
        }
    }
    Ok(false)
}

/// Go's `lt arg1 arg2`.
fn lt(a: Val<'_>, b: Val<'_>) -> CallResult<bool> {
    let a = a.indirect();
    let k1 = basic(a);
    if k1 == Basic::Invalid {
        return Err((ErrorKind::InvalidComparison, INVALID_TYPE.into()));
    }
    let b = b.indirect();
    let k2 = basic(b);
    if k2 == Basic::Invalid {
        return Err((ErrorKind::InvalidComparison, INVALID_TYPE.into()));
    }
    if k1 != k2 {
        return match (k1, k2) {
            (Basic::Int, Basic::Uint) => Ok(as_int(a) < 0 || (as_int(a) as u64) < as_uint(b)),
            (Basic::Uint, Basic::Int) => Ok(as_int(b) >= 0 && as_uint(a) < as_int(b) as u64),
            _ => Err((ErrorKind::IncompatibleTypes, INCOMPATIBLE.into())),
        };
    }
    Ok(match (a, b) {
        (Val::Float(x), Val::Float(y)) => x < y,
        (Val::Int(x), Val::Int(y)) => x < y,
        (Val::Str(x), Val::Str(y)) => x < y,
        (Val::Byte(x), Val::Byte(y)) => x < y,
        _ => return Err((ErrorKind::InvalidComparison, INVALID_TYPE.into())),
    })
}

fn le(a: Val<'_>, b: Val<'_>) -> CallResult<bool> {
    if lt(a, b)? {
        return Ok(true);
    }
    eq(&[a, b])
}

/// Go's `indexArg`.
fn index_arg(idx: Val<'_>, cap: usize) -> CallResult<usize> {
    let x: i64 = match idx {
        Val::Int(i) => i,
        Val::Byte(b) => b as i64,
        Val::Invalid(_) => {
            return Err((ErrorKind::Index, "cannot index slice/array with nil".into()));
        }
        other => {
            return Err((
                ErrorKind::Index,
                format!("cannot index slice/array with type {}", other.type_name()),
            ));
        }
    };
    if x < 0 || x as u64 > cap as u64 {
        return Err((ErrorKind::Index, format!("index out of range: {x}")));
    }
    Ok(x as usize)
}

/// Go's `index item indexes...`; `origin` names the call for absent results.
fn index<'a>(argv: &[Val<'a>], span: (usize, usize)) -> CallResult<Val<'a>> {
    let mut item = argv[0].indirect();
    if let Val::Invalid(_) = item {
        return Err((ErrorKind::Index, "index of untyped nil".into()));
    }
    for idx in &argv[1..] {
        let idx = idx.indirect();
        item = match item {
            Val::NilIface(_) => return Err((ErrorKind::Index, "index of nil pointer".into())),
            Val::Slice(s) => {
                let x = index_arg(idx, s.len())?;
                let Some(v) = s.get(x) else {
                    return Err((ErrorKind::Index, "reflect: slice index out of range".into()));
                };
                let o = Origin {
                    start: span.0,
                    end: span.1,
                    why: Why::Null,
                    key: None,
                };
                Val::from_json(v, Some(o))
            }
            Val::Str(s) => {
                let x = index_arg(idx, s.len())?;
                let Some(b) = s.as_bytes().get(x) else {
                    return Err((
                        ErrorKind::Index,
                        "reflect: string index out of range".into(),
                    ));
                };
                Val::Byte(*b)
            }
            Val::Map(m) => {
                let key = match idx {
                    Val::Str(k) => k,
                    Val::Invalid(_) => {
                        return Err((
                            ErrorKind::Index,
                            "value is nil; should be of type string".into(),
                        ));
                    }
                    other => {
                        return Err((
                            ErrorKind::Index,
                            format!("value has type {}; should be string", other.type_name()),
                        ));
                    }
                };
                let o = Origin {
                    start: span.0,
                    end: span.1,
                    why: Why::Missing,
                    key: Some(key),
                };
                match m.get(key) {
                    Some(v) => Val::from_json(
                        v,
                        Some(Origin {
                            why: Why::Null,
                            ..o
                        }),
                    ),
                    None => Val::NilIface(Some(o)),
                }
            }
            other => {
                return Err((
                    ErrorKind::Index,
                    format!("can't index item of type {}", other.type_name()),
                ));
            }
        };
    }
    Ok(item)
}

struct State<'a, 'o> {
    t: &'a Template,
    mode: MissingKey,
    /// `$`: the data the template runs over (kept apart from `vars`, so a template that declares
    /// no variable needs no variable stack at all).
    top: Val<'a>,
    /// The declared variables, innermost last.
    vars: Vec<(&'a str, Val<'a>)>,
    out: &'o mut String,
    at: Position,
}

type EResult<T> = Result<T, TemplateError>;

/// Renders `t` over `data` into `out`.
pub(crate) fn execute(
    t: &Template,
    data: &Value,
    options: &RenderOptions,
    out: &mut String,
) -> Result<(), TemplateError> {
    let root = match data {
        Value::Null => Val::Invalid(None),
        v => Val::from_json(v, None),
    };
    let mut s = State {
        t,
        mode: options.missing_key,
        top: root,
        vars: Vec::new(),
        out,
        at: Position {
            offset: 0,
            line: 1,
            column: 1,
        },
    };
    s.walk(root, &t.root)
}

fn field_end(f: &FieldName) -> usize {
    f.position.offset + 1 + f.name.len()
}

impl<'a> State<'a, '_> {
    fn error(&self, kind: ErrorKind, message: String) -> TemplateError {
        TemplateError {
            kind,
            position: Some(self.at),
            message,
        }
    }

    fn walk(&mut self, dot: Val<'a>, nodes: &'a [Node]) -> EResult<()> {
        for node in nodes {
            match node {
                Node::Text(t) => self.out.push_str(&t.text),
                Node::Action(a) => {
                    self.at = a.position;
                    let v = self.eval_pipeline(dot, &a.pipeline)?;
                    if a.pipeline.declarations.is_empty() {
                        self.print(v)?;
                    }
                }
                Node::If(n) => {
                    self.if_or_with(false, dot, &n.pipeline, &n.list, n.else_list.as_deref())?
                }
                Node::With(n) => {
                    self.if_or_with(true, dot, &n.pipeline, &n.list, n.else_list.as_deref())?
                }
            }
        }
        Ok(())
    }

    fn if_or_with(
        &mut self,
        with: bool,
        dot: Val<'a>,
        pipe: &'a Pipeline,
        list: &'a [Node],
        else_list: Option<&'a [Node]>,
    ) -> EResult<()> {
        let mark = self.vars.len();
        let v = self.eval_pipeline(dot, pipe)?;
        if truth(v) {
            self.walk(if with { v } else { dot }, list)?;
        } else if let Some(e) = else_list {
            self.walk(dot, e)?;
        }
        self.vars.truncate(mark);
        Ok(())
    }

    fn print(&mut self, v: Val<'a>) -> EResult<()> {
        match v {
            Val::Invalid(o) | Val::NilIface(o) => {
                if self.mode == MissingKey::Platform {
                    return Err(self.absent_error(o, "is printed"));
                }
                self.out.push_str("<no value>");
            }
            present => push_present(self.out, present),
        }
        Ok(())
    }

    /// The platform mode's error for an absent value used where PolyAI refuses one.
    fn absent_error(&self, origin: Option<Origin<'a>>, use_: &str) -> TemplateError {
        let Some(o) = origin else {
            return self.error(
                ErrorKind::MissingKey,
                format!("a value that {use_} is missing (Go would print <no value>)"),
            );
        };
        let text = self.t.source.get(o.start..o.end).unwrap_or("value");
        let position = Some(self.t.lines.position(&self.t.source, o.start));
        let what = match (o.why, o.key) {
            (Why::Missing, Some(k)) => format!("`{text}` finds no key {k:?}"),
            (Why::Missing, None) => format!("`{text}` is missing"),
            (Why::Null, _) => format!("`{text}` is null"),
        };
        TemplateError {
            kind: ErrorKind::MissingKey,
            position,
            message: format!(
                "{what} and {use_}; PolyAI refuses a missing value here (Go would print <no value>): supply it, or guard it with {{{{if}}}} or {{{{with}}}}"
            ),
        }
    }

    fn eval_pipeline(&mut self, dot: Val<'a>, pipe: &'a Pipeline) -> EResult<Val<'a>> {
        self.at = pipe.position;
        let mut value: Option<Val<'a>> = None;
        for cmd in &pipe.commands {
            value = Some(self.eval_command(dot, cmd, value)?.indirect());
        }
        let value = value.unwrap_or(Val::Invalid(None));
        for decl in &pipe.declarations {
            if pipe.is_assign {
                match self.vars.iter_mut().rev().find(|(n, _)| *n == decl.name) {
                    Some(slot) => slot.1 = value,
                    None if decl.name == "$" => self.top = value,
                    None => {
                        return Err(self.error(
                            ErrorKind::Exec,
                            format!("undefined variable: {}", decl.name),
                        ));
                    }
                }
            } else {
                self.vars.push((&decl.name, value));
            }
        }
        Ok(value)
    }

    fn not_a_function(&self, has_args: bool, op: &Operand) -> EResult<()> {
        if has_args {
            return Err(self.error(
                ErrorKind::NotAFunction,
                format!("can't give argument to non-function {}", describe(op)),
            ));
        }
        Ok(())
    }

    fn eval_command(
        &mut self,
        dot: Val<'a>,
        cmd: &'a Command,
        fin: Option<Val<'a>>,
    ) -> EResult<Val<'a>> {
        let first = &cmd.args[0];
        let has_args = cmd.args.len() > 1 || fin.is_some();
        match first {
            Operand::Field(f) => self.eval_field_node(dot, f, has_args),
            Operand::Chain(c) => self.eval_chain(dot, c, has_args),
            Operand::Function(f) => self.eval_function(dot, f, &cmd.args[1..], fin),
            Operand::Pipeline(p) => {
                self.not_a_function(has_args, first)?;
                self.eval_pipeline(dot, p)
            }
            Operand::Variable(v) => self.eval_variable(dot, v, has_args),
            other => {
                self.at = other.go_position();
                self.not_a_function(has_args, other)?;
                match other {
                    Operand::Bool(_, b) => Ok(Val::Bool(*b)),
                    Operand::Dot(_) => Ok(dot),
                    Operand::Number(n) => self.ideal(n),
                    Operand::String(s) => Ok(Val::Str(&s.value)),
                    _ => Err(self.error(ErrorKind::Exec, "nil is not a command".into())),
                }
            }
        }
    }

    fn ideal(&mut self, n: &NumberLiteral) -> EResult<Val<'a>> {
        self.at = n.position;
        match n.value {
            NumberValue::Int(i) => Ok(Val::Int(i)),
            NumberValue::Float(f) => Ok(Val::Float(f)),
            NumberValue::OverflowsInt(_) => {
                Err(self.error(ErrorKind::Exec, format!("{} overflows int", n.text)))
            }
        }
    }

    fn eval_field_node(&mut self, dot: Val<'a>, f: &'a Field, has_args: bool) -> EResult<Val<'a>> {
        self.at = f.names.get(1).map_or(f.position, |n| n.position);
        self.eval_field_chain(dot, &f.names, f.position.offset, has_args)
    }

    fn eval_chain(&mut self, dot: Val<'a>, c: &'a Chain, has_args: bool) -> EResult<Val<'a>> {
        self.at = c.fields[0].position;
        if let Operand::Nil(_) = *c.operand {
            return Err(self.error(ErrorKind::Exec, "indirection through explicit nil".into()));
        }
        let v = self.eval_arg(dot, &c.operand)?;
        self.eval_field_chain(v, &c.fields, c.position.offset, has_args)
    }

    fn eval_variable(&mut self, dot: Val<'a>, v: &'a Variable, has_args: bool) -> EResult<Val<'a>> {
        let _ = dot;
        self.at = v.fields.first().map_or(v.position, |n| n.position);
        let found = self.vars.iter().rev().find(|(n, _)| *n == v.name);
        let Some(value) = found
            .map(|&(_, value)| value)
            .or_else(|| (v.name == "$").then_some(self.top))
        else {
            return Err(self.error(ErrorKind::Exec, format!("undefined variable: {}", v.name)));
        };
        if v.fields.is_empty() {
            if has_args {
                return Err(self.error(
                    ErrorKind::NotAFunction,
                    format!("can't give argument to non-function {}", v.name),
                ));
            }
            return Ok(value);
        }
        self.eval_field_chain(value, &v.fields, v.position.offset, has_args)
    }

    fn eval_field_chain(
        &mut self,
        mut receiver: Val<'a>,
        names: &'a [FieldName],
        start: usize,
        has_args: bool,
    ) -> EResult<Val<'a>> {
        let n = names.len();
        for (k, name) in names.iter().enumerate() {
            let span = (start, field_end(name));
            receiver = self.eval_field(&name.name, k + 1 == n && has_args, receiver, span)?;
        }
        Ok(receiver)
    }

    fn eval_field(
        &mut self,
        name: &'a str,
        has_args: bool,
        receiver: Val<'a>,
        span: (usize, usize),
    ) -> EResult<Val<'a>> {
        let origin = Origin {
            start: span.0,
            end: span.1,
            why: Why::Missing,
            key: None,
        };
        match receiver {
            Val::Invalid(o) => {
                if self.mode == MissingKey::Error {
                    return Err(self.error(
                        ErrorKind::MissingKey,
                        format!("nil data; no entry for key {name:?}"),
                    ));
                }
                Ok(Val::Invalid(Some(o.unwrap_or(origin))))
            }
            Val::NilIface(_) => Err(self.error(
                ErrorKind::FieldOnNonMap,
                format!("nil pointer evaluating interface {{}}.{name}"),
            )),
            Val::Map(m) => {
                if has_args {
                    return Err(self.error(
                        ErrorKind::NotAFunction,
                        format!("{name} is not a method but has arguments"),
                    ));
                }
                match m.get(name) {
                    Some(v) => Ok(Val::from_json(v, Some(origin))),
                    None => match self.mode {
                        MissingKey::Platform | MissingKey::GoDefault => {
                            Ok(Val::Invalid(Some(origin)))
                        }
                        MissingKey::Zero => Ok(Val::NilIface(Some(origin))),
                        MissingKey::Error => Err(self.error(
                            ErrorKind::MissingKey,
                            format!("map has no entry for key {name:?}"),
                        )),
                    },
                }
            }
            other => Err(self.error(
                ErrorKind::FieldOnNonMap,
                format!("can't evaluate field {name} in type {}", other.type_name()),
            )),
        }
    }

    fn eval_arg(&mut self, dot: Val<'a>, op: &'a Operand) -> EResult<Val<'a>> {
        self.at = op.go_position();
        match op {
            Operand::Dot(_) => Ok(dot),
            Operand::Nil(_) => Ok(Val::Invalid(None)),
            Operand::Field(f) => self.eval_field_node(dot, f, false),
            Operand::Variable(v) => self.eval_variable(dot, v, false),
            Operand::Pipeline(p) => self.eval_pipeline(dot, p),
            Operand::Function(f) => self.eval_function(dot, f, &[], None),
            Operand::Chain(c) => self.eval_chain(dot, c, false),
            Operand::Bool(_, b) => Ok(Val::Bool(*b)),
            Operand::Number(n) => self.ideal(n),
            Operand::String(s) => Ok(Val::Str(&s.value)),
        }
    }

    fn eval_function(
        &mut self,
        dot: Val<'a>,
        f: &'a FunctionRef,
        args: &'a [Operand],
        fin: Option<Val<'a>>,
    ) -> EResult<Val<'a>> {
        self.at = f.position;
        let name = f.function.name();
        let num_in = args.len() + usize::from(fin.is_some());
        let wrong = |s: &Self, want: &str, got: usize| {
            Err(s.error(
                ErrorKind::WrongArgumentCount,
                format!("wrong number of args for {name}: want {want} got {got}"),
            ))
        };
        match f.function {
            Function::And | Function::Or => {
                if num_in < 1 {
                    return wrong(self, "at least 1", args.len());
                }
                let is_or = f.function == Function::Or;
                let mut v = Val::Invalid(None);
                for a in args {
                    v = self.eval_arg(dot, a)?;
                    if truth(v) == is_or {
                        return Ok(v);
                    }
                }
                Ok(fin.unwrap_or(v))
            }
            Function::Not => {
                if num_in != 1 {
                    return wrong(self, "1", num_in);
                }
                let v = match fin {
                    Some(v) => v,
                    None => self.eval_arg(dot, &args[0])?,
                };
                Ok(Val::Bool(!truth(v)))
            }
            Function::Eq | Function::Index => {
                if num_in < 1 {
                    return wrong(self, "at least 1", args.len());
                }
                self.call(dot, f, args, fin)
            }
            _ => {
                if num_in != 2 {
                    return wrong(self, "2", num_in);
                }
                self.call(dot, f, args, fin)
            }
        }
    }

    /// Evaluates every argument (as Go does, before the call), then calls the function.
    fn call(
        &mut self,
        dot: Val<'a>,
        f: &'a FunctionRef,
        args: &'a [Operand],
        fin: Option<Val<'a>>,
    ) -> EResult<Val<'a>> {
        let n = args.len() + usize::from(fin.is_some());
        let mut small = [Val::Invalid(None); 6];
        let mut big = Vec::new();
        let argv: &mut [Val<'a>] = if n <= small.len() {
            &mut small[..n]
        } else {
            big.resize(n, Val::Invalid(None));
            &mut big[..]
        };
        for (slot, a) in argv.iter_mut().zip(args) {
            *slot = self.eval_arg(dot, a)?;
        }
        if let Some(v) = fin {
            argv[n - 1] = v;
        }
        // Go moves its error position back to the function only when the call fails; on
        // success it stays on the last argument evaluated (a later field error reports it).
        if self.mode == MissingKey::Platform {
            self.platform_check(f.function, argv)?;
        }
        let end = f.position.offset + f.function.name().len();
        let result = match f.function {
            Function::Eq => eq(argv).map(Val::Bool),
            Function::Ne => eq(argv).map(|b| Val::Bool(!b)),
            Function::Lt => lt(argv[0], argv[1]).map(Val::Bool),
            Function::Le => le(argv[0], argv[1]).map(Val::Bool),
            Function::Gt => le(argv[0], argv[1]).map(|b| Val::Bool(!b)),
            Function::Ge => lt(argv[0], argv[1]).map(|b| Val::Bool(!b)),
            Function::Index => index(argv, (f.position.offset, end)),
            Function::And | Function::Or | Function::Not => Ok(argv[0]),
        };
        result.map_err(|(kind, msg)| {
            self.at = f.position;
            self.error(kind, format!("error calling {}: {msg}", f.function.name()))
        })
    }

    /// The platform mode refuses an absent value where Go would fail on it anyway (an
    /// ordering comparison, `index` of nothing), naming the value instead of its type.
    fn platform_check(&self, f: Function, argv: &[Val<'a>]) -> EResult<()> {
        let checked: &[Val<'a>] = match f {
            Function::Lt | Function::Le | Function::Gt | Function::Ge => argv,
            Function::Index => &argv[..1],
            _ => return Ok(()),
        };
        for v in checked {
            if let Some(o @ Some(_)) = v.absent() {
                let use_ = if f == Function::Index {
                    "is indexed"
                } else {
                    "is compared"
                };
                return Err(self.absent_error(o, use_));
            }
        }
        Ok(())
    }
}

fn describe(op: &Operand) -> String {
    match op {
        Operand::Field(f) => f.path(),
        Operand::Variable(v) => v.path(),
        Operand::Chain(_) | Operand::Pipeline(_) => "(...)".into(),
        Operand::Dot(_) => ".".into(),
        Operand::Nil(_) => "nil".into(),
        Operand::Bool(_, b) => b.to_string(),
        Operand::Number(n) => n.text.clone(),
        Operand::String(s) => s.quoted.clone(),
        Operand::Function(f) => f.function.name().into(),
    }
}
