//! API integrations in the format of PolyAI's ADK (`config/api_integrations.yaml`).
//!
//! ```yaml
//! api_integrations:
//!   - name: shop
//!     description: The shop's order service
//!     environments:
//!       sandbox:     { base_url: "https://sandbox.shop.example", auth_type: apiKey }
//!       pre-release: { base_url: "https://staging.shop.example", auth_type: apiKey }
//!       live:        { base_url: "https://shop.example",         auth_type: apiKey }
//!     operations:
//!       - { name: get_order, method: GET, resource: "/orders/{order_id}" }
//! ```
//!
//! # Spellings accepted for the environments
//!
//! | environment | written back as | also accepted when loading |
//! |---|---|---|
//! | [`Environment::Sandbox`] | `sandbox` | `draft`, `draft_and_sandbox`, `draft-and-sandbox`, `Draft and Sandbox` (Studio's label) |
//! | [`Environment::PreRelease`] | `pre-release` (the ADK's YAML) | `pre_release` (the ADK's code), `prerelease`, `Pre-release` (Studio's label) |
//! | [`Environment::Live`] | `live` | `Live` (Studio's label) |
//!
//! Two spellings of the same environment in one file are an error (`duplicate field`).
//!
//! # Unknown keys
//!
//! Keys this crate does not know (perhaps written by a newer ADK) are kept in the `extra` map of
//! the object they appear in and written back on save, so a file loads and round-trips;
//! [`lint`](crate::lint::lint) warns about each one (`PA090`), since a typo such as `base_ulr`
//! would otherwise pass silently.

use std::collections::BTreeMap;
use std::fmt;
use std::path::Path;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use crate::error::{self, DefinitionError};
use crate::method::Method;

/// The content of an ADK `api_integrations.yaml`: the top-level key `api_integrations`.
///
/// ```
/// use polyai_actions::{ApiIntegrations, AuthType, Environment, Method};
///
/// let yaml = r#"
/// api_integrations:
///   - name: shop
///     environments:
///       pre_release: { base_url: "https://staging.shop.example", auth_type: apiKey }
///     operations:
///       - { name: get_order, method: GET, resource: "/orders/{order_id}" }
/// "#;
/// let file = ApiIntegrations::from_yaml_str(yaml)?;
/// let shop = &file.api_integrations[0];
/// let staging = shop.environments.get(Environment::PreRelease).unwrap();
/// assert_eq!(staging.auth_type, AuthType::ApiKey);
/// assert_eq!(shop.operations[0].method, Method::Get);
///
/// // Written back in the ADK's own spelling.
/// let saved = file.to_yaml_string()?;
/// assert!(saved.contains("pre-release:"));
/// assert_eq!(ApiIntegrations::from_yaml_str(&saved)?, file);
/// # Ok::<(), polyai_actions::DefinitionError>(())
/// ```
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct ApiIntegrations {
    /// The integrations, in file order.
    #[serde(default)]
    pub api_integrations: Vec<ApiIntegration>,
    /// Keys this crate does not know, kept and written back.
    #[serde(flatten)]
    pub extra: BTreeMap<String, serde_json::Value>,
}

/// One API integration: called from agent functions as `conv.api.<name>.<operation>(...)`.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct ApiIntegration {
    /// The name: snake_case, `^[a-z_][a-z0-9_]*$`.
    pub name: String,
    /// What the service is for (optional).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// Base URL and auth type per environment.
    #[serde(default)]
    pub environments: Environments,
    /// The operations, each unique per (name, method).
    #[serde(default)]
    pub operations: Vec<Operation>,
    /// Keys this crate does not know, kept and written back.
    #[serde(flatten)]
    pub extra: BTreeMap<String, serde_json::Value>,
}

/// The three environments an agent runs in, each optionally configured.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Environments {
    /// "Draft and Sandbox" in Studio.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        alias = "draft",
        alias = "draft_and_sandbox",
        alias = "draft-and-sandbox",
        alias = "Draft and Sandbox"
    )]
    pub sandbox: Option<EnvironmentConfig>,
    /// Pre-release; written `pre-release`.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        rename = "pre-release",
        alias = "pre_release",
        alias = "prerelease",
        alias = "Pre-release"
    )]
    pub pre_release: Option<EnvironmentConfig>,
    /// Live.
    #[serde(default, skip_serializing_if = "Option::is_none", alias = "Live")]
    pub live: Option<EnvironmentConfig>,
    /// Keys this crate does not know (an unknown environment name, say), kept and written back.
    #[serde(flatten)]
    pub extra: BTreeMap<String, serde_json::Value>,
}

impl Environments {
    /// The configuration of one environment, if it has one.
    pub fn get(&self, environment: Environment) -> Option<&EnvironmentConfig> {
        match environment {
            Environment::Sandbox => self.sandbox.as_ref(),
            Environment::PreRelease => self.pre_release.as_ref(),
            Environment::Live => self.live.as_ref(),
        }
    }

    /// A mutable reference to one environment's slot.
    pub fn slot_mut(&mut self, environment: Environment) -> &mut Option<EnvironmentConfig> {
        match environment {
            Environment::Sandbox => &mut self.sandbox,
            Environment::PreRelease => &mut self.pre_release,
            Environment::Live => &mut self.live,
        }
    }
}

/// Base URL and auth type of one environment.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct EnvironmentConfig {
    /// Empty, or `^https?://\S+$`; required unless `auth_type` is `none`.
    #[serde(default)]
    pub base_url: String,
    /// How requests are authenticated (the credentials themselves are held by the platform).
    #[serde(default)]
    pub auth_type: AuthType,
    /// Keys this crate does not know, kept and written back.
    #[serde(flatten)]
    pub extra: BTreeMap<String, serde_json::Value>,
}

/// An environment an agent runs in, as the ADK's files name it (`api_integrations.yaml`'s
/// `environments` keys), also accepting Studio's labels ("Draft and Sandbox") and the other
/// spellings in [`Environment::spellings`].
///
/// This crate does not depend on `polyai-sdk`, so this is not `polyai_sdk::Environment`, but
/// the two map one to one: the same three variants (`Sandbox`, `PreRelease`, `Live`) with
/// the same canonical names, so [`Environment::as_str`] of either parses as the other
/// (`polyai_sdk::Environment` accepts only the canonical names; this type accepts every
/// spelling above too).
///
/// ```
/// use polyai_actions::Environment;
///
/// for spelling in ["pre-release", "pre_release", "Pre-release"] {
///     assert_eq!(spelling.parse::<Environment>().unwrap(), Environment::PreRelease);
/// }
/// assert_eq!("Draft and Sandbox".parse::<Environment>().unwrap(), Environment::Sandbox);
/// assert_eq!(Environment::PreRelease.to_string(), "pre-release");
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum Environment {
    /// "Draft and Sandbox" in Studio.
    #[serde(
        rename = "sandbox",
        alias = "draft",
        alias = "draft_and_sandbox",
        alias = "draft-and-sandbox",
        alias = "Draft and Sandbox"
    )]
    Sandbox,
    /// Pre-release.
    #[serde(
        rename = "pre-release",
        alias = "pre_release",
        alias = "prerelease",
        alias = "Pre-release"
    )]
    PreRelease,
    /// Live.
    #[serde(rename = "live", alias = "Live")]
    Live,
}

impl Environment {
    /// The three environments, from draft to live.
    pub const ALL: [Environment; 3] = [
        Environment::Sandbox,
        Environment::PreRelease,
        Environment::Live,
    ];

    /// The ADK YAML's spelling: `sandbox`, `pre-release`, `live`.
    pub fn as_str(self) -> &'static str {
        match self {
            Environment::Sandbox => "sandbox",
            Environment::PreRelease => "pre-release",
            Environment::Live => "live",
        }
    }

    /// Every spelling accepted for this environment, the canonical one first.
    pub fn spellings(self) -> &'static [&'static str] {
        match self {
            Environment::Sandbox => &[
                "sandbox",
                "draft",
                "draft_and_sandbox",
                "draft-and-sandbox",
                "Draft and Sandbox",
            ],
            Environment::PreRelease => &["pre-release", "pre_release", "prerelease", "Pre-release"],
            Environment::Live => &["live", "Live"],
        }
    }
}

impl fmt::Display for Environment {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A name that is none of the accepted environment spellings.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error(
    "`{0}` is not an environment: use sandbox (\"Draft and Sandbox\"), pre-release (or pre_release) or live"
)]
pub struct UnknownEnvironment(pub String);

impl FromStr for Environment {
    type Err = UnknownEnvironment;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Environment::ALL
            .into_iter()
            .find(|e| e.spellings().contains(&s))
            .ok_or_else(|| UnknownEnvironment(s.to_owned()))
    }
}

/// How an integration authenticates in one environment, spelled as the ADK spells it.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum AuthType {
    /// No authentication (`none`).
    #[default]
    #[serde(rename = "none")]
    None,
    /// HTTP Basic (`basic`).
    #[serde(rename = "basic")]
    Basic,
    /// An API key in a header or a query parameter (`apiKey`).
    #[serde(rename = "apiKey")]
    ApiKey,
    /// OAuth 2.0 (`oauth2`).
    #[serde(rename = "oauth2")]
    OAuth2,
    /// OAuth 2.0 client credentials with automatic refresh (`oauth2_client_credentials`).
    #[serde(rename = "oauth2_client_credentials")]
    OAuth2ClientCredentials,
    /// A JWT client assertion (`jwt_client_assertion`).
    #[serde(rename = "jwt_client_assertion")]
    JwtClientAssertion,
}

impl AuthType {
    /// The ADK's spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            AuthType::None => "none",
            AuthType::Basic => "basic",
            AuthType::ApiKey => "apiKey",
            AuthType::OAuth2 => "oauth2",
            AuthType::OAuth2ClientCredentials => "oauth2_client_credentials",
            AuthType::JwtClientAssertion => "jwt_client_assertion",
        }
    }
}

impl fmt::Display for AuthType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One operation of an integration: `conv.api.<integration>.<name>(...)`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Operation {
    /// The name: snake_case, `^[a-z_][a-z0-9_]*$`.
    pub name: String,
    /// The HTTP method.
    pub method: Method,
    /// The resource path, with `{var}` placeholders and an optional `?query` part.
    pub resource: String,
    /// Keys this crate does not know, kept and written back.
    #[serde(flatten)]
    pub extra: BTreeMap<String, serde_json::Value>,
}

impl Operation {
    /// The placeholder names of the resource path, in order (`/a/{x}/b/{y}` gives `x`, `y`).
    /// Text between braces is returned as written, valid name or not; an unclosed `{` ends the
    /// list.
    ///
    /// ```
    /// use polyai_actions::{Method, Operation};
    ///
    /// let op = Operation {
    ///     name: "get_item".into(),
    ///     method: Method::Get,
    ///     resource: "/orders/{order_id}/items/{item_id}?expand=1".into(),
    ///     extra: Default::default(),
    /// };
    /// assert_eq!(op.placeholders(), ["order_id", "item_id"]);
    /// ```
    pub fn placeholders(&self) -> Vec<&str> {
        placeholders(&self.resource)
    }
}

pub(crate) fn placeholders(resource: &str) -> Vec<&str> {
    let mut out = Vec::new();
    let mut rest = resource;
    while let Some(open) = rest.find('{') {
        let after = &rest[open + 1..];
        match after.find('}') {
            Some(close) => {
                out.push(&after[..close]);
                rest = &after[close + 1..];
            }
            None => break,
        }
    }
    out
}

impl ApiIntegrations {
    /// Reads an ADK `api_integrations.yaml`.
    ///
    /// # Errors
    /// [`DefinitionError::Parse`] with the line and column of the problem.
    pub fn from_yaml_str(text: &str) -> Result<Self, DefinitionError> {
        error::from_yaml(text)
    }

    /// Reads the same content written as JSON.
    ///
    /// # Errors
    /// [`DefinitionError::Parse`] with the line and column of the problem.
    pub fn from_json_str(text: &str) -> Result<Self, DefinitionError> {
        error::from_json(text)
    }

    /// Reads a file: JSON if its extension is `.json`, YAML otherwise.
    ///
    /// # Errors
    /// [`DefinitionError::Io`] when the file cannot be read, [`DefinitionError::File`] (naming
    /// the file, line and column) when its content is invalid.
    pub fn from_path(path: impl AsRef<Path>) -> Result<Self, DefinitionError> {
        error::from_path(path.as_ref())
    }

    /// Writes YAML in the ADK's spelling.
    ///
    /// # Errors
    /// [`DefinitionError::Serialize`] if an `extra` value cannot be written.
    pub fn to_yaml_string(&self) -> Result<String, DefinitionError> {
        error::to_yaml(self)
    }

    /// Writes pretty-printed JSON.
    ///
    /// # Errors
    /// [`DefinitionError::Serialize`] if an `extra` value cannot be written.
    pub fn to_json_string(&self) -> Result<String, DefinitionError> {
        error::to_json(self)
    }

    /// Writes a file: JSON if its extension is `.json`, YAML otherwise.
    ///
    /// # Errors
    /// [`DefinitionError::Io`] when the file cannot be written.
    pub fn to_path(&self, path: impl AsRef<Path>) -> Result<(), DefinitionError> {
        error::to_path(self, path.as_ref())
    }

    /// The integration called `name`, if there is one.
    pub fn get(&self, name: &str) -> Option<&ApiIntegration> {
        self.api_integrations.iter().find(|i| i.name == name)
    }
}

impl ApiIntegration {
    /// The operation called `name` with `method`, if there is one.
    pub fn operation(&self, name: &str, method: Method) -> Option<&Operation> {
        self.operations
            .iter()
            .find(|o| o.name == name && o.method == method)
    }
}
