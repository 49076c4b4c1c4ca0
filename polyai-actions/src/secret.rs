//! References to secrets by name.
//!
//! Definition files never hold a secret's value. Wherever a credential is needed they name a
//! secret held elsewhere (by PolyAI's platform, or, offline, by a secret store the caller
//! gives per environment). In YAML and JSON such a reference is written as a one-key map:
//!
//! ```yaml
//! token: { secret: shop_api_token }
//! ```

use std::fmt;

use serde::de::{self, MapAccess, Visitor};
use serde::ser::SerializeMap;
use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// The name of a secret, never its value.
///
/// `Debug` and `Display` both print `<secret:NAME>`, so a reference can be logged safely and is
/// never mistaken for the value it stands for.
///
/// ```
/// use polyai_actions::SecretRef;
///
/// let token = SecretRef::new("shop_api_token");
/// assert_eq!(token.name(), "shop_api_token");
/// assert_eq!(format!("{token:?}"), "<secret:shop_api_token>");
/// assert_eq!(token.to_string(), "<secret:shop_api_token>");
/// ```
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct SecretRef(String);

impl SecretRef {
    /// A reference to the secret called `name`.
    pub fn new(name: impl Into<String>) -> Self {
        SecretRef(name.into())
    }

    /// The secret's name (what a secret store is asked for).
    pub fn name(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for SecretRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "<secret:{}>", self.0)
    }
}

impl fmt::Display for SecretRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "<secret:{}>", self.0)
    }
}

impl Serialize for SecretRef {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut map = serializer.serialize_map(Some(1))?;
        map.serialize_entry("secret", &self.0)?;
        map.end()
    }
}

impl<'de> Deserialize<'de> for SecretRef {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_any(SecretRefVisitor)
    }
}

struct SecretRefVisitor;

/// What a plain string in a secret's place is told: write a reference instead.
const PLAIN_SECRET: &str = "a credential must be a reference to a named secret, written \
     `{secret: NAME}`, never the secret's value itself";

impl<'de> Visitor<'de> for SecretRefVisitor {
    type Value = SecretRef;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a secret reference `{secret: NAME}`")
    }

    fn visit_str<E: de::Error>(self, _value: &str) -> Result<SecretRef, E> {
        // The value is deliberately not repeated: it may be the secret itself.
        Err(E::custom(PLAIN_SECRET))
    }

    fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<SecretRef, A::Error> {
        secret_from_map(map).map(SecretRef)
    }
}

/// Reads `{secret: NAME}` and refuses any other key.
pub(crate) fn secret_from_map<'de, A: MapAccess<'de>>(mut map: A) -> Result<String, A::Error> {
    let mut name: Option<String> = None;
    while let Some(key) = map.next_key::<String>()? {
        if key == "secret" {
            if name.is_some() {
                return Err(de::Error::duplicate_field("secret"));
            }
            name = Some(map.next_value()?);
        } else {
            return Err(de::Error::custom(format_args!(
                "unexpected key `{key}` in a secret reference: write `{{secret: NAME}}` only"
            )));
        }
    }
    name.ok_or_else(|| de::Error::missing_field("secret"))
}
