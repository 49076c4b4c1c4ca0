//! Checks on caller input made before anything is sent.

use std::num::NonZeroU64;

use crate::Error;

/// Checks a value that becomes one path segment (an account, project, agent or conversation
/// id); see [`path_segment_problem`].
pub(crate) fn path_segment(name: &str, value: &str) -> Result<(), Error> {
    match path_segment_problem(value) {
        None => Ok(()),
        Some(problem) => Err(Error::InvalidInput(format!(
            "{name} {problem} (got {value:?}); nothing was sent (check the id passed in)"
        ))),
    }
}

/// What makes `value` unusable as one path segment, if anything. Percent-encoding (see
/// `transport::encode_path`) keeps `/`, `\`, `?`, `#` and `%` inside the segment, but no
/// encoding can keep `.` or `..` from being read as "this" or "parent" directory by URL
/// parsers, so those are refused, as are blank ids and control characters (a line break read
/// from a file, a NUL), which are never part of an id.
pub(crate) fn path_segment_problem(value: &str) -> Option<&'static str> {
    if value.trim().is_empty() {
        Some("is empty")
    } else if value == "." || value == ".." {
        Some("is not a valid id: `.` and `..` would change the request path")
    } else if value.chars().any(char::is_control) {
        Some("contains control characters (such as a line break or NUL)")
    } else {
        None
    }
}

/// Checks a page size against an endpoint's documented maximum and returns it as the
/// non-zero `limit` the generated builders take.
pub(crate) fn page_size(size: u32, max: u32) -> Result<NonZeroU64, Error> {
    NonZeroU64::new(u64::from(size))
        .filter(|_| size <= max)
        .ok_or_else(|| {
            Error::InvalidInput(format!("page size {size} is out of range: use 1 to {max}"))
        })
}

/// Checks the page size of an endpoint that documents no maximum: only 0 is refused, and the
/// size is sent as given.
pub(crate) fn page_size_unbounded(size: u32) -> Result<NonZeroU64, Error> {
    NonZeroU64::new(u64::from(size)).ok_or_else(|| {
        Error::InvalidInput("page size 0 is out of range: use 1 or more".to_string())
    })
}

/// Converts an offset to the signed integer the generated builders take.
pub(crate) fn offset(offset: u64) -> Result<i64, Error> {
    i64::try_from(offset).map_err(|_| Error::InvalidInput(format!("offset {offset} is too large")))
}

/// Checks an id that travels as text but must be a decimal integer (the audio cache's entry
/// ids: PolyAI answers anything else with 400).
pub(crate) fn numeric_id(name: &str, value: &str) -> Result<(), Error> {
    path_segment(name, value)?;
    if !value.bytes().all(|b| b.is_ascii_digit()) {
        return Err(Error::InvalidInput(format!(
            "{name} {value:?} is not numeric: audio cache entry ids are decimal integers"
        )));
    }
    Ok(())
}

/// Checks an upload's size against an endpoint's documented maximum; an empty upload is refused
/// too.
pub(crate) fn upload_size(what: &str, len: usize, max: usize, max_text: &str) -> Result<(), Error> {
    if len == 0 {
        return Err(Error::InvalidInput(format!("{what} is empty")));
    }
    if len > max {
        return Err(Error::InvalidInput(format!(
            "{what} is {len} bytes, over PolyAI's {max_text} limit ({max} bytes); nothing was sent"
        )));
    }
    Ok(())
}

/// A limit PolyAI documents on a JSON request body field that the generated types do not
/// enforce themselves (see `REQUEST_LIMITS` in the generated `mod.rs`, built from the
/// `minItems`/`maxItems`/`minimum`/`maximum` of the documents in `openapi/`).
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) enum Limit {
    /// An array holds between `min` and `max` elements (inclusive).
    Items {
        min: Option<usize>,
        max: Option<usize>,
    },
    /// A number lies between `min` and `max` (inclusive).
    Range { min: Option<f64>, max: Option<f64> },
}

impl Limit {
    /// The accepted values in words, e.g. "1 to 20 items" or "at least 0".
    fn describe(self) -> String {
        fn span<T: std::fmt::Display>(min: Option<T>, max: Option<T>) -> String {
            match (min, max) {
                (Some(min), Some(max)) => format!("{min} to {max}"),
                (Some(min), None) => format!("at least {min}"),
                (None, Some(max)) => format!("at most {max}"),
                (None, None) => "any value".to_string(),
            }
        }
        match self {
            Limit::Items { min, max } => {
                let last = max.or(min);
                let unit = if last == Some(1) { "item" } else { "items" };
                format!("{} {unit}", span(min, max))
            }
            Limit::Range { min, max } => span(min, max),
        }
    }

    /// Why `value` breaks the limit, or `None` when it keeps it (or is not of the kind the
    /// limit is about, which the body's types already rule out).
    fn broken_by(self, value: &serde_json::Value) -> Option<String> {
        match (self, value) {
            (Limit::Items { min, max }, serde_json::Value::Array(items)) => {
                let n = items.len();
                (min.is_some_and(|min| n < min) || max.is_some_and(|max| n > max))
                    .then(|| format!("has {n} item{}", if n == 1 { "" } else { "s" }))
            }
            (Limit::Range { min, max }, serde_json::Value::Number(number)) => {
                let x = number.as_f64()?;
                (min.is_some_and(|min| x < min) || max.is_some_and(|max| x > max))
                    .then(|| format!("is {number}"))
            }
            _ => None,
        }
    }
}

/// Checks a JSON request body against the documented limits of its operation (the
/// `REQUEST_LIMITS` table), before anything is sent. A body that is absent or not JSON is left
/// to the server: only what the generated code serialised is checked. The error names the
/// field, the value's size and what PolyAI accepts.
pub(crate) fn request_body(operation: &str, body: Option<&[u8]>) -> Result<(), String> {
    let mut limits = crate::generated::REQUEST_LIMITS
        .iter()
        .filter(|(id, _, _)| *id == operation)
        .peekable();
    if limits.peek().is_none() {
        return Ok(());
    }
    let Some(value) =
        body.and_then(|bytes| serde_json::from_slice::<serde_json::Value>(bytes).ok())
    else {
        return Ok(());
    };
    for (_, field, limit) in limits {
        let mut segments = field.split('.');
        if let Some(problem) = first_breach(&value, &mut segments, String::new(), *limit) {
            return Err(format!(
                "{operation}: {problem}; PolyAI accepts {}. Nothing was sent",
                limit.describe()
            ));
        }
    }
    Ok(())
}

/// Follows a `REQUEST_LIMITS` field path (`a.b`, `list[].c`) into `value` and returns the first
/// place that breaks `limit`, as "`path` has N items" / "`path` is X". Absent fields keep it.
fn first_breach<'a>(
    value: &serde_json::Value,
    segments: &mut (impl Iterator<Item = &'a str> + Clone),
    shown: String,
    limit: Limit,
) -> Option<String> {
    let Some(segment) = segments.next() else {
        return limit
            .broken_by(value)
            .map(|problem| format!("`{shown}` {problem}"));
    };
    let (name, each) = match segment.strip_suffix("[]") {
        Some(name) => (name, true),
        None => (segment, false),
    };
    let child = value.as_object()?.get(name)?;
    let shown = if shown.is_empty() {
        name.to_string()
    } else {
        format!("{shown}.{name}")
    };
    if !each {
        return first_breach(child, segments, shown, limit);
    }
    child
        .as_array()?
        .iter()
        .enumerate()
        .find_map(|(i, element)| {
            first_breach(
                element,
                &mut segments.clone(),
                format!("{shown}[{i}]"),
                limit,
            )
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_request_limit_names_a_generated_operation() {
        for (operation, field, _) in crate::generated::REQUEST_LIMITS {
            assert!(
                crate::transport::Operation::find(operation).is_some(),
                "{operation} ({field}) is not a generated operation"
            );
        }
    }

    #[test]
    fn limits_follow_nested_paths_and_skip_absent_fields() {
        let limit = Limit::Items {
            min: Some(1),
            max: Some(2),
        };
        let body = serde_json::json!({"a": [{"b": []}, {"b": [1, 2, 3]}, {}]});
        let breach = |path: &str| first_breach(&body, &mut path.split('.'), String::new(), limit);
        assert_eq!(breach("a[].b").as_deref(), Some("`a[0].b` has 0 items"));
        assert_eq!(breach("a").as_deref(), Some("`a` has 3 items"));
        let ok = serde_json::json!({"a": [{"b": [1]}, {"b": [1, 2]}]});
        assert_eq!(
            first_breach(&ok, &mut "a[].b".split('.'), String::new(), limit),
            None
        );
        assert_eq!(limit.describe(), "1 to 2 items");
        assert_eq!(breach("missing"), None);
        assert_eq!(breach("a[].missing"), None);
    }
}
