//! Hand-written parts of alert rule requests, used by the generated Alerts types in place of
//! two schemas the generator cannot express: [`AlertOperator`] (its values are symbols, which
//! make no Rust variant names) and [`AlertRuleProject`] (a field that must be able to send JSON
//! `null` as well as be left out).

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// How an alert rule compares its metric with its threshold: the rule fires while
/// `metric <operator> threshold_value` holds. These four are all PolyAI accepts; on the wire
/// they are the symbols `>`, `<`, `>=` and `<=`, and [`FromStr`] / `TryFrom<&str>` read the
/// same symbols, so a builder takes either form:
///
/// ```
/// use polyai_sdk::AlertOperator;
///
/// assert_eq!(">=".parse::<AlertOperator>().unwrap(), AlertOperator::AtLeast);
/// assert_eq!(serde_json::to_string(&AlertOperator::Above).unwrap(), r#"">""#);
/// let refused = "=>".parse::<AlertOperator>().unwrap_err().to_string();
/// assert!(refused.contains("`>`, `<`, `>=` or `<=`"), "{refused}");
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum AlertOperator {
    /// `>`: the metric is above the threshold.
    #[serde(rename = ">")]
    Above,
    /// `<`: the metric is below the threshold.
    #[serde(rename = "<")]
    Below,
    /// `>=`: the metric is at or above the threshold.
    #[serde(rename = ">=")]
    AtLeast,
    /// `<=`: the metric is at or below the threshold.
    #[serde(rename = "<=")]
    AtMost,
}

impl AlertOperator {
    /// Every operator, in PolyAI's order.
    pub const ALL: [AlertOperator; 4] = [
        AlertOperator::Above,
        AlertOperator::Below,
        AlertOperator::AtLeast,
        AlertOperator::AtMost,
    ];

    /// The symbol sent on the wire.
    pub fn as_str(self) -> &'static str {
        match self {
            AlertOperator::Above => ">",
            AlertOperator::Below => "<",
            AlertOperator::AtLeast => ">=",
            AlertOperator::AtMost => "<=",
        }
    }
}

impl fmt::Display for AlertOperator {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A text that is not one of the four [`AlertOperator`] symbols; it says which text and what
/// PolyAI accepts.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct UnknownAlertOperator(String);

impl fmt::Display for UnknownAlertOperator {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "alert rule operator {:?} is not one PolyAI accepts: use `>`, `<`, `>=` or `<=`",
            self.0
        )
    }
}

impl std::error::Error for UnknownAlertOperator {}

impl FromStr for AlertOperator {
    type Err = UnknownAlertOperator;

    fn from_str(text: &str) -> Result<Self, UnknownAlertOperator> {
        AlertOperator::ALL
            .into_iter()
            .find(|op| op.as_str() == text)
            .ok_or_else(|| UnknownAlertOperator(text.to_owned()))
    }
}

impl TryFrom<&str> for AlertOperator {
    type Error = UnknownAlertOperator;

    fn try_from(text: &str) -> Result<Self, UnknownAlertOperator> {
        text.parse()
    }
}

impl TryFrom<String> for AlertOperator {
    type Error = UnknownAlertOperator;

    fn try_from(text: String) -> Result<Self, UnknownAlertOperator> {
        text.parse()
    }
}

impl From<UnknownAlertOperator> for crate::Error {
    fn from(error: UnknownAlertOperator) -> Self {
        crate::Error::InvalidInput(error.to_string())
    }
}

/// The `project_id` of an alert rule update (`UpdateAlertRuleRequest`). PolyAI reads three
/// states from that field: left out (the rule keeps its project: leave the request's `Option`
/// as `None`), a project id ([`Project`](AlertRuleProject::Project)) and JSON `null`
/// ([`WholeAccount`](AlertRuleProject::WholeAccount), which clears the project so that the rule
/// watches every project of the account). A plain `Option<String>` could not send the third.
///
/// ```
/// use polyai_sdk::AlertRuleProject;
/// use polyai_sdk::types::alerts::UpdateAlertRuleRequest;
///
/// let widen = UpdateAlertRuleRequest {
///     project_id: Some(AlertRuleProject::WholeAccount),
///     ..Default::default()
/// };
/// assert_eq!(serde_json::to_string(&widen).unwrap(), r#"{"project_id":null}"#);
/// let narrow = UpdateAlertRuleRequest {
///     project_id: Some("PROJECT-1".into()),
///     ..Default::default()
/// };
/// assert_eq!(serde_json::to_string(&narrow).unwrap(), r#"{"project_id":"PROJECT-1"}"#);
/// assert_eq!(serde_json::to_string(&UpdateAlertRuleRequest::default()).unwrap(), "{}");
/// ```
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum AlertRuleProject {
    /// Watch only this project (agent) id.
    Project(String),
    /// Watch the whole account (sent as JSON `null`, which clears the rule's project).
    WholeAccount,
}

impl Serialize for AlertRuleProject {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match self {
            AlertRuleProject::Project(id) => serializer.serialize_str(id),
            AlertRuleProject::WholeAccount => serializer.serialize_none(),
        }
    }
}

impl<'de> Deserialize<'de> for AlertRuleProject {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        Ok(match Option::<String>::deserialize(deserializer)? {
            Some(id) => AlertRuleProject::Project(id),
            None => AlertRuleProject::WholeAccount,
        })
    }
}

impl From<String> for AlertRuleProject {
    fn from(id: String) -> Self {
        AlertRuleProject::Project(id)
    }
}

impl From<&str> for AlertRuleProject {
    fn from(id: &str) -> Self {
        AlertRuleProject::Project(id.to_owned())
    }
}
