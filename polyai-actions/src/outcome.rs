//! What the agent gets back from an action: the response, the output variables read from it
//! by JSONPath, and the view the model is given.
//!
//! [`Outcome::from_response`] reads an [`http::Response<Bytes>`] against an action's
//! [`OutputVariable`]s. It never panics on anything a server can send.
//!
//! # The rules, and the choices where PolyAI documents none
//!
//! - **Body.** The body is parsed as JSON whatever its `Content-Type` says (PolyAI does not
//!   say it looks at the header); a body that does not parse is kept as text ([`Body::Text`],
//!   invalid UTF-8 replaced by U+FFFD), and an empty body is [`Body::Empty`]. The agent sees
//!   the whole body (ACTIONS.md).
//! - **Speed.** When every output path is a singular query (`$.a.b`, `$['a'][0]`: names and
//!   non-negative indices only, as nearly all are), the variables are read in one pass over the
//!   raw body that builds only the selected values, and [`Outcome::body`] parses the body on
//!   first use. The pass accepts exactly the bodies a full parse accepts and selects the same
//!   nodes `serde_json_path` selects (both are tested against each other); any other path, or
//!   a body that is not JSON, takes the general way.
//! - **JSONPath** is RFC 9535, through `serde_json_path`. A path that is not valid RFC 9535 is
//!   [`OutputError::InvalidPath`]. What a path matching nothing or several nodes yields is not
//!   documented: [`OutputMatching`] chooses, by default [`NoMatch::Skip`] (the variable is not
//!   set, and an earlier value of that name is removed from the conversation, so a later
//!   template that uses it fails as a missing variable the agent can react to, never with a
//!   stale value) and [`ManyMatches::First`] (the first node in document order).
//! - **Non-2xx.** A response whose status is not 2xx is an outcome the agent sees (status and
//!   body), not a transport error; output variables are not read from it (its body is an error
//!   document, not the shape the paths were written for). [`Outcome::agent_error`] gives the
//!   [`AgentError::Status`] the agent would get.
//! - **Not JSON.** With output variables to read and a body that is not JSON, every variable
//!   fails with [`OutputError::NotJson`] (in [`Outcome::output_errors`]); the agent still sees
//!   the text.
//! - **Sensitive and exposed.** A sensitive variable's value is `<sensitive:NAME>` in every
//!   `Debug` and `Display` form of this module, and the nodes it was read from are
//!   `"<sensitive:NAME>"` in the printed body too. A variable not exposed to the AI is left out
//!   of the [`ModelView`]'s variables; since the model otherwise sees the whole body, the
//!   nodes such a variable was read from are replaced by `"<hidden:NAME>"` in the model's body
//!   by default ([`ModelBody::HideUnexposed`]; [`ModelBody::Full`] and [`ModelBody::Omit`] are
//!   the alternatives). An exposed sensitive variable is visible to the model (that is what
//!   exposing means) but still redacted in printed forms.
//!
//! ```
//! use bytes::Bytes;
//! use polyai_actions::outcome::{Body, Outcome, OutputMatching};
//! use polyai_actions::OutputVariable;
//! use serde_json::json;
//!
//! let variables = vec![
//!     OutputVariable { name: "customer.id".into(), path: "$.id".into(), sensitive: false, expose_to_ai: true },
//!     OutputVariable { name: "card".into(), path: "$.card".into(), sensitive: true, expose_to_ai: false },
//! ];
//! let response = http::Response::builder()
//!     .status(200)
//!     .header("content-type", "application/json")
//!     .body(Bytes::from(r#"{"id": "C-7", "card": "4111111111111111"}"#))?;
//! let outcome = Outcome::from_response(response, &variables, &OutputMatching::default());
//! assert_eq!(outcome.status(), 200);
//! assert_eq!(outcome.variable("customer.id"), Some(&json!("C-7")));
//! assert_eq!(outcome.variable("card"), Some(&json!("4111111111111111")));
//! // Printed forms never show the sensitive value.
//! assert!(!format!("{outcome:?} {outcome}").contains("4111"));
//! // The model sees the exposed variables, and the body with hidden nodes replaced.
//! let view = outcome.model_view(Default::default());
//! assert_eq!(view.to_json(), json!({
//!     "status": 200,
//!     "body": {"id": "C-7", "card": "<hidden:card>"},
//!     "variables": {"customer": {"id": "C-7"}},
//! }));
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

use std::fmt;

use bytes::Bytes;
use serde_json::{Map, Value};
use serde_json_path::JsonPath;

use crate::action::OutputVariable;
use crate::render::SentRequest;

mod singular;

/// What an output variable gets when its path matches no node.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum NoMatch {
    /// The variable is not set, and an earlier value of that name is removed from the
    /// conversation (the default).
    #[default]
    Skip,
    /// The variable is set to JSON `null`.
    Null,
    /// [`OutputError::NoMatch`].
    Error,
}

/// What an output variable gets when its path matches several nodes.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ManyMatches {
    /// The first node, in document order (the default).
    #[default]
    First,
    /// A JSON array of every node, in document order (also when only one matches, so the
    /// variable's type does not depend on the data).
    Array,
    /// [`OutputError::ManyMatches`].
    Error,
}

/// How JSONPath matches become output variables. See the [module docs](self).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub struct OutputMatching {
    /// A path that matches nothing.
    pub no_match: NoMatch,
    /// A path that matches several nodes.
    pub many: ManyMatches,
}

impl OutputMatching {
    /// The defaults: [`NoMatch::Skip`], [`ManyMatches::First`].
    pub fn new() -> Self {
        Self::default()
    }

    /// With `no_match`.
    pub fn with_no_match(mut self, no_match: NoMatch) -> Self {
        self.no_match = no_match;
        self
    }

    /// With `many`.
    pub fn with_many(mut self, many: ManyMatches) -> Self {
        self.many = many;
        self
    }
}

/// What the model's view holds of the response body.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ModelBody {
    /// The body, with each node read by a variable not exposed to the AI replaced by
    /// `"<hidden:NAME>"` (the default).
    #[default]
    HideUnexposed,
    /// The whole body as received (ACTIONS.md: "the agent sees the whole response body").
    Full,
    /// No body: exposed variables only.
    Omit,
}

/// Why an output variable could not be read.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum OutputError {
    /// The path is not RFC 9535 JSONPath.
    #[error(
        "output variable `{name}`: `{path}` is not a valid JSONPath (RFC 9535): {reason}; fix the path"
    )]
    InvalidPath {
        /// The variable.
        name: String,
        /// Its path.
        path: String,
        /// The parser's complaint.
        reason: String,
    },
    /// The body is not JSON.
    #[error(
        "output variable `{name}`: the response body is not JSON ({reason}), so `{path}` cannot be read; check that the service answers JSON"
    )]
    NotJson {
        /// The variable.
        name: String,
        /// Its path.
        path: String,
        /// Why the body is not JSON (the content type and parser message).
        reason: String,
    },
    /// [`NoMatch::Error`] and the path matched nothing.
    #[error("output variable `{name}`: `{path}` matches nothing in the response body")]
    NoMatch {
        /// The variable.
        name: String,
        /// Its path.
        path: String,
    },
    /// [`ManyMatches::Error`] and the path matched several nodes.
    #[error(
        "output variable `{name}`: `{path}` matches {count} nodes, one was expected; make the path select one node"
    )]
    ManyMatches {
        /// The variable.
        name: String,
        /// Its path.
        path: String,
        /// How many nodes matched.
        count: usize,
    },
}

/// An error the agent would see instead of (or besides) a successful result.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum AgentError {
    /// The service answered with a status that is not 2xx.
    #[error("the service answered HTTP {status}")]
    Status {
        /// The status code.
        status: u16,
        /// The body as text (the agent sees it), sensitive nodes redacted.
        body: String,
    },
}

impl AgentError {
    /// The text the agent would get.
    pub fn agent_message(&self) -> String {
        match self {
            AgentError::Status { status, body } if body.is_empty() => {
                format!("The request failed with HTTP status {status} and an empty response.")
            }
            AgentError::Status { status, body } => {
                format!("The request failed with HTTP status {status}. Response: {body}")
            }
        }
    }
}

/// The response body.
#[derive(Clone, PartialEq)]
#[non_exhaustive]
pub enum Body {
    /// No bytes.
    Empty,
    /// A body that parses as JSON.
    Json(Value),
    /// Any other body, as text (invalid UTF-8 replaced by U+FFFD).
    Text(String),
}

impl Body {
    fn parse(bytes: &Bytes) -> (Body, Option<String>) {
        if bytes.is_empty() {
            return (Body::Empty, Some("the body is empty".to_owned()));
        }
        match serde_json::from_slice::<Value>(bytes) {
            Ok(v) => (Body::Json(v), None),
            Err(e) => (
                Body::Text(String::from_utf8_lossy(bytes).into_owned()),
                Some(e.to_string()),
            ),
        }
    }

    /// The JSON value, if the body is JSON.
    pub fn as_json(&self) -> Option<&Value> {
        match self {
            Body::Json(v) => Some(v),
            _ => None,
        }
    }

    /// The body as the agent reads it: JSON re-serialised compactly, or the text.
    pub fn to_text(&self) -> String {
        match self {
            Body::Empty => String::new(),
            Body::Json(v) => v.to_string(),
            Body::Text(t) => t.clone(),
        }
    }
}

impl fmt::Debug for Body {
    /// Note: `Debug` of a bare [`Body`] cannot know which nodes are sensitive; it prints the
    /// kind and size only. Print an [`Outcome`] to see a redacted body.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Body::Empty => f.write_str("Empty"),
            Body::Json(_) => write!(f, "Json(..)"),
            Body::Text(t) => write!(f, "Text({} bytes)", t.len()),
        }
    }
}

/// One output variable's value.
#[derive(Clone, PartialEq)]
pub struct OutputValue {
    /// Shared with the prepared paths: no copy of the name per outcome.
    name: std::sync::Arc<str>,
    value: Value,
    sensitive: bool,
    exposed: bool,
    /// JSON Pointers of the nodes the value was read from.
    pointers: Vec<String>,
}

impl OutputValue {
    /// The variable's name (dotted names nest in `.variables`).
    pub fn name(&self) -> &str {
        &self.name
    }
    /// The value. Handle with care when [`Self::is_sensitive`].
    pub fn value(&self) -> &Value {
        &self.value
    }
    /// Redacted in logs and printed forms.
    pub fn is_sensitive(&self) -> bool {
        self.sensitive
    }
    /// Visible to the model.
    pub fn is_exposed(&self) -> bool {
        self.exposed
    }
    /// The value as printed: `<sensitive:NAME>` when sensitive.
    pub fn printed(&self) -> String {
        if self.sensitive {
            format!("<sensitive:{}>", self.name)
        } else {
            self.value.to_string()
        }
    }
}

impl fmt::Debug for OutputValue {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("OutputValue")
            .field("name", &self.name)
            .field("value", &format_args!("{}", self.printed()))
            .field("sensitive", &self.sensitive)
            .field("exposed", &self.exposed)
            .finish()
    }
}

/// What an action's call came back with: the response and its output variables.
#[derive(Clone)]
pub struct Outcome {
    status: http::StatusCode,
    headers: http::HeaderMap,
    raw: Bytes,
    /// The body, parsed from `raw` the first time it is asked for (the output variables of
    /// singular paths are read without it).
    body: std::sync::OnceLock<Body>,
    values: Vec<OutputValue>,
    unset: Vec<String>,
    errors: Vec<OutputError>,
    request: Option<SentRequest>,
}

/// Sets `value` at the dotted `name` inside `target` (`a.b` -> `{"a": {"b": value}}`),
/// replacing a non-object on the way.
pub(crate) fn set_dotted(target: &mut Map<String, Value>, name: &str, value: Value) {
    let mut map = target;
    let mut rest = name;
    // (A byte loop: names are short, and `split` runs a general searcher.)
    while let Some(dot) = rest.bytes().position(|b| b == b'.') {
        let part = &rest[..dot];
        rest = &rest[dot + 1..];
        if !matches!(map.get(part), Some(Value::Object(_))) {
            map.insert(part.to_owned(), Value::Object(Map::new()));
        }
        let Some(Value::Object(inner)) = map.get_mut(part) else {
            return;
        };
        map = inner;
    }
    // An existing key keeps its `String`: no allocation when a value is replaced.
    match map.get_mut(rest) {
        Some(slot) => *slot = value,
        None => {
            map.insert(rest.to_owned(), value);
        }
    }
}

/// Removes the dotted `name` from `target`, if present.
pub(crate) fn remove_dotted(target: &mut Map<String, Value>, name: &str) {
    match name.split_once('.') {
        None => {
            target.remove(name);
        }
        Some((head, rest)) => {
            if let Some(Value::Object(inner)) = target.get_mut(head) {
                remove_dotted(inner, rest);
            }
        }
    }
}

fn replace_at(value: &mut Value, pointer: &str, with: Value) {
    if pointer.is_empty() {
        *value = with;
    } else if let Some(node) = value.pointer_mut(pointer) {
        *node = with;
    }
}

/// Output variables' JSONPaths, parsed once (a parse failure kept as its message, reported
/// as [`OutputError::InvalidPath`] on each read).
#[derive(Clone, Debug)]
pub(crate) struct OutputPaths(Vec<ParsedPath>);

impl OutputPaths {
    /// Parses the path of each of `variables`, in order.
    pub(crate) fn new(variables: &[OutputVariable]) -> Self {
        OutputPaths(
            variables
                .iter()
                .map(|v| ParsedPath::new(&v.name, &v.path))
                .collect(),
        )
    }
}

/// An output variable's path: the RFC 9535 query (or why it is not one), and, for a singular
/// query (the usual `$.a.b[0]`), the direct walk that gives the same node without building a
/// node list. (The `singular` module reads its fields too.)
#[derive(Clone, Debug)]
pub(crate) struct ParsedPath {
    /// The variable's name, shared by every value read through this path.
    name: std::sync::Arc<str>,
    query: Result<JsonPath, String>,
    singular: Option<singular::SingularPath>,
}

impl ParsedPath {
    fn new(name: &str, path: &str) -> Self {
        let query = JsonPath::parse(path).map_err(|e| e.to_string());
        // Only a path RFC 9535 accepts takes the direct walk.
        let singular = query
            .as_ref()
            .ok()
            .and_then(|_| singular::SingularPath::parse(path));
        ParsedPath {
            name: name.into(),
            query,
            singular,
        }
    }
}

impl Outcome {
    /// The request that got this response, as it was sent (secrets masked), when the outcome
    /// comes from the action runner ([`Conversation::run`](crate::chain::Conversation::run));
    /// `None` for an outcome read from a response alone ([`Self::from_response`]). With an
    /// OAuth 2.0 token and a resend after a `401`, it is the last request sent.
    pub fn request(&self) -> Option<&SentRequest> {
        self.request.as_ref()
    }

    /// This outcome, recording `request` as the one that got it.
    pub(crate) fn with_request(mut self, request: SentRequest) -> Outcome {
        self.request = Some(request);
        self
    }

    /// Reads `response` against `variables` under `matching`. Output variables are read only
    /// from a 2xx response; see the [module docs](self).
    pub fn from_response(
        response: http::Response<Bytes>,
        variables: &[OutputVariable],
        matching: &OutputMatching,
    ) -> Outcome {
        Self::read_response(response, variables, None, matching)
    }

    /// [`Self::from_response`] with the paths parsed once beforehand (what a
    /// [`PreparedAction`](crate::PreparedAction) keeps), in the order of `variables`.
    pub(crate) fn read_response(
        response: http::Response<Bytes>,
        variables: &[OutputVariable],
        paths: Option<&OutputPaths>,
        matching: &OutputMatching,
    ) -> Outcome {
        let (parts, raw) = response.into_parts();
        let mut outcome = Outcome {
            status: parts.status,
            headers: parts.headers,
            raw,
            body: std::sync::OnceLock::new(),
            values: Vec::new(),
            unset: Vec::new(),
            errors: Vec::new(),
            request: None,
        };
        if !outcome.status.is_success() || variables.is_empty() {
            return outcome;
        }
        let parsed_now;
        let paths = match paths {
            Some(paths) => paths,
            None => {
                parsed_now = OutputPaths::new(variables);
                &parsed_now
            }
        };
        if !outcome.read_singular(variables, paths, matching) {
            outcome.read_parsed(variables, paths, matching);
        }
        outcome
    }

    /// Reads every variable from the parsed body: the general reading, for paths the
    /// one-pass reading of singular queries does not take (a function of its own, out of the
    /// common path's code).
    #[inline(never)]
    fn read_parsed(
        &mut self,
        variables: &[OutputVariable],
        paths: &OutputPaths,
        matching: &OutputMatching,
    ) {
        let (body, not_json) = Body::parse(&self.raw);
        self.body = std::sync::OnceLock::from(body);
        for (i, variable) in variables.iter().enumerate() {
            let parsed = paths.0.get(i);
            match self.read(variable, parsed, matching, not_json.as_deref()) {
                Ok(Some(value)) => self.values.push(value),
                Ok(None) => self.unset.push(variable.name.clone()),
                Err(e) => {
                    self.unset.push(variable.name.clone());
                    self.errors.push(e);
                }
            }
        }
    }

    /// Reads every variable in one pass over the raw body when every path is a singular query
    /// (see the `singular` module), without building the whole document. Returns `false`,
    /// having read nothing, when that pass does not apply (another kind of path, a body that is
    /// not JSON, ...): the general reading then runs.
    fn read_singular(
        &mut self,
        variables: &[OutputVariable],
        paths: &OutputPaths,
        matching: &OutputMatching,
    ) -> bool {
        if paths.0.len() != variables.len() {
            return false;
        }
        if paths.0.iter().any(|p| p.singular.is_none()) {
            return false;
        }
        let Some(found) = singular::extract(&self.raw, &paths.0) else {
            return false;
        };
        self.values.reserve(variables.len());
        for ((variable, path), node) in variables.iter().zip(&paths.0).zip(found) {
            let located = variable.sensitive || !variable.expose_to_ai;
            let pointer = match (&node, &path.singular) {
                (Some(_), Some(singular)) if located => singular.fixed_pointer(),
                _ => None,
            };
            let node = node.map(|node| (node, pointer));
            let value = match node {
                Some((node, pointer)) => Some(OutputValue {
                    name: path.name.clone(),
                    value: match matching.many {
                        ManyMatches::Array => Value::Array(vec![node]),
                        ManyMatches::First | ManyMatches::Error => node,
                    },
                    sensitive: variable.sensitive,
                    exposed: variable.expose_to_ai,
                    pointers: pointer.into_iter().collect(),
                }),
                None => match matching.no_match {
                    NoMatch::Skip => None,
                    NoMatch::Null => Some(OutputValue {
                        name: path.name.clone(),
                        value: Value::Null,
                        sensitive: variable.sensitive,
                        exposed: variable.expose_to_ai,
                        pointers: Vec::new(),
                    }),
                    NoMatch::Error => {
                        self.unset.push(variable.name.clone());
                        self.errors.push(OutputError::NoMatch {
                            name: variable.name.clone(),
                            path: variable.path.clone(),
                        });
                        continue;
                    }
                },
            };
            match value {
                Some(value) => self.values.push(value),
                None => self.unset.push(variable.name.clone()),
            }
        }
        true
    }

    fn read(
        &self,
        variable: &OutputVariable,
        parsed: Option<&ParsedPath>,
        matching: &OutputMatching,
        not_json: Option<&str>,
    ) -> Result<Option<OutputValue>, OutputError> {
        let parsed_now;
        let parsed = match parsed {
            Some(parsed) => parsed,
            None => {
                parsed_now = ParsedPath::new(&variable.name, &variable.path);
                &parsed_now
            }
        };
        let path = parsed
            .query
            .as_ref()
            .map_err(|reason| OutputError::InvalidPath {
                name: variable.name.clone(),
                path: variable.path.clone(),
                reason: reason.clone(),
            })?;
        let Some(json) = self.body().as_json() else {
            let content_type = self
                .headers
                .get(http::header::CONTENT_TYPE)
                .and_then(|v| v.to_str().ok())
                .unwrap_or("none");
            return Err(OutputError::NotJson {
                name: variable.name.clone(),
                path: variable.path.clone(),
                reason: format!(
                    "Content-Type {content_type}: {}",
                    not_json.unwrap_or("not JSON")
                ),
            });
        };
        let no_match = || match matching.no_match {
            NoMatch::Skip => Ok(None),
            NoMatch::Null => Ok(Some(Value::Null)),
            NoMatch::Error => Err(OutputError::NoMatch {
                name: variable.name.clone(),
                path: variable.path.clone(),
            }),
        };
        let many = |count| OutputError::ManyMatches {
            name: variable.name.clone(),
            path: variable.path.clone(),
            count,
        };
        // Where each value was found is needed only to redact it (a sensitive variable) or
        // hide it from the model (an unexposed one); other variables skip building locations.
        let located = variable.sensitive || !variable.expose_to_ai;
        let (value, pointers) = if let Some(singular) = &parsed.singular {
            // At most one node: never several matches.
            match singular.select(json, located) {
                None => match no_match()? {
                    None => return Ok(None),
                    Some(v) => (v, Vec::new()),
                },
                Some((node, pointer)) => {
                    let value = match matching.many {
                        ManyMatches::Array => Value::Array(vec![node.clone()]),
                        ManyMatches::First | ManyMatches::Error => node.clone(),
                    };
                    (value, pointer.into_iter().collect())
                }
            }
        } else if located {
            let nodes = path.query_located(json).all();
            match nodes.len() {
                0 => match no_match()? {
                    None => return Ok(None),
                    Some(v) => (v, Vec::new()),
                },
                1 if matching.many != ManyMatches::Array => (
                    nodes[0].node().clone(),
                    vec![nodes[0].location().to_json_pointer()],
                ),
                count => match matching.many {
                    ManyMatches::First => (
                        nodes[0].node().clone(),
                        vec![nodes[0].location().to_json_pointer()],
                    ),
                    ManyMatches::Array => (
                        Value::Array(nodes.iter().map(|n| n.node().clone()).collect()),
                        nodes
                            .iter()
                            .map(|n| n.location().to_json_pointer())
                            .collect(),
                    ),
                    ManyMatches::Error => return Err(many(count)),
                },
            }
        } else {
            let nodes = path.query(json).all();
            let value = match nodes.len() {
                0 => match no_match()? {
                    None => return Ok(None),
                    Some(v) => v,
                },
                1 if matching.many != ManyMatches::Array => nodes[0].clone(),
                count => match matching.many {
                    ManyMatches::First => nodes[0].clone(),
                    ManyMatches::Array => Value::Array(nodes.into_iter().cloned().collect()),
                    ManyMatches::Error => return Err(many(count)),
                },
            };
            (value, Vec::new())
        };
        Ok(Some(OutputValue {
            name: parsed.name.clone(),
            value,
            sensitive: variable.sensitive,
            exposed: variable.expose_to_ai,
            pointers,
        }))
    }

    /// The status code.
    pub fn status(&self) -> u16 {
        self.status.as_u16()
    }

    /// Whether the status is 2xx.
    pub fn is_success(&self) -> bool {
        self.status.is_success()
    }

    /// The response headers.
    pub fn headers(&self) -> &http::HeaderMap {
        &self.headers
    }

    /// The body.
    pub fn body(&self) -> &Body {
        self.body.get_or_init(|| Body::parse(&self.raw).0)
    }

    /// The body's bytes as received.
    pub fn raw_body(&self) -> &Bytes {
        &self.raw
    }

    /// Every output variable read, in definition order.
    pub fn values(&self) -> &[OutputValue] {
        &self.values
    }

    /// One output variable's value, by name (sensitive values included: this is the program's
    /// view, not a printed form).
    pub fn variable(&self, name: &str) -> Option<&Value> {
        self.values
            .iter()
            .find(|v| &*v.name == name)
            .map(|v| &v.value)
    }

    /// The variables that were not set (no match with [`NoMatch::Skip`], or an error).
    pub fn unset(&self) -> &[String] {
        &self.unset
    }

    /// Why variables could not be read.
    pub fn output_errors(&self) -> &[OutputError] {
        &self.errors
    }

    /// The output variables as the nested object later actions read as `.variables`.
    pub fn variables_object(&self) -> Map<String, Value> {
        let mut map = Map::new();
        for v in &self.values {
            set_dotted(&mut map, &v.name, v.value.clone());
        }
        map
    }

    /// The error the agent would get, if any: a non-2xx status.
    pub fn agent_error(&self) -> Option<AgentError> {
        if self.status.is_success() {
            None
        } else {
            Some(AgentError::Status {
                status: self.status(),
                body: self.printed_body(),
            })
        }
    }

    /// The body with each node a sensitive variable was read from as `"<sensitive:NAME>"`.
    pub fn printed_body(&self) -> String {
        match self.body() {
            Body::Json(v) => {
                let mut v = v.clone();
                for value in self.values.iter().filter(|v| v.sensitive) {
                    for p in &value.pointers {
                        replace_at(
                            &mut v,
                            p,
                            Value::String(format!("<sensitive:{}>", value.name)),
                        );
                    }
                }
                v.to_string()
            }
            other => {
                let mut text = other.to_text();
                // A sensitive value cannot come from a non-JSON body, but be safe with strings.
                for value in self.values.iter().filter(|v| v.sensitive) {
                    if let Value::String(s) = &value.value
                        && !s.is_empty()
                    {
                        text = text.replace(s.as_str(), &format!("<sensitive:{}>", value.name));
                    }
                }
                text
            }
        }
    }

    /// What the model is given.
    pub fn model_view(&self, body: ModelBody) -> ModelView {
        let body = match body {
            ModelBody::Omit => None,
            ModelBody::Full => Some(self.body().clone()),
            ModelBody::HideUnexposed => Some(match self.body() {
                Body::Json(v) => {
                    let mut v = v.clone();
                    for value in self.values.iter().filter(|v| !v.exposed) {
                        for p in &value.pointers {
                            replace_at(
                                &mut v,
                                p,
                                Value::String(format!("<hidden:{}>", value.name)),
                            );
                        }
                    }
                    Body::Json(v)
                }
                other => other.clone(),
            }),
        };
        let mut variables = Map::new();
        let mut sensitive = Vec::new();
        for v in &self.values {
            if v.exposed {
                set_dotted(&mut variables, &v.name, v.value.clone());
            }
            if v.sensitive {
                sensitive.push(v.clone());
            }
        }
        ModelView {
            status: self.status(),
            body,
            variables,
            sensitive,
            error: self.agent_error(),
        }
    }
}

impl fmt::Debug for Outcome {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Outcome")
            .field("request", &self.request)
            .field("status", &self.status)
            .field("headers", &self.headers.keys().collect::<Vec<_>>())
            .field("body", &format_args!("{}", self.printed_body()))
            .field("values", &self.values)
            .field("unset", &self.unset)
            .field("errors", &self.errors)
            .finish()
    }
}

impl fmt::Display for Outcome {
    /// `HTTP 200`, the body (sensitive nodes redacted), then one `name = value` line per
    /// variable (sensitive values as `<sensitive:NAME>`).
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "HTTP {}", self.status)?;
        writeln!(f, "{}", self.printed_body())?;
        for v in &self.values {
            writeln!(
                f,
                "{} = {}{}",
                v.name,
                v.printed(),
                if v.exposed {
                    ""
                } else {
                    " (hidden from the model)"
                }
            )?;
        }
        for e in &self.errors {
            writeln!(f, "error: {e}")?;
        }
        Ok(())
    }
}

/// What the model is given after a call: the status, the body (per [`ModelBody`]), the exposed
/// output variables (nested by dotted name) and the error, if any.
#[derive(Clone)]
pub struct ModelView {
    status: u16,
    body: Option<Body>,
    variables: Map<String, Value>,
    /// Sensitive values, to redact in printed forms.
    sensitive: Vec<OutputValue>,
    error: Option<AgentError>,
}

impl ModelView {
    /// The status code.
    pub fn status(&self) -> u16 {
        self.status
    }
    /// The body, unless [`ModelBody::Omit`].
    pub fn body(&self) -> Option<&Body> {
        self.body.as_ref()
    }
    /// The exposed variables, nested.
    pub fn variables(&self) -> &Map<String, Value> {
        &self.variables
    }
    /// The error the agent would get.
    pub fn error(&self) -> Option<&AgentError> {
        self.error.as_ref()
    }

    /// The view as one JSON object: `{"status", "body"?, "variables", "error"?}` (the real
    /// values the model receives; not for logs when a variable is sensitive).
    pub fn to_json(&self) -> Value {
        let mut map = Map::new();
        map.insert("status".into(), Value::from(self.status));
        if let Some(body) = &self.body {
            map.insert(
                "body".into(),
                match body {
                    Body::Empty => Value::String(String::new()),
                    Body::Json(v) => v.clone(),
                    Body::Text(t) => Value::String(t.clone()),
                },
            );
        }
        map.insert("variables".into(), Value::Object(self.variables.clone()));
        if let Some(error) = &self.error {
            map.insert("error".into(), Value::String(error.agent_message()));
        }
        Value::Object(map)
    }

    fn redacted(&self) -> Value {
        let mut json = self.to_json();
        for v in &self.sensitive {
            let mut pointer = String::from("/variables");
            for part in v.name.split('.') {
                pointer.push('/');
                pointer.push_str(&part.replace('~', "~0").replace('/', "~1"));
            }
            replace_at(
                &mut json,
                &pointer,
                Value::String(format!("<sensitive:{}>", v.name)),
            );
            for p in &v.pointers {
                replace_at(
                    &mut json,
                    &format!("/body{p}"),
                    Value::String(format!("<sensitive:{}>", v.name)),
                );
            }
            if let Value::String(s) = &v.value
                && !s.is_empty()
                && let Some(Value::String(text)) = json.get_mut("body")
            {
                *text = text.replace(s.as_str(), &format!("<sensitive:{}>", v.name));
            }
        }
        json
    }
}

impl fmt::Debug for ModelView {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "ModelView({})", self.redacted())
    }
}

impl fmt::Display for ModelView {
    /// The view as JSON, exposed sensitive values as `<sensitive:NAME>`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.redacted())
    }
}
