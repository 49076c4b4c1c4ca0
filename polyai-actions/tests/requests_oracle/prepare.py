#!/usr/bin/env python3
"""The `requests` oracle for conv_api's query, form and JSON encoding.

Reads cases.json (next to this file), prepares each case with Python `requests` exactly as
PolyAI's runtime would send `conv.api.<api>.<op>(params=..., json=..., data=...)`:

    requests.Request(method, BASE + resource, params=..., json=..., data=...).prepare()

and writes ../requests_corpus.json: every case with the prepared URL, body and Content-Type.

    python3 prepare.py          # regenerate the committed expected outputs
    python3 prepare.py --check  # regenerate in memory; exit 1 if the committed file differs

JSON `null` is Python `None`, `true`/`false` are `True`/`False`; integers stay ints and
numbers with a fraction or exponent are floats, as `json.loads` reads them (and serde_json).
"""
import json
import os
import sys

import requests

BASE = "http://127.0.0.1:8080"
HERE = os.path.dirname(os.path.abspath(__file__))
CASES = os.path.join(HERE, "cases.json")
OUT = os.path.join(os.path.dirname(HERE), "requests_corpus.json")


def prepare(case):
    kwargs = {}
    if "params" in case:
        kwargs["params"] = case["params"]
    if "json" in case:
        kwargs["json"] = case["json"]
    if "data" in case:
        kwargs["data"] = case["data"]
    prepared = requests.Request(case["method"], BASE + case["resource"], **kwargs).prepare()
    body = prepared.body
    if isinstance(body, bytes):
        body = body.decode("utf-8")
    return {
        "url": prepared.url,
        "body": body,
        "content_type": prepared.headers.get("Content-Type"),
    }


def main():
    with open(CASES, encoding="utf-8") as f:
        cases = json.load(f)
    out = {
        "generated_by": "polyai-actions/tests/requests_oracle/prepare.py",
        "requests_version": requests.__version__,
        "base_url": BASE,
        "cases": [dict(case, expected=prepare(case)) for case in cases],
    }
    text = json.dumps(out, indent=2, ensure_ascii=False) + "\n"
    if "--check" in sys.argv[1:]:
        with open(OUT, encoding="utf-8") as f:
            committed = json.load(f)
        # The requests version is informative; the outputs must match.
        committed.pop("requests_version", None)
        fresh = json.loads(text)
        fresh.pop("requests_version", None)
        if committed != fresh:
            for a, b in zip(committed.get("cases", []), fresh["cases"]):
                if a != b:
                    print(f"differs: {b['name']}\n  committed: {a.get('expected')}\n  requests:  {b['expected']}")
            print("requests_corpus.json is stale: run python3 polyai-actions/tests/requests_oracle/prepare.py")
            sys.exit(1)
        print(f"requests parity corpus up to date ({len(cases)} cases, requests {requests.__version__})")
        return
    with open(OUT, "w", encoding="utf-8") as f:
        f.write(text)
    print(f"wrote {OUT} ({len(cases)} cases)")


if __name__ == "__main__":
    main()
