"""Produces the cross-language test's records with the Python SDK.

Usage: produce.py BROKER TOPIC RECORDS_JSONL REPORTS_JSONL

Each line of RECORDS_JSONL is one record, {"key": base64 | null, "value":
base64 | null, "headers": [[key, base64], ...], "timestamp_ms": int | null},
sent in file order. REPORTS_JSONL gets one line per record, in the same
order: {"partition": p, "offset": o} or {"error": "..."}.
"""

from __future__ import annotations

import base64
import json
import sys

import sluice


def decode(b64: str | None) -> bytes | None:
    return None if b64 is None else base64.b64decode(b64)


def main() -> None:
    broker, topic, records_path, reports_path = sys.argv[1:5]
    with open(records_path, encoding="utf-8") as f:
        records = [json.loads(line) for line in f if line.strip()]
    futures = []
    with sluice.Producer(broker) as producer:
        for r in records:
            futures.append(
                producer.send(
                    topic,
                    decode(r["value"]),
                    key=decode(r["key"]),
                    headers=[(k, base64.b64decode(v)) for k, v in r["headers"]],
                    timestamp_ms=r["timestamp_ms"],
                )
            )
    # Leaving the block flushed the producer: every future is settled.
    with open(reports_path, "w", encoding="utf-8") as out:
        for fut in futures:
            exc = fut.exception()
            if exc is not None:
                out.write(json.dumps({"error": repr(exc)}) + "\n")
            else:
                md = fut.result()
                out.write(json.dumps({"partition": md.partition, "offset": md.offset}) + "\n")


if __name__ == "__main__":
    main()
