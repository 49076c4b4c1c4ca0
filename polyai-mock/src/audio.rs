//! Recordings: deterministic WAV files generated on the fly, with range support.
//!
//! A recording is a 44-byte RIFF/WAVE header (PCM, mono, 16-bit, 8 or 16 kHz) followed by a
//! sine tone: one tone for the user side, another for the agent side, both mixed for
//! `combined`. The tones are a pure function of the seed, the conversation and the direction,
//! so every byte of a file is a function of its position and a `Range` request returns exactly
//! the slice of the full file. `redacted=true` (or a mock without PII access) mutes the second
//! quarter of the audio, as if PII had been bleeped out.
//!
//! Bodies are streamed in chunks of at most 64 KiB sliced from a precomputed tile of whole
//! periods, so an 800 MiB file costs about 128 KiB of memory.

use std::sync::Arc;

use axum::body::{Body, Bytes};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::Response;

use crate::envelope::ApiError;
use crate::salts;
use crate::time::http_date;
use crate::util::{hash3, hex};

/// Size of the WAV header.
pub(crate) const WAV_HEADER_LEN: u64 = 44;
/// Largest data chunk a RIFF file can describe (even).
const MAX_DATA_LEN: u64 = (u32::MAX as u64 - 36) & !1;
/// Largest body chunk sent at once.
const CHUNK: usize = 64 * 1024;

/// Which side(s) of the call a recording holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Direction {
    Combined,
    User,
    Agent,
}

impl Direction {
    pub fn parse(text: &str) -> Option<Direction> {
        match text {
            "combined" => Some(Direction::Combined),
            "user" => Some(Direction::User),
            "agent" => Some(Direction::Agent),
            _ => None,
        }
    }

    fn code(self) -> u64 {
        self as u64
    }
}

/// Everything the bytes of one file depend on.
#[derive(Debug, Clone)]
pub(crate) struct AudioSpec {
    pub seed: u64,
    pub conversation: u64,
    pub direction: Direction,
    pub redacted: bool,
    /// Total file size, header included.
    pub total_len: u64,
    pub sample_rate: u32,
}

impl AudioSpec {
    /// Total file size for a requested size (header included): at least 44, data even, at
    /// most what RIFF allows.
    pub fn file_len(requested: u64) -> u64 {
        WAV_HEADER_LEN + (requested.saturating_sub(WAV_HEADER_LEN) & !1).min(MAX_DATA_LEN)
    }

    /// File size for a duration.
    pub fn file_len_for_seconds(seconds: f64, sample_rate: u32) -> u64 {
        let samples = if seconds.is_finite() && seconds > 0.0 {
            (seconds * f64::from(sample_rate)).round() as u64
        } else {
            0
        };
        Self::file_len(WAV_HEADER_LEN.saturating_add(samples.saturating_mul(2)))
    }

    pub fn data_len(&self) -> u64 {
        self.total_len - WAV_HEADER_LEN
    }

    /// Strong entity tag of the file.
    pub fn etag(&self) -> String {
        let h = hash3(
            self.seed ^ u64::from(self.sample_rate),
            self.conversation,
            (self.direction.code() << 1 | u64::from(self.redacted)) ^ self.total_len.rotate_left(8),
        );
        format!("\"{}\"", hex(&h.to_be_bytes()))
    }

    fn periods(&self) -> (u64, u64) {
        let user = 16 + hash3(self.seed, self.conversation, salts::TONE_USER) % 25;
        let mut agent = 16 + hash3(self.seed, self.conversation, salts::TONE_AGENT) % 25;
        if agent == user {
            agent += 1;
        }
        (user, agent)
    }

    fn header(&self) -> [u8; 44] {
        wav_header(self.sample_rate, self.data_len() as u32)
    }

    /// Builds the byte source (header, tone tile, silence) for streaming.
    pub fn source(&self) -> AudioSource {
        let (user, agent) = self.periods();
        let (period, tones): (u64, Vec<(u64, f64)>) = match self.direction {
            Direction::User => (user, vec![(user, 0.3)]),
            Direction::Agent => (agent, vec![(agent, 0.3)]),
            Direction::Combined => (lcm(user, agent), vec![(user, 0.25), (agent, 0.25)]),
        };
        let samples = period * (CHUNK as u64 / 2 / period).max(1);
        let mut tile = Vec::with_capacity(samples as usize * 2);
        for n in 0..samples {
            let v: f64 = tones
                .iter()
                .map(|(p, amp)| amp * (std::f64::consts::TAU * (n % p) as f64 / *p as f64).sin())
                .sum();
            let s = (v * f64::from(i16::MAX)).round() as i16;
            tile.extend_from_slice(&s.to_le_bytes());
        }
        let data_len = self.data_len();
        let mute = self
            .redacted
            .then_some(((data_len / 4) & !1, (data_len / 2) & !1));
        AudioSource {
            header: Bytes::copy_from_slice(&self.header()),
            tile: Bytes::from(tile),
            silence: Bytes::from(vec![0u8; CHUNK]),
            total_len: self.total_len,
            mute: mute.filter(|(a, b)| a < b),
        }
    }
}

fn gcd(a: u64, b: u64) -> u64 {
    if b == 0 { a } else { gcd(b, a % b) }
}

fn lcm(a: u64, b: u64) -> u64 {
    a / gcd(a, b).max(1) * b
}

/// The bytes of one file, produced by position.
#[derive(Debug, Clone)]
pub(crate) struct AudioSource {
    header: Bytes,
    tile: Bytes,
    silence: Bytes,
    total_len: u64,
    /// Muted data range `[start, end)` (offsets into the data chunk).
    mute: Option<(u64, u64)>,
}

impl AudioSource {
    /// Up to 64 KiB of the file starting at `pos`, not past `end`.
    pub fn chunk_at(&self, pos: u64, end: u64) -> Bytes {
        let end = end.min(self.total_len);
        if pos >= end {
            return Bytes::new();
        }
        let want = (end - pos).min(CHUNK as u64);
        if pos < WAV_HEADER_LEN {
            let stop = (pos + want).min(WAV_HEADER_LEN);
            return self.header.slice(pos as usize..stop as usize);
        }
        let d = pos - WAV_HEADER_LEN;
        let mut n = want;
        if let Some((ms, me)) = self.mute {
            if d >= ms && d < me {
                n = n.min(me - d).min(self.silence.len() as u64);
                return self.silence.slice(0..n as usize);
            }
            if d < ms {
                n = n.min(ms - d);
            }
        }
        let tile_len = self.tile.len() as u64;
        let off = d % tile_len;
        n = n.min(tile_len - off);
        self.tile.slice(off as usize..(off + n) as usize)
    }

    /// A streaming body of bytes `[start, end)`.
    pub fn body(self: Arc<Self>, start: u64, end: u64) -> Body {
        let stream = futures::stream::unfold((self, start), move |(src, pos)| async move {
            if pos >= end {
                return None;
            }
            let chunk = src.chunk_at(pos, end);
            if chunk.is_empty() {
                return None;
            }
            let next = pos + chunk.len() as u64;
            Some((Ok::<Bytes, std::io::Error>(chunk), (src, next)))
        });
        Body::from_stream(stream)
    }
}

/// A parsed single byte range, resolved against the file size.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum RangeRequest {
    /// No (usable) range: send the whole file.
    Full,
    /// Send `[start, end]` inclusive.
    Partial(u64, u64),
    /// The range cannot be satisfied (416).
    Unsatisfiable,
}

/// Parses `Range: bytes=N-`, `bytes=N-M` or `bytes=-S`. Malformed headers, other units and
/// multiple ranges are ignored (the whole file is sent), as RFC 9110 allows.
pub(crate) fn parse_range(value: &str, total: u64) -> RangeRequest {
    let Some(spec) = value.trim().strip_prefix("bytes=") else {
        return RangeRequest::Full;
    };
    if spec.contains(',') {
        return RangeRequest::Full;
    }
    let Some((a, b)) = spec.trim().split_once('-') else {
        return RangeRequest::Full;
    };
    let (a, b) = (a.trim(), b.trim());
    let num = |s: &str| -> Option<u64> {
        if s.is_empty() || !s.bytes().all(|c| c.is_ascii_digit()) {
            None
        } else {
            s.parse().ok()
        }
    };
    if a.is_empty() {
        let Some(suffix) = num(b) else {
            return RangeRequest::Full;
        };
        if suffix == 0 || total == 0 {
            return RangeRequest::Unsatisfiable;
        }
        return RangeRequest::Partial(total.saturating_sub(suffix), total - 1);
    }
    let Some(start) = num(a) else {
        return RangeRequest::Full;
    };
    let last = if b.is_empty() {
        None
    } else {
        match num(b) {
            Some(v) => Some(v),
            None => return RangeRequest::Full,
        }
    };
    if let Some(last) = last
        && last < start
    {
        return RangeRequest::Full;
    }
    if start >= total {
        return RangeRequest::Unsatisfiable;
    }
    RangeRequest::Partial(start, last.map_or(total - 1, |l| l.min(total - 1)))
}

/// Builds the audio response for a spec, honouring `Range` and `If-Range`.
pub(crate) fn respond(
    spec: &AudioSpec,
    last_modified_ms: i64,
    headers: &HeaderMap,
    file_name: &str,
) -> Result<Response, ApiError> {
    let total = spec.total_len;
    let etag = spec.etag();
    let last_modified = http_date(last_modified_ms);
    let mut range = headers
        .get(header::RANGE)
        .and_then(|v| v.to_str().ok())
        .map_or(RangeRequest::Full, |v| parse_range(v, total));
    if range != RangeRequest::Full
        && let Some(if_range) = headers.get(header::IF_RANGE)
    {
        let value = if_range.to_str().unwrap_or("").trim();
        // Strong comparison only: a weak tag or another date never matches.
        if value != etag && value != last_modified {
            range = RangeRequest::Full;
        }
    }
    let (status, start, end) = match range {
        RangeRequest::Full => (StatusCode::OK, 0, total),
        RangeRequest::Partial(a, b) => (StatusCode::PARTIAL_CONTENT, a, b + 1),
        RangeRequest::Unsatisfiable => {
            let value = HeaderValue::from_str(&format!("bytes */{total}"))
                .unwrap_or(HeaderValue::from_static("bytes */0"));
            return Err(ApiError::new(
                StatusCode::RANGE_NOT_SATISFIABLE,
                "RANGE_NOT_SATISFIABLE",
                format!("The requested range is not satisfiable; the recording has {total} bytes."),
            )
            .with_header(header::CONTENT_RANGE, value)
            .with_header(header::ACCEPT_RANGES, HeaderValue::from_static("bytes")));
        }
    };
    let source = Arc::new(spec.source());
    let mut response = Response::new(source.body(start, end));
    *response.status_mut() = status;
    let h = response.headers_mut();
    h.insert(header::CONTENT_TYPE, HeaderValue::from_static("audio/wav"));
    h.insert(header::CONTENT_LENGTH, HeaderValue::from(end - start));
    h.insert(header::ACCEPT_RANGES, HeaderValue::from_static("bytes"));
    if let Ok(v) = HeaderValue::from_str(&etag) {
        h.insert(header::ETAG, v);
    }
    if let Ok(v) = HeaderValue::from_str(&last_modified) {
        h.insert(header::LAST_MODIFIED, v);
    }
    if let Ok(v) = HeaderValue::from_str(&format!("attachment; filename=\"{file_name}.wav\"")) {
        h.insert(header::CONTENT_DISPOSITION, v);
    }
    if status == StatusCode::PARTIAL_CONTENT
        && let Ok(v) = HeaderValue::from_str(&format!("bytes {start}-{}/{total}", end - 1))
    {
        h.insert(header::CONTENT_RANGE, v);
    }
    Ok(response)
}

/// The 44-byte RIFF/WAVE header of a PCM, mono, 16-bit file at `sample_rate` whose data chunk
/// holds `data_len` bytes (the one WAV header writer of the crate: recordings, the audio
/// cache and [`crate::testing::wav`] use it).
pub(crate) fn wav_header(sample_rate: u32, data_len: u32) -> [u8; 44] {
    let mut h = [0u8; 44];
    h[0..4].copy_from_slice(b"RIFF");
    h[4..8].copy_from_slice(&data_len.saturating_add(36).to_le_bytes());
    h[8..12].copy_from_slice(b"WAVE");
    h[12..16].copy_from_slice(b"fmt ");
    h[16..20].copy_from_slice(&16u32.to_le_bytes());
    h[20..22].copy_from_slice(&1u16.to_le_bytes()); // PCM
    h[22..24].copy_from_slice(&1u16.to_le_bytes()); // mono
    h[24..28].copy_from_slice(&sample_rate.to_le_bytes());
    h[28..32].copy_from_slice(&sample_rate.saturating_mul(2).to_le_bytes());
    h[32..34].copy_from_slice(&2u16.to_le_bytes()); // block align
    h[34..36].copy_from_slice(&16u16.to_le_bytes()); // bits per sample
    h[36..40].copy_from_slice(b"data");
    h[40..44].copy_from_slice(&data_len.to_le_bytes());
    h
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spec(total: u64, direction: Direction, redacted: bool) -> AudioSpec {
        AudioSpec {
            seed: 1,
            conversation: 7,
            direction,
            redacted,
            total_len: total,
            sample_rate: 8000,
        }
    }

    fn collect(src: &AudioSource, start: u64, end: u64) -> Vec<u8> {
        let mut out = Vec::new();
        let mut pos = start;
        while pos < end {
            let c = src.chunk_at(pos, end);
            assert!(!c.is_empty() && c.len() <= CHUNK);
            pos += c.len() as u64;
            out.extend_from_slice(&c);
        }
        out
    }

    #[test]
    fn header_and_slices_are_consistent() {
        let s = spec(200_044, Direction::Combined, true);
        let src = s.source();
        let all = collect(&src, 0, s.total_len);
        assert_eq!(all.len() as u64, s.total_len);
        assert_eq!(&all[0..4], b"RIFF");
        assert_eq!(
            u32::from_le_bytes(all[4..8].try_into().unwrap()) as u64,
            s.total_len - 8
        );
        assert_eq!(&all[8..16], b"WAVEfmt ");
        assert_eq!(
            u32::from_le_bytes(all[40..44].try_into().unwrap()) as u64,
            s.total_len - 44
        );
        for (a, b) in [
            (0, 10),
            (43, 45),
            (1000, 70_000),
            (50_000 + 44, 50_100 + 44),
            (199_999, 200_044),
        ] {
            assert_eq!(collect(&src, a, b), &all[a as usize..b as usize]);
        }
        // muted quarter is silent, the rest is not
        let ms = 44 + 50_000;
        assert!(all[ms as usize..ms as usize + 1000].iter().all(|b| *b == 0));
        assert!(all[44..1044].iter().any(|b| *b != 0));
    }

    #[test]
    fn ranges_parse() {
        assert_eq!(parse_range("bytes=10-", 100), RangeRequest::Partial(10, 99));
        assert_eq!(
            parse_range("bytes=10-19", 100),
            RangeRequest::Partial(10, 19)
        );
        assert_eq!(
            parse_range("bytes=10-500", 100),
            RangeRequest::Partial(10, 99)
        );
        assert_eq!(parse_range("bytes=-30", 100), RangeRequest::Partial(70, 99));
        assert_eq!(parse_range("bytes=-300", 100), RangeRequest::Partial(0, 99));
        assert_eq!(parse_range("bytes=100-", 100), RangeRequest::Unsatisfiable);
        assert_eq!(parse_range("bytes=-0", 100), RangeRequest::Unsatisfiable);
        assert_eq!(parse_range("bytes=20-10", 100), RangeRequest::Full);
        assert_eq!(parse_range("bytes=1-2,5-6", 100), RangeRequest::Full);
        assert_eq!(parse_range("items=1-2", 100), RangeRequest::Full);
        assert_eq!(parse_range("bytes=x-", 100), RangeRequest::Full);
    }

    #[test]
    fn sizes_are_clamped() {
        assert_eq!(AudioSpec::file_len(0), 44);
        assert_eq!(AudioSpec::file_len(45), 44);
        assert_eq!(AudioSpec::file_len(1000), 1000);
        assert_eq!(AudioSpec::file_len(u64::MAX), 44 + MAX_DATA_LEN);
        assert_eq!(AudioSpec::file_len_for_seconds(1.0, 8000), 16_044);
    }
}
