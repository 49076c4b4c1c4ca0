//! Where a field of a YAML (or JSON) file is: `scenarios[2].turns[0].expect.regex` to a line
//! and column, for diagnostics printed like a compiler's (`FILE:LINE:COLUMN: ...`).
//!
//! serde_yaml keeps no positions in its values, but it attaches the position of the node being
//! read to any error a visitor raises. [`locate`] walks the document along the path and raises
//! an error on purpose at the target node; the error's location is the node's.

use std::fmt;

use serde::de::{self, DeserializeSeed, IgnoredAny, MapAccess, SeqAccess, Visitor};

/// A 1-based line and column in a file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Position {
    /// The 1-based line.
    pub line: usize,
    /// The 1-based column.
    pub column: usize,
}

impl fmt::Display for Position {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}", self.line, self.column)
    }
}

/// One step of a field path.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Step {
    Key(String),
    Index(usize),
}

/// Splits `a.b[2].c` into its steps; a malformed path gives the steps read so far.
fn steps(path: &str) -> Vec<Step> {
    let mut out = Vec::new();
    for part in path.split('.').filter(|p| !p.is_empty()) {
        let (key, mut rest) = match part.find('[') {
            Some(at) => (&part[..at], &part[at..]),
            None => (part, ""),
        };
        if !key.is_empty() {
            out.push(Step::Key(key.to_string()));
        }
        while let Some(inner) = rest.strip_prefix('[') {
            let Some(end) = inner.find(']') else {
                return out;
            };
            match inner[..end].parse() {
                Ok(index) => out.push(Step::Index(index)),
                Err(_) => return out,
            }
            rest = &inner[end + 1..];
        }
    }
    out
}

/// The position of the node at `path` in `text` (YAML or JSON), or of the deepest node of the
/// path that exists; `None` when the text is not YAML at all.
pub fn locate(text: &str, path: &str) -> Option<Position> {
    let steps = steps(path);
    let deserializer = serde_yaml::Deserializer::from_str(text);
    match (Walk { steps: &steps }).deserialize(deserializer) {
        Ok(()) => None,
        Err(error) => error.location().map(|l| Position {
            line: l.line(),
            column: l.column(),
        }),
    }
}

/// Walks `steps` down the document and fails at the node they end on.
struct Walk<'a> {
    steps: &'a [Step],
}

const HERE: &str = "here";

impl<'de> DeserializeSeed<'de> for Walk<'_> {
    type Value = ();
    fn deserialize<D: de::Deserializer<'de>>(self, deserializer: D) -> Result<(), D::Error> {
        deserializer.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for Walk<'_> {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("any value")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        let Some((Step::Key(want), rest)) = self.steps.split_first() else {
            return Err(de::Error::custom(HERE));
        };
        while let Some(key) = map.next_key::<serde_yaml::Value>()? {
            let matches = match &key {
                serde_yaml::Value::String(s) => s == want,
                other => serde_yaml::to_string(other).is_ok_and(|s| s.trim() == want),
            };
            if matches {
                return map.next_value_seed(Walk { steps: rest });
            }
            map.next_value::<IgnoredAny>()?;
        }
        // The key is missing: point at the mapping.
        Err(de::Error::custom(HERE))
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        let Some((Step::Index(want), rest)) = self.steps.split_first() else {
            return Err(de::Error::custom(HERE));
        };
        let mut index = 0;
        loop {
            if index == *want {
                return match seq.next_element_seed(Walk { steps: rest })? {
                    Some(()) => Ok(()),
                    None => Err(de::Error::custom(HERE)),
                };
            }
            if seq.next_element::<IgnoredAny>()?.is_none() {
                return Err(de::Error::custom(HERE));
            }
            index += 1;
        }
    }

    fn visit_bool<E: de::Error>(self, _: bool) -> Result<(), E> {
        Err(E::custom(HERE))
    }
    fn visit_i64<E: de::Error>(self, _: i64) -> Result<(), E> {
        Err(E::custom(HERE))
    }
    fn visit_u64<E: de::Error>(self, _: u64) -> Result<(), E> {
        Err(E::custom(HERE))
    }
    fn visit_f64<E: de::Error>(self, _: f64) -> Result<(), E> {
        Err(E::custom(HERE))
    }
    fn visit_str<E: de::Error>(self, _: &str) -> Result<(), E> {
        Err(E::custom(HERE))
    }
    fn visit_unit<E: de::Error>(self) -> Result<(), E> {
        Err(E::custom(HERE))
    }
    fn visit_none<E: de::Error>(self) -> Result<(), E> {
        Err(E::custom(HERE))
    }
    fn visit_some<D: de::Deserializer<'de>>(self, _: D) -> Result<(), D::Error> {
        Err(de::Error::custom(HERE))
    }
    fn visit_enum<A: de::EnumAccess<'de>>(self, _: A) -> Result<(), A::Error> {
        Err(de::Error::custom(HERE))
    }
}

/// The position serde_yaml gives a parse error, if any.
pub fn of_error(error: &serde_yaml::Error) -> Option<Position> {
    error.location().map(|l| Position {
        line: l.line(),
        column: l.column(),
    })
}

/// serde_yaml's message without its trailing ` at line L column C` (the position is printed
/// in front instead).
pub fn message_of(error: &serde_yaml::Error) -> String {
    let text = error.to_string();
    match text.rfind(" at line ") {
        Some(at) if text[at..].contains(" column ") => text[..at].to_string(),
        _ => text,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const YAML: &str = "\
scenarios:
  - name: one
    turns:
      - user: hi
  - name: two
    turns:
      - user: hello
        expect: { contains: x, regex: \"(\" }
";

    #[test]
    fn fields_are_found_at_their_line_and_column() {
        assert_eq!(
            locate(YAML, "scenarios[1].name"),
            Some(Position {
                line: 5,
                column: 11
            })
        );
        assert_eq!(
            locate(YAML, "scenarios[1].turns[0].expect.regex"),
            Some(Position {
                line: 8,
                column: 39
            })
        );
        assert_eq!(
            locate(YAML, "scenarios[0].turns[0]"),
            Some(Position { line: 4, column: 9 })
        );
    }

    #[test]
    fn a_missing_field_points_at_the_deepest_node_found() {
        assert_eq!(
            locate(YAML, "scenarios[0].turns[0].expect"),
            Some(Position { line: 4, column: 9 })
        );
        assert_eq!(
            locate(YAML, "scenarios[7]"),
            Some(Position { line: 2, column: 3 })
        );
    }

    #[test]
    fn json_is_located_too() {
        let json = "{\n  \"actions\": [\n    {\"name\": \"a\", \"url\": \"x\"}\n  ]\n}\n";
        assert_eq!(
            locate(json, "actions[0].url"),
            Some(Position {
                line: 3,
                column: 26
            })
        );
    }
}
