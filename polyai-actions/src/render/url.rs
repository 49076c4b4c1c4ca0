//! URLs: joining a base URL and a path, filling resource placeholders, percent-encoding.

use serde_json::Value;

use super::RenderError;
use super::number::python_number;

/// RFC 3986 unreserved characters: the only bytes a path segment or query component keeps.
fn unreserved(b: u8) -> bool {
    b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~')
}

/// Appends `%XX` (upper-case hex) for `b`.
fn push_escape(b: u8, out: &mut String) {
    const HEX: &[u8; 16] = b"0123456789ABCDEF";
    out.push('%');
    out.push(HEX[usize::from(b >> 4)] as char);
    out.push(HEX[usize::from(b & 0xF)] as char);
}

/// Encodes `text` as exactly one path segment: every byte outside the unreserved set escaped.
pub(crate) fn encode_segment(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for &b in text.as_bytes() {
        if unreserved(b) {
            out.push(b as char);
        } else {
            push_escape(b, &mut out);
        }
    }
    out
}

/// Encodes a query key or value as `requests` does (`urllib.parse.quote_plus` with no safe
/// characters): unreserved bytes kept, a space as `+`, everything else escaped.
pub(crate) fn encode_form_component(text: &str, out: &mut String) {
    for &b in text.as_bytes() {
        if unreserved(b) {
            out.push(b as char);
        } else if b == b' ' {
            out.push('+');
        } else {
            push_escape(b, out);
        }
    }
}

/// `key=value&key=value`, form-encoded.
pub(crate) fn form_encode(pairs: &[(String, String)]) -> String {
    let mut out = String::new();
    for (i, (k, v)) in pairs.iter().enumerate() {
        if i > 0 {
            out.push('&');
        }
        encode_form_component(k, &mut out);
        out.push('=');
        encode_form_component(v, &mut out);
    }
    out
}

/// Escapes what cannot appear in a URL as written (spaces, non-ASCII, `"<>\^`{|}`, a `%` that
/// starts no escape), keeping every reserved character as it is; the same set `requests` keeps
/// when it re-quotes a URL.
pub(crate) fn requote(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = String::with_capacity(text.len());
    for (i, &b) in bytes.iter().enumerate() {
        let keep = unreserved(b)
            || matches!(
                b,
                b'!' | b'#'
                    | b'$'
                    | b'&'
                    | b'\''
                    | b'('
                    | b')'
                    | b'*'
                    | b'+'
                    | b','
                    | b'/'
                    | b':'
                    | b';'
                    | b'='
                    | b'?'
                    | b'@'
                    | b'['
                    | b']'
            );
        let escape_start = b == b'%'
            && bytes.get(i + 1).is_some_and(u8::is_ascii_hexdigit)
            && bytes.get(i + 2).is_some_and(u8::is_ascii_hexdigit);
        if keep || escape_start {
            out.push(b as char);
        } else {
            push_escape(b, &mut out);
        }
    }
    out
}

/// Checks that `base` is an absolute http(s) URL with a host and no query or fragment.
pub(crate) fn check_base_url(base: &str, what: &str) -> Result<(), RenderError> {
    let rest = base
        .strip_prefix("https://")
        .or_else(|| base.strip_prefix("http://"))
        .ok_or_else(|| RenderError::InvalidUrl {
            url: base.to_owned(),
            reason: format!("{what} must start with https:// or http://"),
        })?;
    let host_end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    if rest[..host_end].is_empty() {
        return Err(RenderError::InvalidUrl {
            url: base.to_owned(),
            reason: format!("{what} has no host"),
        });
    }
    if base.contains(['?', '#']) {
        return Err(RenderError::InvalidUrl {
            url: base.to_owned(),
            reason: format!(
                "{what} has a query or fragment; put query parameters in the path instead"
            ),
        });
    }
    Ok(())
}

/// Checks that an action's full static URL is an absolute http(s) URL with a host.
pub(crate) fn check_base_url_or_full(url: &str) -> Result<(), RenderError> {
    let path_start = url
        .find("://")
        .and_then(|i| url[i + 3..].find(['/', '?', '#']).map(|j| i + 3 + j))
        .unwrap_or(url.len());
    check_base_url(
        &url[..path_start],
        "the action's URL (it has no connection)",
    )
}

/// Joins a base URL and a path with exactly one `/` between them: the base URL's own path
/// prefix is kept, and so is the path's query string. An empty path is the base URL itself; a
/// path that is only a query (`?a=1`) is appended to the base URL as it is.
///
/// | base | path | joined |
/// |---|---|---|
/// | `https://h` | `orders` | `https://h/orders` |
/// | `https://h/` | `/orders` | `https://h/orders` |
/// | `https://h/api/v1/` | `/orders?x=1` | `https://h/api/v1/orders?x=1` |
pub(crate) fn join(base: &str, path: &str) -> String {
    if path.is_empty() {
        return base.to_owned();
    }
    if path.starts_with('?') {
        return format!("{base}{path}");
    }
    format!(
        "{}/{}",
        base.trim_end_matches('/'),
        path.trim_start_matches('/')
    )
}

/// Appends an encoded query string to `url`, after any query it already has, joined by `&`
/// exactly as `requests` joins them (so a query already ending in `&` gets a second one).
pub(crate) fn append_query(url: &mut String, query: &str) {
    if query.is_empty() {
        return;
    }
    match url.find('?') {
        None => url.push('?'),
        Some(i) if i + 1 == url.len() => {}
        Some(_) => url.push('&'),
    }
    url.push_str(query);
}

/// The text a path argument stands for: strings as they are, numbers and booleans the way
/// Python's `str()` writes them (`5`, `2.5`, `True`).
fn path_arg_text(placeholder: &str, value: &Value) -> Result<String, RenderError> {
    let text = match value {
        Value::String(s) => s.clone(),
        Value::Number(n) => python_number(n),
        Value::Bool(b) => if *b { "True" } else { "False" }.to_owned(),
        Value::Null | Value::Array(_) | Value::Object(_) => {
            return Err(RenderError::InvalidPathArgument {
                placeholder: placeholder.to_owned(),
                reason: format!(
                    "a path argument must be a string, number or boolean, not {}",
                    kind(value)
                ),
            });
        }
    };
    if text.is_empty() || text == "." || text == ".." {
        return Err(RenderError::InvalidPathArgument {
            placeholder: placeholder.to_owned(),
            reason: format!(
                "`{text}` would change the path's shape (an empty, `.` or `..` segment); \
                 pass the identifier the resource expects"
            ),
        });
    }
    Ok(encode_segment(&text))
}

pub(crate) fn kind(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

/// One piece of a resource path.
enum Piece<'a> {
    Text(&'a str),
    Placeholder(&'a str),
}

fn pieces(resource: &str) -> Result<Vec<Piece<'_>>, RenderError> {
    let mut out = Vec::new();
    let mut rest = resource;
    while !rest.is_empty() {
        match rest.find(['{', '}']) {
            None => {
                out.push(Piece::Text(rest));
                break;
            }
            Some(i) if rest.as_bytes()[i] == b'}' => {
                return Err(RenderError::InvalidResource {
                    resource: resource.to_owned(),
                    reason: "a `}` closes no placeholder".to_owned(),
                });
            }
            Some(i) => {
                if i > 0 {
                    out.push(Piece::Text(&rest[..i]));
                }
                let after = &rest[i + 1..];
                let close = after
                    .find('}')
                    .ok_or_else(|| RenderError::InvalidResource {
                        resource: resource.to_owned(),
                        reason: "a `{` is never closed".to_owned(),
                    })?;
                let name = &after[..close];
                let valid = name
                    .chars()
                    .next()
                    .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
                    && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
                if !valid {
                    return Err(RenderError::InvalidResource {
                        resource: resource.to_owned(),
                        reason: format!(
                            "`{{{name}}}` is not a placeholder: names are `[a-zA-Z_][a-zA-Z0-9_]*`"
                        ),
                    });
                }
                out.push(Piece::Placeholder(name));
                rest = &after[close + 1..];
            }
        }
    }
    Ok(out)
}

/// Fills the placeholders of `resource`: first the positional arguments, in the order the
/// names first appear, then the named ones. A name that appears twice takes the same value
/// both times. Static text is re-quoted ([`requote`]), each argument encoded as one segment.
pub(crate) fn fill_resource(
    resource: &str,
    positional: &[Value],
    named: &serde_json::Map<String, Value>,
) -> Result<String, RenderError> {
    let pieces = pieces(resource)?;
    let mut names: Vec<&str> = Vec::new();
    for p in &pieces {
        if let Piece::Placeholder(n) = p
            && !names.contains(n)
        {
            names.push(n);
        }
    }
    if positional.len() > names.len() {
        return Err(RenderError::ExtraPathArgument {
            argument: format!("positional argument {}", names.len() + 1),
            resource: resource.to_owned(),
            placeholders: names.iter().map(|s| (*s).to_owned()).collect(),
        });
    }
    for key in named.keys() {
        if !names.contains(&key.as_str()) {
            return Err(RenderError::ExtraPathArgument {
                argument: format!("`{key}`"),
                resource: resource.to_owned(),
                placeholders: names.iter().map(|s| (*s).to_owned()).collect(),
            });
        }
    }
    let mut values: Vec<String> = Vec::with_capacity(names.len());
    for (i, name) in names.iter().enumerate() {
        let by_name = named.get(*name);
        let value = match (positional.get(i), by_name) {
            (Some(_), Some(_)) => {
                return Err(RenderError::InvalidPathArgument {
                    placeholder: (*name).to_owned(),
                    reason: "given both positionally and by name; give it once".to_owned(),
                });
            }
            (Some(v), None) | (None, Some(v)) => v,
            (None, None) => {
                return Err(RenderError::MissingPathArgument {
                    placeholder: (*name).to_owned(),
                    resource: resource.to_owned(),
                });
            }
        };
        values.push(path_arg_text(name, value)?);
    }
    let mut out = String::with_capacity(resource.len() + 16);
    for p in &pieces {
        match p {
            Piece::Text(t) => out.push_str(&requote(t)),
            Piece::Placeholder(n) => {
                let i = names.iter().position(|x| x == n).unwrap_or(0);
                out.push_str(&values[i]);
            }
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn segments_and_form_components() {
        assert_eq!(encode_segment("a/b c?é~"), "a%2Fb%20c%3F%C3%A9~");
        let mut s = String::new();
        encode_form_component("ä+&= x", &mut s);
        assert_eq!(s, "%C3%A4%2B%26%3D+x");
        assert_eq!(requote("/a b/é/%41/%zz"), "/a%20b/%C3%A9/%41/%25zz");
    }
}
