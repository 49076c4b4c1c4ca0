//! RFC 3339 parsing never panics, and whatever parses formats back to an equal instant.
#![no_main]

use libfuzzer_sys::fuzz_target;
use polyai_sdk::Timestamp;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    if let Ok(parsed) = text.parse::<Timestamp>() {
        let shown = parsed.to_string();
        assert_eq!(shown.parse::<Timestamp>().ok(), Some(parsed), "{text:?} -> {shown}");
    }
});
