//! Timestamp formatting and parsing without a date-time crate.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// Days since 1970-01-01 for a proleptic Gregorian date (Howard Hinnant's algorithm).
fn days_from_civil(year: i64, month: i64, day: i64) -> i64 {
    let y = if month <= 2 { year - 1 } else { year };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (month + 9) % 12;
    let doy = (153 * mp + 2) / 5 + day - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// The date for a count of days since 1970-01-01.
fn civil_from_days(days: i64) -> (i64, i64, i64) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    (year, month, day)
}

struct Parts {
    year: i64,
    month: i64,
    day: i64,
    hour: i64,
    minute: i64,
    second: i64,
    millis: i64,
}

fn split(unix_ms: i64) -> Parts {
    let secs = unix_ms.div_euclid(1000);
    let millis = unix_ms.rem_euclid(1000);
    let days = secs.div_euclid(86_400);
    let rem = secs.rem_euclid(86_400);
    let (year, month, day) = civil_from_days(days);
    Parts {
        year,
        month,
        day,
        hour: rem / 3600,
        minute: rem % 3600 / 60,
        second: rem % 60,
        millis,
    }
}

/// `2026-10-31T12:00:00.123Z`
pub(crate) fn rfc3339_ms(unix_ms: i64) -> String {
    let p = split(unix_ms);
    format!(
        "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:03}Z",
        p.year, p.month, p.day, p.hour, p.minute, p.second, p.millis
    )
}

/// `2026-10-31T12:00:00+00:00` (whole seconds, numeric offset).
pub(crate) fn rfc3339_offset(unix_ms: i64) -> String {
    let p = split(unix_ms);
    format!(
        "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}+00:00",
        p.year, p.month, p.day, p.hour, p.minute, p.second
    )
}

/// `2026-10-31T12:00:00.123000` (naive: no offset, microsecond digits), as some real
/// PolyAI records carry.
pub(crate) fn naive_iso(unix_ms: i64) -> String {
    let p = split(unix_ms);
    format!(
        "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:03}000",
        p.year, p.month, p.day, p.hour, p.minute, p.second, p.millis
    )
}

/// `Sat, 31 Oct 2026 12:00:00 GMT` (RFC 1123 / HTTP date).
pub(crate) fn http_date(unix_ms: i64) -> String {
    httpdate::fmt_http_date(system_time(unix_ms))
}

/// A `SystemTime` for milliseconds since the epoch (clamped at the epoch).
pub(crate) fn system_time(unix_ms: i64) -> SystemTime {
    UNIX_EPOCH + Duration::from_millis(u64::try_from(unix_ms).unwrap_or(0))
}

/// Milliseconds since the epoch for a `SystemTime` (0 before the epoch).
pub(crate) fn unix_ms(time: SystemTime) -> i64 {
    time.duration_since(UNIX_EPOCH)
        .map(|d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
        .unwrap_or(0)
}

/// Now, in milliseconds since the epoch.
pub(crate) fn now_ms() -> i64 {
    unix_ms(SystemTime::now())
}

/// Parses ISO 8601 / RFC 3339 date-times such as `2021-07-01T14:15:00.000Z`,
/// `2021-07-01T14:15:00+01:00`, `2021-07-01 14:15`, or a bare date `2021-07-01`.
/// A missing offset means UTC. Returns milliseconds since the epoch.
pub(crate) fn parse_iso8601(text: &str) -> Option<i64> {
    let b = text.trim().as_bytes();
    let num = |s: &[u8]| -> Option<i64> {
        if s.is_empty() || !s.iter().all(u8::is_ascii_digit) {
            return None;
        }
        std::str::from_utf8(s).ok()?.parse().ok()
    };
    if b.len() < 10 || b[4] != b'-' || b[7] != b'-' {
        return None;
    }
    let year = num(&b[0..4])?;
    let month = num(&b[5..7])?;
    let day = num(&b[8..10])?;
    if !(1..=12).contains(&month) || !(1..=31).contains(&day) {
        return None;
    }
    let (mut hour, mut minute, mut second, mut millis, mut offset_min) = (0, 0, 0, 0i64, 0i64);
    let mut rest = &b[10..];
    if !rest.is_empty() {
        if !matches!(rest[0], b'T' | b't' | b' ') || rest.len() < 6 || rest[3] != b':' {
            return None;
        }
        hour = num(&rest[1..3])?;
        minute = num(&rest[4..6])?;
        rest = &rest[6..];
        if rest.first() == Some(&b':') {
            second = num(rest.get(1..3)?)?;
            rest = &rest[3..];
            if matches!(rest.first(), Some(b'.' | b',')) {
                let digits = rest[1..].iter().take_while(|c| c.is_ascii_digit()).count();
                if digits == 0 {
                    return None;
                }
                let frac = &rest[1..1 + digits];
                let mut ms = 0;
                for i in 0..3 {
                    ms = ms * 10 + frac.get(i).map_or(0, |d| i64::from(d - b'0'));
                }
                millis = ms;
                rest = &rest[1 + digits..];
            }
        }
        match rest {
            [] | [b'Z'] | [b'z'] => {}
            [sign @ (b'+' | b'-'), tail @ ..] => {
                let (h, m) = match tail {
                    [h1, h2, b':', m1, m2] | [h1, h2, m1, m2] => {
                        (num(&[*h1, *h2])?, num(&[*m1, *m2])?)
                    }
                    [h1, h2] => (num(&[*h1, *h2])?, 0),
                    _ => return None,
                };
                offset_min = (h * 60 + m) * if *sign == b'-' { -1 } else { 1 };
            }
            _ => return None,
        }
        if hour > 23 || minute > 59 || second > 60 {
            return None;
        }
    }
    let days = days_from_civil(year, month, day);
    let secs = days * 86_400 + hour * 3600 + minute * 60 + second - offset_min * 60;
    secs.checked_mul(1000)?.checked_add(millis)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_and_parses() {
        let ms = 1_785_499_200_123; // 2026-07-31T12:00:00.123Z
        assert_eq!(rfc3339_ms(ms), "2026-07-31T12:00:00.123Z");
        assert_eq!(parse_iso8601("2026-07-31T12:00:00.123Z"), Some(ms));
        assert_eq!(parse_iso8601("2026-07-31T13:00:00.123+01:00"), Some(ms));
        assert_eq!(parse_iso8601(&naive_iso(ms)), Some(ms));
        assert_eq!(parse_iso8601("2026-07-31"), Some(1_785_456_000_000));
        assert_eq!(rfc3339_offset(0), "1970-01-01T00:00:00+00:00");
        assert_eq!(http_date(0), "Thu, 01 Jan 1970 00:00:00 GMT");
        assert_eq!(parse_iso8601("yesterday"), None);
        assert_eq!(parse_iso8601("2026-13-01"), None);
        assert_eq!(parse_iso8601("2026-07-31T12:00:00Q"), None);
    }
}
