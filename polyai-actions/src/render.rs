//! The HTTP request an API-call action or an integration operation would send, rendered
//! offline for one environment.
//!
//! - [`render_action`] (or [`PreparedAction`], to render one action many times): an API-call
//!   action with its parameters.
//! - [`render_operation`]: `conv.api.<integration>.<operation>(*args, params=..., json=...,
//!   data=..., headers=...)`, described by [`CallArgs`].
//!
//! Both take a [`RenderContext`] (the environment, the parameters, conversation variables,
//! static variables, the [`SecretStore`] and [`RequestOptions`]) and return a
//! [`RenderedRequest`]: the real [`http::Request`] plus printed forms (`Display`, `Debug`,
//! [`RenderedRequest::to_curl`]) in which every secret is `<secret:NAME>`.
//!
//! # The rules, and the choices where PolyAI documents none
//!
//! **URL.** A connection's base URL and an action's path are joined with exactly one `/`
//! (`https://h/api/` + `/orders` is `https://h/api/orders`); the base URL's path prefix and
//! the path's own query string are kept. Without a connection the action's URL is used as it
//! is. An integration operation is the environment's `base_url` joined the same way with the
//! operation's `resource`, whose `{placeholders}` are filled from the call's arguments
//! (positionally, in the order the names first appear, or by name; a name used twice takes one
//! value), each value percent-encoded as exactly one path segment (everything outside RFC 3986
//! unreserved escaped, so `a/b` is `a%2Fb`); an empty, `.` or `..` value, a missing argument or
//! an extra one is an error naming the placeholder. Characters a URL cannot hold as written
//! (spaces, non-ASCII) in the static parts are percent-encoded, as `requests` does; a fragment
//! is dropped (it is never sent). A base URL with a query string is refused.
//!
//! **Query.** GET and DELETE actions send their parameters as query parameters; integration
//! calls send `params`. [`QueryEncoding`] says how non-string values are written (default: as
//! Python `requests` does). A query string already in the path comes first. An API key sent as
//! a query parameter comes last. Parameters are written in the order of the `serde_json` map
//! (alphabetical, unless `serde_json`'s `preserve_order` feature is enabled in the build: see
//! [`conv_api`](crate::conv_api#key-order-the-one-byte-level-difference-from-polyais-runtime)).
//!
//! **Body.** POST, PUT and PATCH actions send the body template's output, rendered over
//! `{"parameters": ..., "variables": ..., "static_variables": ...}`, or, without a template,
//! the parameters as a flat JSON object written by [`RequestOptions::flat_body`] (default Go's
//! `json.Marshal`, which the fact sheet names: `1000000`, not `1e+06`). GET and DELETE send no
//! body, even with a template (lint warns, `PA114`). Both kinds of action body are sent as
//! `Content-Type: application/json` unless the action's own headers set a `Content-Type`.
//! Whether the platform refuses a template output that is not JSON is not documented:
//! [`InvalidJsonBody`] chooses (default: send it, with a [warning](RenderedRequest::warnings)).
//! Integration calls follow `requests`: `data` (a form, or raw text) when it is non-empty,
//! else `json` (Python's `json.dumps`, `Content-Type: application/json`); a form is
//! `application/x-www-form-urlencoded`; raw text gets no `Content-Type`.
//!
//! **Headers.** An action sends its connection's headers, then its own (an action header
//! replaces a connection header of the same name), then `Content-Type`, then what the auth
//! connector adds (replacing a header of the same name). Secret references are resolved from
//! the [`SecretStore`] for the context's environment; a missing secret is
//! [`RenderError::MissingSecret`], naming the secret and the environment. An integration call
//! sends the auth headers, then the call's `headers` merged over them (same name, the call
//! wins), then `Content-Type` if the body needs one and no header set it.
//! A header value with non-ASCII characters is refused ([`RenderError::InvalidHeader`]): Go
//! would send its UTF-8 bytes and Python's `http.client` Latin-1, so the bytes on the wire are
//! not knowable offline.
//!
//! **Auth.** Bearer (`Authorization: Bearer <token>`), API key (a header, a query parameter
//! or a cookie, added to any `Cookie` header already set) and Basic (`Authorization: Basic
//! base64(user:password)`; base64 written here, a dozen lines, rather than a dependency). An
//! action's own connector replaces its connection's (lint warns when both are set, `PA112`).
//! OAuth 2.0 and JWT client assertions need the network, which rendering never uses:
//! [`OAuth2Handling`] refuses by default ([`RenderError::NeedsNetwork`]), or renders a marked
//! placeholder (`Authorization: Bearer <oauth2 token from TOKEN_URL>`) with a warning, so a
//! rendering never silently differs from the real request. Running does fetch client
//! credentials tokens ([`crate::oauth`]): [`Conversation::run`](crate::chain::Conversation::run)
//! for actions and [`ConvApi::with_oauth`](crate::conv_api::ConvApi::with_oauth) for
//! integrations replace the placeholder with a real token.
//!
//! Integrations: the ADK file holds only each environment's `auth_type`; the platform holds
//! the credentials. Offline, give them with [`RenderContext::with_integration_auth`] as an
//! [`AuthConnector`] whose secrets the store resolves. It must match the environment's
//! `auth_type` (`basic` takes [`AuthConnector::Basic`], `apiKey` an API key in a header or the
//! query); an environment whose `auth_type` is `none` sends no auth even if one is given.
//!
//! **Parameters** are validated against the action's schema first ([`RenderError::Parameters`],
//! with the agent-facing messages), unless [`RequestOptions::validate_parameters`] is off.
//!
//! ```
//! use polyai_actions::render::{RenderContext, render_action};
//! use polyai_actions::secrets::InMemorySecretStore;
//! use polyai_actions::{ApiAction, Environment};
//! use serde_json::json;
//!
//! let action = ApiAction::from_yaml_str(r#"
//! name: lookup_order
//! description: Look up an order
//! connection:
//!   base_url: https://api.shop.example/v1/
//!   auth: { type: bearer, token: { secret: shop_token } }
//! url: /orders/lookup
//! method: GET
//! parameters:
//!   type: object
//!   properties: { order_number: { type: string }, express: { type: boolean } }
//!   required: [order_number]
//! "#)?;
//! let secrets = InMemorySecretStore::new().with(Environment::Live, "shop_token", "t0k3n");
//! let context = RenderContext::new(Environment::Live, &secrets)
//!     .with_parameters(json!({"express": true, "order_number": "ORD 1"}));
//! let request = render_action(&action, &context)?;
//!
//! assert_eq!(
//!     request.as_http().uri(),
//!     "https://api.shop.example/v1/orders/lookup?express=True&order_number=ORD+1"
//! );
//! assert_eq!(request.as_http().headers()["authorization"], "Bearer t0k3n");
//! // Printed forms never show the secret.
//! assert_eq!(
//!     request.to_curl(),
//!     "curl 'https://api.shop.example/v1/orders/lookup?express=True&order_number=ORD+1' \\\n  \
//!      --header 'Authorization: Bearer <secret:shop_token>'"
//! );
//! assert!(!format!("{request:?}").contains("t0k3n"));
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

pub(crate) mod auth;
mod number;
mod query;
mod request;
mod url;

use std::collections::BTreeMap;
use std::fmt;

use bytes::Bytes;
use serde_json::{Map, Value};

use crate::action::{ApiAction, AuthConnector, HeaderValue};
use crate::integration::{ApiIntegration, AuthType, Environment, Operation};
use crate::method::Method;
use crate::params::{ParameterErrors, ParameterValidator, SchemaError};
use crate::secrets::SecretStore;
use crate::template::{self, MissingKey, Template, TemplateError};

pub use number::JsonStyle;
pub use query::QueryEncoding;
pub use request::{MaskedHeaders, RenderedRequest, SentRequest, shell_quote};

use request::Draft;

/// Why a request could not be rendered. Messages name secrets, never their values.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum RenderError {
    /// The parameters do not match the action's schema.
    #[error("the parameters are not valid: {0}")]
    Parameters(ParameterErrors),
    /// The action's parameter schema cannot be compiled.
    #[error(transparent)]
    Schema(SchemaError),
    /// The body template does not parse, or failed while rendering.
    #[error("body_template:{0}")]
    Template(TemplateError),
    /// A secret the request needs is not in the store for this environment.
    #[error(
        "the secret `{name}` has no value for the {environment} environment; add it to the secret store"
    )]
    MissingSecret {
        /// The secret's name.
        name: String,
        /// The environment rendered.
        environment: Environment,
    },
    /// The integration has no configuration for the environment.
    #[error(
        "the integration `{integration}` has no `{environment}` environment; add one under `environments` or render another environment"
    )]
    MissingEnvironment {
        /// The integration.
        integration: String,
        /// The environment asked for.
        environment: Environment,
    },
    /// The environment's `base_url` is empty.
    #[error(
        "the integration `{integration}` has an empty base_url for the {environment} environment; set it"
    )]
    EmptyBaseUrl {
        /// The integration.
        integration: String,
        /// The environment.
        environment: Environment,
    },
    /// No operation of that name (and method).
    #[error("the integration `{integration}` has no operation {operation}")]
    UnknownOperation {
        /// The integration.
        integration: String,
        /// The operation asked for (`name`, or `METHOD name`).
        operation: String,
    },
    /// Several operations share the name; the call must say which method.
    #[error(
        "the integration `{integration}` has several operations called `{operation}` ({methods}); choose one with CallArgs::method"
    )]
    AmbiguousOperation {
        /// The integration.
        integration: String,
        /// The operation name.
        operation: String,
        /// Their methods.
        methods: String,
    },
    /// The URL cannot be made into a request URI.
    #[error("the URL `{url}` is not valid: {reason}")]
    InvalidUrl {
        /// The URL, secrets masked.
        url: String,
        /// What is wrong.
        reason: String,
    },
    /// The operation's resource path is malformed.
    #[error("the resource `{resource}` is not valid: {reason}")]
    InvalidResource {
        /// The resource path.
        resource: String,
        /// What is wrong.
        reason: String,
    },
    /// A placeholder of the resource has no argument.
    #[error(
        "the placeholder `{{{placeholder}}}` of `{resource}` has no argument; pass it positionally or by name"
    )]
    MissingPathArgument {
        /// The placeholder.
        placeholder: String,
        /// The resource path.
        resource: String,
    },
    /// An argument matches no placeholder.
    #[error(
        "{argument} matches no placeholder of `{resource}` (placeholders: {})",
        list_or_none(.placeholders)
    )]
    ExtraPathArgument {
        /// The argument (`positional argument 3`, or a name).
        argument: String,
        /// The resource path.
        resource: String,
        /// The placeholders it has.
        placeholders: Vec<String>,
    },
    /// A path argument cannot fill its placeholder.
    #[error("the path argument for `{{{placeholder}}}` is not usable: {reason}")]
    InvalidPathArgument {
        /// The placeholder.
        placeholder: String,
        /// What is wrong.
        reason: String,
    },
    /// A query (or form) value has no defined encoding under the chosen [`QueryEncoding`].
    #[error("cannot encode the query parameter `{name}`: {reason}")]
    QueryValue {
        /// The parameter.
        name: String,
        /// What is wrong and what to do.
        reason: String,
    },
    /// A header name or value is not valid HTTP.
    #[error("the header `{name}` is not valid: {reason}")]
    InvalidHeader {
        /// The header name.
        name: String,
        /// What is wrong (a secret value is named, never shown).
        reason: String,
    },
    /// The auth needs the network (OAuth 2.0, JWT client assertion), refused by
    /// [`OAuth2Handling::Refuse`].
    #[error("{auth} authentication needs the network, which rendering never uses: {detail}")]
    NeedsNetwork {
        /// The auth type.
        auth: String,
        /// Where the token would come from, and what to do.
        detail: String,
    },
    /// An integration's `auth_type` needs credentials the context does not give.
    #[error(
        "the {environment} environment of `{integration}` uses auth_type {auth_type}: give its credentials with RenderContext::with_integration_auth"
    )]
    MissingIntegrationAuth {
        /// The integration.
        integration: String,
        /// The environment.
        environment: Environment,
        /// Its auth type.
        auth_type: AuthType,
    },
    /// The credentials given do not fit the environment's `auth_type`.
    #[error(
        "the {environment} environment of `{integration}` uses auth_type {auth_type}, but the credentials given are {given}; {hint}"
    )]
    IntegrationAuthMismatch {
        /// The integration.
        integration: String,
        /// The environment.
        environment: Environment,
        /// Its auth type.
        auth_type: AuthType,
        /// The connector given.
        given: String,
        /// What would fit.
        hint: String,
    },
    /// [`InvalidJsonBody::Refuse`] and the body is not valid JSON.
    #[error(
        "the rendered body is not valid JSON ({reason}); escape string values or fix the template"
    )]
    InvalidJsonBody {
        /// The JSON parser's complaint, with line and column in the rendered body.
        reason: String,
    },
}

fn list_or_none(names: &[String]) -> String {
    if names.is_empty() {
        "none".to_owned()
    } else {
        names
            .iter()
            .map(|n| format!("{{{n}}}"))
            .collect::<Vec<_>>()
            .join(", ")
    }
}

/// What rendering does with OAuth 2.0 (and JWT client assertion) auth, which needs a token
/// from the network.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum OAuth2Handling {
    /// Fail with [`RenderError::NeedsNetwork`] (the default): a rendering without the token
    /// is not the request that would be sent.
    #[default]
    Refuse,
    /// Send `<prefix> <oauth2 token from TOKEN_URL>` in the token's header (`Authorization:
    /// Bearer ...` unless the connector says otherwise) and add a warning. The client secret
    /// must still be in the store.
    Placeholder,
}

/// What rendering does when a body template's output is not valid JSON.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum InvalidJsonBody {
    /// Send it as rendered, with a [warning](RenderedRequest::warnings) (the default: PolyAI
    /// does not document refusing it, and this shows what the service would receive).
    #[default]
    Send,
    /// Fail with [`RenderError::InvalidJsonBody`].
    Refuse,
}

/// Settings for rendering. Every default is the behaviour documented in the
/// [module docs](self).
#[derive(Clone, Debug)]
#[non_exhaustive]
pub struct RequestOptions {
    /// How non-string query values are written.
    pub query_encoding: QueryEncoding,
    /// What a missing value does in a body template.
    pub missing_key: MissingKey,
    /// How an action's body without a template is written.
    pub flat_body: JsonStyle,
    /// OAuth 2.0 and JWT client assertions.
    pub oauth2: OAuth2Handling,
    /// A body template output that is not JSON.
    pub invalid_json_body: InvalidJsonBody,
    /// Validate an action's parameters against its schema first (default on).
    pub validate_parameters: bool,
    /// Whether a `401` to a request sent with an OAuth 2.0 token is answered by a fresh token
    /// and one resend, for every method (the default) or only for idempotent ones. Read when
    /// sending ([`Conversation::run`](crate::chain::Conversation::run),
    /// [`ConvApi`](crate::conv_api::ConvApi)); rendering ignores it. See
    /// [`ResendAfter401`](crate::run::ResendAfter401).
    pub resend_after_401: crate::run::ResendAfter401,
}

impl Default for RequestOptions {
    fn default() -> Self {
        RequestOptions {
            query_encoding: QueryEncoding::default(),
            missing_key: MissingKey::default(),
            flat_body: JsonStyle::default(),
            oauth2: OAuth2Handling::default(),
            invalid_json_body: InvalidJsonBody::default(),
            validate_parameters: true,
            resend_after_401: crate::run::ResendAfter401::default(),
        }
    }
}

impl RequestOptions {
    /// The defaults.
    pub fn new() -> Self {
        Self::default()
    }

    /// With `encoding` for query values.
    pub fn with_query_encoding(mut self, encoding: QueryEncoding) -> Self {
        self.query_encoding = encoding;
        self
    }

    /// With `policy` for a `401` to a request that carried an OAuth 2.0 token.
    pub fn with_resend_after_401(mut self, policy: crate::run::ResendAfter401) -> Self {
        self.resend_after_401 = policy;
        self
    }

    /// With `mode` for missing values in body templates.
    pub fn with_missing_key(mut self, mode: MissingKey) -> Self {
        self.missing_key = mode;
        self
    }

    /// With `style` for bodies without a template.
    pub fn with_flat_body(mut self, style: JsonStyle) -> Self {
        self.flat_body = style;
        self
    }

    /// With `handling` for OAuth 2.0.
    pub fn with_oauth2(mut self, handling: OAuth2Handling) -> Self {
        self.oauth2 = handling;
        self
    }

    /// With `handling` for template output that is not JSON.
    pub fn with_invalid_json_body(mut self, handling: InvalidJsonBody) -> Self {
        self.invalid_json_body = handling;
        self
    }

    /// Validating parameters first, or not.
    pub fn with_parameter_validation(mut self, validate: bool) -> Self {
        self.validate_parameters = validate;
        self
    }
}

/// Everything a rendering depends on besides the definition.
///
/// ```
/// use polyai_actions::render::RenderContext;
/// use polyai_actions::secrets::NoSecrets;
/// use polyai_actions::Environment;
/// use serde_json::json;
///
/// let context = RenderContext::new(Environment::Sandbox, &NoSecrets)
///     .with_variable("account.status", json!("active"))
///     .with_variable("account.tier", json!(2))
///     .with_static_variables(Environment::Sandbox, json!({"region": "eu"}));
/// assert_eq!(context.variables, json!({"account": {"status": "active", "tier": 2}}));
/// assert_eq!(context.static_variables(), Some(&json!({"region": "eu"})));
/// ```
#[derive(Clone)]
pub struct RenderContext<'a> {
    /// The environment rendered: chooses secrets, static variables and integration base URLs.
    pub environment: Environment,
    /// The action's parameters (an object).
    pub parameters: Value,
    /// Conversation variables (`.variables`), an object; dotted names nest.
    pub variables: Value,
    /// Static variables (`.static_variables`) per environment.
    pub static_variables: BTreeMap<Environment, Value>,
    /// Where secret values come from.
    pub secrets: &'a dyn SecretStore,
    /// Integration credentials: per integration, optionally per environment.
    pub integration_auth: BTreeMap<(String, Option<Environment>), AuthConnector>,
    /// Settings.
    pub options: RequestOptions,
}

impl<'a> RenderContext<'a> {
    /// A context for `environment` with no parameters or variables and default options.
    pub fn new(environment: Environment, secrets: &'a dyn SecretStore) -> Self {
        RenderContext {
            environment,
            parameters: Value::Object(Map::new()),
            variables: Value::Object(Map::new()),
            static_variables: BTreeMap::new(),
            secrets,
            integration_auth: BTreeMap::new(),
            options: RequestOptions::default(),
        }
    }

    /// The same context for another environment.
    pub fn with_environment(mut self, environment: Environment) -> Self {
        self.environment = environment;
        self
    }

    /// With these parameters.
    pub fn with_parameters(mut self, parameters: Value) -> Self {
        self.parameters = parameters;
        self
    }

    /// With these conversation variables (replacing any set before).
    pub fn with_variables(mut self, variables: Value) -> Self {
        self.variables = variables;
        self
    }

    /// With one conversation variable. A dotted name nests: `account.status` sets
    /// `{"account": {"status": value}}`, keeping other keys of `account`; a non-object value
    /// on the way is replaced by an object.
    pub fn with_variable(mut self, name: &str, value: Value) -> Self {
        let mut slot = &mut self.variables;
        for part in name.split('.') {
            if !slot.is_object() {
                *slot = Value::Object(Map::new());
            }
            slot = match slot {
                Value::Object(map) => map.entry(part.to_owned()).or_insert(Value::Null),
                // Not reached: `slot` was made an object just above.
                other => other,
            };
        }
        *slot = value;
        self
    }

    /// With the static variables of `environment`.
    pub fn with_static_variables(mut self, environment: Environment, values: Value) -> Self {
        self.static_variables.insert(environment, values);
        self
    }

    /// With the credentials of integration `name` in every environment (unless one has its
    /// own, [`with_integration_auth_for`](Self::with_integration_auth_for)).
    pub fn with_integration_auth(mut self, name: &str, connector: AuthConnector) -> Self {
        self.integration_auth
            .insert((name.to_owned(), None), connector);
        self
    }

    /// With the credentials of integration `name` in `environment` only.
    pub fn with_integration_auth_for(
        mut self,
        name: &str,
        environment: Environment,
        connector: AuthConnector,
    ) -> Self {
        self.integration_auth
            .insert((name.to_owned(), Some(environment)), connector);
        self
    }

    /// With these options.
    pub fn with_options(mut self, options: RequestOptions) -> Self {
        self.options = options;
        self
    }

    /// The static variables of the context's environment, if any were given (a template then
    /// sees an empty object).
    pub fn static_variables(&self) -> Option<&Value> {
        self.static_variables.get(&self.environment)
    }

    fn integration_connector(&self, name: &str) -> Option<&AuthConnector> {
        integration_connector(&self.integration_auth, name, self.environment)
    }
}

/// The connector `name` authenticates with in `environment`: the one given for that
/// environment, else the one given for every environment. Shared by [`RenderContext`] and
/// [`ConvApi`](crate::conv_api::ConvApi), which keep their connectors in the same shape.
pub(crate) fn integration_connector<'m>(
    connectors: &'m BTreeMap<(String, Option<Environment>), AuthConnector>,
    name: &str,
    environment: Environment,
) -> Option<&'m AuthConnector> {
    if connectors.is_empty() {
        return None;
    }
    let mut key = (name.to_owned(), Some(environment));
    connectors.get(&key).or_else(|| {
        key.1 = None;
        connectors.get(&key)
    })
}

impl fmt::Debug for RenderContext<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RenderContext")
            .field("environment", &self.environment)
            .field("parameters", &self.parameters)
            .field("variables", &self.variables)
            .field("static_variables", &self.static_variables)
            .field("integration_auth", &self.integration_auth)
            .field("options", &self.options)
            .finish_non_exhaustive()
    }
}

/// An action ready to render many times: its schema compiled and its body template parsed
/// once.
///
/// ```
/// use polyai_actions::render::{PreparedAction, RenderContext};
/// use polyai_actions::secrets::NoSecrets;
/// use polyai_actions::{ApiAction, Environment, Method};
/// use serde_json::json;
///
/// let mut action = ApiAction::new("create", "https://api.example/tickets", Method::Post);
/// action.body_template = Some(r#"{"title": "{{.parameters.title}}"}"#.into());
/// let prepared = PreparedAction::new(&action)?;
/// for title in ["one", "two"] {
///     let context = RenderContext::new(Environment::Live, &NoSecrets)
///         .with_parameters(json!({"title": title}));
///     let request = prepared.render(&context)?;
///     assert_eq!(request.body_text(), Some(format!(r#"{{"title": "{title}"}}"#).as_str()));
/// }
/// # Ok::<(), polyai_actions::render::RenderError>(())
/// ```
#[derive(Clone, Debug)]
pub struct PreparedAction<'a> {
    action: &'a ApiAction,
    validator: ParameterValidator,
    template: Option<Template>,
    /// The output variables' JSONPaths, parsed once for every outcome read.
    paths: crate::outcome::OutputPaths,
    /// The request URL (base URL and path joined, requoted), computed once when it is valid;
    /// an invalid one is checked again, and refused, on each render.
    url: Option<String>,
    /// The connection's headers then the action's, each with a value written in the
    /// definition checked and converted once (`None`: a secret, or a header the render
    /// refuses with its reason).
    static_headers: Vec<Option<request::StaticHeader>>,
    /// `Content-Type: application/json`, for bodies that set none.
    json_content_type: Option<request::StaticHeader>,
    /// `url` converted once, with its text shared by every rendered request's printed form.
    prepared_url: Option<(http::Uri, std::sync::Arc<str>)>,
    /// The printed form of the action's Bearer connector, if it has one.
    bearer: Option<auth::PrintedBearer>,
}

/// An action's request URL before its query: the connection's base URL joined with the
/// action's path (or the action's full URL), checked and requoted.
fn action_url(action: &ApiAction) -> Result<String, RenderError> {
    let url = match &action.connection {
        Some(connection) => {
            url::check_base_url(&connection.base_url, "the connection's base URL")?;
            url::join(&connection.base_url, &action.url)
        }
        None => {
            url::check_base_url_or_full(&action.url)?;
            action.url.clone()
        }
    };
    Ok(url::requote(&url))
}

impl<'a> PreparedAction<'a> {
    /// Compiles the schema and parses the body template.
    ///
    /// # Errors
    /// [`RenderError::Schema`] or [`RenderError::Template`].
    pub fn new(action: &'a ApiAction) -> Result<Self, RenderError> {
        let validator = action.parameter_validator().map_err(RenderError::Schema)?;
        let template = match &action.body_template {
            Some(source) => Some(Template::parse(source).map_err(RenderError::Template)?),
            None => None,
        };
        let url = action_url(action).ok();
        Ok(PreparedAction {
            action,
            validator,
            template,
            paths: crate::outcome::OutputPaths::new(&action.output_variables),
            static_headers: action
                .all_headers()
                .map(|header| match &header.value {
                    HeaderValue::Static(v) => request::StaticHeader::new(&header.name, v),
                    HeaderValue::Secret(_) => None,
                })
                .collect(),
            json_content_type: request::StaticHeader::new("Content-Type", "application/json"),
            bearer: action.auth_connector().and_then(auth::PrintedBearer::new),
            prepared_url: url.as_deref().and_then(|url| {
                // As `Draft::new` does: a fragment is never sent.
                let url = request::without_fragment(url);
                let uri = http::Uri::try_from(url).ok()?;
                Some((uri, std::sync::Arc::from(url)))
            }),
            url,
        })
    }

    /// The action.
    pub fn action(&self) -> &ApiAction {
        self.action
    }

    /// Whether rendering runs a body template (which then needs the template data).
    pub(crate) fn renders_template(&self) -> bool {
        self.template.is_some() && !self.action.method.sends_query()
    }

    /// The body of a templated action rendered by its template's flat plan over a
    /// conversation's parts where they are, with no copy into one `Value`: `None` when the
    /// template has no plan or the plan stops (the caller then renders over the whole data).
    /// The parts are what [`template_data`] would hold: `static_variables` is `None` for an
    /// empty object.
    pub(crate) fn plan_body(
        &self,
        parameters: &Value,
        variables: &Map<String, Value>,
        static_variables: Option<&Value>,
        mode: MissingKey,
    ) -> Option<String> {
        let template = self.template.as_ref()?;
        let top = |name: &str| match name {
            "parameters" => template::Top::Value(parameters),
            "variables" => template::Top::Object(variables),
            "static_variables" => {
                static_variables.map_or(template::Top::EmptyObject, template::Top::Value)
            }
            _ => template::Top::Missing,
        };
        let mut body = String::with_capacity(template.source().len() + 64);
        template
            .render_plan_over(&top, mode, &mut body)
            .then_some(body)
    }

    /// The output variables' paths, parsed once.
    pub(crate) fn output_paths(&self) -> &crate::outcome::OutputPaths {
        &self.paths
    }

    /// Renders the request for `context`.
    ///
    /// # Errors
    /// See [`RenderError`].
    pub fn render(&self, context: &RenderContext<'_>) -> Result<RenderedRequest, RenderError> {
        let data = match &self.template {
            Some(_) if !self.action.method.sends_query() => {
                // What the template sees; a part that was not given is an empty object (as
                // the platform always has one), so a reference into it is a missing key
                // rather than a field of nil.
                let or_empty = |v: Option<&Value>| match v {
                    None | Some(Value::Null) => Value::Object(Map::new()),
                    Some(v) => v.clone(),
                };
                Some(template_data(
                    or_empty(Some(&context.parameters)),
                    or_empty(Some(&context.variables)),
                    or_empty(context.static_variables()),
                ))
            }
            _ => None,
        };
        self.render_parts(RenderParts {
            environment: context.environment,
            secrets: context.secrets,
            options: &context.options,
            parameters: &context.parameters,
            template_data: data.as_ref(),
            body: None,
        })
    }

    /// [`Self::render`] from borrowed parts: `template_data` is what the body template sees
    /// (`{"parameters", "variables", "static_variables"}`, built by the caller without
    /// copying when it owns them); it is needed only when a body template is rendered.
    pub(crate) fn render_parts(
        &self,
        parts: RenderParts<'_, '_>,
    ) -> Result<RenderedRequest, RenderError> {
        let action = self.action;
        let options = parts.options;
        if options.validate_parameters {
            self.validator
                .validate(parts.parameters)
                .map_err(RenderError::Parameters)?;
        }
        let mut draft = match (&self.prepared_url, &self.url) {
            (Some((uri, text)), _) => {
                Draft::prepared(action.method.as_http(), uri.clone(), text.clone())
            }
            (None, Some(url)) => Draft::new(action.method.as_http(), url.clone()),
            (None, None) => Draft::new(action.method.as_http(), action_url(action)?),
        };
        let empty = Map::new();
        let parameters = query::as_object(parts.parameters, "parameters", &empty)?;

        if action.method.sends_query() {
            let pairs = query::pairs(parameters, options.query_encoding, "parameters")?;
            let encoded = url::form_encode(&pairs);
            draft.add_query(&encoded, &encoded);
        }

        for (i, header) in action.all_headers().enumerate() {
            match &header.value {
                HeaderValue::Static(_) if let Some(Some(checked)) = self.static_headers.get(i) => {
                    draft.set_static_header(checked)
                }
                HeaderValue::Static(v) => draft.set_header(&header.name, v.clone(), None),
                HeaderValue::Secret(secret) => {
                    let value = auth::resolve(parts.secrets, parts.environment, secret)?;
                    draft.set_header(
                        &header.name,
                        value.expose().to_owned(),
                        Some(value.masked()),
                    );
                    draft.note_secret(value.name());
                }
            }
        }

        if !action.method.sends_query() {
            let body = match &self.template {
                Some(template) => {
                    let rendered = match parts.body {
                        Some(body) => body,
                        None => {
                            let empty_data;
                            let data = match parts.template_data {
                                Some(data) => data,
                                None => {
                                    empty_data = template_data(
                                        Value::Object(Map::new()),
                                        Value::Object(Map::new()),
                                        Value::Object(Map::new()),
                                    );
                                    &empty_data
                                }
                            };
                            let options = template::RenderOptions::new()
                                .with_missing_key(options.missing_key);
                            template
                                .render(data, &options)
                                .map_err(RenderError::Template)?
                        }
                    };
                    if !crate::plain_json::is_plain(&rendered) {
                        // Not in the plain subset: serde_json decides.
                        check_json_body(&rendered, options.invalid_json_body, &mut draft)?;
                    }
                    rendered
                }
                None => number::write_json(&Value::Object(parameters.clone()), options.flat_body),
            };
            draft.body = Bytes::from(body);
            if !draft.has_header("content-type") {
                match &self.json_content_type {
                    Some(header) => draft.set_static_header(header),
                    None => draft.set_header("Content-Type", "application/json".to_owned(), None),
                }
            }
        }

        if let Some(connector) = action.auth_connector() {
            auth::apply(
                connector,
                &mut draft,
                parts.secrets,
                parts.environment,
                options.oauth2,
                self.bearer.as_ref(),
            )?;
        }
        draft.finish()
    }
}

/// Checks a rendered body outside the plain-JSON subset with serde_json: refused, or sent with
/// a warning, when it is not JSON (out of the rendering path's code: plain bodies skip it).
#[cold]
#[inline(never)]
fn check_json_body(
    rendered: &str,
    invalid: InvalidJsonBody,
    draft: &mut Draft,
) -> Result<(), RenderError> {
    if let Err(e) = serde_json::from_str::<serde::de::IgnoredAny>(rendered) {
        match invalid {
            InvalidJsonBody::Refuse => {
                return Err(RenderError::InvalidJsonBody {
                    reason: e.to_string(),
                });
            }
            InvalidJsonBody::Send => draft.warnings.push(format!(
                "the rendered body is not valid JSON ({e}), yet it is sent as application/json"
            )),
        }
    }
    Ok(())
}

/// What [`PreparedAction::render_parts`] renders from.
pub(crate) struct RenderParts<'p, 's> {
    pub(crate) environment: Environment,
    pub(crate) secrets: &'s dyn SecretStore,
    pub(crate) options: &'p RequestOptions,
    /// The parameters as given (validated, and sent in the query or a flat body).
    pub(crate) parameters: &'p Value,
    /// What a body template sees (see [`template_data`]).
    pub(crate) template_data: Option<&'p Value>,
    /// The body template's output, when the caller rendered it already (see
    /// [`PreparedAction::plan_body`]); `template_data` is then not read.
    pub(crate) body: Option<String>,
}

/// The value a body template runs over: `.parameters`, `.variables`, `.static_variables`.
pub(crate) fn template_data(parameters: Value, variables: Value, static_variables: Value) -> Value {
    let mut data = Map::with_capacity(3);
    data.insert("parameters".into(), parameters);
    data.insert("variables".into(), variables);
    data.insert("static_variables".into(), static_variables);
    Value::Object(data)
}

/// Renders the request `action` would send in `context`.
///
/// Compiles the schema and parses the template on every call; use [`PreparedAction`] to
/// render one action many times. See the [module docs](self) for every rule.
///
/// ```
/// use polyai_actions::render::{RenderContext, render_action};
/// use polyai_actions::secrets::NoSecrets;
/// use polyai_actions::{ApiAction, Environment, Method};
/// use serde_json::json;
///
/// // POST without a body template: the parameters as flat JSON, numbers as JSON numbers.
/// let action = ApiAction::new("order", "https://api.example/orders", Method::Post);
/// let context = RenderContext::new(Environment::Live, &NoSecrets)
///     .with_parameters(json!({"qty": 1000000, "note": "<b>"}));
/// let request = render_action(&action, &context)?;
/// assert_eq!(request.body_text(), Some(r#"{"note":"\u003cb\u003e","qty":1000000}"#));
/// assert_eq!(request.header_masked("content-type"), Some("application/json"));
/// # Ok::<(), polyai_actions::render::RenderError>(())
/// ```
///
/// # Errors
/// See [`RenderError`].
pub fn render_action(
    action: &ApiAction,
    context: &RenderContext<'_>,
) -> Result<RenderedRequest, RenderError> {
    PreparedAction::new(action)?.render(context)
}

/// A `data=` argument of an integration call, as `requests` takes it.
#[derive(Clone, Debug, PartialEq)]
#[non_exhaustive]
pub enum RequestData {
    /// A dict: form-encoded (`application/x-www-form-urlencoded`), values as in the query.
    Form(Map<String, Value>),
    /// A string or bytes: sent as they are, with no `Content-Type` of its own.
    Raw(Bytes),
}

/// The arguments of `conv.api.<integration>.<operation>(*args, params=..., json=...,
/// data=..., headers=...)`.
///
/// ```
/// use polyai_actions::render::CallArgs;
/// use serde_json::json;
///
/// let args = CallArgs::new()
///     .arg(json!("ORD-1"))
///     .param("expand", json!(["items", "customer"]))
///     .header("X-Request-Id", "abc")
///     .json(json!({"note": "hi"}));
/// assert_eq!(args.args.len(), 1);
/// ```
#[derive(Clone, Debug, Default, PartialEq)]
#[non_exhaustive]
pub struct CallArgs {
    /// Which operation, when several share a name (`None`: the only one with that name).
    pub method: Option<Method>,
    /// Path arguments given positionally, in placeholder order.
    pub args: Vec<Value>,
    /// Path arguments given by name.
    pub named_args: Map<String, Value>,
    /// `params=`: query parameters.
    pub params: Map<String, Value>,
    /// `json=`: a JSON body.
    pub json: Option<Value>,
    /// `data=`: a form or raw body (wins over `json` when non-empty, as in `requests`).
    pub data: Option<RequestData>,
    /// `headers=`: merged over the stored ones.
    pub headers: Vec<(String, String)>,
}

impl CallArgs {
    /// No arguments.
    pub fn new() -> Self {
        Self::default()
    }

    /// Chooses the operation with `method` among those sharing a name.
    pub fn method(mut self, method: Method) -> Self {
        self.method = Some(method);
        self
    }

    /// Adds a positional path argument.
    pub fn arg(mut self, value: Value) -> Self {
        self.args.push(value);
        self
    }

    /// Adds a path argument by name.
    pub fn named_arg(mut self, name: &str, value: Value) -> Self {
        self.named_args.insert(name.to_owned(), value);
        self
    }

    /// Adds a query parameter.
    pub fn param(mut self, name: &str, value: Value) -> Self {
        self.params.insert(name.to_owned(), value);
        self
    }

    /// Sets the JSON body.
    pub fn json(mut self, body: Value) -> Self {
        self.json = Some(body);
        self
    }

    /// Sets a form body.
    pub fn form(mut self, fields: Map<String, Value>) -> Self {
        self.data = Some(RequestData::Form(fields));
        self
    }

    /// Sets a raw body.
    pub fn raw(mut self, body: impl Into<Bytes>) -> Self {
        self.data = Some(RequestData::Raw(body.into()));
        self
    }

    /// Adds a call-time header.
    pub fn header(mut self, name: &str, value: &str) -> Self {
        self.headers.push((name.to_owned(), value.to_owned()));
        self
    }
}

fn find_operation<'i>(
    integration: &'i ApiIntegration,
    name: &str,
    method: Option<Method>,
) -> Result<&'i Operation, RenderError> {
    let matching: Vec<&Operation> = integration
        .operations
        .iter()
        .filter(|o| o.name == name && method.is_none_or(|m| o.method == m))
        .collect();
    match matching.as_slice() {
        [one] => Ok(one),
        [] => Err(RenderError::UnknownOperation {
            integration: integration.name.clone(),
            operation: match method {
                Some(m) => format!("{m} `{name}`"),
                None => format!("`{name}`"),
            },
        }),
        many => Err(RenderError::AmbiguousOperation {
            integration: integration.name.clone(),
            operation: name.to_owned(),
            methods: many
                .iter()
                .map(|o| o.method.as_str())
                .collect::<Vec<_>>()
                .join(", "),
        }),
    }
}

/// Checks that `connector` fits `auth_type`, or says what would.
fn check_integration_auth(
    integration: &str,
    environment: Environment,
    auth_type: AuthType,
    connector: &AuthConnector,
) -> Result<(), RenderError> {
    use crate::action::ApiKeyLocation;
    let fits = match (auth_type, connector) {
        (AuthType::Basic, AuthConnector::Basic { .. }) => true,
        (AuthType::ApiKey, AuthConnector::ApiKey { location, .. }) => {
            !matches!(location, ApiKeyLocation::Cookie { .. })
        }
        (AuthType::OAuth2ClientCredentials, AuthConnector::OAuth2ClientCredentials { .. }) => true,
        _ => false,
    };
    if fits {
        return Ok(());
    }
    let hint = match auth_type {
        AuthType::Basic => "give AuthConnector::Basic",
        AuthType::ApiKey => {
            "give AuthConnector::ApiKey with a header or query location (Studio offers no cookie for integrations)"
        }
        AuthType::OAuth2ClientCredentials => "give AuthConnector::OAuth2ClientCredentials",
        _ => "this auth type takes no credentials offline",
    };
    let given = match connector {
        AuthConnector::ApiKey {
            location: ApiKeyLocation::Cookie { .. },
            ..
        } => "an API key in a cookie".to_owned(),
        other => other.type_name().to_owned(),
    };
    Err(RenderError::IntegrationAuthMismatch {
        integration: integration.to_owned(),
        environment,
        auth_type,
        given,
        hint: hint.to_owned(),
    })
}

/// Renders the request of `conv.api.<integration>.<operation>(...)` in `context`'s
/// environment. See the [module docs](self) for every rule.
///
/// ```
/// use polyai_actions::render::{CallArgs, RenderContext, render_operation};
/// use polyai_actions::secrets::InMemorySecretStore;
/// use polyai_actions::{ApiIntegrations, ApiKeyLocation, AuthConnector, Environment, SecretRef};
/// use serde_json::json;
///
/// let file = ApiIntegrations::from_yaml_str(r#"
/// api_integrations:
///   - name: shop
///     environments:
///       sandbox: { base_url: "https://sandbox.shop.example/api", auth_type: apiKey }
///       live:    { base_url: "https://shop.example/api/", auth_type: apiKey }
///     operations:
///       - { name: get_order, method: GET, resource: "/orders/{order_id}" }
/// "#)?;
/// let shop = file.get("shop").unwrap();
/// let secrets = InMemorySecretStore::new().with_shared("shop_key", "k-123");
/// let context = RenderContext::new(Environment::Sandbox, &secrets).with_integration_auth(
///     "shop",
///     AuthConnector::ApiKey {
///         location: ApiKeyLocation::Header { name: "X-API-Key".into() },
///         key: SecretRef::new("shop_key"),
///     },
/// );
/// let call = CallArgs::new().arg(json!("A/1 é")).param("expand", json!(["items", "notes"]));
/// let request = render_operation(shop, "get_order", &call, &context)?;
/// assert_eq!(
///     request.as_http().uri(),
///     "https://sandbox.shop.example/api/orders/A%2F1%20%C3%A9?expand=items&expand=notes"
/// );
/// assert_eq!(request.header_masked("x-api-key"), Some("<secret:shop_key>"));
///
/// let live = render_operation(shop, "get_order", &call, &context.clone().with_environment(Environment::Live))?;
/// assert!(live.url_masked().starts_with("https://shop.example/api/orders/"));
/// // No pre-release configuration: an error that says so.
/// let err = render_operation(shop, "get_order", &call, &context.with_environment(Environment::PreRelease));
/// assert!(err.unwrap_err().to_string().contains("no `pre-release` environment"));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
///
/// # Errors
/// See [`RenderError`].
pub fn render_operation(
    integration: &ApiIntegration,
    operation: &str,
    call: &CallArgs,
    context: &RenderContext<'_>,
) -> Result<RenderedRequest, RenderError> {
    let connector = context.integration_connector(&integration.name);
    render_operation_with(integration, operation, call, context, connector)
}

/// [`render_operation`] with the integration's connector already looked up (the context's
/// own `integration_auth` is not read), so a caller that keeps its connectors elsewhere
/// ([`ConvApi`](crate::conv_api::ConvApi)) needs no copy of them in the context.
pub(crate) fn render_operation_with(
    integration: &ApiIntegration,
    operation: &str,
    call: &CallArgs,
    context: &RenderContext<'_>,
    connector: Option<&AuthConnector>,
) -> Result<RenderedRequest, RenderError> {
    let op = find_operation(integration, operation, call.method)?;
    let environment = context.environment;
    let config = integration.environments.get(environment).ok_or_else(|| {
        RenderError::MissingEnvironment {
            integration: integration.name.clone(),
            environment,
        }
    })?;
    if config.base_url.is_empty() {
        return Err(RenderError::EmptyBaseUrl {
            integration: integration.name.clone(),
            environment,
        });
    }
    url::check_base_url(&config.base_url, "the environment's base_url")?;
    let path = url::fill_resource(&op.resource, &call.args, &call.named_args)?;
    let url = url::join(&url::requote(&config.base_url), &path);
    let options = &context.options;
    let mut draft = Draft::new(op.method.as_http(), url);
    let query = query::pairs(&call.params, options.query_encoding, "params")?;
    let encoded = url::form_encode(&query);
    draft.add_query(&encoded, &encoded);

    match config.auth_type {
        AuthType::None => {}
        AuthType::OAuth2 | AuthType::JwtClientAssertion => match options.oauth2 {
            OAuth2Handling::Refuse => {
                return Err(RenderError::NeedsNetwork {
                    auth: config.auth_type.as_str().to_owned(),
                    detail: format!(
                        "the platform obtains the {} environment's token for `{}`; render \
                         with OAuth2Handling::Placeholder to see the request with a marked \
                         placeholder token",
                        environment, integration.name
                    ),
                });
            }
            OAuth2Handling::Placeholder => {
                draft.set_header(
                    "Authorization",
                    format!("Bearer {}", auth::oauth2_placeholder(None)),
                    None,
                );
                draft.warnings.push(format!(
                    "`Authorization` holds a placeholder, not a token: the platform sends a \
                     token for auth_type {}",
                    config.auth_type
                ));
            }
        },
        auth_type => {
            let connector = connector.ok_or_else(|| RenderError::MissingIntegrationAuth {
                integration: integration.name.clone(),
                environment,
                auth_type,
            })?;
            check_integration_auth(&integration.name, environment, auth_type, connector)?;
            auth::apply(
                connector,
                &mut draft,
                context.secrets,
                environment,
                options.oauth2,
                None,
            )?;
        }
    }

    for (name, value) in &call.headers {
        draft.set_header(name, value.clone(), None);
    }

    let form_or_raw = match &call.data {
        Some(RequestData::Form(fields)) if !fields.is_empty() => {
            let pairs = query::pairs(fields, options.query_encoding, "data")?;
            Some((
                Bytes::from(url::form_encode(&pairs)),
                Some("application/x-www-form-urlencoded"),
            ))
        }
        Some(RequestData::Raw(bytes)) if !bytes.is_empty() => Some((bytes.clone(), None)),
        _ => None,
    };
    let body = match (form_or_raw, &call.json) {
        (Some(found), _) => Some(found),
        (None, Some(json)) => Some((
            Bytes::from(number::write_json(json, JsonStyle::PythonDumps)),
            Some("application/json"),
        )),
        (None, None) => None,
    };
    if let Some((bytes, content_type)) = body {
        draft.body = bytes;
        if let Some(ct) = content_type
            && !draft.has_header("content-type")
        {
            draft.set_header("Content-Type", ct.to_owned(), None);
        }
    }
    draft.finish()
}
