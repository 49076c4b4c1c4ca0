//! PolyAI API-call actions and API integrations, offline: their definitions, the checks PolyAI
//! applies (and the traps it does not warn about), parameter validation, the subset of Go's
//! `text/template` that action bodies are written in, and the exact HTTP request an action or
//! integration operation would send. Nothing in this crate touches the network.
//!
//! - Definitions: [`ApiIntegrations`] (PolyAI's ADK `api_integrations.yaml`) and [`ApiAction`] /
//!   [`ApiActions`] (this crate's file format for Studio's API-call actions), loaded from and
//!   saved to YAML or JSON. Credentials are [`SecretRef`]s: names, never values.
//! - [`lint`]: every rule PolyAI documents, and the traps it does not warn about, as
//!   [`lint::Diagnostic`]s with stable codes.
//! - [`ParameterValidator`]: the parameters an agent supplies, checked against the action's
//!   JSON Schema (Draft 7), with messages the agent can act on.
//!
//! ```
//! use polyai_actions::{ApiAction, lint};
//! use serde_json::json;
//!
//! let action = ApiAction::from_yaml_str(r#"
//! name: create_ticket
//! description: Open a support ticket
//! url: https://support.example/tickets
//! method: POST
//! parameters:
//!   type: object
//!   properties:
//!     priority: { enum: [low, medium, high] }
//!     summary: { type: string, maxLength: 200 }
//!   required: [priority, summary]
//! body_template: '{"priority": "{{.parameters.priority}}", "summary": "{{.parameters.summary}}"}'
//! "#)?;
//!
//! // `summary` is free text printed into JSON unescaped: a warning.
//! let found = lint::lint_action(&action);
//! assert_eq!(found.len(), 1);
//! assert_eq!(found[0].code, "PA204");
//!
//! let validator = action.parameter_validator().expect("a valid schema");
//! let err = validator.validate(&json!({"priority": "urgent", "summary": "Broken"})).unwrap_err();
//! assert_eq!(err.to_string(), "`priority` must be one of low, medium, high");
//! # Ok::<(), polyai_actions::DefinitionError>(())
//! ```

pub mod action;
pub mod error;
pub mod integration;
pub mod lint;
pub mod method;
pub mod params;
pub mod render;
pub mod secret;
pub mod secrets;
pub mod template;

pub use action::{
    ApiAction, ApiActions, ApiConnection, ApiKeyLocation, AuthConnector, CredentialsIn, Header,
    HeaderValue, OutputVariable,
};
pub use error::{DefinitionError, Format};
pub use integration::{
    ApiIntegration, ApiIntegrations, AuthType, Environment, EnvironmentConfig, Environments,
    Operation,
};
pub use method::Method;
pub use params::{ParameterError, ParameterErrors, ParameterValidator, SchemaError};
pub use render::{
    CallArgs, PreparedAction, RenderContext, RenderError, RenderedRequest, RequestOptions,
    render_action, render_operation,
};
pub use secret::SecretRef;
pub use secrets::{InMemorySecretStore, SecretStore, SecretValue};
