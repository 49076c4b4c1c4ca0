//! Checks on definitions: the rules PolyAI enforces, and the traps it does not warn about.
//!
//! [`lint`] checks an ADK `api_integrations.yaml`, [`lint_action`] one API-call action and
//! [`lint_actions`] a file of them. Each finding is a [`Diagnostic`] with a stable code, a
//! severity, a message that says what to change, and where: the field (as a path such as
//! `api_integrations[0].operations[2].resource`) and, inside a template, the line and column.
//!
//! An `Error` is something PolyAI refuses or that cannot work; a `Warning` is valid but
//! probably not what the author meant. A hyphenated key used as a field (`PA207`) is an error,
//! not a warning: Go's parser refuses it, so the template cannot render at all.
//!
//! The template rules (`PA2xx`) read the tree [`Template::parse`](crate::template::Template::parse)
//! builds, never the text, except `PA207`, which looks for the hyphenated key in the text
//! when Go's parser has refused it. Whether an absent optional parameter fails the render
//! (`PA208`) follows [`MissingKey::Platform`](crate::template::MissingKey::Platform): printing
//! it, ordering it (`lt le gt ge`) or indexing into it fails; testing it (`if`, `with`, `and`,
//! `or`, `not`), comparing it with `eq`/`ne` or assigning it does not. A string parameter
//! restricted by an `enum`/`const` of safe strings, a `pattern` (trusted, not analysed) or a
//! `format` such as `date` or `uuid` is not reported by `PA204`; an integer bounded within
//! ±999999 is not reported by `PA205`. JSONPath is checked as RFC 9535 (`PA133`): PolyAI does
//! not document its dialect.
//!
//! # Rules
//!
//! | code | severity | rule |
//! |---|---|---|
#![doc = include_str!("lint/rules.md")]
//!
//! The same table is available to programs as [`RULES`].
//!
//! ```
//! use polyai_actions::lint::{Severity, lint};
//! use polyai_actions::ApiIntegrations;
//!
//! let file = ApiIntegrations::from_yaml_str(r#"
//! api_integrations:
//!   - name: Shop
//!     environments:
//!       live: { base_url: "", auth_type: apiKey }
//!     operations:
//!       - { name: get_order, method: GET, resource: "/orders/{order-id}" }
//! "#)?;
//! let codes: Vec<_> = lint(&file).iter().map(|d| d.code).collect();
//! assert!(codes.contains(&"PA001")); // `Shop` is not snake_case
//! assert!(codes.contains(&"PA006")); // `{order-id}` is not a valid placeholder
//! assert!(codes.contains(&"PA009")); // apiKey auth needs a base URL
//! # Ok::<(), polyai_actions::DefinitionError>(())
//! ```

use std::fmt;

use serde::Serialize;

use crate::action::{ApiAction, ApiActions};
use crate::integration::ApiIntegrations;

mod action;
mod integration;
mod schema;
mod template;
mod text;

/// How serious a finding is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Severity {
    /// PolyAI would refuse the definition, or it cannot work as written.
    Error,
    /// Valid, but probably not what was meant.
    Warning,
}

impl fmt::Display for Severity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Severity::Error => "error",
            Severity::Warning => "warning",
        })
    }
}

/// Where a finding is.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize)]
pub struct Location {
    /// The field, as a path: `api_integrations[0].operations[2].resource`,
    /// `parameters.properties.customer.required[0]`, `body_template`.
    pub field: String,
    /// Inside a template: the 1-based line.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub line: Option<u32>,
    /// Inside a template: the 1-based column, in characters.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub column: Option<u32>,
}

impl Location {
    /// A location that is a whole field.
    pub fn field(field: impl Into<String>) -> Self {
        Location {
            field: field.into(),
            line: None,
            column: None,
        }
    }

    pub(crate) fn prefixed(mut self, prefix: &str) -> Self {
        self.field = if self.field.is_empty() {
            prefix.to_owned()
        } else {
            format!("{prefix}.{}", self.field)
        };
        self
    }
}

impl fmt::Display for Location {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.field)?;
        if let Some(line) = self.line {
            write!(f, ":{line}")?;
            if let Some(column) = self.column {
                write!(f, ":{column}")?;
            }
        }
        Ok(())
    }
}

/// One finding.
///
/// `Display`: `error[PA001] api_integrations[0].name: message`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Diagnostic {
    /// The rule's stable code (`PA001` ...), listed in [`RULES`].
    pub code: &'static str,
    /// Error or warning.
    pub severity: Severity,
    /// What is wrong and what to change.
    pub message: String,
    /// Where.
    pub location: Location,
}

impl fmt::Display for Diagnostic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}[{}] {}: {}",
            self.severity, self.code, self.location, self.message
        )
    }
}

/// A rule: its code, severity and a one-line summary.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Rule {
    /// The stable code.
    pub code: &'static str,
    /// The severity of its findings.
    pub severity: Severity,
    /// What it checks.
    pub summary: &'static str,
}

macro_rules! rules {
    ($($code:literal $sev:ident $summary:literal;)*) => {
        /// Every rule, in code order (the table in the [module docs](self)).
        pub const RULES: &[Rule] = &[
            $(Rule { code: $code, severity: Severity::$sev, summary: $summary },)*
        ];
    };
}

rules! {
    "PA001" Error "integration name is not snake_case (`^[a-z_][a-z0-9_]*$`)";
    "PA002" Error "two integrations have the same name";
    "PA003" Error "operation name is not snake_case (`^[a-z_][a-z0-9_]*$`)";
    "PA004" Error "two operations of one integration have the same name and method";
    "PA005" Error "resource path has a character outside RFC 3986 path/query characters, or a bad `%` escape";
    "PA006" Error "resource placeholder is not `{[a-zA-Z_][a-zA-Z0-9_]*}`, or a brace is unmatched";
    "PA007" Warning "a placeholder name appears twice in one resource path";
    "PA008" Error "base URL is neither empty nor `^https?://\\S+$`";
    "PA009" Error "base URL is empty but the auth type is not `none`";
    "PA010" Error "integration has no operations";
    "PA011" Warning "an environment (sandbox, pre-release, live) is not configured";
    "PA012" Warning "resource path does not start with `/`";
    "PA090" Warning "unknown key (kept, but PolyAI may ignore it: often a typo)";
    "PA101" Error "action name is empty or has characters other than letters, digits, `_` and `-`";
    "PA102" Error "action name is longer than 64 characters";
    "PA103" Warning "action description is empty (the model chooses actions by it)";
    "PA104" Error "URL is not a full http(s) URL (no connection) or not a path (with a connection)";
    "PA105" Error "URL has a placeholder (`{x}` or `{{...}}`); actions have none";
    "PA106" Error "connection base URL is not `^https?://\\S+$`";
    "PA107" Error "header name is empty or not an HTTP token";
    "PA108" Error "secret reference has an empty name";
    "PA109" Error "static header value has a line break or control character";
    "PA110" Warning "credential-like header has a static value; use a secret reference";
    "PA111" Warning "the same header is set twice";
    "PA112" Warning "both the connection and the action have an auth connector";
    "PA113" Error "auth connector is incomplete (empty key name, username or token URL)";
    "PA114" Warning "body template on GET or DELETE (parameters go in the query; no body is sent)";
    "PA115" Error "two actions have the same name";
    "PA120" Error "parameter schema is not a valid Draft 7 schema";
    "PA121" Error "parameter schema is not `type: object`";
    "PA122" Error "a `required` name is not a declared property";
    "PA124" Warning "object or array parameter on GET or DELETE (its query encoding is undocumented)";
    "PA130" Error "output variable name is not `^[a-z0-9_.]+$`";
    "PA131" Error "two output variables have the same name";
    "PA132" Error "output variable JSONPath does not start with `$`";
    "PA133" Error "output variable JSONPath is not valid (RFC 9535)";
    "PA201" Error "body template does not parse";
    "PA202" Error "body template uses a construct outside PolyAI's subset (`range`, `template`, `define`, `block`, a function other than eq ne lt le gt ge and or not index)";
    "PA203" Error "body template refers to a parameter the schema does not declare";
    "PA204" Warning "a string parameter is printed into a JSON body unescaped (a `\"` breaks it)";
    "PA205" Warning "a number parameter is printed with `%v` (1000000 prints `1e+06`)";
    "PA206" Warning "an integer literal is compared with a JSON value (a run-time error in Go)";
    "PA207" Error "a hyphenated key is used as a field (a parse error in Go; use `index`)";
    "PA208" Warning "an optional parameter is used outside an `if`/`with` guard";
    "PA209" Error "body template refers to a top-level key other than `.parameters`, `.variables`, `.static_variables`";
}

/// Looks up a rule by code.
///
/// ```
/// use polyai_actions::lint::{Severity, rule};
///
/// assert_eq!(rule("PA004").unwrap().severity, Severity::Error);
/// assert!(rule("PA999").is_none());
/// ```
pub fn rule(code: &str) -> Option<&'static Rule> {
    RULES.iter().find(|r| r.code == code)
}

/// Builds a diagnostic for `code`, with the severity from [`RULES`].
pub(crate) fn diag(code: &'static str, location: Location, message: String) -> Diagnostic {
    let severity = rule(code).map_or(Severity::Error, |r| r.severity);
    Diagnostic {
        code,
        severity,
        message,
        location,
    }
}

/// Checks an ADK `api_integrations.yaml`.
pub fn lint(integrations: &ApiIntegrations) -> Vec<Diagnostic> {
    integration::lint(integrations)
}

/// Checks one API-call action. Field paths are relative to the action (`url`,
/// `parameters.properties.x`).
///
/// ```
/// use polyai_actions::lint::lint_action;
/// use polyai_actions::{ApiAction, Method};
/// use serde_json::json;
///
/// let mut action = ApiAction::new("lookup order", "https://api.example/orders/{id}", Method::Get);
/// action.description = "Look up an order".into();
/// action.parameters = json!({"type": "object", "properties": {}, "required": ["id"]});
/// let found: Vec<String> = lint_action(&action).iter().map(|d| d.to_string()).collect();
/// assert!(found.iter().any(|d| d.starts_with("error[PA101] name:")));
/// assert!(found.iter().any(|d| d.starts_with("error[PA105] url:")));
/// assert!(found.iter().any(|d| d.starts_with("error[PA122] parameters.required[0]:")));
/// ```
pub fn lint_action(action: &ApiAction) -> Vec<Diagnostic> {
    action::lint(action)
}

/// Checks a file of actions: each action, and that names are unique. Field paths start with
/// `actions[i]`.
///
/// ```
/// use polyai_actions::ApiActions;
/// use polyai_actions::lint::lint_actions;
///
/// let file = ApiActions::from_yaml_str(r#"
/// actions:
///   - name: lookup_order
///     description: Look up an order
///     url: https://api.example/orders
///     method: POST
///     parameters:
///       type: object
///       properties: { qty: { type: integer } }
///     body_template: '{"qty": {{if gt .parameters.qty 5}}"many"{{end}}}'
/// "#)?;
/// let found = lint_actions(&file);
/// // `qty` is optional and compared outside a guard; `5` should be `5.0`.
/// let codes: Vec<_> = found.iter().map(|d| d.code).collect();
/// assert_eq!(codes, ["PA206", "PA208"]);
/// assert_eq!(found[0].location.to_string(), "actions[0].body_template:1:33");
/// # Ok::<(), polyai_actions::DefinitionError>(())
/// ```
pub fn lint_actions(actions: &ApiActions) -> Vec<Diagnostic> {
    let mut out = Vec::new();
    for key in actions.extra.keys() {
        out.push(text::unknown_key("", key));
    }
    let mut seen: Vec<&str> = Vec::new();
    for (i, a) in actions.actions.iter().enumerate() {
        let prefix = format!("actions[{i}]");
        out.extend(action::lint(a).into_iter().map(|mut d| {
            d.location = d.location.prefixed(&prefix);
            d
        }));
        if seen.contains(&a.name.as_str()) {
            out.push(diag(
                "PA115",
                Location::field(format!("{prefix}.name")),
                format!(
                    "another action is already called `{}`; the model tells actions apart by name, so rename one",
                    a.name
                ),
            ));
        } else {
            seen.push(&a.name);
        }
    }
    out
}

impl ApiIntegrations {
    /// Same as [`lint`].
    pub fn lint(&self) -> Vec<Diagnostic> {
        lint(self)
    }
}

impl ApiAction {
    /// Same as [`lint_action`].
    pub fn lint(&self) -> Vec<Diagnostic> {
        lint_action(self)
    }
}

impl ApiActions {
    /// Same as [`lint_actions`].
    pub fn lint(&self) -> Vec<Diagnostic> {
        lint_actions(self)
    }
}
