// Reads every record of a topic with the TypeScript SDK (@sluice/client, built
// in ../typescript) and writes them as JSON lines.
//
// Usage: node consume.mjs BROKER TOPIC OUT_JSONL
//
// With SLUICE_TLS_CA set it dials over TLS (SLUICE_TLS_CERT and SLUICE_TLS_KEY: a
// client certificate, SLUICE_TLS_SERVER_NAME: the name to verify); with SLUICE_USER
// set it authenticates with SCRAM (SLUICE_PASSWORD, SLUICE_SCRAM_MECHANISM).
import { writeFileSync } from "node:fs";
import { Consumer } from "@sluice/client";

const [address, topic, out] = process.argv.slice(2);
const b64 = (buf) => (buf === null ? null : buf.toString("base64"));

const env = process.env;
const options = { address };
if (env.SLUICE_TLS_CA) {
  options.tls = {
    caFile: env.SLUICE_TLS_CA,
    certFile: env.SLUICE_TLS_CERT || undefined,
    keyFile: env.SLUICE_TLS_KEY || undefined,
    serverName: env.SLUICE_TLS_SERVER_NAME || undefined,
  };
}
if (env.SLUICE_USER) {
  options.auth = { username: env.SLUICE_USER, password: env.SLUICE_PASSWORD, mechanism: env.SLUICE_SCRAM_MECHANISM || undefined };
}
const consumer = new Consumer(options);
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
