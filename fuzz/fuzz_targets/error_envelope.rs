//! Any status, correlation header, `Retry-After` and body a server can send is classified into
//! an `Error` without panicking, and its `Display` stays bounded.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Some((&selector, rest)) = data.split_first() else { return };
    let status = http::StatusCode::from_u16(400 + u16::from(selector) % 200).unwrap_or(http::StatusCode::BAD_REQUEST);
    let split = rest.first().map_or(0, |&n| usize::from(n).min(rest.len()));
    let (header, body) = rest.split_at(split);
    let mut headers = http::HeaderMap::new();
    if let Ok(value) = http::HeaderValue::from_bytes(header) {
        headers.insert("x-polyai-correlation-id", value.clone());
        headers.insert("retry-after", value);
    }
    let error = polyai_sdk::Error::from_parts(status, &headers, body);
    let shown = error.to_string();
    assert!(shown.len() < 4096 + header.len() * 2, "display is bounded");
    let _ = format!("{error:?}");
});
