//! Checks on caller input made before anything is sent.

use crate::Error;

/// Checks a value that becomes one path segment (an account, project, agent or conversation
/// id). Percent-encoding keeps `/`, `?`, `#` and `%` inside the segment, but no encoding can
/// keep `.` or `..` from being read as "this" or "parent" directory by URL parsers, so those
/// are refused, as are empty ids and control characters.
pub(crate) fn path_segment(name: &str, value: &str) -> Result<(), Error> {
    if value.trim().is_empty() {
        return Err(Error::InvalidInput(format!("{name} is empty")));
    }
    if value == "." || value == ".." {
        return Err(Error::InvalidInput(format!(
            "{name} {value:?} is not a valid id"
        )));
    }
    if value.chars().any(char::is_control) {
        return Err(Error::InvalidInput(format!(
            "{name} {value:?} contains control characters"
        )));
    }
    Ok(())
}

/// Checks a page size against an endpoint's documented maximum.
pub(crate) fn page_size(size: u32, max: u32) -> Result<(), Error> {
    if size == 0 || size > max {
        return Err(Error::InvalidInput(format!(
            "page size {size} is out of range: use 1 to {max}"
        )));
    }
    Ok(())
}
