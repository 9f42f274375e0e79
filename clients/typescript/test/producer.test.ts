// Unit tests of the Producer's partitioning and batching against an in-memory broker.
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { Code, ConnectError, partitionForKey, ProduceError, Producer, type RecordMetadata } from "@sluice/client";
import { fakeBroker, until } from "./fake.js";

const text = (b: Uint8Array | undefined): string | undefined => (b === undefined ? undefined : new TextDecoder().decode(b));
const sizes = (fake: { requests: { records: unknown[] }[] }): number[] => fake.requests.map((r) => r.records.length);
const LONG = 60_000; // a linger no test waits for

describe("Producer partitioning", () => {
  test("keyed records go to their murmur2 partition, in send order, with consecutive offsets", async () => {
    const fake = fakeBroker({ partitions: 4 });
    const producer = new Producer({ transport: fake.transport, lingerMs: 1 });
    const keys = Array.from({ length: 40 }, (_, i) => `key-${i}`);
    const sent = await Promise.all(keys.map((key, i) => producer.send({ topic: "t", key, value: `v${i}` })));
    await producer.close();

    const nextOffset = new Map<number, bigint>();
    sent.forEach((meta, i) => {
      assert.equal(meta.topic, "t");
      assert.equal(meta.partition, partitionForKey(keys[i]!, 4), `partition of ${keys[i]}`);
      const want = nextOffset.get(meta.partition) ?? 0n;
      assert.equal(meta.offset, want, `offset of ${keys[i]}`);
      nextOffset.set(meta.partition, want + 1n);
    });
    for (const req of fake.requests) {
      assert.notEqual(req.partition, undefined, "the producer names the partition of every request");
      for (const rec of req.records) {
        assert.equal(partitionForKey(rec.key!, 4), req.partition);
      }
    }
    assert.ok(fake.requests.length >= 4 && fake.requests.length < 40, `records were batched: ${sizes(fake)}`);
  });

  test("keyless records share a partition per batch and move round-robin from batch to batch", async () => {
    const fake = fakeBroker({ partitions: 3 });
    const producer = new Producer({ transport: fake.transport, lingerMs: LONG, batchMaxRecords: 4 });
    const sent = await Promise.all(Array.from({ length: 12 }, (_, i) => producer.send({ topic: "t", value: `v${i}` })));
    await producer.close();

    assert.deepEqual(sizes(fake), [4, 4, 4]);
    const parts = fake.requests.map((r) => r.partition!);
    assert.deepEqual([...parts].sort(), [0, 1, 2]);
    assert.equal(parts[1], (parts[0]! + 1) % 3);
    assert.equal(parts[2], (parts[1]! + 1) % 3);
    sent.forEach((meta, i) => assert.equal(meta.partition, parts[Math.floor(i / 4)]));
  });

  test("an explicit partition wins over the key", async () => {
    const fake = fakeBroker({ partitions: 3 });
    const producer = new Producer({ transport: fake.transport, lingerMs: 0 });
    const key = "foobar";
    const partition = (partitionForKey(key, 3) + 1) % 3;
    const meta = await producer.send({ topic: "t", key, value: "v", partition });
    await producer.close();
    assert.equal(meta.partition, partition);
    assert.equal(fake.requests[0]!.partition, partition);
  });
});

describe("Producer batching", () => {
  test("a batch is sent as soon as it holds batchMaxRecords records", async () => {
    const fake = fakeBroker();
    const producer = new Producer({ transport: fake.transport, lingerMs: LONG, batchMaxRecords: 3 });
    const sends = Array.from({ length: 7 }, (_, i) => producer.send({ topic: "t", partition: 1, value: `v${i}` }));
    let lastDone = false;
    void sends[6]!.then(() => (lastDone = true));
    await Promise.all(sends.slice(0, 6));
    assert.deepEqual(sizes(fake), [3, 3]);
    assert.equal(lastDone, false, "the seventh record waits for its linger");
    await producer.flush();
    assert.equal(lastDone, true);
    assert.deepEqual(sizes(fake), [3, 3, 1]);
    assert.deepEqual((await Promise.all(sends)).map((m) => m.offset), [0n, 1n, 2n, 3n, 4n, 5n, 6n]);
    await producer.close();
  });

  test("a batch is sent before it would pass batchMaxBytes; a bigger record travels alone", async () => {
    const fake = fakeBroker();
    const producer = new Producer({ transport: fake.transport, lingerMs: LONG, batchMaxBytes: 200 });
    const value = "x".repeat(60); // about 76 bytes with the per-record overhead: two fit in 200
    const sends = Array.from({ length: 5 }, () => producer.send({ topic: "t", partition: 0, value }));
    await Promise.all(sends.slice(0, 4));
    assert.deepEqual(sizes(fake), [2, 2]);
    const big = producer.send({ topic: "t", partition: 0, value: "y".repeat(500) });
    await producer.flush();
    await Promise.all([...sends, big]);
    assert.deepEqual(sizes(fake), [2, 2, 1, 1]);
    assert.equal(text(fake.requests[3]!.records[0]!.value)!.length, 500);
    await producer.close();
  });

  test("a partial batch is sent once lingerMs has passed", async () => {
    const fake = fakeBroker();
    const producer = new Producer({ transport: fake.transport, lingerMs: 40 });
    const start = performance.now();
    const sends = [0, 1, 2].map((i) => producer.send({ topic: "t", partition: 2, value: `v${i}` }));
    await new Promise((resolve) => setTimeout(resolve, 5));
    assert.equal(fake.requests.length, 0, "nothing is sent before the linger ends");
    await Promise.all(sends);
    assert.ok(performance.now() - start >= 35, "the batch waited for its linger");
    assert.deepEqual(sizes(fake), [3]);
    await producer.close();
  });

  test("no more than maxInFlight requests go unanswered", async () => {
    const fake = fakeBroker();
    fake.hold = true;
    const producer = new Producer({ transport: fake.transport, lingerMs: 0, batchMaxRecords: 1, maxInFlight: 2 });
    const sends = Array.from({ length: 5 }, (_, i) => producer.send({ topic: "t", partition: 0, value: `v${i}` }));
    await until(() => fake.requests.length === 2, "two requests in flight");
    await new Promise((resolve) => setTimeout(resolve, 20));
    assert.equal(fake.requests.length, 2, "the third request waits for an answer");
    fake.release();
    const sent = await Promise.all(sends);
    assert.deepEqual(sent.map((m) => m.offset), [0n, 1n, 2n, 3n, 4n]);
    assert.equal(fake.requests.length, 5);
    assert.equal(fake.streams, 1, "one pipelined stream carries every request");
    await producer.close();
  });

  test("close() sends what is queued and then refuses records", async () => {
    const fake = fakeBroker();
    const producer = new Producer({ transport: fake.transport, lingerMs: LONG });
    const sends = [0, 1, 2].map((i) => producer.send({ topic: "t", partition: 0, value: `v${i}` }));
    await producer.close();
    assert.equal((await Promise.all(sends)).length, 3);
    await assert.rejects(producer.send({ topic: "t", value: "late" }), /closed/);
  });
});

describe("Producer records and errors", () => {
  test("null and empty keys and values, headers and timestamps reach the wire as given", async () => {
    const fake = fakeBroker();
    const producer = new Producer({ transport: fake.transport, lingerMs: 0 });
    await Promise.all([
      producer.send({ topic: "t", partition: 0, key: "", value: null, headers: [["a", "1"], ["a", "2"], { key: "b", value: new Uint8Array([0, 255]) }], timestamp: 1234 }),
      producer.send({ topic: "t", partition: 0, value: new Uint8Array(), headers: { x: "y" }, timestamp: new Date(5678) }),
    ]);
    await producer.close();
    const [a, b] = fake.requests.flatMap((r) => r.records);
    assert.deepEqual(a!.key, new Uint8Array());
    assert.equal(a!.value, undefined);
    assert.deepEqual(a!.headers.map((h) => [h.key, [...h.value]]), [["a", [49]], ["a", [50]], ["b", [0, 255]]]);
    assert.equal(a!.timestampMs, 1234n);
    assert.equal(b!.key, undefined);
    assert.deepEqual(b!.value, new Uint8Array());
    assert.deepEqual(b!.headers.map((h) => [h.key, text(h.value)]), [["x", "y"]]);
    assert.equal(b!.timestampMs, 5678n);
  });

  test("a refused request rejects its records with the broker's code; other partitions succeed", async () => {
    const fake = fakeBroker({
      answer: (req) => {
        switch (req.partition) {
          case 1:
            return { sequence: req.sequence, results: [{ partition: 1, baseOffset: -1n, error: { code: 14, message: "no leader", retryable: true } }] };
          case 2:
            return { sequence: req.sequence, error: { code: 3, message: "records[0].timestamp_ms: bad" } };
        }
        return undefined;
      },
    });
    const producer = new Producer({ transport: fake.transport, lingerMs: 0 });
    const [ok, unavailable, invalid] = await Promise.allSettled([0, 1, 2].map((partition) => producer.send({ topic: "t", partition, value: "v" })));
    await producer.close();
    assert.deepEqual((ok as PromiseFulfilledResult<RecordMetadata>).value, { topic: "t", partition: 0, offset: 0n });
    const e1 = (unavailable as PromiseRejectedResult).reason;
    assert.ok(e1 instanceof ProduceError);
    assert.ok(e1 instanceof ConnectError, "a ProduceError is a ConnectError");
    assert.equal(e1.code, Code.Unavailable);
    assert.equal(e1.retryable, true);
    assert.equal(e1.partition, 1);
    assert.match(e1.message, /no leader/);
    const e2 = (invalid as PromiseRejectedResult).reason;
    assert.ok(e2 instanceof ProduceError);
    assert.equal(e2.code, Code.InvalidArgument);
    assert.equal(e2.retryable, false);
    assert.match(e2.message, /timestamp_ms/);
  });

  test("a request the broker cannot parse (answered with sequence 0) fails when it is the only one in flight", async () => {
    const fake = fakeBroker({
      answer: (req) => (text(req.records[0]!.value) === "bad" ? { sequence: 0n, error: { code: 3, message: "records[0]: too big" } } : undefined),
    });
    const producer = new Producer({ transport: fake.transport, lingerMs: 0 });
    await assert.rejects(producer.send({ topic: "t", partition: 0, value: "bad" }), (err: unknown) => {
      assert.ok(err instanceof ProduceError);
      assert.equal(err.code, Code.InvalidArgument);
      assert.match(err.message, /too big/);
      return true;
    });
    assert.equal((await producer.send({ topic: "t", partition: 0, value: "good" })).offset, 0n);
    await producer.close();
  });

  test("a broken stream fails its unanswered records as retryable; later records go on a new stream", async () => {
    const fake = fakeBroker({ breakOn: (_req, stream) => stream === 1 });
    const producer = new Producer({ transport: fake.transport, lingerMs: 0 });
    await assert.rejects(producer.send({ topic: "t", partition: 0, value: "lost" }), (err: unknown) => {
      assert.ok(err instanceof ProduceError);
      assert.equal(err.code, Code.Unavailable);
      assert.equal(err.retryable, true);
      return true;
    });
    assert.equal((await producer.send({ topic: "t", partition: 0, value: "kept" })).partition, 0);
    assert.equal(fake.streams, 2);
    await producer.close();
  });

  test("bad records are refused before sending", async () => {
    const fake = fakeBroker({ partitions: 3 });
    const producer = new Producer({ transport: fake.transport, lingerMs: 0, maxRecordBytes: 1000 });
    await assert.rejects(producer.send({ topic: "unknown", value: "v" }), (err: unknown) => err instanceof ProduceError && err.code === Code.NotFound);
    await assert.rejects(producer.send({ topic: "t", value: "v", partition: 3 }), RangeError);
    await assert.rejects(producer.send({ topic: "t", value: "v", partition: -1 }), RangeError);
    await assert.rejects(producer.send({ topic: "t", value: "v", timestamp: -5 }), RangeError);
    await assert.rejects(producer.send({ topic: "t", value: "x".repeat(2000) }), RangeError);
    await assert.rejects(producer.send({ topic: "", value: "v" }), TypeError);
    await producer.close();
    assert.equal(fake.requests.length, 0);
    assert.throws(() => new Producer({ transport: fake.transport, batchMaxRecords: 0 }), RangeError);
  });
});
