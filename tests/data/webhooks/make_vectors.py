#!/usr/bin/env python3
"""Writes vectors.json: PolyAI webhook signatures computed with Python's hmac/hashlib, so the
Rust verifier is checked against an implementation that is not itself.

signature = lowercase hex HMAC-SHA256(key = secret UTF-8 bytes, message = b"{timestamp}." + body)
"""
import hashlib
import hmac
import json
import pathlib

ALERT = (
    '{"event_type":"alerts.triggered","alert":{"id":"ar_7f3a","name":"Containment below 60%",'
    '"project_id":"PROJECT-9f8e7d6c","metric":"containment_rate","operator":"<",'
    '"threshold_value":0.6,"current_value":0.52,"previous_state":"ok",'
    '"triggered_at":"2026-11-23T08:00:00Z"}}'
).encode()

CASES = [
    ("ascii", "whsec_test_secret", 1763884800, b'{"event_type":"alerts.resolved","alert":{"id":"ar_1"}}'),
    ("utf8", "s3cr\u00e9t-\u263a", 1763884801, '{"note":"caf\u00e9 \u2615 \u00fcber"}'.encode()),
    ("empty-body", "whsec_empty", 1763884802, b""),
    ("binary", "whsec_binary", 1763884803, bytes(range(256))),
    ("long-secret", "k" * 200, 1763884804, b'{"event_type":"alerts.triggered"}'),
    ("alert", "whsec_0f1e2d3c4b5a69788796a5b4c3d2e1f0", 1763884805, ALERT),
]


def main() -> None:
    vectors = []
    for name, secret, timestamp, body in CASES:
        message = str(timestamp).encode() + b"." + body
        signature = hmac.new(secret.encode("utf-8"), message, hashlib.sha256).hexdigest()
        vectors.append(
            {
                "name": name,
                "secret": secret,
                "timestamp": timestamp,
                "body_hex": body.hex(),
                "signature": signature,
            }
        )
    out = pathlib.Path(__file__).with_name("vectors.json")
    out.write_text(json.dumps(vectors, indent=2) + "\n")


if __name__ == "__main__":
    main()
