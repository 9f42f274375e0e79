// Reads every record of a topic with the TypeScript SDK (@sluice/client, built
// in ../typescript) and writes them as JSON lines.
//
// Usage: node consume.mjs BROKER TOPIC OUT_JSONL
import { writeFileSync } from "node:fs";
import { Consumer } from "@sluice/client";

const [address, topic, out] = process.argv.slice(2);
const b64 = (buf) => (buf === null ? null : buf.toString("base64"));

const consumer = new Consumer({ address });
const lines = [];
try {
  for await (const rec of consumer.records({ topic, from: "earliest" })) {
    lines.push(
      JSON.stringify({
        partition: rec.partition,
        offset: Number(rec.offset),
        timestamp_ms: Number(rec.timestampMs),
        key: b64(rec.key),
        value: b64(rec.value),
        headers: rec.headers.map((h) => ({ key: h.key, value: b64(h.value) })),
      }),
    );
  }
} finally {
  consumer.close();
}
writeFileSync(out, lines.map((l) => l + "\n").join(""));
