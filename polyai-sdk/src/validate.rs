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
