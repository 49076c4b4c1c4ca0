//! Number and JSON text the way the two runtimes behind PolyAI write them: Python (`str`,
//! `repr`, `json.dumps`, as `requests` uses them) and Go (`encoding/json`'s `Marshal` of a value
//! decoded into `interface{}`, where every number is a float64).

use serde_json::{Number, Value};

/// The shortest round-trip digits of a finite, non-negative `f`, and the decimal exponent of
/// the first digit (`1234.5` gives `("12345", 3)`).
fn shortest_digits(f: f64) -> (String, i32) {
    // `{:e}` prints the shortest digits that read back to the same float: `1.2345e3`.
    let text = format!("{:e}", f);
    let (mantissa, exponent) = text.split_once('e').unwrap_or((text.as_str(), "0"));
    let digits: String = mantissa.chars().filter(|c| c.is_ascii_digit()).collect();
    (digits, exponent.parse().unwrap_or(0))
}

/// Python's `repr(float)` (which is also `str(float)`): `1000000.0`, `1e+16`, `1e-05`, `0.1`.
pub(crate) fn python_float(f: f64) -> String {
    if f.is_nan() {
        return "nan".to_owned();
    }
    if f.is_infinite() {
        return if f > 0.0 { "inf" } else { "-inf" }.to_owned();
    }
    let sign = if f.is_sign_negative() { "-" } else { "" };
    if f == 0.0 {
        return format!("{sign}0.0");
    }
    let (digits, exp) = shortest_digits(f.abs());
    let body = if (-4..16).contains(&exp) {
        if exp >= 0 {
            let int_len = exp as usize + 1;
            if digits.len() <= int_len {
                format!("{digits}{}.0", "0".repeat(int_len - digits.len()))
            } else {
                format!("{}.{}", &digits[..int_len], &digits[int_len..])
            }
        } else {
            format!("0.{}{digits}", "0".repeat((-exp - 1) as usize))
        }
    } else {
        let mantissa = if digits.len() > 1 {
            format!("{}.{}", &digits[..1], &digits[1..])
        } else {
            digits
        };
        let esign = if exp < 0 { '-' } else { '+' };
        format!("{mantissa}e{esign}{:02}", exp.unsigned_abs())
    };
    format!("{sign}{body}")
}

/// Python's `str()` of the number `json.loads` makes of `n`: an int stays an int, anything
/// written with a fraction or exponent is a float.
pub(crate) fn python_number(n: &Number) -> String {
    if let Some(i) = n.as_i64() {
        i.to_string()
    } else if let Some(u) = n.as_u64() {
        u.to_string()
    } else {
        python_float(n.as_f64().unwrap_or(0.0))
    }
}

/// Go's `encoding/json` text of a float64: `1000000`, `0.1`, `1e+21`, `1e-7`, `-0`.
pub(crate) fn go_json_float(f: f64) -> String {
    let abs = f.abs();
    if abs != 0.0 && !(1e-6..1e21).contains(&abs) {
        // Go writes strconv's 'e' form, then shortens a two-digit negative exponent `e-07` to
        // `e-7`; Rust's `{:e}` already writes `1e-7` and `1e21`, so only the `+` is missing.
        let text = format!("{:e}", f);
        match text.split_once('e') {
            Some((m, e)) if !e.starts_with('-') => format!("{m}e+{e}"),
            _ => text,
        }
    } else {
        // Rust's `Display` is the shortest round-trip form without an exponent, as Go's 'f'
        // format with precision -1.
        format!("{f}")
    }
}

/// Which JSON writer a body or a JSON-encoded query value uses.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum JsonStyle {
    /// Go's `json.Marshal` of the parameters decoded into `interface{}`: compact, keys sorted,
    /// every number a float64 (`1000000`, `1e+21`, 2^53+1 as `9007199254740992`), `<`, `>`,
    /// `&`, U+2028 and U+2029 escaped as `\u003c` ... The fact sheet names `json.Marshal` for
    /// an action's body without a template, so this is the default.
    #[default]
    GoMarshal,
    /// Python's `json.dumps` with its defaults, as `requests` writes `json=`: `", "` and `": "`
    /// separators, non-ASCII escaped (`\u00e9`), ints as ints and floats by `repr`
    /// (`1000000.0`, `1e+16`). Keys in the order of the `serde_json` map (sorted, unless
    /// `serde_json`'s `preserve_order` feature is on).
    PythonDumps,
}

/// Writes `value` as JSON text in `style`.
pub(crate) fn write_json(value: &Value, style: JsonStyle) -> String {
    let mut out = String::new();
    match style {
        JsonStyle::GoMarshal => go_value(value, &mut out),
        JsonStyle::PythonDumps => python_value(value, &mut out),
    }
    out
}

fn go_value(value: &Value, out: &mut String) {
    match value {
        Value::Null => out.push_str("null"),
        Value::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
        Value::Number(n) => out.push_str(&go_json_float(n.as_f64().unwrap_or(0.0))),
        Value::String(s) => go_string(s, out),
        Value::Array(items) => {
            out.push('[');
            for (i, v) in items.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                go_value(v, out);
            }
            out.push(']');
        }
        Value::Object(map) => {
            // Go sorts map keys by their bytes, whatever order the map iterates in.
            let mut entries: Vec<(&String, &Value)> = map.iter().collect();
            entries.sort_by(|a, b| a.0.as_bytes().cmp(b.0.as_bytes()));
            out.push('{');
            for (i, (k, v)) in entries.into_iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                go_string(k, out);
                out.push(':');
                go_value(v, out);
            }
            out.push('}');
        }
    }
}

const HEX: &[u8; 16] = b"0123456789abcdef";

fn go_string(s: &str, out: &mut String) {
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '<' | '>' | '&' | '\u{2028}' | '\u{2029}' => push_u_escape(c as u32, out),
            c if (c as u32) < 0x20 => push_u_escape(c as u32, out),
            c => out.push(c),
        }
    }
    out.push('"');
}

fn push_u_escape(code: u32, out: &mut String) {
    out.push_str("\\u");
    for shift in [12, 8, 4, 0] {
        out.push(HEX[((code >> shift) & 0xF) as usize] as char);
    }
}

fn python_value(value: &Value, out: &mut String) {
    match value {
        Value::Null => out.push_str("null"),
        Value::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
        Value::Number(n) => {
            // json.dumps writes floats with float.__repr__; inf/nan cannot come from JSON.
            out.push_str(&python_number(n))
        }
        Value::String(s) => python_string(s, out),
        Value::Array(items) => {
            out.push('[');
            for (i, v) in items.iter().enumerate() {
                if i > 0 {
                    out.push_str(", ");
                }
                python_value(v, out);
            }
            out.push(']');
        }
        Value::Object(map) => {
            out.push('{');
            for (i, (k, v)) in map.iter().enumerate() {
                if i > 0 {
                    out.push_str(", ");
                }
                python_string(k, out);
                out.push_str(": ");
                python_value(v, out);
            }
            out.push('}');
        }
    }
}

fn python_string(s: &str, out: &mut String) {
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '\u{8}' => out.push_str("\\b"),
            '\u{c}' => out.push_str("\\f"),
            c if (c as u32) < 0x20 || (c as u32) > 0x7e => {
                // ensure_ascii: everything outside printable ASCII (DEL included) as \uXXXX,
                // astral characters as a UTF-16 surrogate pair.
                let mut units = [0u16; 2];
                for unit in c.encode_utf16(&mut units) {
                    push_u_escape(u32::from(*unit), out);
                }
            }
            c => out.push(c),
        }
    }
    out.push('"');
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn python_float_repr() {
        let cases = [
            (1e6, "1000000.0"),
            (1e16, "1e+16"),
            (1e15, "1000000000000000.0"),
            (1e-5, "1e-05"),
            (0.0001, "0.0001"),
            (-0.0, "-0.0"),
            (2.5, "2.5"),
            (123.456, "123.456"),
            (1.5e300, "1.5e+300"),
            (1.2345e-7, "1.2345e-07"),
            (0.1 + 0.2, "0.30000000000000004"),
        ];
        for (f, want) in cases {
            assert_eq!(python_float(f), want, "{f:e}");
        }
    }

    #[test]
    fn go_json_floats() {
        let cases = [
            (1e6, "1000000"),
            (1e21, "1e+21"),
            (1e20, "100000000000000000000"),
            (1e-7, "1e-7"),
            (1.5e-10, "1.5e-10"),
            (0.000001, "0.000001"),
            (-0.0, "-0"),
            (9007199254740993.0, "9007199254740992"),
            (0.1, "0.1"),
        ];
        for (f, want) in cases {
            assert_eq!(go_json_float(f), want, "{f:e}");
        }
    }

    #[test]
    fn go_and_python_json_text() {
        // Go sorts the keys whatever order the map iterates in; Python keeps the map's order
        // (sorted here in both builds, with or without serde_json's `preserve_order`).
        let v = json!({"b": "é\u{2028}<>&\"\\\n\u{1}", "a": 1e6, "c": [1, null, true]});
        let sorted = json!({"a": 1e6, "b": "é\u{2028}<>&\"\\\n\u{1}", "c": [1, null, true]});
        assert_eq!(
            write_json(&sorted, JsonStyle::GoMarshal),
            write_json(&v, JsonStyle::GoMarshal)
        );
        assert_eq!(
            write_json(&v, JsonStyle::GoMarshal),
            r#"{"a":1000000,"b":"é\u2028\u003c\u003e\u0026\"\\\n\u0001","c":[1,null,true]}"#
        );
        assert_eq!(
            write_json(&sorted, JsonStyle::PythonDumps),
            r#"{"a": 1000000.0, "b": "\u00e9\u2028<>&\"\\\n\u0001", "c": [1, null, true]}"#
        );
        assert_eq!(
            write_json(&json!("😀"), JsonStyle::PythonDumps),
            r#""\ud83d\ude00""#
        );
    }
}
