//! Rules for API-call actions (`PA1xx`).

use super::text::{is_http_url, is_token, quote, unknown_key};
use super::{Diagnostic, Location, diag, schema, template};
use crate::action::{ApiAction, ApiKeyLocation, AuthConnector, Header, HeaderValue};

/// Names the common LLM APIs accept for a tool.
const MAX_NAME: usize = 64;

pub(crate) fn lint(action: &ApiAction) -> Vec<Diagnostic> {
    let mut out = Vec::new();
    name(&action.name, &mut out);
    if action.description.trim().is_empty() {
        out.push(diag(
            "PA103",
            Location::field("description"),
            "the description is empty; the model decides when to call an action from its name and description, so say what it does and when to use it".to_owned(),
        ));
    }
    for key in action.extra.keys() {
        out.push(unknown_key("", key));
    }
    url(action, &mut out);

    let mut header_names: Vec<String> = Vec::new();
    if let Some(conn) = &action.connection {
        if !is_http_url(&conn.base_url) {
            out.push(diag(
                "PA106",
                Location::field("connection.base_url"),
                format!(
                    "the connection's base URL {} must be an http(s) URL without spaces (`^https?://\\S+$`), such as `https://api.example.com`",
                    quote(&conn.base_url)
                ),
            ));
        }
        for key in conn.extra.keys() {
            out.push(unknown_key("connection", key));
        }
        headers(
            &conn.headers,
            "connection.headers",
            &mut header_names,
            &mut out,
        );
        if let Some(auth) = &conn.auth {
            auth_connector(auth, "connection.auth", &mut out);
        }
    }
    headers(&action.headers, "headers", &mut header_names, &mut out);
    if let Some(auth) = &action.auth {
        auth_connector(auth, "auth", &mut out);
        if action.connection.as_ref().is_some_and(|c| c.auth.is_some()) {
            out.push(diag(
                "PA112",
                Location::field("auth"),
                "both the connection and the action have an auth connector; which one PolyAI applies is undocumented: keep one (this crate applies the action's)".to_owned(),
            ));
        }
    }
    if action.method.sends_query() && action.body_template.is_some() {
        out.push(diag(
            "PA114",
            Location::field("body_template"),
            format!(
                "{} sends its parameters as query parameters and no body, so the body template is never used; remove it, or use POST, PUT or PATCH",
                action.method
            ),
        ));
    }
    schema::lint(&action.parameters, action.method, &mut out);
    template::lint(action, &mut out);
    outputs(action, &mut out);
    out
}

fn name(name: &str, out: &mut Vec<Diagnostic>) {
    let ok_chars = name
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-');
    if name.is_empty() || !ok_chars {
        let suggestion: String = name
            .chars()
            .map(|c| {
                if c.is_ascii_alphanumeric() || c == '-' {
                    c
                } else {
                    '_'
                }
            })
            .collect();
        let hint = if suggestion.is_empty() {
            "such as `lookup_order`".to_owned()
        } else {
            format!("for example `{suggestion}`")
        };
        out.push(diag(
            "PA101",
            Location::field("name"),
            format!(
                "action name {} may hold only letters, digits, `_` and `-`; rename it, {hint}",
                quote(name)
            ),
        ));
    }
    let len = name.chars().count();
    if len > MAX_NAME {
        out.push(diag(
            "PA102",
            Location::field("name"),
            format!(
                "action name is {len} characters long; LLM tool names are limited to {MAX_NAME}: shorten it"
            ),
        ));
    }
}

fn url(action: &ApiAction, out: &mut Vec<Diagnostic>) {
    let u = &action.url;
    if u.contains('{') || u.contains('}') {
        out.push(diag(
            "PA105",
            Location::field("url"),
            format!(
                "the URL {} has a placeholder, but an action's URL is static; pass the value as a parameter ({} sends parameters {})",
                quote(u),
                action.method,
                if action.method.sends_query() {
                    "in the query"
                } else {
                    "in the body"
                }
            ),
        ));
    }
    let absolute = u.starts_with("http://") || u.starts_with("https://") || u.contains("://");
    match &action.connection {
        None if !is_http_url(u) => out.push(diag(
            "PA104",
            Location::field("url"),
            format!(
                "without an API connection the URL must be a full http(s) URL without spaces, such as `https://api.example.com/orders`; {} is not (or add a `connection` with a base URL)",
                quote(u)
            ),
        )),
        Some(_) if absolute => out.push(diag(
            "PA104",
            Location::field("url"),
            format!(
                "with an API connection the URL holds only the path appended to the connection's base URL; {} is a full URL: keep only its path (such as `/orders`)",
                quote(u)
            ),
        )),
        Some(_) if u.chars().any(|c| c.is_whitespace() || c.is_control()) => out.push(diag(
            "PA104",
            Location::field("url"),
            format!(
                "the path {} has spaces or control characters; percent-encode them (a space is `%20`)",
                quote(u)
            ),
        )),
        _ => {}
    }
}

const CREDENTIAL_HEADERS: [&str; 6] = [
    "authorization",
    "proxy-authorization",
    "x-api-key",
    "api-key",
    "x-auth-token",
    "cookie",
];

fn headers(list: &[Header], at: &str, seen: &mut Vec<String>, out: &mut Vec<Diagnostic>) {
    for (i, h) in list.iter().enumerate() {
        let field = format!("{at}[{i}]");
        if !is_token(&h.name) {
            out.push(diag(
                "PA107",
                Location::field(format!("{field}.name")),
                format!(
                    "header name {} is not a valid HTTP header name (letters, digits and `!#$%&'*+-.^_`|~`, no spaces or colons); fix it, such as `X-Api-Version`",
                    quote(&h.name)
                ),
            ));
        }
        let lower = h.name.to_ascii_lowercase();
        match &h.value {
            HeaderValue::Secret(s) if s.name().trim().is_empty() => out.push(diag(
                "PA108",
                Location::field(format!("{field}.value")),
                "the secret reference has an empty name; write `{secret: NAME}` with the secret's name".to_owned(),
            )),
            HeaderValue::Static(v) => {
                if v.chars().any(|c| c.is_control() && c != '\t') {
                    out.push(diag(
                        "PA109",
                        Location::field(format!("{field}.value")),
                        "the header value has a line break or control character, which HTTP forbids; remove it".to_owned(),
                    ));
                }
                if CREDENTIAL_HEADERS.contains(&lower.as_str()) || lower.contains("token") || lower.contains("secret") {
                    out.push(diag(
                        "PA110",
                        Location::field(format!("{field}.value")),
                        format!(
                            "`{}` looks like a credential but has a static value, which is stored in the definition and shown in logs; use `{{secret: NAME}}` or an auth connector",
                            h.name
                        ),
                    ));
                }
            }
            HeaderValue::Secret(_) => {}
        }
        if seen.contains(&lower) {
            out.push(diag(
                "PA111",
                Location::field(format!("{field}.name")),
                format!(
                    "header `{}` is already set (header names ignore case); how PolyAI merges the two is undocumented: keep one",
                    h.name
                ),
            ));
        } else {
            seen.push(lower);
        }
    }
}

fn auth_connector(auth: &AuthConnector, at: &str, out: &mut Vec<Diagnostic>) {
    let secret_field = match auth {
        AuthConnector::Bearer { .. } => "token",
        AuthConnector::ApiKey { .. } => "key",
        AuthConnector::Basic { .. } => "password",
        AuthConnector::OAuth2ClientCredentials { .. } => "client_secret",
    };
    for s in auth.secrets() {
        if s.name().trim().is_empty() {
            out.push(diag(
                "PA108",
                Location::field(format!("{at}.{secret_field}")),
                "the secret reference has an empty name; write `{secret: NAME}` with the secret's name".to_owned(),
            ));
        }
    }
    let mut missing = |field: &str, what: &str| {
        out.push(diag(
            "PA113",
            Location::field(format!("{at}.{field}")),
            format!("the {} auth connector needs {what}", auth.type_name()),
        ));
    };
    match auth {
        AuthConnector::ApiKey { location, .. } => {
            let kind = match location {
                ApiKeyLocation::Header { .. } => "header",
                ApiKeyLocation::Query { .. } => "query parameter",
                ApiKeyLocation::Cookie { .. } => "cookie",
            };
            if location.name().trim().is_empty() {
                missing(
                    "location.name",
                    &format!("the {kind} name the key is sent in, such as `X-API-Key`"),
                );
            } else if matches!(location, ApiKeyLocation::Header { .. })
                && !is_token(location.name())
            {
                missing(
                    "location.name",
                    &format!("a valid header name, not {}", quote(location.name())),
                );
            }
        }
        AuthConnector::Basic { username, .. } if username.is_empty() => {
            missing("username", "a username");
        }
        AuthConnector::OAuth2ClientCredentials {
            token_url,
            client_id,
            ..
        } => {
            if !is_http_url(token_url) {
                missing(
                    "token_url",
                    &format!("an http(s) token URL, not {}", quote(token_url)),
                );
            }
            if client_id.is_empty() {
                missing("client_id", "a client id");
            }
        }
        _ => {}
    }
}

/// `^[a-z0-9_.]+$`.
fn is_variable_name(name: &str) -> bool {
    !name.is_empty()
        && name
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_' || c == '.')
}

fn outputs(action: &ApiAction, out: &mut Vec<Diagnostic>) {
    let mut seen: Vec<&str> = Vec::new();
    for (i, v) in action.output_variables.iter().enumerate() {
        let at = format!("output_variables[{i}]");
        if !is_variable_name(&v.name) {
            let suggestion: String = v
                .name
                .chars()
                .map(|c| {
                    let c = c.to_ascii_lowercase();
                    if c.is_ascii_lowercase() || c.is_ascii_digit() || c == '.' {
                        c
                    } else {
                        '_'
                    }
                })
                .collect();
            out.push(diag(
                "PA130",
                Location::field(format!("{at}.name")),
                format!(
                    "output variable name {} may hold only lower-case letters, digits, `_` and `.` (`^[a-z0-9_.]+$`); rename it{}",
                    quote(&v.name),
                    if suggestion.is_empty() {
                        String::new()
                    } else {
                        format!(", for example to `{suggestion}`")
                    }
                ),
            ));
        }
        if seen.contains(&v.name.as_str()) {
            out.push(diag(
                "PA131",
                Location::field(format!("{at}.name")),
                format!(
                    "another output variable is already called {}; later actions read `.variables.{}` and would see only one: rename one",
                    quote(&v.name),
                    v.name
                ),
            ));
        } else {
            seen.push(&v.name);
        }
        let path_field = Location::field(format!("{at}.path"));
        if !v.path.starts_with('$') {
            out.push(diag(
                "PA132",
                path_field,
                format!(
                    "the JSONPath {} must start with `$` (the response root), such as `$.{}`",
                    quote(&v.path),
                    v.path.trim_start_matches('.')
                ),
            ));
        } else if let Err(e) = serde_json_path::JsonPath::parse(&v.path) {
            out.push(diag(
                "PA133",
                path_field,
                format!(
                    "the JSONPath {} is not valid RFC 9535 JSONPath (at character {}: {}); fix it, such as `$.data.items[0].id`",
                    quote(&v.path),
                    e.position(),
                    e.message()
                ),
            ));
        }
    }
}
