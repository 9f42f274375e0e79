import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import { murmur2, partitionForKey } from "@sluice/client";
import { testdataDir } from "./paths.js";

interface Vectors {
  vectors: Array<{ key: string; hash: number }>;
  partitions: Array<{ key: string; num_partitions: number; partition: number }>;
}

const vectors: Vectors = JSON.parse(readFileSync(join(testdataDir, "murmur2_vectors.json"), "utf8"));

test("murmur2 matches Kafka's Utils.murmur2 on the shared vectors", () => {
  assert.ok(vectors.vectors.length >= 6);
  for (const v of vectors.vectors) {
    assert.equal(murmur2(v.key), v.hash, `murmur2(${JSON.stringify(v.key)})`);
    assert.equal(murmur2(new TextEncoder().encode(v.key)), v.hash, `murmur2(bytes of ${JSON.stringify(v.key)})`);
  }
});

test("partitionForKey matches Kafka's default partitioner on the shared vectors", () => {
  assert.ok(vectors.partitions.length > 0);
  for (const c of vectors.partitions) {
    assert.equal(partitionForKey(c.key, c.num_partitions), c.partition, `partitionForKey(${JSON.stringify(c.key)}, ${c.num_partitions})`);
  }
});

test("an empty key hashes like any key; a bad partition count is refused", () => {
  assert.equal(murmur2(""), murmur2(new Uint8Array()));
  assert.ok(partitionForKey("", 7) >= 0 && partitionForKey("", 7) < 7);
  assert.throws(() => partitionForKey("k", 0), RangeError);
});
