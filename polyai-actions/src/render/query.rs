//! Query parameters (and form bodies) from JSON values.

use serde_json::{Map, Value};

use super::RenderError;
use super::number::{JsonStyle, python_number, write_json};
use super::url::kind;

/// How a non-string value becomes query text (GET/DELETE action parameters, an integration
/// call's `params`, and a `data` form body).
///
/// PolyAI documents neither for actions. Integrations run on Python `requests`, whose rules are
/// the default. In every mode a `null` parameter is left out (as `requests` drops `None`), and
/// keys and values are form-encoded as `requests` does (`quote_plus`: unreserved characters
/// kept, a space as `+`, everything else `%XX` of its UTF-8 bytes).
///
/// | value | `Requests` (default) | `Json` |
/// |---|---|---|
/// | `"a b"` | `k=a+b` | `k=a+b` |
/// | `true` | `k=True` | `k=true` |
/// | `1000000` | `k=1000000` | `k=1000000` |
/// | `1e6` (a float) | `k=1000000.0` | `k=1000000` |
/// | `1e16` (a float) | `k=1e%2B16` | `k=10000000000000000` |
/// | `null` | left out | left out |
/// | `[1, "x", null]` | `k=1&k=x` (repeated key; `null` items dropped) | `k=%5B1%2C%22x%22%2Cnull%5D` |
/// | `[[1]]`, `[{}]`, `{"a": 1}` | refused ([`RenderError::QueryValue`]) | JSON text, like the array |
///
/// `Requests` refuses nested values because `requests` itself would send only an object's
/// keys (`{"a": 1}` becomes `k=a`) and would flatten nested lists: rarely what was meant, so
/// it is an error that says so rather than a silent surprise. `Json` writes each non-string
/// value as Go's `json.Marshal` text (see [`JsonStyle::GoMarshal`]).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum QueryEncoding {
    /// Python `requests`' rules (`True`, `1000000.0`, repeated keys for lists).
    #[default]
    Requests,
    /// Every non-string value as compact JSON text.
    Json,
}

/// Python's `str()` of a scalar, as `urlencode` applies it.
fn requests_scalar(value: &Value) -> Option<String> {
    match value {
        Value::String(s) => Some(s.clone()),
        Value::Bool(b) => Some(if *b { "True" } else { "False" }.to_owned()),
        Value::Number(n) => Some(python_number(n)),
        _ => None,
    }
}

/// The `(key, value)` pairs of `params`, in the map's order.
///
/// `what` names the argument in errors (`parameters`, `params`, `data`).
pub(crate) fn pairs(
    params: &Map<String, Value>,
    encoding: QueryEncoding,
    what: &str,
) -> Result<Vec<(String, String)>, RenderError> {
    let mut out = Vec::with_capacity(params.len());
    for (key, value) in params {
        match (encoding, value) {
            (_, Value::Null) => {}
            (_, Value::String(s)) => out.push((key.clone(), s.clone())),
            (QueryEncoding::Json, v) => {
                out.push((key.clone(), write_json(v, JsonStyle::GoMarshal)))
            }
            (QueryEncoding::Requests, Value::Array(items)) => {
                for item in items {
                    if item.is_null() {
                        continue;
                    }
                    let text = requests_scalar(item).ok_or_else(|| RenderError::QueryValue {
                        name: key.clone(),
                        reason: format!(
                            "an item of `{what}.{key}` is {}; `requests` would flatten or \
                             mangle it: send scalars only, encode it yourself as a string, or \
                             use QueryEncoding::Json",
                            kind(item)
                        ),
                    })?;
                    out.push((key.clone(), text));
                }
            }
            (QueryEncoding::Requests, Value::Object(_)) => {
                return Err(RenderError::QueryValue {
                    name: key.clone(),
                    reason: format!(
                        "`{what}.{key}` is an object; `requests` would send only its keys \
                         (`{key}=a&{key}=b`): flatten it into separate parameters, encode it \
                         yourself as a string, or use QueryEncoding::Json"
                    ),
                });
            }
            (QueryEncoding::Requests, v) => {
                if let Some(text) = requests_scalar(v) {
                    out.push((key.clone(), text));
                }
            }
        }
    }
    Ok(out)
}

/// The parameters as an object: `null` counts as none.
pub(crate) fn as_object<'a>(
    value: &'a Value,
    what: &str,
    empty: &'a Map<String, Value>,
) -> Result<&'a Map<String, Value>, RenderError> {
    match value {
        Value::Object(m) => Ok(m),
        Value::Null => Ok(empty),
        other => Err(RenderError::QueryValue {
            name: what.to_owned(),
            reason: format!(
                "`{what}` must be an object of name/value pairs, not {}",
                kind(other)
            ),
        }),
    }
}
