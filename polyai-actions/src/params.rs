//! Validating the parameters an agent supplies against an action's JSON Schema (Draft 7).
//!
//! The messages are written for an LLM agent that has to fix its call: they name the field in
//! the agent's terms (dotted, `[i]` for array items: `customer.email`, `items[2].sku`) and say
//! what value is wanted.
//!
//! | keyword | message |
//! |---|---|
//! | `required` | `` `customer.email` is required `` |
//! | `enum` | `` `priority` must be one of low, medium, high `` |
//! | `const` | `` `kind` must be exactly refund `` |
//! | `type` | `` `quantity` must be an integer, not a string `` |
//! | `minimum` / `maximum` | `` `quantity` must be at least 1 `` / `` at most 10 `` |
//! | `exclusiveMinimum` / `exclusiveMaximum` | `` must be greater than 0 `` / `` less than 100 `` |
//! | `minLength` / `maxLength` | `` `code` must be at least 3 characters long `` / `` at most 8 characters long `` |
//! | `pattern` | `` `code` must match the pattern ^[A-Z]+$ `` |
//! | `format` | `` `email` must be a valid email `` |
//! | `additionalProperties` | `` `customer.nickname` is not an accepted field; remove it `` |
//! | `minItems` / `maxItems` | `` `items` must have at least 1 item `` / `` at most 5 items `` |
//! | `uniqueItems` | `` `tags` must not contain the same item twice `` |
//! | `multipleOf` | `` `amount` must be a multiple of 0.01 `` |
//! | `minProperties` / `maxProperties` | `` `filters` must have at least 1 field `` / `` at most 3 fields `` |
//! | `not`, `oneOf`, `anyOf`, anything else | the field, then the validator's own description |
//!
//! Conditional requirements (`allOf` of `if`/`then`) report the inner failure (`required`,
//! `enum`, ...) directly, so the message is the same as for an unconditional rule.

use std::fmt;
use std::sync::Arc;

use jsonschema::error::{TypeKind, ValidationErrorKind};
use jsonschema::paths::LocationSegment;
use serde_json::Value;

use crate::action::ApiAction;

mod quick;

/// A compiled parameter schema: compile once, validate many calls.
///
/// Cheap to clone (the compiled schema is shared) and `Send + Sync`.
///
/// ```
/// use polyai_actions::ParameterValidator;
/// use serde_json::json;
///
/// let validator = ParameterValidator::new(&json!({
///     "type": "object",
///     "properties": {
///         "priority": { "enum": ["low", "medium", "high"] },
///         "quantity": { "type": "integer", "minimum": 1 }
///     },
///     "required": ["quantity"]
/// }))?;
/// assert!(validator.validate(&json!({"quantity": 2, "priority": "low"})).is_ok());
///
/// let errors = validator.validate(&json!({"priority": "urgent"})).unwrap_err();
/// let messages: Vec<_> = errors.iter().map(|e| e.message.as_str()).collect();
/// assert!(messages.contains(&"`priority` must be one of low, medium, high"));
/// assert!(messages.contains(&"`quantity` is required"));
/// # Ok::<(), polyai_actions::SchemaError>(())
/// ```
#[derive(Clone)]
pub struct ParameterValidator {
    inner: Arc<jsonschema::Validator>,
    /// The quick check run first, when the schema has one (see `quick`).
    quick: Option<Arc<quick::QuickSchema>>,
}

impl fmt::Debug for ParameterValidator {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ParameterValidator").finish_non_exhaustive()
    }
}

/// A parameter schema that cannot be compiled (it is not a valid Draft 7 schema, or it refers to
/// a document that is not available offline).
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("the parameter schema is not a valid Draft 7 schema{}: {message}; fix the schema", at_pointer(.pointer))]
pub struct SchemaError {
    /// The JSON Pointer of the offending part of the schema (empty: the root).
    pub pointer: String,
    /// What is wrong.
    pub message: String,
}

fn at_pointer(pointer: &str) -> String {
    if pointer.is_empty() {
        String::new()
    } else {
        format!(" at {pointer}")
    }
}

impl ParameterValidator {
    /// Compiles `schema` as Draft 7 (whatever its `$schema` says), with `format` checked.
    ///
    /// # Errors
    /// [`SchemaError`] when the schema is invalid.
    pub fn new(schema: &Value) -> Result<Self, SchemaError> {
        Self::with_formats(schema, true)
    }

    /// Compiles `schema` as Draft 7, checking `format` (`email`, `date`, ...) or not.
    ///
    /// PolyAI does not document whether formats are enforced; Draft 7 lets a validator choose.
    /// [`ParameterValidator::new`] checks them, since a malformed email is better caught before
    /// the request than by the service.
    ///
    /// # Errors
    /// [`SchemaError`] when the schema is invalid.
    pub fn with_formats(schema: &Value, check_formats: bool) -> Result<Self, SchemaError> {
        // The meta-schema check first: building a validator accepts some invalid schemas.
        if let Err(e) = jsonschema::draft7::meta::validate(schema) {
            return Err(SchemaError {
                pointer: e.instance_path().as_str().to_owned(),
                message: e.to_string(),
            });
        }
        let inner = jsonschema::draft7::options()
            .should_validate_formats(check_formats)
            .build(schema)
            .map_err(|e| SchemaError {
                pointer: e.schema_path().as_str().to_owned(),
                message: e.to_string(),
            })?;
        Ok(ParameterValidator {
            inner: Arc::new(inner),
            quick: quick::QuickSchema::new(schema, check_formats).map(Arc::new),
        })
    }

    /// Checks `parameters`, returning every problem found.
    ///
    /// # Errors
    /// [`ParameterErrors`], one entry per failed rule, in the validator's order.
    pub fn validate(&self, parameters: &Value) -> Result<(), ParameterErrors> {
        if self.quick_accepts(parameters) || self.inner.is_valid(parameters) {
            return Ok(());
        }
        let errors: Vec<ParameterError> = self
            .inner
            .iter_errors(parameters)
            .map(|e| describe(&e))
            .collect();
        if errors.is_empty() {
            // is_valid and iter_errors disagreeing would be a validator bug; say so rather
            // than accept the call.
            return Err(ParameterErrors {
                errors: vec![ParameterError {
                    field: String::new(),
                    keyword: String::new(),
                    message: "the parameters do not match the schema".to_owned(),
                }],
            });
        }
        Err(ParameterErrors { errors })
    }

    /// Whether `parameters` are valid, without describing the problems (faster).
    pub fn is_valid(&self, parameters: &Value) -> bool {
        self.quick_accepts(parameters) || self.inner.is_valid(parameters)
    }

    /// Whether the quick check (see `quick`) accepts `parameters` on its own.
    fn quick_accepts(&self, parameters: &Value) -> bool {
        self.quick.as_ref().is_some_and(|q| q.accepts(parameters))
    }
}

impl ApiAction {
    /// Compiles this action's parameter schema. Keep the result to validate many calls.
    ///
    /// # Errors
    /// [`SchemaError`] when the schema is invalid.
    pub fn parameter_validator(&self) -> Result<ParameterValidator, SchemaError> {
        ParameterValidator::new(&self.parameters)
    }

    /// Validates `parameters` against this action's schema (compiling it each call; use
    /// [`ApiAction::parameter_validator`] to compile it once).
    ///
    /// ```
    /// use polyai_actions::{ApiAction, Method};
    /// use serde_json::json;
    ///
    /// let mut action = ApiAction::new("order", "https://api.example/orders", Method::Post);
    /// action.parameters = json!({
    ///     "type": "object",
    ///     "properties": {"customer": {
    ///         "type": "object",
    ///         "properties": {"email": {"type": "string"}},
    ///         "required": ["email"]
    ///     }},
    ///     "required": ["customer"]
    /// });
    /// let err = action.validate_parameters(&json!({"customer": {}})).unwrap_err();
    /// assert_eq!(err.to_string(), "`customer.email` is required");
    /// ```
    ///
    /// # Errors
    /// One entry per failed rule; when the schema itself is invalid, a single entry with the
    /// keyword `$schema` that says why.
    pub fn validate_parameters(&self, parameters: &Value) -> Result<(), ParameterErrors> {
        match self.parameter_validator() {
            Ok(v) => v.validate(parameters),
            Err(e) => Err(ParameterErrors {
                errors: vec![ParameterError {
                    field: String::new(),
                    keyword: "$schema".to_owned(),
                    message: format!("the action `{}` cannot be called: {e}", self.name),
                }],
            }),
        }
    }
}

/// Everything wrong with one set of parameters.
///
/// `Display` joins the messages with `; `.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub struct ParameterErrors {
    /// The problems, at least one.
    pub errors: Vec<ParameterError>,
}

impl ParameterErrors {
    /// Iterates over the problems.
    pub fn iter(&self) -> std::slice::Iter<'_, ParameterError> {
        self.errors.iter()
    }

    /// The problems' messages.
    pub fn messages(&self) -> Vec<&str> {
        self.errors.iter().map(|e| e.message.as_str()).collect()
    }
}

impl fmt::Display for ParameterErrors {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, e) in self.errors.iter().enumerate() {
            if i > 0 {
                f.write_str("; ")?;
            }
            f.write_str(&e.message)?;
        }
        Ok(())
    }
}

impl<'a> IntoIterator for &'a ParameterErrors {
    type Item = &'a ParameterError;
    type IntoIter = std::slice::Iter<'a, ParameterError>;
    fn into_iter(self) -> Self::IntoIter {
        self.errors.iter()
    }
}

/// One failed rule.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ParameterError {
    /// The field in the agent's terms: `customer.email`, `items[2].sku`; empty for the
    /// parameters object itself. For `required`, the missing field.
    pub field: String,
    /// The schema keyword that failed (`required`, `enum`, ...).
    pub keyword: String,
    /// What to change, for the agent.
    pub message: String,
}

/// A field path in the agent's terms from a JSON Pointer's segments.
fn field_path<'a>(segments: impl Iterator<Item = LocationSegment<'a>>) -> String {
    let mut out = String::new();
    for seg in segments {
        match seg {
            LocationSegment::Index(i) => {
                out.push('[');
                out.push_str(&i.to_string());
                out.push(']');
            }
            LocationSegment::Property(p) => push_property(&mut out, &p),
        }
    }
    out
}

fn push_property(out: &mut String, name: &str) {
    let plain = !name.is_empty()
        && name
            .chars()
            .all(|c| c.is_alphanumeric() || c == '_' || c == '-');
    if plain {
        if !out.is_empty() {
            out.push('.');
        }
        out.push_str(name);
    } else {
        out.push('[');
        out.push_str(&serde_json::to_string(name).unwrap_or_default());
        out.push(']');
    }
}

fn join(parent: &str, child: &str) -> String {
    let mut out = parent.to_owned();
    push_property(&mut out, child);
    out
}

/// A JSON value as an agent would write it: strings bare, the rest as JSON.
fn show(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

fn kind_of(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(n) if n.is_i64() || n.is_u64() => "an integer",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

fn type_name(t: &str) -> String {
    match t {
        "null" => "null".to_owned(),
        "integer" | "array" | "object" => format!("an {t}"),
        other => format!("a {other}"),
    }
}

fn plural(n: u64, one: &str, many: &str) -> String {
    if n == 1 {
        format!("{n} {one}")
    } else {
        format!("{n} {many}")
    }
}

fn describe(e: &jsonschema::ValidationError<'_>) -> ParameterError {
    let field = field_path(e.instance_path().segments());
    let subject = if field.is_empty() {
        "the parameters".to_owned()
    } else {
        format!("`{field}`")
    };
    let keyword = e.kind().keyword().to_owned();
    let (field, message) = match e.kind() {
        ValidationErrorKind::Required { property } => {
            let missing = join(&field, &show(property));
            let m = format!("`{missing}` is required");
            (missing, m)
        }
        ValidationErrorKind::Enum { options } => {
            let list = match options.as_ref() {
                Value::Array(items) => items.iter().map(show).collect::<Vec<_>>().join(", "),
                other => show(other),
            };
            let m = format!("{subject} must be one of {list}");
            (field, m)
        }
        ValidationErrorKind::Constant { expected_value } => {
            let m = format!("{subject} must be exactly {}", show(expected_value));
            (field, m)
        }
        ValidationErrorKind::Type { kind } => {
            let wanted = match kind {
                TypeKind::Single(t) => type_name(&t.to_string()),
                TypeKind::Multiple(set) => {
                    let names: Vec<String> =
                        set.iter().map(|t| type_name(&t.to_string())).collect();
                    names.join(" or ")
                }
            };
            let m = format!("{subject} must be {wanted}, not {}", kind_of(e.instance()));
            (field, m)
        }
        ValidationErrorKind::Minimum { limit } => {
            (field, format!("{subject} must be at least {}", show(limit)))
        }
        ValidationErrorKind::Maximum { limit } => {
            (field, format!("{subject} must be at most {}", show(limit)))
        }
        ValidationErrorKind::ExclusiveMinimum { limit } => (
            field,
            format!("{subject} must be greater than {}", show(limit)),
        ),
        ValidationErrorKind::ExclusiveMaximum { limit } => (
            field,
            format!("{subject} must be less than {}", show(limit)),
        ),
        ValidationErrorKind::MinLength { limit } => (
            field,
            format!(
                "{subject} must be at least {} long",
                plural(*limit, "character", "characters")
            ),
        ),
        ValidationErrorKind::MaxLength { limit } => (
            field,
            format!(
                "{subject} must be at most {} long",
                plural(*limit, "character", "characters")
            ),
        ),
        ValidationErrorKind::Pattern { pattern } => {
            (field, format!("{subject} must match the pattern {pattern}"))
        }
        ValidationErrorKind::Format { format } => {
            (field, format!("{subject} must be a valid {format}"))
        }
        ValidationErrorKind::AdditionalProperties { unexpected } => {
            let names: Vec<String> = unexpected.iter().map(|u| join(&field, u)).collect();
            let m = if names.len() == 1 {
                format!("`{}` is not an accepted field; remove it", names[0])
            } else {
                let quoted: Vec<String> = names.iter().map(|n| format!("`{n}`")).collect();
                format!("{} are not accepted fields; remove them", quoted.join(", "))
            };
            (field, m)
        }
        ValidationErrorKind::MinItems { limit } => (
            field,
            format!(
                "{subject} must have at least {}",
                plural(*limit, "item", "items")
            ),
        ),
        ValidationErrorKind::MaxItems { limit } => (
            field,
            format!(
                "{subject} must have at most {}",
                plural(*limit, "item", "items")
            ),
        ),
        ValidationErrorKind::UniqueItems => (
            field,
            format!("{subject} must not contain the same item twice"),
        ),
        ValidationErrorKind::MultipleOf { multiple_of } => (
            field,
            format!("{subject} must be a multiple of {multiple_of}"),
        ),
        ValidationErrorKind::MinProperties { limit } => (
            field,
            format!(
                "{subject} must have at least {}",
                plural(*limit, "field", "fields")
            ),
        ),
        ValidationErrorKind::MaxProperties { limit } => (
            field,
            format!(
                "{subject} must have at most {}",
                plural(*limit, "field", "fields")
            ),
        ),
        _ => {
            let m = format!("{subject} is not accepted: {e}");
            (field, m)
        }
    };
    ParameterError {
        field,
        keyword,
        message,
    }
}
