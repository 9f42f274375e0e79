"""Produces the cross-language test's records with the Python SDK.

Usage: produce.py BROKER TOPIC RECORDS_JSONL REPORTS_JSONL

Each line of RECORDS_JSONL is one record, {"key": base64 | null, "value":
base64 | null, "headers": [[key, base64], ...], "timestamp_ms": int | null},
sent in file order. REPORTS_JSONL gets one line per record, in the same
order: {"partition": p, "offset": o} or {"error": "..."}.

With SLUICE_TLS_CA set it dials over TLS (SLUICE_TLS_CERT and SLUICE_TLS_KEY:
a client certificate, SLUICE_TLS_SERVER_NAME: the name to verify); with
SLUICE_USER set it authenticates with SCRAM (SLUICE_PASSWORD,
SLUICE_SCRAM_MECHANISM).
"""

from __future__ import annotations

import base64
import json
import os
import sys
from typing import Any

import sluice


def decode(b64: str | None) -> bytes | None:
    return None if b64 is None else base64.b64decode(b64)


def security() -> dict[str, Any]:
    env = os.environ
    out: dict[str, Any] = {}
    if env.get("SLUICE_TLS_CA"):
        out["tls"] = sluice.TLS(
            ca_file=env["SLUICE_TLS_CA"],
            cert_file=env.get("SLUICE_TLS_CERT") or None,
            key_file=env.get("SLUICE_TLS_KEY") or None,
            server_name=env.get("SLUICE_TLS_SERVER_NAME") or None,
        )
    if env.get("SLUICE_USER"):
        out["auth"] = sluice.Scram(
            env["SLUICE_USER"], env["SLUICE_PASSWORD"], env.get("SLUICE_SCRAM_MECHANISM") or "SCRAM-SHA-256"
        )
    return out


def main() -> None:
    broker, topic, records_path, reports_path = sys.argv[1:5]
    with open(records_path, encoding="utf-8") as f:
        records = [json.loads(line) for line in f if line.strip()]
    futures = []
    with sluice.Producer(broker, **security()) as producer:
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
