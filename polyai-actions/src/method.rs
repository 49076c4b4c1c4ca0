//! The HTTP methods PolyAI lets an action or an integration operation use.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

/// An HTTP method: the five PolyAI documents for both actions and integration operations.
///
/// Files write it in upper case (`GET`); lower case (`get`) is accepted when loading.
///
/// ```
/// use polyai_actions::Method;
///
/// let method: Method = "post".parse().unwrap();
/// assert_eq!(method, Method::Post);
/// assert_eq!(method.to_string(), "POST");
/// assert!(Method::Get.sends_query());
/// assert_eq!(Method::Patch.as_http(), http::Method::PATCH);
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum Method {
    /// `GET`: parameters travel in the query.
    #[serde(rename = "GET", alias = "get")]
    Get,
    /// `POST`: parameters travel in the body.
    #[serde(rename = "POST", alias = "post")]
    Post,
    /// `PUT`: parameters travel in the body.
    #[serde(rename = "PUT", alias = "put")]
    Put,
    /// `PATCH`: parameters travel in the body.
    #[serde(rename = "PATCH", alias = "patch")]
    Patch,
    /// `DELETE`: parameters travel in the query.
    #[serde(rename = "DELETE", alias = "delete")]
    Delete,
}

impl Method {
    /// Every method, in the order PolyAI lists them.
    pub const ALL: [Method; 5] = [
        Method::Get,
        Method::Post,
        Method::Put,
        Method::Patch,
        Method::Delete,
    ];

    /// The method's name in upper case.
    pub fn as_str(self) -> &'static str {
        match self {
            Method::Get => "GET",
            Method::Post => "POST",
            Method::Put => "PUT",
            Method::Patch => "PATCH",
            Method::Delete => "DELETE",
        }
    }

    /// The same method as an [`http::Method`].
    pub fn as_http(self) -> http::Method {
        match self {
            Method::Get => http::Method::GET,
            Method::Post => http::Method::POST,
            Method::Put => http::Method::PUT,
            Method::Patch => http::Method::PATCH,
            Method::Delete => http::Method::DELETE,
        }
    }

    /// Whether an API-call action with this method sends its parameters as query parameters
    /// (`GET`, `DELETE`) rather than in the body (`POST`, `PUT`, `PATCH`).
    pub fn sends_query(self) -> bool {
        matches!(self, Method::Get | Method::Delete)
    }
}

impl fmt::Display for Method {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A method name that is not one of the five PolyAI accepts.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("`{0}` is not a method PolyAI accepts: use GET, POST, PUT, PATCH or DELETE")]
pub struct UnknownMethod(pub String);

impl FromStr for Method {
    type Err = UnknownMethod;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Method::ALL
            .into_iter()
            .find(|m| m.as_str().eq_ignore_ascii_case(s))
            .ok_or_else(|| UnknownMethod(s.to_owned()))
    }
}
