//! Auth connectors applied to a request, as far as they need no network.

use crate::action::{ApiKeyLocation, AuthConnector};
use crate::integration::Environment;
use crate::secret::SecretRef;
use crate::secrets::{SecretStore, SecretValue};

use super::request::Draft;
use super::url::encode_form_component;
use super::{OAuth2Handling, RenderError};

/// Looks a secret up, or fails naming it and the environment.
pub(crate) fn resolve(
    store: &dyn SecretStore,
    environment: Environment,
    secret: &SecretRef,
) -> Result<SecretValue, RenderError> {
    match store.get(environment, secret.name()) {
        Some(value) => Ok(value),
        None => Err(missing_secret(secret, environment)),
    }
}

/// The error for a secret the store does not hold (out of the rendering path's code).
#[cold]
#[inline(never)]
fn missing_secret(secret: &SecretRef, environment: Environment) -> RenderError {
    RenderError::MissingSecret {
        name: secret.name().to_owned(),
        environment,
    }
}

/// Standard base64 (RFC 4648, with `=` padding), as HTTP Basic uses it.
pub(crate) fn base64(input: &[u8]) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::with_capacity(input.len().div_ceil(3) * 4);
    for chunk in input.chunks(3) {
        let b = [
            chunk[0],
            chunk.get(1).copied().unwrap_or(0),
            chunk.get(2).copied().unwrap_or(0),
        ];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(ALPHABET[((n >> (18 - 6 * i)) & 63) as usize] as char);
            } else {
                out.push('=');
            }
        }
    }
    out
}

/// What is sent in place of an OAuth 2.0 token with [`OAuth2Handling::Placeholder`].
pub(crate) fn oauth2_placeholder(token_url: Option<&str>) -> String {
    match token_url {
        Some(url) => format!("<oauth2 token from {url}>"),
        None => "<oauth2 token>".to_owned(),
    }
}

/// The printed form of a Bearer connector's header (`Authorization: Bearer <secret:NAME>`),
/// built once per prepared action and shared by every request it renders.
#[derive(Clone, Debug)]
pub(crate) struct PrintedBearer {
    secret: String,
    name: std::sync::Arc<str>,
    masked: std::sync::Arc<str>,
}

impl PrintedBearer {
    /// For a Bearer connector; `None` for any other.
    pub(crate) fn new(connector: &AuthConnector) -> Option<PrintedBearer> {
        match connector {
            AuthConnector::Bearer { token } => Some(PrintedBearer {
                secret: token.name().to_owned(),
                name: "Authorization".into(),
                masked: crate::secrets::masked_after("Bearer ", token.name()).into(),
            }),
            _ => None,
        }
    }
}

/// Applies `connector` to `draft`, resolving its secret for `environment`; `bearer` is the
/// connector's printed form when it was built beforehand.
pub(crate) fn apply(
    connector: &AuthConnector,
    draft: &mut Draft,
    store: &dyn SecretStore,
    environment: Environment,
    oauth2: OAuth2Handling,
    bearer: Option<&PrintedBearer>,
) -> Result<(), RenderError> {
    match connector {
        AuthConnector::Bearer { token } => {
            let value = resolve(store, environment, token)?;
            let real = crate::concat(&["Bearer ", value.expose()]);
            match bearer {
                // (A store may name the value it returns otherwise: then print that name.)
                Some(printed) if printed.secret == value.name() => draft.set_secret_header(
                    printed.name.clone(),
                    http::header::AUTHORIZATION,
                    real,
                    printed.masked.clone(),
                ),
                _ => draft.set_header("Authorization", real, Some(value.masked_after("Bearer "))),
            }
            draft.note_secret(value.name());
        }
        AuthConnector::ApiKey { location, key } => {
            let value = resolve(store, environment, key)?;
            match location {
                ApiKeyLocation::Header { name } => {
                    draft.set_header(name, value.expose().to_owned(), Some(value.masked()));
                }
                ApiKeyLocation::Query { name } => {
                    let mut real = String::new();
                    encode_form_component(name, &mut real);
                    let mut masked = real.clone();
                    real.push('=');
                    encode_form_component(value.expose(), &mut real);
                    masked.push('=');
                    masked.push_str(&value.masked());
                    draft.add_query(&real, &masked);
                }
                ApiKeyLocation::Cookie { name } => {
                    draft.add_cookie(
                        format!("{name}={}", value.expose()),
                        format!("{name}={}", value.masked()),
                    );
                }
            }
            draft.note_secret(value.name());
        }
        AuthConnector::Basic { username, password } => {
            let value = resolve(store, environment, password)?;
            let credentials = format!("{username}:{}", value.expose());
            draft.set_header(
                "Authorization",
                format!("Basic {}", base64(credentials.as_bytes())),
                Some(format!("Basic base64({username}:{})", value.masked())),
            );
            draft.note_secret(value.name());
        }
        AuthConnector::OAuth2ClientCredentials {
            token_url,
            client_secret,
            auth_header_name,
            token_prefix,
            ..
        } => match oauth2 {
            OAuth2Handling::Refuse => {
                return Err(RenderError::NeedsNetwork {
                    auth: "oauth2_client_credentials".to_owned(),
                    detail: format!(
                        "the token comes from {token_url} at request time; render with \
                         OAuth2Handling::Placeholder to see the request with a marked \
                         placeholder token"
                    ),
                });
            }
            OAuth2Handling::Placeholder => {
                // The client secret must still exist for this environment: the real request
                // could not be made without it.
                resolve(store, environment, client_secret)?;
                let header = auth_header_name.as_deref().unwrap_or("Authorization");
                let prefix = token_prefix.as_deref().unwrap_or("Bearer");
                let placeholder = oauth2_placeholder(Some(token_url));
                let value = if prefix.is_empty() {
                    placeholder
                } else {
                    format!("{prefix} {placeholder}")
                };
                draft.set_header(header, value, None);
                draft.warnings.push(format!(
                    "`{header}` holds a placeholder, not a token: the real request carries an \
                     OAuth 2.0 access token fetched from {token_url}"
                ));
            }
        },
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::base64;

    #[test]
    fn base64_rfc4648_vectors() {
        let cases = [
            ("", ""),
            ("f", "Zg=="),
            ("fo", "Zm8="),
            ("foo", "Zm9v"),
            ("foob", "Zm9vYg=="),
            ("fooba", "Zm9vYmE="),
            ("foobar", "Zm9vYmFy"),
            ("Aladdin:open sesame", "QWxhZGRpbjpvcGVuIHNlc2FtZQ=="),
        ];
        for (input, want) in cases {
            assert_eq!(base64(input.as_bytes()), want);
        }
    }
}
