//! Secret values, and the store a caller gives to resolve [`SecretRef`](crate::SecretRef)s.
//!
//! Definitions only ever name secrets. When a request is rendered, each name is looked up in a
//! [`SecretStore`] for the environment being rendered (sandbox, pre-release and live usually
//! hold different credentials). The value comes back as a [`SecretValue`], which never shows
//! itself in `Debug` or `Display`: both print `<secret:NAME>`.
//!
//! ```
//! use polyai_actions::secrets::{InMemorySecretStore, SecretStore};
//! use polyai_actions::Environment;
//!
//! let store = InMemorySecretStore::new()
//!     .with(Environment::Sandbox, "shop_token", "sandbox-token")
//!     .with(Environment::Live, "shop_token", "live-token");
//! let token = store.get(Environment::Live, "shop_token").unwrap();
//! assert_eq!(token.expose(), "live-token");
//! assert_eq!(format!("{token:?}"), "<secret:shop_token>");
//! assert!(store.get(Environment::PreRelease, "shop_token").is_none());
//! ```

use std::collections::BTreeMap;
use std::fmt;

use crate::integration::Environment;

/// The value of a named secret. `Debug` and `Display` print `<secret:NAME>`, never the value;
/// read the value with [`SecretValue::expose`].
///
/// Cloning is cheap (the name and value are shared), so a store can hand out a value it holds
/// without copying it.
#[derive(Clone, PartialEq, Eq)]
pub struct SecretValue {
    name: std::sync::Arc<str>,
    value: std::sync::Arc<str>,
}

impl SecretValue {
    /// A secret called `name` holding `value`.
    pub fn new(name: impl Into<String>, value: impl Into<String>) -> Self {
        SecretValue {
            name: name.into().into(),
            value: value.into().into(),
        }
    }

    /// The secret's name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The secret's value. Keep it out of logs.
    pub fn expose(&self) -> &str {
        &self.value
    }

    /// What printed forms show in the value's place: `<secret:NAME>`.
    pub fn masked(&self) -> String {
        self.masked_after("")
    }

    /// `prefix` followed by [`Self::masked`], built in one allocation (`Bearer <secret:NAME>`).
    pub(crate) fn masked_after(&self, prefix: &str) -> String {
        masked_after(prefix, &self.name)
    }
}

/// `prefix` followed by what printed forms show for the secret called `name`:
/// `<secret:NAME>`, in one allocation.
pub(crate) fn masked_after(prefix: &str, name: &str) -> String {
    crate::concat(&[prefix, "<secret:", name, ">"])
}

impl fmt::Debug for SecretValue {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "<secret:{}>", self.name)
    }
}

impl fmt::Display for SecretValue {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "<secret:{}>", self.name)
    }
}

/// Where rendering finds the values of named secrets, per environment.
///
/// Implement it over a vault, environment variables or a file; [`InMemorySecretStore`] is the
/// simple case. Returning `None` makes rendering fail with
/// [`RenderError::MissingSecret`](crate::render::RenderError::MissingSecret), naming the secret
/// and the environment.
pub trait SecretStore: Send + Sync {
    /// The value of the secret called `name` in `environment`, if the store has one.
    fn get(&self, environment: Environment, name: &str) -> Option<SecretValue>;
}

/// A [`SecretStore`] held in memory: values per (environment, name), plus values shared by
/// every environment. A value set for one environment wins over a shared one.
///
/// `Debug` lists the secret names only.
#[derive(Clone, Default)]
pub struct InMemorySecretStore {
    /// Values per environment, then per name (looked up by `&str`, without a copy of the name).
    per_environment: BTreeMap<Environment, BTreeMap<String, SecretValue>>,
    shared: BTreeMap<String, SecretValue>,
}

impl InMemorySecretStore {
    /// An empty store.
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds (or replaces) the value of `name` in `environment`.
    pub fn with(
        mut self,
        environment: Environment,
        name: impl Into<String>,
        value: impl Into<String>,
    ) -> Self {
        self.insert(environment, name, value);
        self
    }

    /// Adds (or replaces) the value of `name` for every environment that has no value of its own.
    ///
    /// ```
    /// use polyai_actions::secrets::{InMemorySecretStore, SecretStore};
    /// use polyai_actions::Environment;
    ///
    /// let store = InMemorySecretStore::new()
    ///     .with_shared("api_key", "everywhere")
    ///     .with(Environment::Live, "api_key", "live-only");
    /// assert_eq!(store.get(Environment::Sandbox, "api_key").unwrap().expose(), "everywhere");
    /// assert_eq!(store.get(Environment::Live, "api_key").unwrap().expose(), "live-only");
    /// ```
    pub fn with_shared(mut self, name: impl Into<String>, value: impl Into<String>) -> Self {
        let name = name.into();
        self.shared
            .insert(name.clone(), SecretValue::new(name, value));
        self
    }

    /// Adds (or replaces) the value of `name` in `environment`, in place.
    pub fn insert(
        &mut self,
        environment: Environment,
        name: impl Into<String>,
        value: impl Into<String>,
    ) {
        let name = name.into();
        self.per_environment
            .entry(environment)
            .or_default()
            .insert(name.clone(), SecretValue::new(name, value));
    }
}

impl SecretStore for InMemorySecretStore {
    fn get(&self, environment: Environment, name: &str) -> Option<SecretValue> {
        self.per_environment
            .get(&environment)
            .and_then(|values| values.get(name))
            .or_else(|| self.shared.get(name))
            .cloned()
    }
}

impl fmt::Debug for InMemorySecretStore {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut names: Vec<String> = self
            .per_environment
            .iter()
            .flat_map(|(e, values)| values.keys().map(move |n| format!("{e}:{n}")))
            .collect();
        names.extend(self.shared.keys().map(|n| format!("*:{n}")));
        f.debug_struct("InMemorySecretStore")
            .field("secrets", &names)
            .finish()
    }
}

/// A store that holds nothing: every lookup fails. Useful for definitions without secrets.
#[derive(Clone, Copy, Debug, Default)]
pub struct NoSecrets;

impl SecretStore for NoSecrets {
    fn get(&self, _environment: Environment, _name: &str) -> Option<SecretValue> {
        None
    }
}
