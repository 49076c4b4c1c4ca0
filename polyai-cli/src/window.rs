//! Time arguments (`--since`, `--until`) and `--shard i/n`.

use std::time::Duration;

use polyai_sdk::Timestamp;

use crate::error::{CliError, CliResult};

/// Reads a time argument: RFC 3339 (`2026-11-01T08:00:00Z`), a date (`2026-11-01`, UTC
/// midnight), `now`, or an age before `now` (`45s`, `30m`, `12h`, `7d`, `2w`).
pub fn parse_when(flag: &str, text: &str, now: Timestamp) -> CliResult<Timestamp> {
    let text = text.trim();
    let bad = || {
        CliError::usage(format!("{flag} {text:?} is not a time"))
            .hint("give RFC 3339 (2026-11-01T08:00:00Z), a date (2026-11-01), now, or an age such as 30m, 12h, 7d, 2w")
    };
    if text.eq_ignore_ascii_case("now") {
        return Ok(now);
    }
    if let Some(unit) = text.chars().last().filter(|c| c.is_ascii_alphabetic())
        && let Ok(amount) = text[..text.len() - 1].parse::<u64>()
    {
        let seconds = match unit {
            's' => 1,
            'm' => 60,
            'h' => 3_600,
            'd' => 86_400,
            'w' => 604_800,
            _ => return Err(bad()),
        };
        let age = amount.checked_mul(seconds).ok_or_else(bad)?;
        return Ok(now.minus(Duration::from_secs(age)));
    }
    let full = if text.len() == 10 && text.as_bytes().get(4) == Some(&b'-') {
        format!("{text}T00:00:00Z")
    } else {
        text.to_string()
    };
    full.parse::<Timestamp>().map_err(|_| bad())
}

/// Whether a time argument names the same instant on every machine and at every run: RFC 3339
/// or a date, not `now` or an age (which [`parse_when`] resolves against the local clock).
pub fn is_absolute(text: &str) -> bool {
    let text = text.trim();
    let is_age = text.chars().last().is_some_and(|c| c.is_ascii_alphabetic())
        && text[..text.len() - 1].parse::<u64>().is_ok();
    !(is_age || text.eq_ignore_ascii_case("now"))
}

/// Part `index` (1-based) of `count` of a sharded window.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Shard {
    /// Which part, 1..=count.
    pub index: u32,
    /// How many parts.
    pub count: u32,
}

impl Shard {
    /// Reads `i/n`, with 1 <= i <= n <= 100000.
    pub fn parse(text: &str) -> CliResult<Shard> {
        let bad = || {
            CliError::usage(format!("--shard {text:?} is not i/n"))
                .hint("give the part and the number of parts, 1-based: --shard 1/4 .. --shard 4/4")
        };
        let (i, n) = text.trim().split_once('/').ok_or_else(bad)?;
        let index: u32 = i.trim().parse().map_err(|_| bad())?;
        let count: u32 = n.trim().parse().map_err(|_| bad())?;
        if index == 0 || count == 0 || index > count || count > 100_000 {
            return Err(bad());
        }
        Ok(Shard { index, count })
    }

    /// The part of `[start, end)` this shard covers: `[start + len*(i-1)/n, start + len*i/n)`,
    /// in milliseconds. Consecutive shards share a boundary, which one of them includes (as
    /// start) and the other excludes (as end): the parts are disjoint and cover the window.
    pub fn window(self, start: Timestamp, end: Timestamp) -> (Timestamp, Timestamp) {
        let (s, e) = (
            i128::from(start.unix_millis()),
            i128::from(end.unix_millis()),
        );
        let length = (e - s).max(0);
        let at = |k: u32| {
            let offset = length * i128::from(k) / i128::from(self.count);
            Timestamp::from_unix_millis(i64::try_from(s + offset).unwrap_or(i64::MAX))
        };
        (at(self.index - 1), at(self.index))
    }
}

impl std::fmt::Display for Shard {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}/{}", self.index, self.count)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_rfc3339_times_and_dates_are_absolute() {
        for absolute in [
            "2026-11-01",
            "2026-11-01T08:00:00Z",
            " 2026-11-01T08:00:00+01:00 ",
        ] {
            assert!(is_absolute(absolute), "{absolute}");
        }
        for relative in ["now", "NOW", "7d", "30m", "2w", " 45s "] {
            assert!(!is_absolute(relative), "{relative}");
        }
    }

    #[test]
    fn times_parse_in_every_documented_form() {
        let now = Timestamp::from_unix_seconds(1_800_000_000);
        assert_eq!(parse_when("--since", "now", now).unwrap(), now);
        assert_eq!(
            parse_when("--since", "2d", now).unwrap(),
            Timestamp::from_unix_seconds(1_800_000_000 - 2 * 86_400)
        );
        assert_eq!(
            parse_when("--since", "2026-11-01", now)
                .unwrap()
                .to_string(),
            "2026-11-01T00:00:00.000Z"
        );
        assert_eq!(
            parse_when("--since", "2026-11-01T08:30:00Z", now)
                .unwrap()
                .to_string(),
            "2026-11-01T08:30:00.000Z"
        );
        for bad in [
            "",
            "yesterday",
            "3y",
            "-1d",
            "2026-13-45",
            "99999999999999999999d",
        ] {
            let error = parse_when("--since", bad, now).unwrap_err();
            assert_eq!(error.code, crate::error::exit::USAGE, "{bad:?}");
        }
    }

    #[test]
    fn shards_are_disjoint_and_cover_the_window() {
        let start = Timestamp::from_unix_millis(1_000);
        let end = Timestamp::from_unix_millis(1_000 + 10_007);
        for count in [1u32, 2, 3, 7, 10_007, 20_000] {
            let mut expected_start = start;
            for index in 1..=count {
                let (s, e) = Shard { index, count }.window(start, end);
                assert_eq!(
                    s, expected_start,
                    "shard {index}/{count} starts where the last ended"
                );
                assert!(e >= s);
                expected_start = e;
            }
            assert_eq!(
                expected_start, end,
                "the last of {count} shards ends at the end"
            );
        }
        for bad in ["0/3", "4/3", "3", "a/b", "1/0", "1/100001"] {
            assert!(Shard::parse(bad).is_err(), "{bad:?}");
        }
        assert_eq!(Shard::parse(" 2/4 ").unwrap(), Shard { index: 2, count: 4 });
    }
}
