//! API-call actions: one HTTP request an agent may decide to make.
//!
//! PolyAI defines these in the Agent Studio UI, so there is no PolyAI file format; this crate's
//! format stays close to Studio's field names. One action:
//!
//! ```yaml
//! name: lookup_order
//! description: Look up an order by its number
//! connection:                      # optional "API connection"
//!   base_url: https://api.shop.example
//!   auth: { type: bearer, token: { secret: shop_token } }
//!   headers:
//!     - { name: X-Client, value: polyai }
//! url: /orders/lookup              # a path with a connection, a full URL without
//! method: POST
//! headers:
//!   - { name: X-Tenant, value: acme }
//!   - { name: X-Signature, value: { secret: shop_signature } }
//! parameters:                      # a JSON Schema (Draft 7), `type: object`
//!   type: object
//!   properties:
//!     order_number: { type: string }
//!   required: [order_number]
//! body_template: '{"order": "{{.parameters.order_number}}"}'
//! output_variables:
//!   - { name: order_id, path: $.data.id, sensitive: false, expose_to_ai: true }
//! ```
//!
//! A file of several actions has the top-level key `actions` ([`ApiActions`]).
//!
//! # Field mapping to Studio
//!
//! | Studio | field | also accepted |
//! |---|---|---|
//! | Name | `name` | |
//! | Description | `description` | |
//! | API connection | `connection` (`base_url`, `auth`, `headers`) | `api_connection` |
//! | URL | `url` | |
//! | Method | `method` (`GET` `POST` `PUT` `PATCH` `DELETE`) | lower case |
//! | Headers | `headers`: `{name, value}`, the value a string or `{secret: NAME}` | |
//! | Authentication | `auth`: an [`AuthConnector`] | |
//! | Parameters | `parameters`: a JSON Schema object | |
//! | Body template | `body_template` | `body` |
//! | Output variables | `output_variables`: `{name, path, sensitive, expose_to_ai}` | `json_path` / `jsonpath` for `path` |
//!
//! When omitted, `parameters` is `{"type": "object", "properties": {}}`, `sensitive` is false
//! and `expose_to_ai` true (Studio's defaults are not documented; these are the least
//! surprising).
//!
//! # Auth connectors
//!
//! ```yaml
//! auth: { type: bearer, token: { secret: NAME } }
//! auth: { type: api_key, location: { in: header, name: X-API-Key }, key: { secret: NAME } }
//! auth: { type: api_key, location: { in: query, name: api_key }, key: { secret: NAME } }
//! auth: { type: api_key, location: { in: cookie, name: api_key }, key: { secret: NAME } }
//! auth: { type: basic, username: shop, password: { secret: NAME } }
//! auth:
//!   type: oauth2_client_credentials
//!   token_url: https://auth.shop.example/token
//!   client_id: polyai
//!   client_secret: { secret: NAME }
//!   scope: orders.read          # optional
//!   credentials_in: header      # or body; default header (HTTP Basic)
//!   auth_header_name: Authorization   # optional
//!   token_prefix: Bearer              # optional
//! ```
//!
//! Every credential is a [`SecretRef`]: the file names a secret, never holds its value, and a
//! plain string in a credential's place is refused when loading.

use std::collections::BTreeMap;
use std::fmt;
use std::path::Path;

use serde::de::{self, MapAccess, Visitor};
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use serde_json::Value;

use crate::error::{self, DefinitionError};
use crate::method::Method;
use crate::secret::{SecretRef, secret_from_map};

/// A file of several actions: the top-level key `actions`.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct ApiActions {
    /// The actions, in file order.
    #[serde(default)]
    pub actions: Vec<ApiAction>,
    /// Keys this crate does not know, kept and written back.
    #[serde(flatten)]
    pub extra: BTreeMap<String, Value>,
}

/// One API-call action.
///
/// ```
/// use polyai_actions::{ApiAction, HeaderValue, Method};
///
/// let action = ApiAction::from_yaml_str(r#"
/// name: lookup_order
/// description: Look up an order
/// url: https://api.shop.example/orders
/// method: GET
/// headers:
///   - { name: X-API-Key, value: { secret: shop_key } }
/// parameters:
///   type: object
///   properties: { order_number: { type: string } }
///   required: [order_number]
/// "#)?;
/// assert_eq!(action.method, Method::Get);
/// assert!(matches!(&action.headers[0].value, HeaderValue::Secret(s) if s.name() == "shop_key"));
/// // Secrets print as references only.
/// assert!(format!("{action:?}").contains("<secret:shop_key>"));
/// assert_eq!(ApiAction::from_json_str(&action.to_json_string()?)?, action);
/// # Ok::<(), polyai_actions::DefinitionError>(())
/// ```
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ApiAction {
    /// The name the model sees: letters, digits, `_` and `-`, at most 64 characters.
    pub name: String,
    /// What the action does; the model sees it.
    #[serde(default)]
    pub description: String,
    /// An optional shared API connection; with one, `url` is a path under its base URL.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        alias = "api_connection"
    )]
    pub connection: Option<ApiConnection>,
    /// A full URL, or the path under the connection's base URL. No placeholders.
    pub url: String,
    /// The HTTP method.
    pub method: Method,
    /// Static and secret headers, in order.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub headers: Vec<Header>,
    /// The action's own auth connector.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub auth: Option<AuthConnector>,
    /// The parameters, as a JSON Schema (Draft 7) object.
    #[serde(default = "empty_object_schema")]
    pub parameters: Value,
    /// The body, as a Go `text/template` (subset); without one, POST/PUT/PATCH send the
    /// parameters as a flat JSON object.
    #[serde(default, skip_serializing_if = "Option::is_none", alias = "body")]
    pub body_template: Option<String>,
    /// Values read from the response, for later actions (`.variables`) and the model.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub output_variables: Vec<OutputVariable>,
    /// Keys this crate does not know, kept and written back.
    #[serde(flatten)]
    pub extra: BTreeMap<String, Value>,
}

/// The schema of an action with no parameters: `{"type": "object", "properties": {}}`.
pub fn empty_object_schema() -> Value {
    serde_json::json!({"type": "object", "properties": {}})
}

impl ApiAction {
    /// A new action with the given name, URL and method, no parameters and nothing else.
    ///
    /// ```
    /// use polyai_actions::{ApiAction, Method};
    ///
    /// let action = ApiAction::new("ping", "https://api.example/ping", Method::Get);
    /// assert!(action.body_template.is_none());
    /// ```
    pub fn new(name: impl Into<String>, url: impl Into<String>, method: Method) -> Self {
        ApiAction {
            name: name.into(),
            description: String::new(),
            connection: None,
            url: url.into(),
            method,
            headers: Vec::new(),
            auth: None,
            parameters: empty_object_schema(),
            body_template: None,
            output_variables: Vec::new(),
            extra: BTreeMap::new(),
        }
    }

    /// Reads one action from YAML.
    ///
    /// # Errors
    /// [`DefinitionError::Parse`] with the line and column of the problem.
    pub fn from_yaml_str(text: &str) -> Result<Self, DefinitionError> {
        error::from_yaml(text)
    }

    /// Reads one action from JSON.
    ///
    /// # Errors
    /// [`DefinitionError::Parse`] with the line and column of the problem.
    pub fn from_json_str(text: &str) -> Result<Self, DefinitionError> {
        error::from_json(text)
    }

    /// Reads one action from a file: JSON if its extension is `.json`, YAML otherwise.
    ///
    /// # Errors
    /// [`DefinitionError::Io`] or [`DefinitionError::File`].
    pub fn from_path(path: impl AsRef<Path>) -> Result<Self, DefinitionError> {
        error::from_path(path.as_ref())
    }

    /// Writes the action as YAML.
    ///
    /// # Errors
    /// [`DefinitionError::Serialize`] if a value cannot be written.
    pub fn to_yaml_string(&self) -> Result<String, DefinitionError> {
        error::to_yaml(self)
    }

    /// Writes the action as pretty-printed JSON.
    ///
    /// # Errors
    /// [`DefinitionError::Serialize`] if a value cannot be written.
    pub fn to_json_string(&self) -> Result<String, DefinitionError> {
        error::to_json(self)
    }

    /// Writes the action to a file: JSON if its extension is `.json`, YAML otherwise.
    ///
    /// # Errors
    /// [`DefinitionError::Io`] when the file cannot be written.
    pub fn to_path(&self, path: impl AsRef<Path>) -> Result<(), DefinitionError> {
        error::to_path(self, path.as_ref())
    }

    /// The connector the action authenticates with: its own `auth`, else its connection's
    /// (the linter warns when both are set).
    pub fn auth_connector(&self) -> Option<&AuthConnector> {
        self.auth
            .as_ref()
            .or_else(|| self.connection.as_ref().and_then(|c| c.auth.as_ref()))
    }

    /// The headers the action sends, in order: the connection's, then the action's own (a
    /// later header replaces an earlier one of the same name when the request is built).
    pub fn all_headers(&self) -> impl Iterator<Item = &Header> {
        self.connection
            .iter()
            .flat_map(|c| c.headers.iter())
            .chain(self.headers.iter())
    }
}

impl ApiActions {
    /// Reads a file of actions from YAML (`actions: [...]`).
    ///
    /// ```
    /// use polyai_actions::ApiActions;
    ///
    /// let file = ApiActions::from_yaml_str(
    ///     "actions:\n  - { name: ping, url: 'https://api.example/ping', method: GET }\n",
    /// )?;
    /// assert_eq!(file.actions[0].name, "ping");
    /// assert_eq!(ApiActions::from_yaml_str(&file.to_yaml_string()?)?, file);
    /// # Ok::<(), polyai_actions::DefinitionError>(())
    /// ```
    ///
    /// # Errors
    /// [`DefinitionError::Parse`] with the line and column of the problem.
    pub fn from_yaml_str(text: &str) -> Result<Self, DefinitionError> {
        error::from_yaml(text)
    }

    /// Reads a file of actions from JSON.
    ///
    /// # Errors
    /// [`DefinitionError::Parse`] with the line and column of the problem.
    pub fn from_json_str(text: &str) -> Result<Self, DefinitionError> {
        error::from_json(text)
    }

    /// Reads a file of actions: JSON if its extension is `.json`, YAML otherwise.
    ///
    /// # Errors
    /// [`DefinitionError::Io`] or [`DefinitionError::File`].
    pub fn from_path(path: impl AsRef<Path>) -> Result<Self, DefinitionError> {
        error::from_path(path.as_ref())
    }

    /// Writes the actions as YAML.
    ///
    /// # Errors
    /// [`DefinitionError::Serialize`] if a value cannot be written.
    pub fn to_yaml_string(&self) -> Result<String, DefinitionError> {
        error::to_yaml(self)
    }

    /// Writes the actions as pretty-printed JSON.
    ///
    /// # Errors
    /// [`DefinitionError::Serialize`] if a value cannot be written.
    pub fn to_json_string(&self) -> Result<String, DefinitionError> {
        error::to_json(self)
    }

    /// Writes the actions to a file: JSON if its extension is `.json`, YAML otherwise.
    ///
    /// # Errors
    /// [`DefinitionError::Io`] when the file cannot be written.
    pub fn to_path(&self, path: impl AsRef<Path>) -> Result<(), DefinitionError> {
        error::to_path(self, path.as_ref())
    }

    /// The action called `name`, if there is one.
    pub fn get(&self, name: &str) -> Option<&ApiAction> {
        self.actions.iter().find(|a| a.name == name)
    }
}

/// A shared API connection: base URL, auth connector and headers used by several actions.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct ApiConnection {
    /// The base URL the action's path is appended to.
    pub base_url: String,
    /// The connection's auth connector.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub auth: Option<AuthConnector>,
    /// Headers sent with every action using the connection.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub headers: Vec<Header>,
    /// Keys this crate does not know, kept and written back.
    #[serde(flatten)]
    pub extra: BTreeMap<String, Value>,
}

/// One request header.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Header {
    /// The header name.
    pub name: String,
    /// Its value: a static string or a secret reference.
    pub value: HeaderValue,
}

impl Header {
    /// A header with a static value.
    pub fn new_static(name: impl Into<String>, value: impl Into<String>) -> Self {
        Header {
            name: name.into(),
            value: HeaderValue::Static(value.into()),
        }
    }

    /// A header whose value is the secret called `secret`.
    pub fn new_secret(name: impl Into<String>, secret: impl Into<String>) -> Self {
        Header {
            name: name.into(),
            value: HeaderValue::Secret(SecretRef::new(secret)),
        }
    }
}

/// A header's value. In files: a string, or `{secret: NAME}`.
#[derive(Clone, PartialEq, Eq)]
pub enum HeaderValue {
    /// A value written in the definition.
    Static(String),
    /// The value of a named secret, resolved per environment at request time.
    Secret(SecretRef),
}

impl fmt::Debug for HeaderValue {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            HeaderValue::Static(s) => f.debug_tuple("Static").field(s).finish(),
            HeaderValue::Secret(s) => fmt::Debug::fmt(s, f),
        }
    }
}

impl Serialize for HeaderValue {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match self {
            HeaderValue::Static(s) => serializer.serialize_str(s),
            HeaderValue::Secret(s) => s.serialize(serializer),
        }
    }
}

impl<'de> Deserialize<'de> for HeaderValue {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = HeaderValue;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a header value: a string, or a secret reference `{secret: NAME}`")
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<HeaderValue, E> {
                Ok(HeaderValue::Static(v.to_owned()))
            }
            fn visit_string<E: de::Error>(self, v: String) -> Result<HeaderValue, E> {
                Ok(HeaderValue::Static(v))
            }
            // YAML writes `X-Version: 2` readily; a header value is text either way.
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<HeaderValue, E> {
                Ok(HeaderValue::Static(v.to_string()))
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<HeaderValue, E> {
                Ok(HeaderValue::Static(v.to_string()))
            }
            fn visit_bool<E: de::Error>(self, v: bool) -> Result<HeaderValue, E> {
                Ok(HeaderValue::Static(v.to_string()))
            }
            fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<HeaderValue, A::Error> {
                secret_from_map(map).map(|n| HeaderValue::Secret(SecretRef::new(n)))
            }
        }
        deserializer.deserialize_any(V)
    }
}

/// How an action (or a connection) authenticates. Only references to secrets are held.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum AuthConnector {
    /// `Authorization: Bearer <token>`.
    Bearer {
        /// The token's secret.
        token: SecretRef,
    },
    /// An API key in a header, a query parameter or a cookie.
    ApiKey {
        /// Where the key goes, and under which name.
        location: ApiKeyLocation,
        /// The key's secret.
        key: SecretRef,
    },
    /// HTTP Basic: `Authorization: Basic base64(username:password)`.
    Basic {
        /// The user name (not a secret).
        username: String,
        /// The password's secret.
        password: SecretRef,
    },
    /// OAuth 2.0 client credentials: a token fetched from `token_url`, cached and refreshed.
    #[serde(rename = "oauth2_client_credentials")]
    OAuth2ClientCredentials {
        /// The token endpoint.
        token_url: String,
        /// The client id (not a secret).
        client_id: String,
        /// The client secret's secret.
        client_secret: SecretRef,
        /// The scope requested, if any.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        scope: Option<String>,
        /// How the client credentials are sent to the token endpoint.
        #[serde(default)]
        credentials_in: CredentialsIn,
        /// The header the token is sent in (default `Authorization`).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        auth_header_name: Option<String>,
        /// The prefix before the token (default `Bearer`).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        token_prefix: Option<String>,
    },
}

impl AuthConnector {
    /// Every secret the connector refers to.
    pub fn secrets(&self) -> Vec<&SecretRef> {
        match self {
            AuthConnector::Bearer { token } => vec![token],
            AuthConnector::ApiKey { key, .. } => vec![key],
            AuthConnector::Basic { password, .. } => vec![password],
            AuthConnector::OAuth2ClientCredentials { client_secret, .. } => vec![client_secret],
        }
    }

    /// The connector's `type` as written in files.
    pub fn type_name(&self) -> &'static str {
        match self {
            AuthConnector::Bearer { .. } => "bearer",
            AuthConnector::ApiKey { .. } => "api_key",
            AuthConnector::Basic { .. } => "basic",
            AuthConnector::OAuth2ClientCredentials { .. } => "oauth2_client_credentials",
        }
    }
}

/// Where an API key is sent. In files: `{in: header|query|cookie, name: NAME}`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "in", rename_all = "snake_case")]
pub enum ApiKeyLocation {
    /// A request header (`X-API-Key: key`).
    Header {
        /// The header name.
        name: String,
    },
    /// A query parameter (`?api_key=key`).
    Query {
        /// The parameter name.
        name: String,
    },
    /// A cookie (`Cookie: api_key=key`).
    Cookie {
        /// The cookie name.
        name: String,
    },
}

impl ApiKeyLocation {
    /// The header, parameter or cookie name.
    pub fn name(&self) -> &str {
        match self {
            ApiKeyLocation::Header { name }
            | ApiKeyLocation::Query { name }
            | ApiKeyLocation::Cookie { name } => name,
        }
    }
}

/// How OAuth 2.0 client credentials reach the token endpoint.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CredentialsIn {
    /// HTTP Basic in the `Authorization` header (the default).
    #[default]
    Header,
    /// `client_id` and `client_secret` in the form body.
    Body,
}

/// A value read from the response by JSONPath.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct OutputVariable {
    /// The variable name, `^[a-z0-9_.]+$`; later actions read it as `.variables.<name>`.
    pub name: String,
    /// A JSONPath starting with `$` (`$.data.id`).
    #[serde(alias = "json_path", alias = "jsonpath")]
    pub path: String,
    /// Redact the value in logs and history.
    #[serde(default)]
    pub sensitive: bool,
    /// Let the model see the value (off: usable by later actions only).
    #[serde(default = "yes")]
    pub expose_to_ai: bool,
}

fn yes() -> bool {
    true
}
