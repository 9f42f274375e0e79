// The README's example is examples/quickstart.ts, run here against a broker.
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import { promisify } from "node:util";
import { partitionForKey } from "@sluice/client";
import { startBroker } from "./broker.js";
import { startFakeAuth } from "./fakeauth.js";
import { packageDir } from "./paths.js";

test("the README contains examples/quickstart.ts verbatim", () => {
  const readme = readFileSync(join(packageDir, "README.md"), "utf8");
  const example = readFileSync(join(packageDir, "examples", "quickstart.ts"), "utf8");
  assert.ok(readme.includes("```ts\n" + example + "```\n"), "README.md must show examples/quickstart.ts in a ```ts block, unchanged");
});

test("examples/quickstart produces and consumes against a broker", async () => {
  const broker = await startBroker();
  try {
    const { stdout } = await promisify(execFile)(process.execPath, [join(packageDir, "test-dist", "examples", "quickstart.js")], {
      env: { ...process.env, SLUICE_BROKER: broker.address },
      timeout: 30_000,
    });
    // Keyed records land where murmur2 puts them, in send order within a partition.
    const next = new Map<number, number>();
    const want = ["alice", "bob", "carol"].map((name) => {
      const partition = partitionForKey(name, 3);
      const offset = next.get(partition) ?? 0;
      next.set(partition, offset + 1);
      return { partition, offset, line: `${name}: hello ${name} (partition ${partition}, offset ${offset})` };
    });
    const [reports, ...read] = stdout.trim().split("\n");
    assert.equal(reports, want.map((w) => `${w.partition}@${w.offset}`).join(" "), "the delivery reports");
    assert.deepEqual(read.sort(), want.map((w) => w.line).sort(), "the records read back");
  } finally {
    await broker.stop();
  }
});

test("the README contains examples/secure.ts verbatim", () => {
  const readme = readFileSync(join(packageDir, "README.md"), "utf8");
  const example = readFileSync(join(packageDir, "examples", "secure.ts"), "utf8");
  assert.ok(readme.includes("```ts\n" + example + "```\n"), "README.md must show examples/secure.ts in a ```ts block, unchanged");
});

test("examples/secure produces over mTLS as a SCRAM user", async () => {
  const f = await startFakeAuth();
  try {
    const { stdout } = await promisify(execFile)(process.execPath, [join(packageDir, "test-dist", "examples", "secure.js")], {
      env: {
        ...process.env,
        SLUICE_BROKER: f.address,
        SLUICE_CA: f.ca,
        SLUICE_CERT: f.cert,
        SLUICE_KEY: f.key,
        SLUICE_SERVER_NAME: f.serverName,
        SLUICE_USER: "alice",
        SLUICE_PASSWORD: "alice-secret",
      },
      timeout: 30_000,
    });
    assert.equal(stdout, "acked at 0@0\ntopics: alice\n");
    assert.deepEqual(await f.stats(), { exchanges: 2, rejected: 0, calls: 3 });
  } finally {
    await f.stop();
  }
});
