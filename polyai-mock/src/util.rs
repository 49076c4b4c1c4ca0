//! Small helpers: deterministic hashing, hex, query-string parsing, ids.

use percent_encoding::percent_decode_str;

/// The splitmix64 finaliser: a fast, well-mixed bijection on `u64`.
pub(crate) const fn mix64(mut z: u64) -> u64 {
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

/// A deterministic hash of `(seed, index, salt)`.
pub(crate) const fn hash3(seed: u64, index: u64, salt: u64) -> u64 {
    mix64(
        seed ^ mix64(
            index.wrapping_mul(0x9e37_79b9_7f4a_7c15)
                ^ mix64(salt.wrapping_add(0x632b_e59b_d9b4_e019)),
        ),
    )
}

/// FNV-1a over bytes, for fingerprints of strings.
pub(crate) fn fnv64(bytes: &[u8]) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in bytes {
        h ^= u64::from(*b);
        h = h.wrapping_mul(0x0000_0100_0000_01b3);
    }
    h
}

const C1: u64 = 0xff51_afd7_ed55_8ccd;
const C2: u64 = 0xc4ce_b9fe_1a85_ec53;

/// The multiplicative inverse of an odd number modulo 2^64 (Newton's iteration).
const fn inverse(a: u64) -> u64 {
    let mut x = a; // correct to 3 bits for odd a
    let mut i = 0;
    while i < 6 {
        x = x.wrapping_mul(2u64.wrapping_sub(a.wrapping_mul(x)));
        i += 1;
    }
    x
}

const C1_INV: u64 = inverse(C1);
const C2_INV: u64 = inverse(C2);

/// An invertible scrambling of `u64` (used to turn indexes into random-looking ids).
pub(crate) const fn scramble(mut x: u64) -> u64 {
    x ^= x >> 32;
    x = x.wrapping_mul(C1);
    x ^= x >> 32;
    x = x.wrapping_mul(C2);
    x ^= x >> 32;
    x
}

/// The inverse of [`scramble`].
pub(crate) const fn unscramble(mut x: u64) -> u64 {
    x ^= x >> 32;
    x = x.wrapping_mul(C2_INV);
    x ^= x >> 32;
    x = x.wrapping_mul(C1_INV);
    x ^= x >> 32;
    x
}

const HEX: &[u8; 16] = b"0123456789abcdef";

/// Lowercase hex of bytes.
pub(crate) fn hex(bytes: &[u8]) -> String {
    let mut out = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        out.push(HEX[usize::from(b >> 4)] as char);
        out.push(HEX[usize::from(b & 0x0f)] as char);
    }
    out
}

/// Decodes lowercase or uppercase hex; `None` on odd length or a non-hex character.
pub(crate) fn unhex(text: &str) -> Option<Vec<u8>> {
    let bytes = text.as_bytes();
    if !bytes.len().is_multiple_of(2) {
        return None;
    }
    let nibble = |c: u8| -> Option<u8> {
        match c {
            b'0'..=b'9' => Some(c - b'0'),
            b'a'..=b'f' => Some(c - b'a' + 10),
            b'A'..=b'F' => Some(c - b'A' + 10),
            _ => None,
        }
    };
    bytes
        .chunks(2)
        .map(|pair| Some(nibble(pair[0])? << 4 | nibble(pair[1])?))
        .collect()
}

/// Formats two words as `8-4-4-4-12` hex.
fn uuid_text(a: u64, b: u64) -> String {
    let h = hex(&[a.to_be_bytes(), b.to_be_bytes()].concat());
    format!(
        "{}-{}-{}-{}-{}",
        &h[0..8],
        &h[8..12],
        &h[12..16],
        &h[16..20],
        &h[20..32]
    )
}

/// A UUID-shaped (version 4 layout) string from two random words.
pub(crate) fn uuid_from(a: u64, b: u64) -> String {
    let a = (a & 0xffff_ffff_ffff_0fff) | 0x0000_0000_0000_4000;
    let b = (b & 0x3fff_ffff_ffff_ffff) | 0x8000_0000_0000_0000;
    uuid_text(a, b)
}

/// A UUIDv7-shaped string: 48-bit millisecond timestamp first, then random bits.
pub(crate) fn uuid7_from(unix_ms: i64, r: u64) -> String {
    let ms = u64::try_from(unix_ms).unwrap_or(0) & 0xffff_ffff_ffff;
    let a = (ms << 16) | 0x7000 | (r & 0x0fff);
    let b = (mix64(r) & 0x3fff_ffff_ffff_ffff) | 0x8000_0000_0000_0000;
    uuid_text(a, b)
}

/// A random-looking token of `len` letters and digits derived from `(key, n, salt)`:
/// upper-case letters and digits only when `upper` is set, otherwise mixed case.
pub(crate) fn token(key: u64, n: u64, salt: u64, len: usize, upper: bool) -> String {
    const MIXED: &[u8; 62] = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
    let radix: u64 = if upper { 36 } else { 62 };
    let mut out = String::with_capacity(len);
    let mut word = 0u64;
    for i in 0..len {
        if i % 8 == 0 {
            word = hash3(key, n, salt.wrapping_add(i as u64));
        }
        let digit = usize::try_from(word % radix).unwrap_or(0);
        out.push(char::from(MIXED[digit]));
        word /= radix;
    }
    out
}

/// Parses a raw query string into decoded `(name, value)` pairs, in order.
///
/// `+` is read as a space (HTML form encoding) and `%XX` escapes are decoded; invalid UTF-8
/// is replaced rather than rejected.
pub(crate) fn parse_query(raw: Option<&str>) -> Vec<(String, String)> {
    let Some(raw) = raw else { return Vec::new() };
    raw.split('&')
        .filter(|part| !part.is_empty())
        .map(|part| {
            let (name, value) = part.split_once('=').unwrap_or((part, ""));
            (decode_component(name), decode_component(value))
        })
        .collect()
}

fn decode_component(text: &str) -> String {
    let spaced = text.replace('+', " ");
    percent_decode_str(&spaced).decode_utf8_lossy().into_owned()
}

/// Decodes one percent-encoded path segment (`+` stays a plus sign in paths).
pub(crate) fn decode_segment(text: &str) -> String {
    percent_decode_str(text).decode_utf8_lossy().into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scramble_round_trips() {
        for x in [0u64, 1, 2, 999_999, u64::MAX, 0x1234_5678_9abc_def0] {
            assert_eq!(unscramble(scramble(x)), x);
        }
    }

    #[test]
    fn hex_round_trips() {
        assert_eq!(
            unhex(&hex(&[0, 1, 0xab, 0xff])),
            Some(vec![0, 1, 0xab, 0xff])
        );
        assert_eq!(unhex("zz"), None);
        assert_eq!(unhex("abc"), None);
    }

    #[test]
    fn query_decoding() {
        let q = parse_query(Some(
            "a=1&channel=VOICE-SIP&channel=CHAT&name=Spring%20Promo&b=x+y&flag",
        ));
        assert_eq!(q[2], ("channel".into(), "CHAT".into()));
        assert_eq!(q[3].1, "Spring Promo");
        assert_eq!(q[4].1, "x y");
        assert_eq!(q[5], ("flag".into(), String::new()));
    }

    #[test]
    fn uuids_look_right() {
        let u = uuid_from(1, 2);
        assert_eq!(u.len(), 36);
        assert_eq!(&u[14..15], "4");
        let v = uuid7_from(1_700_000_000_000, 5);
        assert_eq!(&v[14..15], "7");
    }

    #[test]
    fn tokens_use_their_alphabet() {
        let upper = token(1, 2, 3, 20, true);
        assert_eq!(upper.len(), 20);
        assert!(
            upper
                .bytes()
                .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit())
        );
        let mixed = token(1, 2, 3, 40, false);
        assert!(mixed.bytes().all(|b| b.is_ascii_alphanumeric()));
        assert!(mixed.bytes().any(|b| b.is_ascii_lowercase()));
        assert_ne!(token(1, 2, 3, 20, true), token(1, 3, 3, 20, true));
    }
}
