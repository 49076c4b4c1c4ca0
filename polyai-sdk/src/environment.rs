//! The deployment environment of an agent: `sandbox`, `pre-release` or `live`.
//!
//! One type for every family of the SDK: the conversation listing's `client_env`, debug
//! chat's `clientEnv`, and the Agents API's deployments, config pages and connectors (the code
//! generator uses this type in place of the documents' `Environment` and `ClientEnvironment`
//! schemas). The `polyai-actions` crate, which does not depend on this one, has its own
//! `Environment` for the ADK's files; the two share the spellings `sandbox`, `pre-release`
//! and `live`.

use std::fmt;
use std::str::FromStr;

/// A deployment environment of an agent.
///
/// ```
/// use polyai_sdk::Environment;
///
/// let environment: Environment = "pre-release".parse()?;
/// assert_eq!(environment, Environment::PreRelease);
/// assert_eq!(Environment::Live.to_string(), "live");
/// assert_eq!(serde_json::to_string(&Environment::Sandbox).unwrap(), r#""sandbox""#);
/// # Ok::<(), polyai_sdk::Error>(())
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Environment {
    /// Sandbox (draft) deployments; merging a branch publishes here.
    Sandbox,
    /// Pre-release deployments.
    PreRelease,
    /// Live deployments (PolyAI's default where an environment is optional).
    Live,
}

impl Environment {
    /// Every environment, in promotion order.
    pub const ALL: [Environment; 3] = [
        Environment::Sandbox,
        Environment::PreRelease,
        Environment::Live,
    ];

    /// The wire value: `sandbox`, `pre-release` or `live`.
    pub fn as_str(self) -> &'static str {
        match self {
            Environment::Sandbox => "sandbox",
            Environment::PreRelease => "pre-release",
            Environment::Live => "live",
        }
    }
}

impl fmt::Display for Environment {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The error for a name that is not one of PolyAI's environments.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("unknown environment `{given}`: expected sandbox, pre-release or live")]
pub struct UnknownEnvironment {
    /// The name that was given.
    pub given: String,
}

impl FromStr for Environment {
    type Err = UnknownEnvironment;

    /// Reads a wire value (`sandbox`, `pre-release`, `live`), exactly as PolyAI writes it.
    fn from_str(text: &str) -> Result<Environment, UnknownEnvironment> {
        Environment::ALL
            .into_iter()
            .find(|environment| environment.as_str() == text)
            .ok_or_else(|| UnknownEnvironment {
                given: text.to_owned(),
            })
    }
}

impl TryFrom<&str> for Environment {
    type Error = UnknownEnvironment;

    fn try_from(text: &str) -> Result<Environment, UnknownEnvironment> {
        text.parse()
    }
}

impl TryFrom<String> for Environment {
    type Error = UnknownEnvironment;

    fn try_from(text: String) -> Result<Environment, UnknownEnvironment> {
        text.parse()
    }
}

impl From<UnknownEnvironment> for crate::Error {
    /// An environment name PolyAI does not know is invalid input; nothing was sent.
    fn from(error: UnknownEnvironment) -> crate::Error {
        crate::Error::InvalidInput(error.to_string())
    }
}

impl serde::Serialize for Environment {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.as_str())
    }
}

impl<'de> serde::Deserialize<'de> for Environment {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = <std::borrow::Cow<'de, str>>::deserialize(deserializer)?;
        text.parse().map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wire_values_round_trip_and_others_are_refused() {
        for environment in Environment::ALL {
            let json = serde_json::to_string(&environment).unwrap();
            assert_eq!(json, format!("\"{environment}\""));
            assert_eq!(
                serde_json::from_str::<Environment>(&json).unwrap(),
                environment
            );
        }
        let error = serde_json::from_str::<Environment>("\"production\"").unwrap_err();
        assert!(error.to_string().contains("production"), "{error}");
        assert!("Live".parse::<Environment>().is_err());
    }
}
