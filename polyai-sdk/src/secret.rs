//! [`Secret`]: text that must not be printed, such as a webhook signing secret returned by
//! PolyAI. Generated types use it wherever a document names the `SigningSecret` schema.

use std::fmt;

/// A secret string. `Debug` and `Display` print `<redacted>`; read the value with
/// [`Secret::expose`] where it is really needed (for example to build a
/// [`Verifier`](crate::webhooks::Verifier)). Serialises as the plain string.
#[derive(Clone, PartialEq, Eq, Default, serde::Serialize, serde::Deserialize)]
#[serde(transparent)]
pub struct Secret(String);

impl Secret {
    /// Wraps a value.
    pub fn new(value: impl Into<String>) -> Secret {
        Secret(value.into())
    }

    /// The secret itself. Take care where it goes.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("<redacted>")
    }
}

impl fmt::Display for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("<redacted>")
    }
}

impl From<String> for Secret {
    fn from(value: String) -> Secret {
        Secret(value)
    }
}

impl From<&str> for Secret {
    fn from(value: &str) -> Secret {
        Secret(value.to_string())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Whatever holds a `Secret` and derives `Debug` (the client builder does) prints it
    /// redacted, in every format; only `expose` and serialisation give the value.
    #[test]
    fn debug_and_display_redact_in_every_format() {
        #[derive(Debug)]
        #[allow(dead_code)]
        struct Holder {
            secret: Secret,
            maybe: Option<Secret>,
        }
        let holder = Holder {
            secret: Secret::new("s3cr3t-value"),
            maybe: Some("other-s3cr3t".into()),
        };
        for shown in [
            format!("{holder:?}"),
            format!("{holder:#?}"),
            format!("{}", holder.secret),
            format!("{:>40}", holder.secret),
        ] {
            assert!(!shown.contains("s3cr3t"), "{shown}");
            assert!(shown.contains("<redacted>"), "{shown}");
        }
        assert_eq!(holder.secret.expose(), "s3cr3t-value");
        assert_eq!(
            serde_json::to_string(&holder.secret).unwrap(),
            "\"s3cr3t-value\""
        );
    }
}
