//! A small, fast reader for *plain* JSON: the documents nearly every service sends and nearly
//! every body template renders.
//!
//! Plain means: strings with no `\u` escape, no escaped key, no control character; numbers
//! without an exponent and under 300 characters; nesting under 100 levels. Within that subset
//! the reader accepts exactly what `serde_json` accepts (same whitespace, same number and
//! literal grammar). Outside it, or on anything that is not JSON, it gives up ([`Unsure`]) and
//! the caller asks `serde_json`, so the reader never decides a case differently from it: it
//! only answers the common case with less code and no allocation. The tests compare the two
//! on many documents.
//!
//! Used for the rendered body's JSON check (`render`) and the one-pass reading of output
//! variables (`outcome::singular`).

use serde_json::Value;

/// The reader gave up: the document is outside the plain subset, or not JSON. Ask `serde_json`.
#[derive(Debug)]
pub(crate) struct Unsure;

/// A step of the reader.
pub(crate) type Scan<T> = Result<T, Unsure>;

/// Deepest nesting the reader follows (`serde_json` stops at 128).
pub(crate) const MAX_DEPTH: usize = 100;

/// Longest number the reader reads (well inside `f64`'s range, whatever the digits).
const MAX_NUMBER: usize = 300;

/// What a skipped value was, for building it from its text ([`Reader::value_of`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Kind {
    /// A string without escapes: its text between the quotes is its value.
    PlainString,
    /// A string with (simple) escapes.
    EscapedString,
    /// Digits only, at most 19 of them: a `u64`.
    SmallInteger,
    /// Any other number (a sign, a fraction, many digits).
    OtherNumber,
    True,
    False,
    Null,
    /// An object or an array.
    Container,
}

/// A position in a JSON text.
pub(crate) struct Reader<'t> {
    text: &'t str,
    at: usize,
}

impl<'t> Reader<'t> {
    pub(crate) fn new(text: &'t str) -> Self {
        Reader { text, at: 0 }
    }

    /// Where the reader is, in bytes.
    pub(crate) fn position(&self) -> usize {
        self.at
    }

    fn bytes(&self) -> &'t [u8] {
        self.text.as_bytes()
    }

    /// The next byte, if any.
    pub(crate) fn peek(&self) -> Option<u8> {
        self.bytes().get(self.at).copied()
    }

    /// Skips JSON whitespace (space, tab, line feed, carriage return).
    pub(crate) fn skip_whitespace(&mut self) {
        while let Some(b' ' | b'\n' | b'\t' | b'\r') = self.peek() {
            self.at += 1;
        }
    }

    /// Takes `byte`, which must come next.
    pub(crate) fn expect(&mut self, byte: u8) -> Scan<()> {
        if self.peek() == Some(byte) {
            self.at += 1;
            Ok(())
        } else {
            Err(Unsure)
        }
    }

    /// After whitespace, `,` (more to come: `true`) or `close` (the end: `false`).
    pub(crate) fn comma_or(&mut self, close: u8) -> Scan<bool> {
        self.skip_whitespace();
        match self.peek() {
            Some(b',') => {
                self.at += 1;
                Ok(true)
            }
            Some(b) if b == close => {
                self.at += 1;
                Ok(false)
            }
            _ => Err(Unsure),
        }
    }

    /// After the opening `{` or `[` and whitespace: takes `close` when the container is empty.
    pub(crate) fn empty(&mut self, close: u8) -> bool {
        self.skip_whitespace();
        if self.peek() == Some(close) {
            self.at += 1;
            true
        } else {
            false
        }
    }

    /// An object key and its `:`, borrowed from the text (a key with an escape is not plain).
    pub(crate) fn key(&mut self) -> Scan<&'t str> {
        self.skip_whitespace();
        let start = self.at + 1;
        if self.string()? != Kind::PlainString {
            return Err(Unsure);
        }
        let key = &self.text[start..self.at - 1];
        self.skip_whitespace();
        self.expect(b':')?;
        Ok(key)
    }

    /// Skips the value that starts here (after whitespace), `depth` containers deep.
    pub(crate) fn skip_value(&mut self, depth: usize) -> Scan<Kind> {
        self.skip_whitespace();
        match self.peek() {
            Some(b'"') => self.string(),
            Some(b'-' | b'0'..=b'9') => self.number(),
            Some(b't') => self.literal("true", Kind::True),
            Some(b'f') => self.literal("false", Kind::False),
            Some(b'n') => self.literal("null", Kind::Null),
            Some(open @ (b'{' | b'[')) => {
                if depth >= MAX_DEPTH {
                    return Err(Unsure);
                }
                self.at += 1;
                let close = if open == b'{' { b'}' } else { b']' };
                if self.empty(close) {
                    return Ok(Kind::Container);
                }
                loop {
                    if open == b'{' {
                        self.key()?;
                    }
                    self.skip_value(depth + 1)?;
                    if !self.comma_or(close)? {
                        return Ok(Kind::Container);
                    }
                }
            }
            _ => Err(Unsure),
        }
    }

    /// The value of the text from `start` to here, skipped as `kind`: built directly when
    /// that is exact, by `serde_json` otherwise.
    pub(crate) fn value_of(&self, start: usize, kind: Kind) -> Scan<Value> {
        let text = &self.text[start..self.at];
        Ok(match kind {
            Kind::PlainString => Value::String(text[1..text.len() - 1].to_owned()),
            Kind::SmallInteger => Value::from(text.parse::<u64>().map_err(|_| Unsure)?),
            Kind::True => Value::Bool(true),
            Kind::False => Value::Bool(false),
            Kind::Null => Value::Null,
            Kind::EscapedString | Kind::OtherNumber | Kind::Container => {
                serde_json::from_str(text).map_err(|_| Unsure)?
            }
        })
    }

    /// Nothing but whitespace is left.
    pub(crate) fn finish(&mut self) -> Scan<()> {
        self.skip_whitespace();
        if self.at == self.text.len() {
            Ok(())
        } else {
            Err(Unsure)
        }
    }

    fn literal(&mut self, word: &str, kind: Kind) -> Scan<Kind> {
        if self.bytes()[self.at..].starts_with(word.as_bytes()) {
            self.at += word.len();
            Ok(kind)
        } else {
            Err(Unsure)
        }
    }

    /// A string, from its opening quote to past its closing one.
    fn string(&mut self) -> Scan<Kind> {
        self.expect(b'"')?;
        let mut kind = Kind::PlainString;
        let bytes = self.bytes();
        loop {
            let Some(&b) = bytes.get(self.at) else {
                return Err(Unsure);
            };
            self.at += 1;
            match b {
                b'"' => return Ok(kind),
                b'\\' => {
                    // The one-character escapes; `\u` (surrogates) is left to serde_json.
                    match bytes.get(self.at) {
                        Some(b'"' | b'\\' | b'/' | b'b' | b'f' | b'n' | b'r' | b't') => {
                            self.at += 1;
                            kind = Kind::EscapedString;
                        }
                        _ => return Err(Unsure),
                    }
                }
                0..0x20 => return Err(Unsure),
                _ => {}
            }
        }
    }

    /// A number: `-`? (`0` | a non-zero digit and digits) (`.` digits)?, no exponent.
    fn number(&mut self) -> Scan<Kind> {
        let start = self.at;
        let bytes = self.bytes();
        let negative = bytes[self.at] == b'-';
        if negative {
            self.at += 1;
        }
        let digits = self.digits();
        let first = bytes.get(self.at - digits).copied();
        if digits == 0 || (digits > 1 && first == Some(b'0')) {
            return Err(Unsure);
        }
        let mut kind = if negative || digits > 19 {
            Kind::OtherNumber
        } else {
            Kind::SmallInteger
        };
        if self.peek() == Some(b'.') {
            self.at += 1;
            if self.digits() == 0 {
                return Err(Unsure);
            }
            kind = Kind::OtherNumber;
        }
        if matches!(self.peek(), Some(b'e' | b'E')) || self.at - start > MAX_NUMBER {
            return Err(Unsure);
        }
        Ok(kind)
    }

    fn digits(&mut self) -> usize {
        let start = self.at;
        while let Some(b'0'..=b'9') = self.peek() {
            self.at += 1;
        }
        self.at - start
    }
}

/// Whether `text` is one plain JSON value (whitespace around it allowed). `false` means
/// "not known": ask `serde_json`.
pub(crate) fn is_plain(text: &str) -> bool {
    let mut reader = Reader::new(text);
    reader.skip_value(0).is_ok() && reader.finish().is_ok()
}

#[cfg(test)]
pub(crate) mod tests {
    use super::{Reader, is_plain};
    use serde_json::Value;

    /// Documents inside and outside the subset, valid and not.
    pub(crate) const DOCUMENTS: &[&str] = &[
        r#"{"a": 1, "b": [true, false, null], "c": {"d": "e"}}"#,
        r#"  {"a" : [ 1 , 2 ] }  "#,
        "{\"a\":\t1,\r\n\"b\":2}",
        r#"[]"#,
        r#"{}"#,
        r#"[{}, [], [[]]]"#,
        r#""text""#,
        r#""esc\"aped \\ \/ \b \f \n \r \t""#,
        r#""\u0041""#,
        r#""\ud800""#,
        r#""\q""#,
        "\"tab\there\"",
        "\"caf\u{e9} \u{1f600}\"",
        r#"0"#,
        r#"-0"#,
        r#"-0.0"#,
        r#"01"#,
        r#"-"#,
        r#"1."#,
        r#".5"#,
        r#"1.5"#,
        r#"-12.250"#,
        r#"1e3"#,
        r#"1E-3"#,
        r#"1e400"#,
        r#"18446744073709551615"#,
        r#"18446744073709551616"#,
        r#"9999999999999999999"#,
        r#"-9223372036854775808"#,
        r#"-9223372036854775809"#,
        r#"123456789012345678901234567890"#,
        r#"0.1000000000000000055511151231257827"#,
        r#"true"#,
        r#"tru"#,
        r#"nul"#,
        r#"falsey"#,
        r#"[1,]"#,
        r#"{"a":1,}"#,
        r#"{"a" 1}"#,
        r#"{a: 1}"#,
        r#"{"a\u0020b": 1}"#,
        r#"{"a\nb": 1}"#,
        r#"[1 2]"#,
        r#"[1] [2]"#,
        r#"[1] x"#,
        "",
        "   ",
        "\u{feff}{}",
        r#"{"a": 1"#,
        r#"["unterminated]"#,
        "[\u{a0}1]",
        "[1,\u{b}2]",
    ];

    fn nested(depth: usize) -> String {
        "[".repeat(depth) + &"]".repeat(depth)
    }

    #[test]
    fn never_accepts_what_serde_json_refuses() {
        let mut documents: Vec<String> = DOCUMENTS.iter().map(|d| d.to_string()).collect();
        documents.extend([nested(99), nested(100), nested(101), nested(200)]);
        let mut accepted = 0;
        for document in &documents {
            let by_serde = serde_json::from_str::<Value>(document).is_ok();
            let loose = serde_json::from_str::<serde::de::IgnoredAny>(document).is_ok();
            if is_plain(document) {
                accepted += 1;
                assert!(
                    by_serde && loose,
                    "plain, yet serde_json refuses: {document:?}"
                );
            }
        }
        // The subset is not empty either: the plain valid documents of the list.
        assert_eq!(accepted, 24);
    }

    #[test]
    fn builds_each_value_as_serde_json_does() {
        for document in DOCUMENTS {
            let mut reader = Reader::new(document);
            reader.skip_whitespace();
            let start = reader.position();
            let Ok(kind) = reader.skip_value(0) else {
                continue;
            };
            let built = reader.value_of(start, kind).expect("a plain value builds");
            if reader.finish().is_err() {
                continue;
            }
            let parsed: Value = serde_json::from_str(document).expect("serde_json reads it");
            assert_eq!(built, parsed, "{document:?} ({kind:?})");
            // The same number representation too (integer or float), not only equality.
            assert_eq!(built.to_string(), parsed.to_string(), "{document:?}");
        }
    }
}
