//! The printer: Go's `fmt` `%v` form of every value the evaluator can produce, including
//! `strconv.FormatFloat(f, 'g', -1, 64)` for `float64`.

use serde_json::{Map, Value};
use std::fmt::Write as _;

/// Appends `i` in decimal, as `{}` does (without `core::fmt`, which is a lot of code to run
/// for the commonest number of a body).
pub(crate) fn push_integer(out: &mut String, i: i64) {
    if i < 0 {
        out.push('-');
    }
    let mut n = i.unsigned_abs();
    let mut digits = [0u8; 20];
    let mut at = digits.len();
    loop {
        at -= 1;
        digits[at] = b'0' + (n % 10) as u8;
        n /= 10;
        if n == 0 {
            break;
        }
    }
    for &d in &digits[at..] {
        out.push(d as char);
    }
}

/// Appends `f` the way Go's `%v` prints a `float64`: the shortest digits that read back as
/// the same value, in exponent form (`1e+06`, `1e-05`) when the decimal exponent is below -4
/// or at least 6 (Go's `%g` with the shortest precision uses 6 as the limit), else plain.
pub(crate) fn write_float(out: &mut String, f: f64) {
    if f.is_nan() {
        out.push_str("NaN");
        return;
    }
    if f.is_infinite() {
        out.push_str(if f > 0.0 { "+Inf" } else { "-Inf" });
        return;
    }
    if f.is_sign_negative() {
        out.push('-');
    }
    let f = f.abs();
    if f == 0.0 {
        out.push('0');
        return;
    }
    if f < 1e6 && f.fract() == 0.0 {
        // A whole number below 10^6 (the commonest number in a body: a count, a size) is
        // printed plain with no fraction: its digits, exactly, without the round trip below.
        push_integer(out, f as i64);
        return;
    }
    // Rust's `{:e}` gives the shortest round-trip digits: "d.ddddde[-]x". When two digit
    // strings of that length read back as `f`, Go takes the one closest to `f`'s exact value
    // (the even one on a tie) and Rust may take the other, so the exactly rounded string of
    // the same length is preferred whenever it also reads back as `f`.
    let mut buf = StackBuf::default();
    let _ = write!(buf, "{f:e}");
    let nd = buf
        .as_str()
        .split_once('e')
        .map_or(1, |(m, _)| m.bytes().filter(u8::is_ascii_digit).count());
    let mut exact = StackBuf::default();
    let _ = write!(exact, "{f:.prec$e}", prec = nd.saturating_sub(1));
    if exact.as_str() != buf.as_str() && exact.as_str().parse::<f64>() == Ok(f) {
        buf = exact;
    }
    let s = buf.as_str();
    let (mant, exp) = s.split_once('e').unwrap_or((s, "0"));
    let exp: i32 = exp.parse().unwrap_or(0);
    let mut digits = [0u8; 24];
    let mut nd = 0;
    for b in mant.bytes().filter(u8::is_ascii_digit) {
        if nd < digits.len() {
            digits[nd] = b;
            nd += 1;
        }
    }
    let digits = &digits[..nd];
    if !(-4..6).contains(&exp) {
        out.push(digits[0] as char);
        if nd > 1 {
            out.push('.');
            for &d in &digits[1..] {
                out.push(d as char);
            }
        }
        out.push('e');
        out.push(if exp < 0 { '-' } else { '+' });
        let e = exp.unsigned_abs();
        if e < 10 {
            out.push('0');
        }
        let _ = write!(out, "{e}");
        return;
    }
    // Plain form: the decimal point sits after `dp` digits.
    let dp = exp + 1;
    if dp <= 0 {
        out.push('0');
    } else {
        for i in 0..dp as usize {
            out.push(digits.get(i).map_or('0', |d| *d as char));
        }
    }
    let frac = nd as i32 - dp;
    if frac > 0 {
        out.push('.');
        for i in 0..frac {
            let idx = dp + i;
            out.push(if idx < 0 {
                '0'
            } else {
                digits[idx as usize] as char
            });
        }
    }
}

/// A small fixed buffer for formatting a float without allocating.
struct StackBuf {
    buf: [u8; 40],
    len: usize,
}

impl Default for StackBuf {
    fn default() -> StackBuf {
        StackBuf {
            buf: [0; 40],
            len: 0,
        }
    }
}

impl StackBuf {
    fn as_str(&self) -> &str {
        std::str::from_utf8(&self.buf[..self.len]).unwrap_or("0e0")
    }
}

impl std::fmt::Write for StackBuf {
    fn write_str(&mut self, s: &str) -> std::fmt::Result {
        let end = self.len + s.len();
        if end > self.buf.len() {
            return Err(std::fmt::Error);
        }
        self.buf[self.len..end].copy_from_slice(s.as_bytes());
        self.len = end;
        Ok(())
    }
}

/// Appends a JSON value as Go prints the `interface{}` that `encoding/json` decodes it into:
/// `map[k:v ...]` with keys sorted, `[a b]`, `<nil>` for null, floats as [`write_float`].
pub(crate) fn write_json(out: &mut String, v: &Value) {
    match v {
        Value::Null => out.push_str("<nil>"),
        Value::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
        Value::Number(n) => write_float(out, n.as_f64().unwrap_or(f64::NAN)),
        Value::String(s) => out.push_str(s),
        Value::Array(a) => write_slice(out, a),
        Value::Object(m) => write_map(out, m),
    }
}

pub(crate) fn write_slice(out: &mut String, a: &[Value]) {
    out.push('[');
    for (i, v) in a.iter().enumerate() {
        if i > 0 {
            out.push(' ');
        }
        write_json(out, v);
    }
    out.push(']');
}

pub(crate) fn write_map(out: &mut String, m: &Map<String, Value>) {
    out.push_str("map[");
    let sorted = m.keys().zip(m.keys().skip(1)).all(|(a, b)| a <= b);
    if sorted {
        for (i, (k, v)) in m.iter().enumerate() {
            if i > 0 {
                out.push(' ');
            }
            out.push_str(k);
            out.push(':');
            write_json(out, v);
        }
    } else {
        let mut entries: Vec<(&String, &Value)> = m.iter().collect();
        entries.sort_unstable_by(|a, b| a.0.cmp(b.0));
        for (i, (k, v)) in entries.into_iter().enumerate() {
            if i > 0 {
                out.push(' ');
            }
            out.push_str(k);
            out.push(':');
            write_json(out, v);
        }
    }
    out.push(']');
}

#[cfg(test)]
mod tests {
    use super::*;

    fn g(f: f64) -> String {
        let mut s = String::new();
        write_float(&mut s, f);
        s
    }

    #[test]
    fn go_float_forms() {
        assert_eq!(g(999999.0), "999999");
        assert_eq!(g(1e6), "1e+06");
        assert_eq!(g(12345678.0), "1.2345678e+07");
        assert_eq!(g(0.00001), "1e-05");
        assert_eq!(g(0.0001), "0.0001");
        assert_eq!(g(0.1), "0.1");
        assert_eq!(g(9007199254740993.0), "9.007199254740992e+15");
        assert_eq!(g(-0.0), "-0");
        assert_eq!(g(0.0), "0");
        assert_eq!(g(1e21), "1e+21");
        assert_eq!(g(123456.5), "123456.5");
        assert_eq!(g(-1.5e-7), "-1.5e-07");
        assert_eq!(g(5e-324), "5e-324");
        assert_eq!(g(1.7976931348623157e308), "1.7976931348623157e+308");
    }

    #[test]
    fn integers_print_as_display_does() {
        for i in [
            0i64,
            1,
            -1,
            9,
            10,
            -10,
            4096,
            i64::MAX,
            i64::MIN,
            i64::MIN + 1,
        ] {
            let mut s = String::new();
            push_integer(&mut s, i);
            assert_eq!(s, i.to_string());
        }
    }

    #[test]
    fn whole_numbers_print_their_digits() {
        for n in [1u32, 4, 9, 10, 42, 100, 65_535, 99_999, 100_000, 999_999] {
            assert_eq!(g(f64::from(n)), n.to_string());
            assert_eq!(g(-f64::from(n)), format!("-{n}"));
        }
    }

    #[test]
    fn containers() {
        let v: Value = serde_json::from_str(r#"{"b":[1,null,"x"],"a":{}, "c": 1e6}"#).unwrap();
        let mut s = String::new();
        write_json(&mut s, &v);
        assert_eq!(s, "map[a:map[] b:[1 <nil> x] c:1e+06]");
    }
}
