//! PolyAI API-call actions and API integrations: their definitions, the checks PolyAI applies
//! (and the traps it does not warn about), parameter validation, the subset of Go's
//! `text/template` that action bodies are written in, and the exact HTTP request an action or
//! integration operation would send, all offline; then running them against your own service
//! ([`client`], [`oauth`], [`chain`], [`conv_api`]) over the network or in-process, and reading
//! back what the agent would see ([`outcome`]).
//!
//! - Definitions: [`ApiIntegrations`] (PolyAI's ADK `api_integrations.yaml`) and [`ApiAction`] /
//!   [`ApiActions`] (this crate's file format for Studio's API-call actions), loaded from and
//!   saved to YAML or JSON. Credentials are [`SecretRef`]s: names, never values.
//! - [`lint`]: every rule PolyAI documents, and the traps it does not warn about, as
//!   [`lint::Diagnostic`]s with stable codes.
//! - [`ParameterValidator`]: the parameters an agent supplies, checked against the action's
//!   JSON Schema (Draft 7), with messages the agent can act on.
//! - [`template`]: the subset of Go's `text/template` that action bodies are written in.
//! - [`render`]: the request an action ([`render_action`], [`PreparedAction`]) or an integration
//!   call ([`render_operation`]) would send in one environment, as an [`http::Request`] with
//!   secrets from a [`SecretStore`] (see [`secrets`]); every printed form (`Display`, `Debug`,
//!   [`RenderedRequest::to_curl`]) shows a secret as `<secret:NAME>`.
//! - [`conv_api`]: `conv.api.<integration>.<operation>(...)` for Rust ([`ConvApi`]): an
//!   integration call rendered as above and sent to [test doubles](doubles) (ADK-shaped
//!   response rules, [`Doubles`]; no server), an [`HttpClient`] or a sender of your choice,
//!   with the integration's auth applied (OAuth 2.0 client credentials through
//!   [`ConvApi::with_oauth`]), read back like `requests.Response` ([`ApiResponse`]). Query,
//!   form and JSON encoding are checked against Python `requests` itself
//!   (`tests/it/requests_parity.rs`). See the runnable example there, and `cargo run --example
//!   conv_api` in the workspace.
//! - [`oauth`]: OAuth 2.0 client credentials ([`OAuth2Tokens`]): tokens cached per environment
//!   and connector, one token request for many concurrent calls, refresh before `expires_in`,
//!   a 401 from the service answered by one refetch and one resend, RFC 6749 errors as
//!   [`TokenError`]s. Tokens and client secrets are never printed.
//! - [`chain`], [`run`] and [`outcome`]: run actions one after another over one conversation
//!   ([`chain::Conversation::run`]), each action's output variables (read by JSONPath) the next
//!   one's `.variables`, and read what the agent gets back: status, body, output variables
//!   (sensitive ones redacted in every printed form) and the model's view. `cargo run
//!   --example test_my_service` in the workspace runs a lookup-then-book chain against an axum
//!   service in-process.
//! - [`client`]: sending a rendered request over the network ([`ReqwestClient`]) or in-process
//!   to any tower `Service` such as an axum `Router` ([`ServiceClient`]), with no socket, within
//!   a timeout and a maximum response size ([`ClientOptions`]); failures are [`SendError`]s.
//!   Nothing in this crate retries a request on its own (the one resend, after a `401` to an
//!   OAuth 2.0 token, is a setting: [`run::ResendAfter401`]).
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
//!
//! Rendering an integration call, `conv.api.shop.get_order("A 1", params={"expand": True})`,
//! in two environments:
//!
//! ```
//! use polyai_actions::render::{CallArgs, RenderContext, render_operation};
//! use polyai_actions::{ApiIntegrations, AuthConnector, Environment, InMemorySecretStore, SecretRef};
//! use serde_json::json;
//!
//! let file = ApiIntegrations::from_yaml_str(r#"
//! api_integrations:
//!   - name: shop
//!     environments:
//!       sandbox: { base_url: "https://sandbox.shop.example", auth_type: basic }
//!       live:    { base_url: "https://shop.example/api/", auth_type: basic }
//!     operations:
//!       - { name: get_order, method: GET, resource: "/orders/{order_id}" }
//! "#)?;
//! let secrets = InMemorySecretStore::new()
//!     .with(Environment::Sandbox, "shop_password", "sandbox-pw")
//!     .with(Environment::Live, "shop_password", "live-pw");
//! let basic = AuthConnector::Basic { username: "agent".into(), password: SecretRef::new("shop_password") };
//! let call = CallArgs::new().arg(json!("A 1")).param("expand", json!(true));
//! for (env, url) in [
//!     (Environment::Sandbox, "https://sandbox.shop.example/orders/A%201?expand=True"),
//!     (Environment::Live, "https://shop.example/api/orders/A%201?expand=True"),
//! ] {
//!     let context = RenderContext::new(env, &secrets).with_integration_auth("shop", basic.clone());
//!     let request = render_operation(file.get("shop").unwrap(), "get_order", &call, &context)?;
//!     assert_eq!(request.as_http().uri(), url);
//!     assert_eq!(
//!         request.to_curl(),
//!         format!("curl '{url}' \\\n  --header 'Authorization: Basic base64(agent:<secret:shop_password>)'")
//!     );
//! }
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

#![warn(missing_docs)]
#![cfg_attr(docsrs, feature(doc_cfg))]

pub mod action;
pub mod chain;
pub mod client;
pub mod conv_api;
pub mod doubles;
pub mod error;
pub mod integration;
pub mod lint;
pub mod method;
pub mod oauth;
pub mod outcome;
pub mod params;
mod plain_json;
pub mod render;
pub mod run;
pub mod secret;
pub mod secrets;
pub mod template;

pub use action::{
    ApiAction, ApiActions, ApiConnection, ApiKeyLocation, AuthConnector, CredentialsIn, Header,
    HeaderValue, OutputVariable,
};
pub use client::{ClientOptions, HttpClient, ReqwestClient, SendError, ServiceClient};
pub use conv_api::{ApiResponse, ConvApi, ConvApiError};
pub use doubles::{Doubles, MockResponse, ResponseRule};
pub use error::{DefinitionError, Format};
pub use integration::{
    ApiIntegration, ApiIntegrations, AuthType, Environment, EnvironmentConfig, Environments,
    Operation,
};
pub use method::Method;
pub use oauth::{AccessToken, OAuth2Tokens, OAuthErrorCode, TokenError, apply_token};
pub use params::{ParameterError, ParameterErrors, ParameterValidator, SchemaError};
pub use render::{
    CallArgs, PreparedAction, RenderContext, RenderError, RenderedRequest, RequestOptions,
    SentRequest, render_action, render_operation,
};
pub use run::ResendAfter401;
pub use secret::SecretRef;
pub use secrets::{InMemorySecretStore, SecretStore, SecretValue};

/// `parts` joined into one `String` of exactly their length: one allocation, none of the
/// formatting machinery (for the header values built on every render).
pub(crate) fn concat(parts: &[&str]) -> String {
    let mut out = String::with_capacity(parts.iter().map(|p| p.len()).sum());
    for part in parts {
        out.push_str(part);
    }
    out
}
