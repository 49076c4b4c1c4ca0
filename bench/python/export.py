#!/usr/bin/env python3
"""Export a window of Conversations v3 to JSON Lines with `requests`: the Python side of
`cargo xtask bench`'s export scenario, doing what `polyai conversations export` does.

It pages the v3 listing with its cursor (one `requests.Session`, so one kept-alive
connection), and writes one conversation per line in the form the Rust side writes: keys
sorted, no spaces, UTF-8 as is, and the null fields of a conversation and of its turns left
out (the SDK's typed records skip absent fields). The bench compares the three outputs byte
for byte, so this form is what makes the comparison possible; it costs little next to the
decoding and encoding themselves.

    python3 export.py --base-url URL --api-key KEY --account A --project P \
        --since 2026-10-01T00:00:00.000Z --until 2026-11-01T00:00:00.000Z \
        [--page-size 1000] --out FILE

Prints the number of conversations written on its last line.
"""

import argparse
import json
import sys

import requests


def compact(record):
    """The record without its null fields, and its turns likewise."""
    out = {k: v for k, v in record.items() if v is not None}
    turns = out.get("turns")
    if isinstance(turns, list):
        out["turns"] = [
            {k: v for k, v in t.items() if v is not None} if isinstance(t, dict) else t
            for t in turns
        ]
    return out


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--base-url", required=True)
    parser.add_argument("--api-key", required=True)
    parser.add_argument("--account", required=True)
    parser.add_argument("--project", required=True)
    parser.add_argument("--since", required=True)
    parser.add_argument("--until", required=True)
    parser.add_argument("--page-size", type=int, default=1000)
    parser.add_argument("--out", required=True)
    args = parser.parse_args()

    url = f"{args.base_url.rstrip('/')}/v3/{args.account}/{args.project}/conversations"
    session = requests.Session()
    session.headers["x-api-key"] = args.api_key
    params = {
        "start_time": args.since,
        "end_time": args.until,
        "limit": str(args.page_size),
    }
    encode = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"), sort_keys=True).encode
    written = 0
    with open(args.out, "w", encoding="utf-8", newline="\n") as out:
        while True:
            response = session.get(url, params=params, timeout=60)
            response.raise_for_status()
            page = response.json()
            lines = [encode(compact(c)) for c in page.get("conversations") or []]
            if lines:
                out.write("\n".join(lines))
                out.write("\n")
            written += len(lines)
            cursor = page.get("cursor")
            if not cursor:
                break
            params["cursor"] = cursor
    print(written)
    return 0


if __name__ == "__main__":
    sys.exit(main())
