//! One conversation's state across several actions: the conversation variables each action's
//! output variables feed (`.variables` of the next action's template; dotted names nest,
//! `account.status` is `{"account": {"status": v}}`), and the static variables of each
//! environment.
//!
//! [`Conversation::render`] renders an action over the current state, and
//! [`Conversation::record`] folds an [`Outcome`] back into it. Sensitive variables are
//! `<sensitive:NAME>` in the conversation's `Debug`.
//!
//! Choices where PolyAI documents none: a later action's output variable replaces an earlier
//! one of the same name; a variable that is not set by an outcome ([`NoMatch::Skip`](
//! crate::outcome::NoMatch::Skip), or an error) is removed, so no later action reads a stale
//! value; a non-2xx outcome changes no variable.
//!
//! ```
//! use bytes::Bytes;
//! use polyai_actions::chain::Conversation;
//! use polyai_actions::secrets::NoSecrets;
//! use polyai_actions::{ApiAction, Environment, PreparedAction};
//! use serde_json::json;
//!
//! let lookup = ApiAction::from_yaml_str(r#"
//! name: lookup
//! url: https://crm.example/customers
//! method: GET
//! output_variables:
//!   - { name: customer.id, path: "$.id" }
//! "#)?;
//! let book = ApiAction::from_yaml_str(r#"
//! name: book
//! url: https://crm.example/bookings
//! method: POST
//! body_template: '{"customer": "{{.variables.customer.id}}", "site": "{{.static_variables.site}}"}'
//! "#)?;
//! let mut conversation = Conversation::new(Environment::Sandbox, &NoSecrets)
//!     .static_variables(Environment::Sandbox, json!({"site": "LON"}));
//!
//! let response = http::Response::new(Bytes::from(r#"{"id": "C-7"}"#));
//! let outcome = conversation.record(&lookup, response);
//! assert_eq!(outcome.variable("customer.id"), Some(&json!("C-7")));
//!
//! let request = conversation.render(&PreparedAction::new(&book)?, json!({}))?;
//! assert_eq!(request.body_text(), Some(r#"{"customer": "C-7", "site": "LON"}"#));
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;

use bytes::Bytes;
use serde_json::{Map, Value};

use crate::action::ApiAction;
use crate::integration::Environment;
use crate::outcome::{self, Outcome, OutputMatching};
use crate::render::{PreparedAction, RenderContext, RenderError, RenderedRequest, RequestOptions};
use crate::secrets::SecretStore;

/// Why an action could not be run, with the text the agent would get.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum RunError {
    /// The request could not be rendered (a missing or invalid parameter, a missing
    /// variable in the template, a missing secret, ...).
    #[error(transparent)]
    Render(#[from] RenderError),
    /// No OAuth 2.0 access token could be had (the token source's error; it names no secret).
    #[error("no OAuth 2.0 access token: {0}")]
    Token(crate::run::BoxError),
    /// The request was sent but no response came back (refused connection, timeout, a body
    /// over the size limit...: the sender's error).
    #[error("no response from the service: {0}")]
    Send(crate::run::BoxError),
}

impl RunError {
    /// The text the agent would get: for invalid parameters, each parameter message (so it
    /// can ask the caller); for a template that references a missing value, which value; for
    /// anything else a generic failure, as configuration faults are not the caller's to fix.
    pub fn agent_message(&self) -> String {
        match self {
            RunError::Render(RenderError::Parameters(errors)) => format!(
                "The action cannot be called yet: {}. Ask the caller for the missing or invalid details.",
                errors.messages().join("; ")
            ),
            RunError::Render(RenderError::Template(e)) => {
                format!("The action could not be prepared: {e}. A value it needs is not available.")
            }
            RunError::Render(_) => {
                "The action could not be called because of a configuration problem.".to_owned()
            }
            RunError::Token(_) => {
                "The action could not be called: the service's sign-in failed.".to_owned()
            }
            RunError::Send(e) => send_message(e.as_ref()),
        }
    }
}

fn send_message(error: &(dyn std::error::Error + Send + Sync + 'static)) -> String {
    use crate::client::SendError;
    match error.downcast_ref::<SendError>() {
        Some(SendError::Timeout { .. }) => TIMEOUT.to_owned(),
        Some(SendError::Connect { .. }) => UNREACHABLE.to_owned(),
        Some(SendError::ResponseTooLarge { .. }) => {
            "The service's answer was too large to read.".to_owned()
        }
        Some(_) => "The service did not give a complete answer; the request may or may not have been processed.".to_owned(),
        None if is_timeout(error) => TIMEOUT.to_owned(),
        None => UNREACHABLE.to_owned(),
    }
}

const TIMEOUT: &str =
    "The service did not answer in time; the request may or may not have been processed.";
const UNREACHABLE: &str = "The service could not be reached.";

/// Whether a sender's error (or its sources) says it timed out.
fn is_timeout(error: &(dyn std::error::Error + 'static)) -> bool {
    let mut current = Some(error);
    while let Some(e) = current {
        if let Some(io) = e.downcast_ref::<std::io::Error>()
            && io.kind() == std::io::ErrorKind::TimedOut
        {
            return true;
        }
        if e.to_string().to_ascii_lowercase().contains("timed out")
            || e.to_string().to_ascii_lowercase().contains("timeout")
        {
            return true;
        }
        current = e.source();
    }
    false
}

/// The state of one conversation: environment, secrets, conversation variables and static
/// variables, with the settings every action is run under.
pub struct Conversation<'a> {
    environment: Environment,
    secrets: &'a dyn SecretStore,
    variables: Map<String, Value>,
    sensitive: BTreeSet<String>,
    static_variables: BTreeMap<Environment, Value>,
    options: RequestOptions,
    matching: OutputMatching,
    /// The template data object (`parameters`, `variables`, `static_variables`) kept between
    /// renders with its keys, so a render moves the values in and out without building it.
    template_data: Map<String, Value>,
}

impl<'a> Conversation<'a> {
    /// A new conversation in `environment`, with no variables and default settings.
    pub fn new(environment: Environment, secrets: &'a dyn SecretStore) -> Self {
        Conversation {
            environment,
            secrets,
            variables: Map::new(),
            sensitive: BTreeSet::new(),
            static_variables: BTreeMap::new(),
            options: RequestOptions::default(),
            matching: OutputMatching::default(),
            template_data: Map::new(),
        }
    }

    /// With the static variables of `environment` (an object; `.static_variables` in
    /// templates when the conversation runs in that environment).
    pub fn static_variables(mut self, environment: Environment, values: Value) -> Self {
        self.static_variables.insert(environment, values);
        self
    }

    /// With these rendering settings.
    pub fn options(mut self, options: RequestOptions) -> Self {
        self.options = options;
        self
    }

    /// With these output-variable matching settings.
    pub fn matching(mut self, matching: OutputMatching) -> Self {
        self.matching = matching;
        self
    }

    /// Sets a conversation variable (dotted names nest), as a Studio variable set earlier in
    /// the conversation.
    pub fn set_variable(&mut self, name: &str, value: Value, sensitive: bool) {
        outcome::set_dotted(&mut self.variables, name, value);
        if sensitive {
            self.sensitive.insert(name.to_owned());
        } else {
            self.sensitive.remove(name);
        }
    }

    /// The environment.
    pub fn environment(&self) -> Environment {
        self.environment
    }

    /// The conversation variables, nested (real values, sensitive ones included).
    pub fn variables(&self) -> &Map<String, Value> {
        &self.variables
    }

    /// The matching settings.
    pub fn output_matching(&self) -> &OutputMatching {
        &self.matching
    }

    /// The render context for `parameters` over the current state.
    pub fn context(&self, parameters: Value) -> RenderContext<'a> {
        let mut context = RenderContext::new(self.environment, self.secrets)
            .with_parameters(parameters)
            .with_variables(Value::Object(self.variables.clone()))
            .with_options(self.options.clone());
        context.static_variables = self.static_variables.clone();
        context
    }

    /// The conversation's rendering options.
    pub(crate) fn options_ref(&self) -> &RequestOptions {
        &self.options
    }

    /// Where the conversation's secret values come from.
    pub(crate) fn secrets_ref(&self) -> &'a dyn SecretStore {
        self.secrets
    }

    /// What rendering reads for `parameters` under `options` in this conversation, with no
    /// template data and no body rendered beforehand.
    fn parts<'p>(
        &self,
        options: &'p RequestOptions,
        parameters: &'p Value,
    ) -> crate::render::RenderParts<'p, 'a> {
        crate::render::RenderParts {
            environment: self.environment,
            secrets: self.secrets,
            options,
            parameters,
            template_data: None,
            body: None,
        }
    }

    /// Renders `action` with `parameters` under `options` over the current state, as
    /// [`Self::render`] does, but without copying the state: the parameters and the
    /// conversation's variables are moved into the template's data for the render and the
    /// variables moved back afterwards.
    pub(crate) fn render_moving(
        &mut self,
        action: &PreparedAction<'_>,
        parameters: Value,
        options: &RequestOptions,
    ) -> Result<RenderedRequest, RenderError> {
        if !action.renders_template() {
            return action.render_parts(self.parts(options, &parameters));
        }
        if parameters.is_null() {
            // The template sees an empty object where validation sees the null: the general
            // path keeps both.
            let context = self.context(Value::Null).with_options(options.clone());
            return action.render(&context);
        }
        let environment = self.environment;
        // The template's flat plan reads the parts where they are; only when it stops are
        // they moved into one object for the evaluator.
        let static_variables = self
            .static_variables
            .get(&environment)
            .filter(|v| !v.is_null());
        let has_statics = static_variables.is_some();
        if let Some(body) = action.plan_body(
            &parameters,
            &self.variables,
            static_variables,
            options.missing_key,
        ) {
            return action.render_parts(crate::render::RenderParts {
                body: Some(body),
                ..self.parts(options, &parameters)
            });
        }
        let statics = if has_statics {
            self.static_variables.remove(&environment)
        } else {
            None
        };
        let took_statics = statics.is_some();
        let mut data = std::mem::take(&mut self.template_data);
        if data.len() != 3 {
            data = match crate::render::template_data(Value::Null, Value::Null, Value::Null) {
                Value::Object(map) => map,
                _ => Map::new(),
            };
        }
        // One pass over the three slots each way (no lookups by key).
        let (mut parameters, mut statics) = (
            Some(parameters),
            Some(statics.unwrap_or_else(|| Value::Object(Map::new()))),
        );
        let mut variables = Some(Value::Object(std::mem::take(&mut self.variables)));
        for (key, slot) in data.iter_mut() {
            let value = match key.as_str() {
                "parameters" => parameters.take(),
                "variables" => variables.take(),
                _ => statics.take(),
            };
            if let Some(value) = value {
                *slot = value;
            }
        }
        let data = Value::Object(data);
        let rendered = action.render_parts(crate::render::RenderParts {
            template_data: Some(&data),
            ..self.parts(options, &data["parameters"])
        });
        // Put the state back, whatever the render gave, and keep the emptied object.
        if let Value::Object(mut data) = data {
            for (key, slot) in data.iter_mut() {
                match (key.as_str(), slot.take()) {
                    ("variables", Value::Object(variables)) => self.variables = variables,
                    ("static_variables", statics) if took_statics => {
                        self.static_variables.insert(environment, statics);
                    }
                    _ => {}
                }
            }
            self.template_data = data;
        }
        rendered
    }

    /// Renders `action` with `parameters` over the current state.
    ///
    /// # Errors
    /// [`RunError::Render`], with [`RunError::agent_message`].
    pub fn render(
        &self,
        action: &PreparedAction<'_>,
        parameters: Value,
    ) -> Result<RenderedRequest, RunError> {
        Ok(action.render(&self.context(parameters))?)
    }

    /// Reads `response` as `action`'s outcome and folds its output variables into the
    /// conversation (see the [module docs](self)).
    pub fn record(&mut self, action: &ApiAction, response: http::Response<Bytes>) -> Outcome {
        let outcome = Outcome::from_response(response, &action.output_variables, &self.matching);
        self.apply(&outcome);
        outcome
    }

    /// [`Self::record`] for a prepared action, whose output paths are already parsed.
    pub(crate) fn record_prepared(
        &mut self,
        action: &PreparedAction<'_>,
        response: http::Response<Bytes>,
    ) -> Outcome {
        let outcome = Outcome::read_response(
            response,
            &action.action().output_variables,
            Some(action.output_paths()),
            &self.matching,
        );
        self.apply(&outcome);
        outcome
    }

    /// Folds an outcome's output variables into the conversation.
    pub fn apply(&mut self, outcome: &Outcome) {
        if !outcome.is_success() {
            return;
        }
        for name in outcome.unset() {
            outcome::remove_dotted(&mut self.variables, name);
            self.sensitive.remove(name);
        }
        for value in outcome.values() {
            self.set_variable(value.name(), value.value().clone(), value.is_sensitive());
        }
    }

    /// `text` with every sensitive conversation variable's value (a string, or a number or
    /// boolean as JSON writes it; at least 4 characters, so short values do not blank out
    /// unrelated text) replaced by `<sensitive:NAME>`. Use it on printed requests
    /// ([`RenderedRequest`]'s `Display`, `to_curl`): a body template can copy a sensitive
    /// variable into the body, and the request's own printed forms mask only secrets.
    pub fn redact(&self, text: &str) -> String {
        let mut out = text.to_owned();
        for name in &self.sensitive {
            let mut node = Some(&self.variables);
            let mut value = None;
            let mut parts = name.split('.').peekable();
            while let (Some(map), Some(part)) = (node, parts.next()) {
                if parts.peek().is_none() {
                    value = map.get(part);
                    break;
                }
                node = map.get(part).and_then(Value::as_object);
            }
            let needle = match value {
                Some(Value::String(s)) => s.clone(),
                Some(v @ (Value::Number(_) | Value::Bool(_))) => v.to_string(),
                _ => continue,
            };
            if needle.chars().count() >= 4 {
                out = out.replace(&needle, &format!("<sensitive:{name}>"));
            }
        }
        out
    }

    fn printed_variables(&self) -> Value {
        let mut v = Value::Object(self.variables.clone());
        for name in &self.sensitive {
            let mut pointer = String::new();
            for part in name.split('.') {
                pointer.push('/');
                pointer.push_str(&part.replace('~', "~0").replace('/', "~1"));
            }
            if let Some(node) = v.pointer_mut(&pointer) {
                *node = Value::String(format!("<sensitive:{name}>"));
            }
        }
        v
    }
}

impl fmt::Debug for Conversation<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Conversation")
            .field("environment", &self.environment)
            .field("variables", &format_args!("{}", self.printed_variables()))
            .field("static_variables", &self.static_variables)
            .field("matching", &self.matching)
            .finish_non_exhaustive()
    }
}
