//! Go's literal rules, as `text/template` applies them: `strconv.ParseUint` / `ParseInt` with
//! base 0, `strconv.ParseFloat`, `strconv.UnquoteChar` and `strconv.Unquote`. Written from
//! the rules those functions document and implement; no code of theirs is copied.

use super::ast::NumberValue;

/// Why a number literal was refused.
pub(crate) enum NumberError {
    /// Go's parser refuses it; the message says why.
    Parse(String),
    /// Go accepts it, the subset does not (complex constants).
    Unsupported(String),
}

/// Go's `underscoreOK`: underscores only between digits (a base prefix counts as a digit).
fn underscore_ok(s: &str) -> bool {
    let mut s = s.as_bytes();
    if let Some(b'+' | b'-') = s.first() {
        s = &s[1..];
    }
    let mut saw = b'^';
    let mut i = 0;
    let mut hex = false;
    if s.len() >= 2 && s[0] == b'0' && matches!(s[1] | 0x20, b'b' | b'o' | b'x') {
        i = 2;
        saw = b'0';
        hex = s[1] | 0x20 == b'x';
    }
    while i < s.len() {
        let c = s[i];
        if c.is_ascii_digit() || (hex && (c | 0x20).is_ascii_hexdigit()) {
            saw = b'0';
        } else if c == b'_' {
            if saw != b'0' {
                return false;
            }
            saw = b'_';
        } else {
            if saw == b'_' {
                return false;
            }
            saw = b'!';
        }
        i += 1;
    }
    saw != b'_'
}

/// `strconv.ParseUint(s, 0, 64)`.
pub(crate) fn parse_uint(s0: &str) -> Option<u64> {
    let b = s0.as_bytes();
    if b.is_empty() {
        return None;
    }
    let (base, digits): (u32, &[u8]) = if b[0] == b'0' {
        match b.get(1).map(|c| c | 0x20) {
            Some(b'b') if b.len() >= 3 => (2, &b[2..]),
            Some(b'o') if b.len() >= 3 => (8, &b[2..]),
            Some(b'x') if b.len() >= 3 => (16, &b[2..]),
            _ => (8, &b[1..]),
        }
    } else {
        (10, b)
    };
    let mut n: u64 = 0;
    let mut underscores = false;
    for &c in digits {
        if c == b'_' {
            underscores = true;
            continue;
        }
        let d = (c as char).to_digit(36)?;
        if d >= base {
            return None;
        }
        n = n.checked_mul(base as u64)?.checked_add(d as u64)?;
    }
    if underscores && !underscore_ok(s0) {
        return None;
    }
    Some(n)
}

/// `strconv.ParseInt(s, 0, 64)`.
pub(crate) fn parse_int(s: &str) -> Option<i64> {
    let (neg, rest) = match s.as_bytes().first() {
        Some(b'+') => (false, &s[1..]),
        Some(b'-') => (true, &s[1..]),
        _ => (false, s),
    };
    let u = parse_uint(rest)?;
    if neg {
        if u > 1u64 << 63 {
            None
        } else {
            Some((u as i64).wrapping_neg())
        }
    } else if u >= 1u64 << 63 {
        None
    } else {
        Some(u as i64)
    }
}

/// `strconv.ParseFloat(s, 64)` for the forms the lexer can produce: decimal and hexadecimal
/// (with a mandatory `p` exponent), optional sign, underscores between digits. `None` when Go
/// reports a syntax or range error (a value too large for `float64`).
pub(crate) fn parse_float(s: &str) -> Option<f64> {
    let b = s.as_bytes();
    let (neg, body) = match b.first() {
        Some(b'+') => (false, &s[1..]),
        Some(b'-') => (true, &s[1..]),
        _ => (false, s),
    };
    if s.contains('_') && !underscore_ok(s) {
        return None;
    }
    let bb = body.as_bytes();
    let v = if bb.len() > 2 && bb[0] == b'0' && bb[1] | 0x20 == b'x' {
        let v = parse_hex_float(&body[2..])?;
        if v.is_infinite() {
            return None;
        }
        v
    } else {
        // Decimal: digits, optional point, optional exponent; no "inf"/"nan" (the lexer never
        // produces them as numbers, but be strict anyway).
        let cleaned: String = body.chars().filter(|c| *c != '_').collect();
        if !cleaned
            .bytes()
            .all(|c| c.is_ascii_digit() || matches!(c, b'.' | b'e' | b'E' | b'+' | b'-'))
        {
            return None;
        }
        let v: f64 = cleaned.parse().ok()?;
        if v.is_infinite() {
            return None;
        }
        v
    };
    Some(if neg { -v } else { v })
}

/// A hexadecimal float's mantissa and exponent (after `0x`), rounded to nearest even.
fn parse_hex_float(s: &str) -> Option<f64> {
    let s: String = s.chars().filter(|c| *c != '_').collect();
    let (mant, exp) = s.split_once(['p', 'P'])?;
    let exp: i64 = {
        let (eneg, digits) = match exp.as_bytes().first() {
            Some(b'+') => (false, &exp[1..]),
            Some(b'-') => (true, &exp[1..]),
            _ => (false, exp),
        };
        if digits.is_empty() || !digits.bytes().all(|c| c.is_ascii_digit()) {
            return None;
        }
        let e = digits
            .bytes()
            .fold(0i64, |e, c| (e * 10 + (c - b'0') as i64).min(100_000));
        if eneg { -e } else { e }
    };
    let (int, frac) = mant.split_once('.').unwrap_or((mant, ""));
    if int.is_empty() && frac.is_empty() {
        return None;
    }
    // Collect up to 60 significant bits, remembering whether anything non-zero was dropped.
    let mut m: u64 = 0;
    let mut sticky = false;
    let mut e2: i64 = exp;
    for (i, c) in int.chars().chain(frac.chars()).enumerate() {
        let d = c.to_digit(16)? as u64;
        let is_frac = i >= int.len();
        if m >> 56 == 0 {
            m = m << 4 | d;
            if is_frac {
                e2 -= 4;
            }
        } else {
            sticky |= d != 0;
            if !is_frac {
                e2 += 4;
            }
        }
    }
    Some(round_to_f64(m, sticky, e2))
}

/// `m * 2^e2` (plus a little more if `sticky`) as the nearest `f64`, ties to even; infinity
/// is reported by the caller's `is_infinite` check (Go reports a range error).
fn round_to_f64(mut m: u64, mut sticky: bool, mut e2: i64) -> f64 {
    if m == 0 {
        return 0.0;
    }
    // Normalise to 62 significant bits plus room, then cut to 53 bits with guard/sticky.
    while m >> 62 == 0 {
        m <<= 1;
        e2 -= 1;
    }
    // Value = m * 2^e2 with m in [2^62, 2^63). The f64 exponent of the leading bit:
    let top = e2 + 62;
    // Number of bits to keep: 53 for normal numbers, fewer for subnormals.
    let keep: i64 = if top >= -1022 { 53 } else { 53 - (-1022 - top) };
    if keep <= 0 {
        // Below half the smallest subnormal (or exactly around it).
        if keep == 0 {
            // m * 2^e2 is in [2^-1075, 2^-1074): rounds up unless exactly half with no sticky.
            let half = m == 1 << 62 && !sticky;
            return if half { 0.0 } else { f64::from_bits(1) };
        }
        return 0.0;
    }
    let drop = 63 - keep;
    let kept = m >> drop;
    let rem = m & ((1u64 << drop) - 1);
    let halfway = 1u64 << (drop - 1);
    sticky |= rem & (halfway - 1) != 0;
    let guard = rem & halfway != 0;
    let mut q = kept;
    if guard && (sticky || q & 1 == 1) {
        q += 1;
    }
    let e_of_q = e2 + drop; // value = q * 2^e_of_q
    // q < 2^54; convert exactly: q * 2^e via powers of two (exact when no overflow).
    let mut v = q as f64;
    let mut e = e_of_q;
    while e > 0 {
        let step = e.min(1000);
        v *= 2f64.powi(step as i32);
        e -= step;
    }
    while e < 0 {
        let step = (-e).min(1000);
        v /= 2f64.powi(step as i32);
        e += step;
    }
    v
}

/// Go's number-literal typing (`parse.NumberNode` plus the executor's `idealConstant`).
pub(crate) fn number(text: &str) -> Result<NumberValue, NumberError> {
    if text
        .strip_suffix('i')
        .is_some_and(|s| parse_float(s).is_some())
    {
        return Err(NumberError::Unsupported(format!(
            "complex constant {text} is outside the subset"
        )));
    }
    let u = parse_uint(text);
    let i = parse_int(text);
    let mut is_uint = u.is_some();
    if i == Some(0) {
        is_uint = true;
    }
    let (is_float, f) = if let Some(i) = i {
        (true, i as f64)
    } else if let Some(u) = u {
        (true, u as f64)
    } else {
        match parse_float(text) {
            Some(f) => {
                if !text.contains(['.', 'e', 'E', 'p', 'P']) {
                    return Err(NumberError::Parse(format!("integer overflow: {text:?}")));
                }
                (true, f)
            }
            None => {
                return Err(NumberError::Parse(format!(
                    "illegal number syntax: {text:?}"
                )));
            }
        }
    };
    let b = text.as_bytes();
    let hex_int = b.len() > 2 && b[0] == b'0' && b[1] | 0x20 == b'x' && !text.contains(['p', 'P']);
    if is_float && !hex_int && text.contains(['.', 'e', 'E', 'p', 'P']) {
        return Ok(NumberValue::Float(f));
    }
    if let Some(i) = i {
        return Ok(NumberValue::Int(i));
    }
    if is_uint {
        return Ok(NumberValue::OverflowsInt(u.unwrap_or(0)));
    }
    Err(NumberError::Parse(format!(
        "illegal number syntax: {text:?}"
    )))
}

/// One character of a quoted literal: `strconv.UnquoteChar`. Returns the value, whether it is
/// a whole character (as opposed to a single byte from `\x` or an octal escape), and the rest.
fn unquote_char(s: &str, quote: u8) -> Option<(u32, bool, &str)> {
    let b = s.as_bytes();
    let c = *b.first()?;
    if c == quote && (quote == b'\'' || quote == b'"') {
        return None;
    }
    if c >= 0x80 {
        let ch = s.chars().next()?;
        return Some((ch as u32, true, &s[ch.len_utf8()..]));
    }
    if c != b'\\' {
        return Some((c as u32, false, &s[1..]));
    }
    let e = *b.get(1)?;
    let rest = &s[2..];
    let simple = |v: u8| Some((v as u32, false, rest));
    match e {
        b'a' => simple(7),
        b'b' => simple(8),
        b'f' => simple(12),
        b'n' => simple(b'\n'),
        b'r' => simple(b'\r'),
        b't' => simple(b'\t'),
        b'v' => simple(11),
        b'\\' => simple(b'\\'),
        b'\'' | b'"' => {
            if e != quote {
                None
            } else {
                simple(e)
            }
        }
        b'x' | b'u' | b'U' => {
            let n = match e {
                b'x' => 2,
                b'u' => 4,
                _ => 8,
            };
            let digits = rest.get(..n)?;
            let mut v: u32 = 0;
            for d in digits.chars() {
                v = (v << 4) | d.to_digit(16)?;
            }
            let rest = &rest[n..];
            if e == b'x' {
                return Some((v, false, rest));
            }
            char::from_u32(v)?;
            Some((v, true, rest))
        }
        b'0'..=b'7' => {
            let digits = rest.as_bytes().get(..2)?;
            let mut v = (e - b'0') as u32;
            for &d in digits {
                if !(b'0'..=b'7').contains(&d) {
                    return None;
                }
                v = (v << 3) | (d - b'0') as u32;
            }
            if v > 255 {
                return None;
            }
            Some((v, false, &rest[2..]))
        }
        _ => None,
    }
}

/// A character constant (`'a'`, `'\n'`, `'\u00e9'`) as its code point.
pub(crate) fn char_constant(text: &str) -> Result<i64, String> {
    let inner = &text[1..];
    let Some((v, _, tail)) = unquote_char(inner, b'\'') else {
        return Err("invalid syntax".into());
    };
    if tail != "'" {
        return Err(format!("malformed character constant: {text}"));
    }
    Ok(v as i64)
}

/// Why a string literal was refused.
pub(crate) enum StringError {
    /// Go's `strconv.Unquote` refuses it.
    Syntax,
    /// Valid in Go, but its bytes are not UTF-8 (an `\x` or octal escape), which this engine
    /// cannot produce in a `String`.
    NotUtf8,
}

/// `strconv.Unquote` for a lexed string token (`"..."` or `` `...` ``).
pub(crate) fn unquote(text: &str) -> Result<String, StringError> {
    if let Some(raw) = text.strip_prefix('`') {
        let raw = raw.strip_suffix('`').ok_or(StringError::Syntax)?;
        return Ok(raw.chars().filter(|c| *c != '\r').collect());
    }
    let inner = text
        .strip_prefix('"')
        .and_then(|t| t.strip_suffix('"'))
        .ok_or(StringError::Syntax)?;
    if !inner.contains(['\\', '\n', '"']) {
        return Ok(inner.to_string());
    }
    let mut out: Vec<u8> = Vec::with_capacity(inner.len());
    let mut s = inner;
    while !s.is_empty() {
        if s.starts_with('\n') {
            return Err(StringError::Syntax);
        }
        let (v, multibyte, rest) = unquote_char(s, b'"').ok_or(StringError::Syntax)?;
        if v < 0x80 || !multibyte {
            out.push(v as u8);
        } else {
            let ch = char::from_u32(v).ok_or(StringError::Syntax)?;
            let mut buf = [0u8; 4];
            out.extend_from_slice(ch.encode_utf8(&mut buf).as_bytes());
        }
        s = rest;
    }
    String::from_utf8(out).map_err(|_| StringError::NotUtf8)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn integers_follow_go_base_zero() {
        assert_eq!(parse_uint("0x1F"), Some(31));
        assert_eq!(parse_uint("017"), Some(15));
        assert_eq!(parse_uint("0o17"), Some(15));
        assert_eq!(parse_uint("0b101"), Some(5));
        assert_eq!(parse_uint("1_000"), Some(1000));
        assert_eq!(parse_uint("1__0"), None);
        assert_eq!(parse_uint("09"), None);
        assert_eq!(parse_uint("-1"), None);
        assert_eq!(parse_int("-9223372036854775808"), Some(i64::MIN));
        assert_eq!(parse_int("9223372036854775808"), None);
        assert_eq!(parse_int("+5"), Some(5));
    }

    #[test]
    fn floats() {
        assert_eq!(parse_float("1e6"), Some(1e6));
        assert_eq!(parse_float("0x1p-2"), Some(0.25));
        assert_eq!(parse_float("0x1.8p1"), Some(3.0));
        assert_eq!(parse_float("0x1.8"), None);
        assert_eq!(parse_float("1e400"), None);
        assert_eq!(parse_float("1e-400"), Some(0.0));
        assert_eq!(parse_float("1_000.5"), Some(1000.5));
        assert_eq!(parse_float("1_.5"), None);
        assert_eq!(parse_float("0x1p-1074"), Some(f64::from_bits(1)));
        assert_eq!(parse_float("0x1.fffffffffffffp1023"), Some(f64::MAX));
        assert_eq!(parse_float("0x1p1024"), None);
    }

    #[test]
    fn number_typing() {
        use NumberValue::*;
        let n = |t| match number(t) {
            Ok(v) => format!("{v:?}"),
            Err(NumberError::Parse(m)) => format!("parse {m}"),
            Err(NumberError::Unsupported(m)) => format!("unsupported {m}"),
        };
        assert_eq!(n("3"), format!("{:?}", Int(3)));
        assert_eq!(n("-0"), format!("{:?}", Int(0)));
        assert_eq!(n("1e3"), format!("{:?}", Float(1000.0)));
        assert_eq!(n("0x1e"), format!("{:?}", Int(30)));
        assert_eq!(n("-0x1e"), format!("{:?}", Float(-30.0)));
        assert_eq!(
            n("9223372036854775808"),
            format!("{:?}", OverflowsInt(1 << 63))
        );
        assert!(n("09").starts_with("parse integer overflow"));
        assert!(n("08.5").contains("8.5"));
        assert!(n("1i").starts_with("unsupported"));
        assert!(n("1e400").starts_with("parse illegal"));
    }

    #[test]
    fn strings_and_chars() {
        assert_eq!(char_constant("'a'").ok(), Some(97));
        assert_eq!(char_constant("'\\n'").ok(), Some(10));
        assert_eq!(char_constant("'\\''").ok(), Some(39));
        assert!(char_constant("'\\\"'").is_err());
        assert!(char_constant("'ab'").is_err());
        assert_eq!(unquote("\"a\\tb\\u00e9\"").ok(), Some("a\tbé".into()));
        assert_eq!(unquote("\"\\xc3\\xa9\"").ok(), Some("é".into()));
        assert!(matches!(unquote("\"\\xff\""), Err(StringError::NotUtf8)));
        assert!(matches!(unquote("\"\\'\""), Err(StringError::Syntax)));
        assert_eq!(unquote("`a\r\nb`").ok(), Some("a\nb".into()));
    }
}
