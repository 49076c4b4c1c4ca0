//! Publishing and promoting agent deployments, with PolyAI's "already published" answers
//! turned into an outcome rather than an error.
//!
//! PolyAI answers a publish or promotion of a version that already runs in the target
//! environment with 409 `DEPLOYMENTS_ALREADY_PUBLISHED`, or in some cases with 200
//! `DEPLOYMENTS_ENVIRONMENT_ALREADY_PUBLISHED`. Merging a branch publishes to sandbox by itself,
//! so a publish straight after a merge always gets that answer. For a release script it means
//! "nothing to do", not a failure: [`Client::publish_deployment`] and
//! [`Client::promote_deployment`] return [`DeploymentOutcome::AlreadyDeployed`] for it and
//! keep every other error an error. The generated operations (`client.agents()
//! .publish_deployment()` and `.promote_deployment()`) remain available unchanged.
//!
//! ```no_run
//! # async fn run(client: polyai_sdk::Client) -> Result<(), polyai_sdk::Error> {
//! use polyai_sdk::deployments::DeploymentOutcome;
//! use polyai_sdk::types::agents::PublishDeploymentRequest;
//!
//! match client.publish_deployment("my-agent", PublishDeploymentRequest::default()).await? {
//!     DeploymentOutcome::Deployed(change) => println!("deployed {:?}", change.deployment),
//!     DeploymentOutcome::AlreadyDeployed { .. } => println!("already running there"),
//! }
//! # Ok(())
//! # }
//! ```

use crate::generated::agents::types::{
    DeploymentChange, PromoteDeploymentRequest, PublishDeploymentRequest,
};
use crate::{Client, Error};

/// The error codes with which PolyAI says the version already runs in the environment.
pub const ALREADY_PUBLISHED_CODES: [&str; 2] = [
    "DEPLOYMENTS_ALREADY_PUBLISHED",
    "DEPLOYMENTS_ENVIRONMENT_ALREADY_PUBLISHED",
];

/// What a publish or promotion did. (Exhaustive on purpose: a deployment either happened or
/// was already there; anything else is an [`Error`].)
#[derive(Clone, Debug, PartialEq)]
pub enum DeploymentOutcome {
    /// A new deployment was made; the change holds it and any test runs it started.
    Deployed(DeploymentChange),
    /// Nothing changed: that version already runs in the environment.
    AlreadyDeployed {
        /// PolyAI's code, one of [`ALREADY_PUBLISHED_CODES`].
        error_code: String,
        /// PolyAI's message, when it sent one.
        message: Option<String>,
        /// The `X-PolyAI-Correlation-Id` of the answer.
        correlation_id: Option<String>,
    },
}

impl DeploymentOutcome {
    /// The new deployment's change, if one was made.
    pub fn deployed(&self) -> Option<&DeploymentChange> {
        match self {
            DeploymentOutcome::Deployed(change) => Some(change),
            DeploymentOutcome::AlreadyDeployed { .. } => None,
        }
    }
}

impl Client {
    /// Publishes the agent's current `main` to an environment (`sandbox` unless `request`
    /// names another). Not retried once the request may have reached PolyAI: a publish is
    /// not idempotent.
    pub async fn publish_deployment(
        &self,
        agent_id: &str,
        request: PublishDeploymentRequest,
    ) -> Result<DeploymentOutcome, Error> {
        let call = self
            .agents()
            .publish_deployment()
            .agent_id(agent_id)
            .body(request);
        outcome(call.send().await.map(crate::ResponseValue::into_inner))
    }

    /// Promotes a deployment to the next environment (sandbox to pre-release, pre-release to
    /// live) or to the one `request` names. Promoting to live before pre-release runs the
    /// version may answer 412 `ErrPreReleaseNotReady`, which stays an error.
    pub async fn promote_deployment(
        &self,
        agent_id: &str,
        deployment_id: &str,
        request: PromoteDeploymentRequest,
    ) -> Result<DeploymentOutcome, Error> {
        let call = self
            .agents()
            .promote_deployment()
            .agent_id(agent_id)
            .deployment_id(deployment_id)
            .body(request);
        outcome(call.send().await.map(crate::ResponseValue::into_inner))
    }
}

/// Turns an "already published" answer (409, or any 2xx that carries the code instead of a
/// deployment) into [`DeploymentOutcome::AlreadyDeployed`].
fn outcome(result: Result<DeploymentChange, Error>) -> Result<DeploymentOutcome, Error> {
    let error = match result {
        Ok(change) => return Ok(DeploymentOutcome::Deployed(change)),
        Err(error) => error,
    };
    let already = error.api_error().and_then(|api| {
        let code = api.error_code.as_deref()?;
        let status_fits = api.status.as_u16() == 409 || api.status.is_success();
        (status_fits && ALREADY_PUBLISHED_CODES.contains(&code)).then(|| {
            DeploymentOutcome::AlreadyDeployed {
                error_code: code.to_owned(),
                message: api.error_message.clone(),
                correlation_id: api.correlation_id.clone(),
            }
        })
    });
    already.ok_or(error)
}
