//! Rules for API integrations (`PA0xx`).

use super::text::{
    is_http_url, is_pchar, is_placeholder_name, is_snake, quote, to_snake, unknown_key,
};
use super::{Diagnostic, Location, diag};
use crate::integration::{ApiIntegrations, AuthType, Environment};

pub(crate) fn lint(file: &ApiIntegrations) -> Vec<Diagnostic> {
    let mut out = Vec::new();
    for key in file.extra.keys() {
        out.push(unknown_key("", key));
    }
    let mut names: Vec<&str> = Vec::new();
    for (i, integration) in file.api_integrations.iter().enumerate() {
        let at = format!("api_integrations[{i}]");
        let name = &integration.name;
        if !is_snake(name) {
            out.push(diag(
                "PA001",
                Location::field(format!("{at}.name")),
                format!(
                    "integration name {} must be snake_case (`^[a-z_][a-z0-9_]*$`: lower-case letters, digits and `_`, not starting with a digit), since it becomes `conv.api.<name>`; rename it, for example to `{}`",
                    quote(name),
                    to_snake(name)
                ),
            ));
        }
        if names.contains(&name.as_str()) {
            out.push(diag(
                "PA002",
                Location::field(format!("{at}.name")),
                format!(
                    "another integration is already called {}; `conv.api.{name}` can name only one, so rename one or merge their operations",
                    quote(name)
                ),
            ));
        } else {
            names.push(name);
        }
        for key in integration.extra.keys() {
            out.push(unknown_key(&at, key));
        }

        let envs = &integration.environments;
        for key in envs.extra.keys() {
            out.push(diag(
                "PA090",
                Location::field(format!("{at}.environments.{key}")),
                format!(
                    "`{key}` is not an environment: use `sandbox` (\"Draft and Sandbox\"), `pre-release` or `live`"
                ),
            ));
        }
        for env in Environment::ALL {
            let env_at = format!("{at}.environments.{env}");
            let Some(config) = envs.get(env) else {
                out.push(diag(
                    "PA011",
                    Location::field(format!("{at}.environments")),
                    format!(
                        "the `{env}` environment is not configured; the same agent code runs in every environment, so `conv.api.{name}` calls would have no base URL there: add `{env}: {{base_url: ..., auth_type: ...}}`"
                    ),
                ));
                continue;
            };
            for key in config.extra.keys() {
                out.push(unknown_key(&env_at, key));
            }
            let url = &config.base_url;
            if !url.is_empty() && !is_http_url(url) {
                out.push(diag(
                    "PA008",
                    Location::field(format!("{env_at}.base_url")),
                    format!(
                        "base URL {} must be empty or an http(s) URL without spaces (`^https?://\\S+$`), such as `https://api.example.com`",
                        quote(url)
                    ),
                ));
            }
            if url.is_empty() && config.auth_type != AuthType::None {
                out.push(diag(
                    "PA009",
                    Location::field(format!("{env_at}.base_url")),
                    format!(
                        "the base URL is empty but auth_type is `{}`; set the base URL, or set auth_type to `none`",
                        config.auth_type
                    ),
                ));
            }
        }

        if integration.operations.is_empty() {
            out.push(diag(
                "PA010",
                Location::field(format!("{at}.operations")),
                format!(
                    "integration {} has no operations; add at least one `{{name, method, resource}}`",
                    quote(name)
                ),
            ));
        }
        let mut seen: Vec<(&str, crate::Method)> = Vec::new();
        for (j, op) in integration.operations.iter().enumerate() {
            let op_at = format!("{at}.operations[{j}]");
            if !is_snake(&op.name) {
                out.push(diag(
                    "PA003",
                    Location::field(format!("{op_at}.name")),
                    format!(
                        "operation name {} must be snake_case (`^[a-z_][a-z0-9_]*$`), since it becomes `conv.api.{name}.<operation>`; rename it, for example to `{}`",
                        quote(&op.name),
                        to_snake(&op.name)
                    ),
                ));
            }
            if seen.contains(&(op.name.as_str(), op.method)) {
                out.push(diag(
                    "PA004",
                    Location::field(op_at.clone()),
                    format!(
                        "another operation is already `{} {}`; an operation is unique per (name, method): rename one or change its method",
                        op.method, op.name
                    ),
                ));
            } else {
                seen.push((&op.name, op.method));
            }
            for key in op.extra.keys() {
                out.push(unknown_key(&op_at, key));
            }
            resource(&op.resource, &format!("{op_at}.resource"), &mut out);
        }
    }
    out
}

/// Checks a resource path: characters, `%` escapes, placeholders, duplicates.
fn resource(path: &str, field: &str, out: &mut Vec<Diagnostic>) {
    let loc = || Location::field(field.to_owned());
    if path.is_empty() {
        out.push(diag(
            "PA005",
            loc(),
            "the resource path is empty; write the path under the base URL, such as `/orders/{order_id}`".to_owned(),
        ));
        return;
    }
    if !path.starts_with('/') {
        out.push(diag(
            "PA012",
            loc(),
            format!(
                "resource {} does not start with `/`; how PolyAI joins it to the base URL is undocumented, so write `/{path}`",
                quote(path)
            ),
        ));
    }
    let mut in_query = false;
    let mut names: Vec<&str> = Vec::new();
    let mut bad_chars: Vec<char> = Vec::new();
    let mut rest = path;
    while let Some(c) = rest.chars().next() {
        match c {
            '{' => match rest[1..].find('}') {
                Some(close) => {
                    let name = &rest[1..1 + close];
                    if !is_placeholder_name(name) {
                        out.push(diag(
                            "PA006",
                            loc(),
                            format!(
                                "placeholder `{{{name}}}` must be a name of letters, digits and `_` not starting with a digit (`{{[a-zA-Z_][a-zA-Z0-9_]*}}`), for example `{{{}}}`",
                                suggest_placeholder(name)
                            ),
                        ));
                    } else if names.contains(&name) {
                        out.push(diag(
                            "PA007",
                            loc(),
                            format!(
                                "placeholder `{{{name}}}` appears twice; filled by position, the two would take different arguments, filled by name the same: give each a distinct name"
                            ),
                        ));
                    } else {
                        names.push(name);
                    }
                    rest = &rest[close + 2..];
                    continue;
                }
                None => {
                    out.push(diag(
                        "PA006",
                        loc(),
                        "a `{` has no closing `}`; close the placeholder or remove the brace"
                            .to_owned(),
                    ));
                    return;
                }
            },
            '}' => {
                out.push(diag(
                    "PA006",
                    loc(),
                    "a `}` has no opening `{`; remove it, or percent-encode it as `%7D`".to_owned(),
                ));
            }
            '%' => {
                let hex = rest.get(1..3).unwrap_or("");
                if hex.len() != 2 || !hex.chars().all(|h| h.is_ascii_hexdigit()) {
                    out.push(diag(
                        "PA005",
                        loc(),
                        "a `%` must start an escape of two hex digits (`%20`); write `%25` for a literal `%`".to_owned(),
                    ));
                }
            }
            '?' if !in_query => in_query = true,
            '/' => {}
            '?' => {}
            c if is_pchar(c) => {}
            c => {
                if !bad_chars.contains(&c) {
                    bad_chars.push(c);
                }
            }
        }
        rest = &rest[c.len_utf8()..];
    }
    if !bad_chars.is_empty() {
        let list: Vec<String> = bad_chars.iter().map(|c| format!("{c:?}")).collect();
        out.push(diag(
            "PA005",
            loc(),
            format!(
                "resource {} has characters not allowed in a URL path or query ({}); percent-encode them (a space is `%20`)",
                quote(path),
                list.join(", ")
            ),
        ));
    }
}

fn suggest_placeholder(name: &str) -> String {
    let mut s: String = name
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() { c } else { '_' })
        .collect();
    if s.is_empty() || s.starts_with(|c: char| c.is_ascii_digit()) {
        s.insert(0, '_');
    }
    s
}
