//! Any headers and body reaching a webhook receiver are verified (and parsed) without
//! panicking; a delivery signed with the right secret always verifies.
#![no_main]

use libfuzzer_sys::fuzz_target;
use polyai_sdk::webhooks::{self, Verifier};

const SECRET: &str = "whsec_fuzz";
const NOW: i64 = 1_763_884_800;

fuzz_target!(|data: &[u8]| {
    // Split the input into a timestamp header, a signature header and a body.
    let mut parts = data.splitn(3, |&b| b == b'\n');
    let timestamp = String::from_utf8_lossy(parts.next().unwrap_or_default()).into_owned();
    let signature = String::from_utf8_lossy(parts.next().unwrap_or_default()).into_owned();
    let body = parts.next().unwrap_or_default();
    let verifier = Verifier::new(SECRET).expect("a non-empty secret").clock(|| std::time::UNIX_EPOCH + std::time::Duration::from_secs(NOW as u64));

    let headers = [(webhooks::TIMESTAMP_HEADER, timestamp.as_str()), (webhooks::SIGNATURE_HEADER, signature.as_str())];
    let _ = verifier.verify_event(&headers, body);

    // The genuine signature for this body always passes verification.
    let genuine = webhooks::signed_headers(SECRET, NOW, "evt", body);
    assert!(verifier.verify(&genuine, body).is_ok());
    let _ = webhooks::WebhookEvent::parse(body);
});
