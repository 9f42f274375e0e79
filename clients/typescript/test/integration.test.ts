// The SDK against the real broker binary ($SLUICE_BIN) on 127.0.0.1.
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { Admin, Code, ConnectError, Consumer, partitionForKey, Producer, type ConsumerRecord, type RecordMetadata } from "@sluice/client";
import { startBroker, type Broker } from "./broker.js";

const TOPIC = "events";
const PARTITIONS = 3;
const COUNT = 10_000;

let broker: Broker;
let admin: Admin;

before(async () => {
  broker = await startBroker();
  admin = new Admin({ address: broker.address });
});

after(async () => {
  admin?.close();
  await broker?.stop();
});

/** The record produced as number i: every key distinct, some null and empty values, repeated header keys. */
function record(i: number) {
  const value = i % 500 === 0 ? null : i % 500 === 1 ? "" : `value-${i}`;
  return {
    topic: TOPIC,
    key: `key-${i}`,
    value,
    headers: [["index", String(i)], ["kind", i % 2 ? "odd" : "even"], ["kind", "repeat"]] as [string, string][],
  };
}

async function collect<T>(it: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const x of it) {
    out.push(x);
  }
  return out;
}

describe("against a broker", () => {
  let delivered: RecordMetadata[] = [];

  test("Admin creates and describes a topic and the cluster", async () => {
    const topic = await admin.createTopic({ name: TOPIC, partitions: PARTITIONS });
    assert.equal(topic.name, TOPIC);
    assert.deepEqual(topic.partitions.map((p) => p.partition), [0, 1, 2]);
    const cluster = await admin.describeCluster();
    assert.equal(cluster.brokers.length, 1);
    assert.equal(cluster.controllerId, cluster.brokers[0]!.id);
    assert.ok((await admin.listTopics()).some((t) => t.name === TOPIC && t.partitions === PARTITIONS));
    await assert.rejects(admin.createTopic({ name: TOPIC, partitions: 1 }), (err: unknown) => err instanceof ConnectError && err.code === Code.AlreadyExists);
  });

  test(`Producer stores ${COUNT} keyed records with headers, each reported with its partition and offset`, async () => {
    const producer = new Producer({ address: broker.address });
    delivered = await Promise.all(Array.from({ length: COUNT }, (_, i) => producer.send(record(i))));
    await producer.close();

    const next = new Map<number, bigint>();
    delivered.forEach((meta, i) => {
      assert.equal(meta.partition, partitionForKey(`key-${i}`, PARTITIONS), `partition of record ${i}`);
      const want = next.get(meta.partition) ?? 0n;
      assert.equal(meta.offset, want, `offset of record ${i}: a partition keeps send order`);
      next.set(meta.partition, want + 1n);
    });
    const latest = await admin.listOffsets(TOPIC, "latest");
    assert.deepEqual(
      latest.map((o) => [o.partition, o.offset]),
      [0, 1, 2].map((p) => [p, next.get(p) ?? 0n]),
    );
  });

  test("Consumer reads every record back with its key, value, headers and offset", async () => {
    assert.equal(delivered.length, COUNT, "the produce test ran first");
    const consumer = new Consumer({ address: broker.address });
    const records = await collect(consumer.records({ topic: TOPIC, from: "earliest" }));
    consumer.close();

    assert.equal(records.length, COUNT);
    const seen = new Set<number>();
    const lastOffset = new Map<number, bigint>();
    for (const rec of records) {
      const i = Number(header(rec, "index"));
      assert.ok(!seen.has(i), `record ${i} read once`);
      seen.add(i);
      const want = record(i);
      assert.equal(rec.topic, TOPIC);
      assert.equal(rec.key?.toString(), want.key);
      if (want.value === null) {
        assert.equal(rec.value, null, `record ${i} has a null value`);
      } else {
        assert.ok(rec.value !== null, `record ${i} has a value`);
        assert.equal(rec.value.toString(), want.value);
      }
      assert.deepEqual(rec.headers.map((h) => [h.key, h.value.toString()]), want.headers);
      assert.equal(rec.partition, delivered[i]!.partition);
      assert.equal(rec.offset, delivered[i]!.offset, `offset of record ${i}`);
      assert.ok(rec.timestampMs > 0n, "the broker stamped the record");
      assert.ok(rec.offset > (lastOffset.get(rec.partition) ?? -1n), "offsets increase within a partition");
      lastOffset.set(rec.partition, rec.offset);
    }
  });

  test("Consumer starts at an offset in chosen partitions and stops after maxRecords", async () => {
    const consumer = new Consumer({ address: broker.address });
    const records = await collect(consumer.records({ topic: TOPIC, partitions: [{ partition: 1, from: 5n }], maxRecords: 3 }));
    const fromLatest = await collect(consumer.records({ topic: TOPIC, from: "latest" }));
    consumer.close();
    assert.deepEqual(records.map((r) => [r.partition, r.offset]), [[1, 5n], [1, 6n], [1, 7n]]);
    const byOffset = delivered.findIndex((m) => m.partition === 1 && m.offset === 5n);
    assert.equal(header(records[0]!, "index"), String(byOffset));
    assert.deepEqual(fromLatest, [], "nothing after the high watermark, and the read ends without follow");
  });

  test("a following Consumer sees new records and ends when its signal aborts", async () => {
    const [{ offset: end }] = await admin.listOffsets(TOPIC, "latest", [0]);
    const consumer = new Consumer({ address: broker.address });
    const abort = new AbortController();
    const got: ConsumerRecord[] = [];
    const reading = (async () => {
      for await (const rec of consumer.records({ topic: TOPIC, partitions: [0], from: end, follow: true, signal: abort.signal })) {
        got.push(rec);
        if (got.length === 2) {
          abort.abort();
        }
      }
    })();
    const producer = new Producer({ address: broker.address, lingerMs: 0 });
    const first = await producer.send({ topic: TOPIC, partition: 0, value: "live-1" });
    const second = await producer.send({ topic: TOPIC, partition: 0, value: "live-2" });
    await producer.close();
    await withTimeout(reading, 10_000, "the aborted loop to end");
    consumer.close();
    assert.deepEqual(got.map((r) => [r.offset, r.value?.toString()]), [[first.offset, "live-1"], [second.offset, "live-2"]]);
    assert.equal(first.offset, end);
  });

  test("breaking out of a following loop cancels its stream", async () => {
    const consumer = new Consumer({ address: broker.address });
    const loop = (async () => {
      for await (const rec of consumer.records({ topic: TOPIC, follow: true })) {
        if (rec.offset >= 0n) {
          break;
        }
      }
    })();
    await withTimeout(loop, 10_000, "the loop to end after break");
    consumer.close();
  });

  test("read errors carry the broker's code", async () => {
    const consumer = new Consumer({ address: broker.address });
    await assert.rejects(collect(consumer.records({ topic: "no-such-topic" })), (err: unknown) => err instanceof ConnectError && err.code === Code.NotFound);
    await assert.rejects(
      collect(consumer.records({ topic: TOPIC, partitions: [0], from: 1_000_000n })),
      (err: unknown) => err instanceof ConnectError && err.code === Code.OutOfRange,
    );
    consumer.close();
  });

  test("Admin describes, lists offsets of and deletes the topic", async () => {
    const topic = await admin.describeTopic(TOPIC);
    const total = topic.partitions.reduce((n, p) => n + p.highWatermark, 0n);
    assert.equal(total, BigInt(COUNT + 2));
    const earliest = await admin.listOffsets(TOPIC, "earliest");
    assert.deepEqual(earliest.map((o) => o.offset), [0n, 0n, 0n]);
    await admin.deleteTopic(TOPIC);
    assert.ok(!(await admin.listTopics()).some((t) => t.name === TOPIC));
    await assert.rejects(admin.describeTopic(TOPIC), (err: unknown) => err instanceof ConnectError && err.code === Code.NotFound);
  });
});

function header(rec: ConsumerRecord, key: string): string | undefined {
  return rec.headers.find((h) => h.key === key)?.value.toString();
}

async function withTimeout<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(`timed out waiting for ${what}`)), ms)));
  try {
    return await Promise.race([p, timeout]);
  } finally {
    clearTimeout(timer);
  }
}
