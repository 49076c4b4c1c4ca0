//! PolyAI's subset of Go's `text/template`, over JSON data, producing the bytes Go produces.
//!
//! An API-call action's body is a Go template. This module parses one ([`Template::parse`]),
//! refusing at parse time everything outside the subset PolyAI documents, and renders it over
//! JSON data ([`Template::render`]) with Go's semantics: truthiness, `and`/`or` returning an
//! operand and stopping early, multi-argument `eq`, the `int`-literal-versus-`float64` rules
//! of the comparison functions, `index` on maps, arrays and strings, variables and their
//! scope, `$`, trim markers, comments, every literal form, and `%v` printing (`1e+06`,
//! `map[a:1 b:x]`, `[1 <nil>]`, `<no value>`).
//!
//! The stages are separate files: `lexer.rs` (tokens with byte offsets), `parser.rs` (the tree
//! in [`ast`]; the subset is enforced here), `exec.rs` (the evaluator, over values with Go's
//! types, borrowing from the data), `print.rs` (Go's `%v`). A parsed [`Template`] is immutable
//! and renders any number of times, from any thread, without parsing again.
//!
//! # The subset
//! Allowed: text, `{{pipeline}}`, `{{if}}` / `{{else if}}` / `{{else}}` / `{{end}}`, `{{with}}`
//! (with `{{else}}`; Go 1.19 has no `{{else with}}`), `{{$v := ...}}` and `{{$v = ...}}`,
//! `$`, pipelines with `|` and parentheses, comments, the trim markers, and the functions
//! `eq ne lt le gt ge and or not index`. Refused with [`ErrorKind::Unsupported`]: `range`,
//! `template`, `define`, `block`, `break`, `continue`, every other function Go defines (`len`,
//! `printf`, ...), complex constants (`1i`) and string literals whose escapes make bytes that
//! are not UTF-8 (`"\xff"`). A template Go itself refuses reports [`ErrorKind::Parse`], even
//! when it also uses something outside the subset.
//!
//! # Missing values
//! [`MissingKey`] chooses what a key that is not in the data does:
//! - [`MissingKey::Platform`] (the default) is PolyAI's documented behaviour: a missing value
//!   is an error when it would be printed, yet false in a condition (`{{if .parameters.email}}`
//!   is the documented way to make a field optional). Precisely: evaluation follows Go's
//!   default mode, except that (1) printing a value that Go would print as `<no value>` (a
//!   missing key, a JSON null, a key `index` does not find) is a [`ErrorKind::MissingKey`]
//!   error naming the path and its position, (2) an absent value given to `lt le gt ge` or as
//!   the first argument of `index` is a `MissingKey` error naming the path (Go fails there too,
//!   with a type error). `eq` and `ne` keep Go's rule: an absent value equals only `nil` and
//!   other absent values. `if`, `with`, `and`, `or` and `not` treat it as false.
//! - [`MissingKey::GoDefault`], [`MissingKey::Zero`], [`MissingKey::Error`] are Go's
//!   `missingkey=default`, `missingkey=zero` and `missingkey=error`. (Over JSON data `zero`
//!   prints `<no value>` too: the zero value of `interface{}` is nil, which Go prints so.)
//!
//! # Positions
//! Errors carry a [`Position`]: the byte `offset` into the source, a 1-based `line` and a
//! 1-based `column` counted in characters. Execution errors point where Go's do: Go reports
//! `line:column` with a 0-based byte column, so for ASCII text Go's column is ours minus one
//! (`offset` is exactly Go's position). Go's parse errors name only a line; ours name the
//! offending token.
//!
//! # Example
//! ```
//! use polyai_actions::template::{ErrorKind, RenderOptions, Template};
//! use serde_json::json;
//!
//! let t = Template::parse(
//!     r#"{"email": "{{.parameters.email}}"{{if .parameters.qty}}, "qty": {{.parameters.qty}}{{end}}}"#,
//! )?;
//! let data = json!({"parameters": {"email": "a@b.c", "qty": 1000000}});
//! assert_eq!(
//!     t.render(&data, &RenderOptions::default())?,
//!     r#"{"email": "a@b.c", "qty": 1e+06}"#
//! );
//! // A printed value that is missing is an error in the platform mode, the default.
//! let err = t.render(&json!({"parameters": {}}), &RenderOptions::default()).unwrap_err();
//! assert_eq!(err.kind, ErrorKind::MissingKey);
//! assert_eq!(err.to_string().split(':').next(), Some("1"));
//! # Ok::<(), polyai_actions::template::TemplateError>(())
//! ```
//!
//! Each missing-key mode:
//! ```
//! use polyai_actions::template::{ErrorKind, MissingKey, RenderOptions, Template};
//! use serde_json::json;
//!
//! let t = Template::parse("[{{.name}}]{{if .name}}!{{end}}").unwrap();
//! let data = json!({});
//! let mode = |m| RenderOptions::default().with_missing_key(m);
//! assert_eq!(t.render(&data, &mode(MissingKey::GoDefault)).unwrap(), "[<no value>]");
//! assert_eq!(t.render(&data, &mode(MissingKey::Zero)).unwrap(), "[<no value>]");
//! let err = t.render(&data, &mode(MissingKey::Error)).unwrap_err();
//! assert_eq!(err.kind, ErrorKind::MissingKey);
//! let err = t.render(&data, &mode(MissingKey::Platform)).unwrap_err();
//! assert_eq!(err.kind, ErrorKind::MissingKey);
//! // In a condition, a missing value is simply false in the platform mode.
//! let guarded = Template::parse("{{if .name}}{{.name}}{{else}}anonymous{{end}}").unwrap();
//! assert_eq!(guarded.render(&data, &RenderOptions::default()).unwrap(), "anonymous");
//! ```

pub mod ast;
mod exec;
mod lexer;
mod literal;
mod parser;
mod plan;
pub(crate) use plan::Top;
mod print;

use std::fmt;

/// A parsed template: immutable, `Send + Sync`, rendered any number of times without parsing
/// again.
#[derive(Clone, Debug)]
pub struct Template {
    source: String,
    root: Vec<ast::Node>,
    lines: LineIndex,
    /// The flat form, when the template is simple enough (see `plan`).
    plan: Option<plan::Plan>,
}

impl Template {
    /// Parses `source`, refusing anything Go's parser refuses ([`ErrorKind::Parse`]) and
    /// anything outside PolyAI's subset ([`ErrorKind::Unsupported`]), with the position of
    /// the offending token.
    ///
    /// ```
    /// use polyai_actions::template::{ErrorKind, Template};
    ///
    /// assert!(Template::parse("{{if .a}}x{{end}}").is_ok());
    /// let err = Template::parse("{{range .items}}{{.}}{{end}}").unwrap_err();
    /// assert_eq!(err.kind, ErrorKind::Unsupported);
    /// assert_eq!((err.position.unwrap().line, err.position.unwrap().column), (1, 3));
    /// let err = Template::parse("{{.order-number}}").unwrap_err();
    /// assert_eq!(err.kind, ErrorKind::Parse);
    /// ```
    pub fn parse(source: &str) -> Result<Template, TemplateError> {
        let lines = LineIndex::new(source);
        let root = parser::parse(source, &lines)?;
        Ok(Template {
            source: source.to_string(),
            plan: plan::Plan::new(&root),
            root,
            lines,
        })
    }

    /// Renders the template over `data` (the JSON a PolyAI action sees: `parameters`,
    /// `variables`, `static_variables`). Every JSON number is a Go `float64`.
    ///
    /// ```
    /// use polyai_actions::template::{RenderOptions, Template};
    /// use serde_json::json;
    ///
    /// let t = Template::parse(r#"{{if eq .parameters.priority "high"}}urgent{{else}}normal{{end}}"#).unwrap();
    /// let out = t.render(&json!({"parameters": {"priority": "high"}}), &RenderOptions::default()).unwrap();
    /// assert_eq!(out, "urgent");
    /// ```
    pub fn render(
        &self,
        data: &serde_json::Value,
        options: &RenderOptions,
    ) -> Result<String, TemplateError> {
        let mut out = String::with_capacity(self.source.len() + 64);
        self.render_into(data, options, &mut out)?;
        Ok(out)
    }

    /// Like [`render`](Self::render), appending to `out` (which keeps what was written before
    /// an error, as Go's writer does).
    ///
    /// ```
    /// use polyai_actions::template::{RenderOptions, Template};
    /// use serde_json::json;
    ///
    /// let t = Template::parse("{{.n}};").unwrap();
    /// let mut out = String::new();
    /// for n in [1, 2] {
    ///     t.render_into(&json!({"n": n}), &RenderOptions::default(), &mut out).unwrap();
    /// }
    /// assert_eq!(out, "1;2;");
    /// ```
    pub fn render_into(
        &self,
        data: &serde_json::Value,
        options: &RenderOptions,
        out: &mut String,
    ) -> Result<(), TemplateError> {
        if let Some(plan) = &self.plan {
            let start = out.len();
            if plan.run(data, options.missing_key, out) {
                return Ok(());
            }
            // The evaluator decides (and words any error) from the start.
            out.truncate(start);
        }
        exec::execute(self, data, options, out)
    }

    /// Renders with the flat plan alone, over data whose top level is given by `top`,
    /// appending to `out`: `false`, with `out` as it was, when the template has no plan or the
    /// plan stops. The caller then renders with [`Self::render_into`] over the data as one
    /// `Value`, whose evaluator decides and words any error.
    pub(crate) fn render_plan_over<'d>(
        &self,
        top: &impl Fn(&str) -> Top<'d>,
        mode: MissingKey,
        out: &mut String,
    ) -> bool {
        let Some(plan) = &self.plan else {
            return false;
        };
        let start = out.len();
        if plan.run_over(top, mode, out) {
            return true;
        }
        out.truncate(start);
        false
    }

    /// The source the template was parsed from.
    ///
    /// ```
    /// let t = polyai_actions::template::Template::parse("{{.a}}").unwrap();
    /// assert_eq!(t.source(), "{{.a}}");
    /// ```
    pub fn source(&self) -> &str {
        &self.source
    }

    /// The parsed tree's top-level nodes, for linters (see [`ast`]).
    ///
    /// ```
    /// let t = polyai_actions::template::Template::parse("a{{.b}}").unwrap();
    /// assert_eq!(t.root().len(), 2);
    /// ```
    pub fn root(&self) -> &[ast::Node] {
        &self.root
    }

    /// The [`Position`] of a byte offset into [`source`](Self::source) (offsets past the end
    /// are clamped to it).
    ///
    /// ```
    /// let t = polyai_actions::template::Template::parse("a\nbé{{.c}}").unwrap();
    /// let p = t.position_of(5);
    /// assert_eq!((p.line, p.column), (2, 3));
    /// ```
    pub fn position_of(&self, offset: usize) -> Position {
        self.lines.position(&self.source, offset)
    }
}

/// How to render.
#[derive(Clone, Debug, Default)]
#[non_exhaustive]
pub struct RenderOptions {
    /// What a key that is not in the data does.
    pub missing_key: MissingKey,
}

impl RenderOptions {
    /// The default options: [`MissingKey::Platform`].
    ///
    /// ```
    /// use polyai_actions::template::{MissingKey, RenderOptions};
    /// assert_eq!(RenderOptions::new().missing_key, MissingKey::Platform);
    /// ```
    pub fn new() -> RenderOptions {
        RenderOptions::default()
    }

    /// These options with `mode` for missing keys.
    ///
    /// ```
    /// use polyai_actions::template::{MissingKey, RenderOptions};
    /// let o = RenderOptions::new().with_missing_key(MissingKey::Error);
    /// assert_eq!(o.missing_key, MissingKey::Error);
    /// ```
    pub fn with_missing_key(mut self, mode: MissingKey) -> RenderOptions {
        self.missing_key = mode;
        self
    }
}

/// What a key that is not in the data does (see the [module docs](self#missing-values)).
#[derive(
    Clone, Copy, Debug, Default, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize,
)]
#[serde(rename_all = "snake_case")]
pub enum MissingKey {
    /// PolyAI's documented behaviour: a missing value that is printed is an error; a missing
    /// value in a condition is false.
    #[default]
    Platform,
    /// Go's `missingkey=default`: a missing value prints `<no value>`.
    GoDefault,
    /// Go's `missingkey=zero`: the zero value of `interface{}` (which also prints
    /// `<no value>`).
    Zero,
    /// Go's `missingkey=error`: the first missing map key is an error, even inside `{{if}}`.
    Error,
}

/// Why parsing or rendering failed, where, and what to change.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TemplateError {
    /// The class of error, matching the class of Go's error.
    pub kind: ErrorKind,
    /// Where in the template source.
    pub position: Option<Position>,
    /// What is wrong. It names template text and types, never data values.
    pub message: String,
}

impl fmt::Display for TemplateError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.position {
            Some(p) => write!(f, "{}:{}: {}", p.line, p.column, self.message),
            None => f.write_str(&self.message),
        }
    }
}

impl std::error::Error for TemplateError {}

/// The class of a [`TemplateError`], each matching a class of Go's errors.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ErrorKind {
    /// Go's parser refuses the template too (syntax).
    Parse,
    /// Valid Go, but outside PolyAI's subset (`range`, `template`, `define`, `block`, a
    /// function other than `eq ne lt le gt ge and or not index`, ...).
    Unsupported,
    /// Go's `map has no entry for key "x"` (`missingkey=error`); in the platform mode, an
    /// absent value printed (or ordered, or indexed).
    MissingKey,
    /// Go's "incompatible types for comparison" (an `int` literal against a JSON number).
    IncompatibleTypes,
    /// Go's "invalid type for comparison" and "non-comparable type" (`lt` on bools, `eq` on
    /// maps or arrays).
    InvalidComparison,
    /// Go's "missing argument for comparison" (`eq` with one operand).
    MissingArgument,
    /// Go's "wrong number of args for ...".
    WrongArgumentCount,
    /// Any of Go's `error calling index: ...` (out of range, cannot index, nil index).
    Index,
    /// Go's "can't evaluate field X in type Y" and "nil pointer evaluating ...".
    FieldOnNonMap,
    /// Go's "can't give argument to non-function" and "... is not a method but has
    /// arguments".
    NotAFunction,
    /// Any other execution error (an integer literal that overflows `int`, an undefined
    /// variable at run time, `nil` as a command).
    Exec,
}

/// A place in a template's source.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
pub struct Position {
    /// Byte offset from the start of the source (Go's `parse.Pos`).
    pub offset: usize,
    /// 1-based line.
    pub line: u32,
    /// 1-based column, counted in characters.
    pub column: u32,
}

impl fmt::Display for Position {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}", self.line, self.column)
    }
}

/// The byte offsets where lines start, to turn offsets into positions.
#[derive(Clone, Debug)]
pub(crate) struct LineIndex {
    starts: Vec<usize>,
}

impl LineIndex {
    pub(crate) fn new(src: &str) -> LineIndex {
        let mut starts = vec![0];
        starts.extend(
            src.bytes()
                .enumerate()
                .filter(|(_, b)| *b == b'\n')
                .map(|(i, _)| i + 1),
        );
        LineIndex { starts }
    }

    pub(crate) fn position(&self, src: &str, offset: usize) -> Position {
        let mut offset = offset.min(src.len());
        while !src.is_char_boundary(offset) {
            offset -= 1;
        }
        let line = self.starts.partition_point(|&s| s <= offset);
        let start = self.starts[line.saturating_sub(1)];
        let column = src[start..offset].chars().count() + 1;
        Position {
            offset,
            line: line as u32,
            column: column as u32,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn template_is_send_and_sync() {
        fn check<T: Send + Sync>() {}
        check::<Template>();
    }
}
