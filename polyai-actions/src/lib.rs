//! PolyAI API-call actions and API integrations, offline: their definitions, the checks PolyAI
//! applies (and the traps it does not warn about), parameter validation, the subset of Go's
//! `text/template` that action bodies are written in, and the exact HTTP request an action or
//! integration operation would send. Nothing in this crate touches the network.

pub mod action;
pub mod error;
pub mod integration;
pub mod lint;
pub mod method;
pub mod params;
pub mod secret;
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
pub use secret::SecretRef;
