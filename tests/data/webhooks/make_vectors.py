#!/usr/bin/env python3
"""Writes vectors.json: PolyAI webhook signatures computed with Python's hmac and hashlib, so
the Rust verifier is checked against an implementation that is not itself.

    signature = lowercase hex HMAC-SHA256(key = secret's UTF-8 bytes,
                                          message = b"{timestamp}." + raw body bytes)

When `openssl` is on the PATH every vector is also recomputed with
`openssl dgst -sha256 -hmac SECRET` over the same message on stdin, the script fails if the two
disagree, and the vector records `"openssl_checked": true`.

Run from anywhere: python3 tests/data/webhooks/make_vectors.py
"""
import hashlib
import hmac
import json
import pathlib
import shutil
import subprocess

# A realistic delivery, as PolyAI's Alerts page showed it (event_type + alert object).
ALERT_TRIGGERED = (
    '{"event_type":"alerts.triggered","alert":{"id":"ar_0Kx4mNpQ8rWvYb2dFgHjLs",'
    '"name":"API errors spiking","project_id":"PROJECT-9f8e7d6c","metric":"api_errors",'
    '"operator":">","threshold_value":20,"current_value":37,"previous_state":"ok",'
    '"triggered_at":"2025-11-23T08:00:00Z"}}'
).encode()

# Pretty-printed with a trailing newline: re-serialising it would change the bytes.
ALERT_RESOLVED_PRETTY = (
    '{\n  "event_type": "alerts.resolved",\n  "alert": {\n    "id": "ar_0Kx4mNpQ8rWvYb2dFgHjLs",\n'
    '    "name": "API errors spiking",\n    "project_id": null,\n    "metric": "api_errors",\n'
    '    "operator": ">",\n    "threshold_value": 20,\n    "current_value": 3,\n'
    '    "previous_state": "alert",\n    "resolved_at": "2025-11-23T08:20:00+00:00"\n  }\n}\n'
).encode()

CASES = [
    # name, secret, timestamp, body
    ("ascii", "whsec_test_secret", 1763884800,
     b'{"event_type":"alerts.resolved","alert":{"id":"ar_1"}}'),
    ("utf8-body", "whsec_utf8", 1763884801,
     '{"event_type":"note","text":"caf\u00e9 \u2615 \u00fcber \U0001F600"}'.encode()),
    ("utf8-secret", "s3cr\u00e9t-\u263a-\u79d8\u5bc6", 1763884802, b'{"event_type":"alerts.triggered"}'),
    ("empty-body", "whsec_empty", 1763884803, b""),
    ("binary-body", "whsec_binary", 1763884804, bytes(range(256)) + b"\x00\xff\r\n"),
    ("secret-64-bytes", "b" * 64, 1763884805, b'{"event_type":"alerts.triggered"}'),
    ("long-secret", "k" * 200, 1763884806, b'{"event_type":"alerts.triggered"}'),
    ("alerts-triggered", "whsec_0f1e2d3c4b5a69788796a5b4c3d2e1f0", 1763884807, ALERT_TRIGGERED),
    ("alerts-resolved-pretty", "whsec_0f1e2d3c4b5a69788796a5b4c3d2e1f0", 1763885000,
     ALERT_RESOLVED_PRETTY),
]


def openssl_hmac(secret: str, message: bytes) -> str:
    out = subprocess.run(
        ["openssl", "dgst", "-sha256", "-hmac", secret],
        input=message, capture_output=True, check=True,
    ).stdout.decode()
    # "HMAC-SHA2-256(stdin)= <hex>" (OpenSSL 3) or "(stdin)= <hex>" (1.1).
    return out.strip().rsplit(" ", 1)[-1]


def main() -> None:
    have_openssl = shutil.which("openssl") is not None
    vectors = []
    for name, secret, timestamp, body in CASES:
        message = str(timestamp).encode() + b"." + body
        signature = hmac.new(secret.encode("utf-8"), message, hashlib.sha256).hexdigest()
        vector = {
            "name": name,
            "secret": secret,
            "timestamp": timestamp,
            "body_hex": body.hex(),
            "signature": signature,
        }
        if have_openssl:
            assert openssl_hmac(secret, message) == signature, name
            vector["openssl_checked"] = True
        vectors.append(vector)
    out = pathlib.Path(__file__).with_name("vectors.json")
    out.write_text(json.dumps(vectors, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    print(f"wrote {len(vectors)} vectors to {out} (openssl cross-check: {have_openssl})")


if __name__ == "__main__":
    main()
