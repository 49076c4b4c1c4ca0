//! Errors from loading and saving definition files.

use std::path::PathBuf;

/// The format a definition is read from or written to.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Format {
    /// YAML (the ADK's own format).
    Yaml,
    /// JSON.
    Json,
}

impl Format {
    /// The format a file's extension suggests: `.json` is JSON, anything else YAML (which also
    /// reads JSON, being a superset of it).
    pub fn from_path(path: &std::path::Path) -> Format {
        match path.extension().and_then(|e| e.to_str()) {
            Some(ext) if ext.eq_ignore_ascii_case("json") => Format::Json,
            _ => Format::Yaml,
        }
    }
}

impl std::fmt::Display for Format {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Format::Yaml => "YAML",
            Format::Json => "JSON",
        })
    }
}

/// A definition file that could not be read, parsed or written.
///
/// Parse errors carry the 1-based line and column where the parser noticed the problem, when
/// the parser knows it.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum DefinitionError {
    /// The text is not a valid definition (bad syntax, a missing field, a value of the wrong
    /// kind, an unknown method ...).
    #[error("{}invalid {format} definition: {message}", location_prefix(*.line, *.column))]
    Parse {
        /// The format being read.
        format: Format,
        /// What is wrong, in the parser's words.
        message: String,
        /// 1-based line, when known.
        line: Option<u32>,
        /// 1-based column, when known.
        column: Option<u32>,
    },
    /// The definition could not be written out.
    #[error("could not write the definition as {format}: {message}")]
    Serialize {
        /// The format being written.
        format: Format,
        /// What went wrong.
        message: String,
    },
    /// The file could not be read or written.
    #[error("{}: {source}", .path.display())]
    Io {
        /// The file.
        path: PathBuf,
        /// The operating system's error.
        #[source]
        source: std::io::Error,
    },
    /// A file's definition is invalid; the inner error says where in the file.
    #[error("{}:{inner}", .path.display())]
    File {
        /// The file.
        path: PathBuf,
        /// The parse error.
        #[source]
        inner: Box<DefinitionError>,
    },
}

fn location_prefix(line: Option<u32>, column: Option<u32>) -> String {
    match (line, column) {
        (Some(l), Some(c)) => format!("{l}:{c}: "),
        (Some(l), None) => format!("{l}: "),
        _ => String::new(),
    }
}

impl DefinitionError {
    /// The 1-based line and column of a parse error, when known.
    pub fn line_column(&self) -> Option<(u32, u32)> {
        match self {
            DefinitionError::Parse {
                line: Some(l),
                column: Some(c),
                ..
            } => Some((*l, *c)),
            DefinitionError::File { inner, .. } => inner.line_column(),
            _ => None,
        }
    }
}

fn to_u32(n: usize) -> u32 {
    u32::try_from(n).unwrap_or(u32::MAX)
}

pub(crate) fn from_yaml<T: serde::de::DeserializeOwned>(text: &str) -> Result<T, DefinitionError> {
    serde_yaml::from_str(text).map_err(|e| {
        let loc = e.location();
        DefinitionError::Parse {
            format: Format::Yaml,
            // serde_yaml appends " at line L column C"; the position is reported separately.
            message: strip_position(&e.to_string()),
            line: loc.as_ref().map(|l| to_u32(l.line())),
            column: loc.as_ref().map(|l| to_u32(l.column())),
        }
    })
}

pub(crate) fn from_json<T: serde::de::DeserializeOwned>(text: &str) -> Result<T, DefinitionError> {
    serde_json::from_str(text).map_err(|e| {
        let known = e.line() > 0;
        DefinitionError::Parse {
            format: Format::Json,
            message: strip_position(&e.to_string()),
            line: known.then(|| to_u32(e.line())),
            column: known.then(|| to_u32(e.column())),
        }
    })
}

pub(crate) fn to_yaml<T: serde::Serialize>(value: &T) -> Result<String, DefinitionError> {
    serde_yaml::to_string(value).map_err(|e| DefinitionError::Serialize {
        format: Format::Yaml,
        message: e.to_string(),
    })
}

pub(crate) fn to_json<T: serde::Serialize>(value: &T) -> Result<String, DefinitionError> {
    serde_json::to_string_pretty(value)
        .map(|mut s| {
            s.push('\n');
            s
        })
        .map_err(|e| DefinitionError::Serialize {
            format: Format::Json,
            message: e.to_string(),
        })
}

pub(crate) fn from_path<T: serde::de::DeserializeOwned>(
    path: &std::path::Path,
) -> Result<T, DefinitionError> {
    let text = std::fs::read_to_string(path).map_err(|source| DefinitionError::Io {
        path: path.to_owned(),
        source,
    })?;
    let parsed = match Format::from_path(path) {
        Format::Json => from_json(&text),
        Format::Yaml => from_yaml(&text),
    };
    parsed.map_err(|inner| DefinitionError::File {
        path: path.to_owned(),
        inner: Box::new(inner),
    })
}

pub(crate) fn to_path<T: serde::Serialize>(
    value: &T,
    path: &std::path::Path,
) -> Result<(), DefinitionError> {
    let text = match Format::from_path(path) {
        Format::Json => to_json(value)?,
        Format::Yaml => to_yaml(value)?,
    };
    std::fs::write(path, text).map_err(|source| DefinitionError::Io {
        path: path.to_owned(),
        source,
    })
}

/// Drops a trailing " at line L column C" (both parsers add one) from a message.
fn strip_position(message: &str) -> String {
    match message.rfind(" at line ") {
        Some(i) if message[i + 9..].contains(" column ") => message[..i].to_owned(),
        _ => message.to_owned(),
    }
}
