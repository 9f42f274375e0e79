import { create } from "@bufbuild/protobuf";
import { Code, ConnectError, createClient, type Client } from "@connectrpc/connect";
import { toBytes } from "./bytes.js";
import { connect, type Connection, type ConnectionOptions } from "./connection.js";
import { ProduceError, toCode } from "./errors.js";
import { AdminService } from "./gen/sluice/v1/admin_pb.js";
import {
  Acks as WireAcks,
  ProduceRequestSchema,
  ProduceService,
  type ProduceRequest,
  type ProduceResponse,
} from "./gen/sluice/v1/produce_pb.js";
import { HeaderSchema, RecordSchema, type Header as WireHeader, type Record as WireRecord } from "./gen/sluice/v1/record_pb.js";
import { partitionForKey } from "./partitioner.js";
import { AsyncQueue } from "./queue.js";
import type { HeadersInit, ProducerRecord, RecordMetadata } from "./records.js";

/**
 * When the broker answers a produce: "all" once the partition's replicas
 * committed the records, "leader" once the leader stored them, "none" at once
 * (offsets are then unknown: -1n).
 */
export type Acks = "all" | "leader" | "none";

export interface ProducerOptions extends ConnectionOptions {
  /** Default "all". */
  acks?: Acks;
  /** How long a batch waits for more records before it is sent. Default 5 ms. */
  lingerMs?: number;
  /** A batch is sent as soon as it holds this many records. Default 1000. */
  batchMaxRecords?: number;
  /**
   * A batch is sent before it would pass about this many bytes of keys, values
   * and headers (a larger record travels alone). Default 1 MiB.
   */
  batchMaxBytes?: number;
  /** Produce requests sent and not yet answered, at most. Default 16. */
  maxInFlight?: number;
  /**
   * send() refuses a record whose key, value and headers pass this many bytes;
   * keep it at or under the broker's max.message.bytes (default 1 MiB).
   */
  maxRecordBytes?: number;
}

const ACKS: Readonly<Record<Acks, WireAcks>> = { all: WireAcks.ALL, leader: WireAcks.LEADER, none: WireAcks.NONE };
const RECORD_OVERHEAD = 16;
const HEADER_OVERHEAD = 4;

/** A record waiting for its delivery report. */
interface Pending {
  topic: string;
  record: WireRecord;
  key: Uint8Array | undefined;
  partition: number | undefined;
  size: number;
  resolve(meta: RecordMetadata): void;
  reject(err: unknown): void;
}

/** Records of one topic and partition that travel in one ProduceRequest. */
interface Batch {
  topic: string;
  partition: number;
  records: Pending[];
  bytes: number;
  /** Holds keyless records: sending it moves the topic's keyless partition on. */
  keyless: boolean;
  timer: NodeJS.Timeout | undefined;
}

interface TopicState {
  /** Partition count, once DescribeTopic answered. */
  partitions: number | undefined;
  /** Records sent while the partition count was unknown, in send order. */
  waiting: Pending[];
  /** Where keyless records go until their batch is sent. */
  sticky: number | undefined;
  /** The next keyless partition, round-robin. */
  next: number;
}

/** One Produce stream and the requests it has not answered yet. */
interface Stream {
  queue: AsyncQueue<ProduceRequest>;
  abort: AbortController;
  inflight: Map<bigint, Batch>;
  done: Promise<void>;
}

/**
 * Producer appends records to topics. It partitions keyed records with murmur2
 * (as Kafka's default partitioner), batches records per partition by count,
 * size and linger time, and sends the batches pipelined on one Produce stream.
 *
 * ```ts
 * const producer = new Producer({ address: "127.0.0.1:7070" });
 * const { partition, offset } = await producer.send({ topic: "orders", key: "alice", value: "paid" });
 * await producer.close();
 * ```
 *
 * send() does not wait for the batch: to produce fast, start many sends and
 * await their promises together (or call flush()). Records of one partition are
 * stored in send order. Failed records are not retried; the ProduceError says
 * whether retrying may help.
 */
export class Producer {
  private readonly conn: Connection;
  private readonly produceClient: Client<typeof ProduceService>;
  private readonly adminClient: Client<typeof AdminService>;
  private readonly acks: WireAcks;
  private readonly lingerMs: number;
  private readonly batchMaxRecords: number;
  private readonly batchMaxBytes: number;
  private readonly maxInFlight: number;
  private readonly maxRecordBytes: number;

  private readonly topics = new Map<string, TopicState>();
  private readonly batches = new Map<string, Batch>();
  private ready: Batch[] = [];
  private stream: Stream | undefined;
  private sequence = 1n;
  /** Settles when each unreported record does (never rejects). */
  private readonly unreported = new Set<Promise<void>>();
  private flushing = 0;
  private closed: Promise<void> | undefined;

  constructor(options: ProducerOptions = {}) {
    this.acks = ACKS[options.acks ?? "all"];
    if (this.acks === undefined) {
      throw new TypeError(`acks: expected "all", "leader" or "none", got "${options.acks}"`);
    }
    this.lingerMs = nonNegative("lingerMs", options.lingerMs ?? 5);
    this.batchMaxRecords = positive("batchMaxRecords", options.batchMaxRecords ?? 1000);
    this.batchMaxBytes = positive("batchMaxBytes", options.batchMaxBytes ?? 1 << 20);
    this.maxInFlight = positive("maxInFlight", options.maxInFlight ?? 16);
    this.maxRecordBytes = positive("maxRecordBytes", options.maxRecordBytes ?? 1 << 20);
    this.conn = connect(options);
    this.produceClient = createClient(ProduceService, this.conn.transport);
    this.adminClient = createClient(AdminService, this.conn.transport);
  }

  /**
   * Queues a record and resolves with its partition and offset once the broker
   * stored it (as `acks` says), or rejects with a ProduceError (or a TypeError
   * or RangeError for a record the broker would refuse).
   */
  send(record: ProducerRecord): Promise<RecordMetadata> {
    if (this.closed) {
      return Promise.reject(new Error("producer is closed"));
    }
    let prepared: Omit<Pending, "resolve" | "reject">;
    try {
      prepared = this.prepare(record);
    } catch (err) {
      return Promise.reject(err);
    }
    let pending: Pending | undefined;
    const delivered = new Promise<RecordMetadata>((resolve, reject) => {
      pending = { ...prepared, resolve, reject };
    });
    const settled = delivered.then(noop, noop);
    this.unreported.add(settled);
    void settled.then(() => this.unreported.delete(settled));
    this.enqueue(pending!);
    return delivered;
  }

  /** Sends every queued record now and waits until all records sent so far are reported. */
  async flush(): Promise<void> {
    this.flushing++;
    try {
      for (const batch of [...this.batches.values()]) {
        this.drain(batch);
      }
      await Promise.all([...this.unreported]);
    } finally {
      this.flushing--;
    }
  }

  /** Flushes, then closes the stream and the connection. Later sends are refused. */
  close(): Promise<void> {
    this.closed ??= (async () => {
      try {
        await this.flush();
        const stream = this.stream;
        this.stream = undefined;
        if (stream) {
          stream.queue.end();
          await stream.done;
        }
      } finally {
        this.conn.close();
      }
    })();
    return this.closed;
  }

  /** Validates a record and converts it for the wire; throws for a bad record. */
  private prepare(r: ProducerRecord): Omit<Pending, "resolve" | "reject"> {
    if (typeof r.topic !== "string" || r.topic === "") {
      throw new TypeError("topic: required");
    }
    if (r.partition !== undefined && !(Number.isInteger(r.partition) && r.partition >= 0 && r.partition <= 0x7fffffff)) {
      throw new RangeError(`partition: must be a non-negative integer (got ${r.partition})`);
    }
    const key = r.key == null ? undefined : toBytes(r.key);
    const value = r.value == null ? undefined : toBytes(r.value);
    const headers = toWireHeaders(r.headers);
    let size = RECORD_OVERHEAD + (key?.length ?? 0) + (value?.length ?? 0);
    for (const h of headers) {
      size += HEADER_OVERHEAD + h.key.length * 3 + h.value.length;
    }
    if (size > this.maxRecordBytes) {
      throw new RangeError(`record is about ${size} bytes, over maxRecordBytes (${this.maxRecordBytes})`);
    }
    const record = create(RecordSchema, { key, value, headers, timestampMs: toTimestamp(r.timestamp) });
    return { topic: r.topic, record, key, partition: r.partition, size };
  }

  /** Routes a record once its topic's partition count is known, keeping send order. */
  private enqueue(p: Pending): void {
    let t = this.topics.get(p.topic);
    if (!t) {
      t = { partitions: undefined, waiting: [], sticky: undefined, next: Math.floor(Math.random() * 0x7fffffff) };
      this.topics.set(p.topic, t);
    }
    if (t.partitions !== undefined) {
      this.route(t, p);
      return;
    }
    t.waiting.push(p);
    if (t.waiting.length === 1) {
      this.loadPartitions(p.topic, t);
    }
  }

  private loadPartitions(topic: string, t: TopicState): void {
    this.adminClient.describeTopic({ name: topic }).then(
      (resp) => {
        t.partitions = resp.topic?.partitions.length ?? 0;
        t.next %= Math.max(t.partitions, 1);
        const waiting = t.waiting;
        t.waiting = [];
        for (const p of waiting) {
          this.route(t, p);
        }
      },
      (err: unknown) => {
        this.topics.delete(topic);
        for (const p of t.waiting) {
          p.reject(ProduceError.fromStream(err, topic, p.partition ?? -1));
        }
      },
    );
  }

  /** Picks the record's partition and adds it to that partition's batch. */
  private route(t: TopicState, p: Pending): void {
    const n = t.partitions!;
    let partition: number;
    if (p.partition !== undefined) {
      if (p.partition >= n) {
        p.reject(new RangeError(`partition: topic "${p.topic}" has ${n} partitions (0 to ${n - 1}), got ${p.partition}`));
        return;
      }
      partition = p.partition;
    } else if (p.key !== undefined) {
      partition = partitionForKey(p.key, n);
    } else {
      if (t.sticky !== undefined) {
        this.makeRoom(p.topic, t.sticky, p.size);
      }
      if (t.sticky === undefined) {
        t.sticky = t.next;
        t.next = (t.next + 1) % n;
      }
      partition = t.sticky;
    }
    this.append(partition, p);
  }

  private append(partition: number, p: Pending): void {
    this.makeRoom(p.topic, partition, p.size);
    const id = batchId(p.topic, partition);
    let batch = this.batches.get(id);
    if (!batch) {
      batch = { topic: p.topic, partition, records: [], bytes: 0, keyless: false, timer: undefined };
      const b = batch;
      b.timer = setTimeout(() => this.drain(b), this.flushing > 0 ? 0 : this.lingerMs);
      this.batches.set(id, batch);
    }
    batch.records.push(p);
    batch.bytes += p.size;
    batch.keyless ||= p.key === undefined && p.partition === undefined;
    if (batch.records.length >= this.batchMaxRecords || batch.bytes >= this.batchMaxBytes) {
      this.drain(batch);
    }
  }

  /** Sends the partition's batch first if the record would not fit in it. */
  private makeRoom(topic: string, partition: number, size: number): void {
    const batch = this.batches.get(batchId(topic, partition));
    if (batch && batch.bytes + size > this.batchMaxBytes) {
      this.drain(batch);
    }
  }

  /** Moves a batch from the accumulator to the send queue. */
  private drain(batch: Batch): void {
    const id = batchId(batch.topic, batch.partition);
    if (this.batches.get(id) !== batch) {
      return;
    }
    clearTimeout(batch.timer);
    this.batches.delete(id);
    const t = this.topics.get(batch.topic);
    if (batch.keyless && t?.sticky === batch.partition) {
      t.sticky = undefined;
    }
    this.ready.push(batch);
    this.pump();
  }

  /** Writes queued batches to the stream while fewer than maxInFlight are unanswered. */
  private pump(): void {
    while (this.ready.length > 0) {
      const stream = this.stream ?? this.openStream();
      if (stream.inflight.size >= this.maxInFlight) {
        return;
      }
      const batch = this.ready.shift()!;
      const sequence = this.sequence++;
      stream.inflight.set(sequence, batch);
      stream.queue.push(
        create(ProduceRequestSchema, {
          sequence,
          topic: batch.topic,
          partition: batch.partition,
          records: batch.records.map((p) => p.record),
          acks: this.acks,
        }),
      );
    }
  }

  private openStream(): Stream {
    const stream: Stream = {
      queue: new AsyncQueue(),
      abort: new AbortController(),
      inflight: new Map(),
      done: Promise.resolve(),
    };
    stream.done = (async () => {
      let failure: unknown;
      try {
        for await (const resp of this.produceClient.produce(stream.queue, { signal: stream.abort.signal })) {
          this.onResponse(stream, resp);
        }
        if (stream.inflight.size > 0) {
          failure = new ConnectError(`produce stream ended with ${stream.inflight.size} requests unanswered`, Code.Unavailable);
        }
      } catch (err) {
        failure = err;
      }
      this.retire(stream);
      for (const batch of stream.inflight.values()) {
        fail(batch, ProduceError.fromStream(failure, batch.topic, batch.partition));
      }
      stream.inflight.clear();
      this.pump();
    })();
    this.stream = stream;
    return stream;
  }

  /** Stops sending on a stream: later batches go to a new one. */
  private retire(stream: Stream): void {
    if (this.stream === stream) {
      this.stream = undefined;
    }
    stream.queue.end();
  }

  private onResponse(stream: Stream, resp: ProduceResponse): void {
    const batch = stream.inflight.get(resp.sequence);
    if (!batch) {
      if (resp.sequence === 0n && resp.error) {
        this.onUnparsedRequest(stream, resp);
      }
      return;
    }
    stream.inflight.delete(resp.sequence);
    const result = resp.results.find((r) => r.partition === batch.partition);
    const wireErr = resp.error ?? result?.error;
    if (wireErr) {
      if (wireErr.code === Code.NotFound && this.topics.get(batch.topic)?.partitions !== undefined) {
        this.topics.delete(batch.topic); // the topic may have been deleted: look it up again
      }
      fail(batch, ProduceError.fromWire(wireErr, batch.topic, batch.partition));
    } else if (!result) {
      fail(batch, new ProduceError(`response has no result for partition ${batch.partition}`, Code.Internal, batch.topic, batch.partition, false));
    } else {
      const base = result.baseOffset;
      batch.records.forEach((p, i) => p.resolve({ topic: batch.topic, partition: batch.partition, offset: base < 0n ? -1n : base + BigInt(i) }));
    }
    this.pump();
  }

  /**
   * The broker answers a request it could not parse (a record over its size
   * limit, say) with sequence 0, so the request is only known when it was the
   * only one unanswered. Otherwise every unanswered request fails, as when a
   * connection breaks, and later batches go on a new stream.
   */
  private onUnparsedRequest(stream: Stream, resp: ProduceResponse): void {
    const err = resp.error!;
    const batches = [...stream.inflight.values()];
    stream.inflight.clear();
    for (const batch of batches) {
      const msg = batches.length === 1 ? err.message : `the broker refused one of ${batches.length} unanswered requests, which stored nothing: ${err.message}; whether this one was stored is unknown`;
      fail(batch, new ProduceError(msg, toCode(err.code), batch.topic, batch.partition, false));
    }
    this.retire(stream);
    stream.abort.abort();
  }
}

function fail(batch: Batch, err: unknown): void {
  for (const p of batch.records) {
    p.reject(err);
  }
}

function batchId(topic: string, partition: number): string {
  return `${partition}\u0000${topic}`;
}

function toWireHeaders(init: HeadersInit | undefined): WireHeader[] {
  if (init === undefined) {
    return [];
  }
  const pairs: Array<readonly [unknown, unknown]> = Array.isArray(init)
    ? init.map((h: unknown): readonly [unknown, unknown] => (Array.isArray(h) ? [h[0], h[1]] : [(h as WireHeader)?.key, (h as WireHeader)?.value]))
    : Object.entries(init);
  return pairs.map(([key, value]) => {
    if (typeof key !== "string" || !(typeof value === "string" || value instanceof Uint8Array)) {
      throw new TypeError("headers: each header needs a string key and a string or Uint8Array value");
    }
    return create(HeaderSchema, { key, value: toBytes(value) });
  });
}

function toTimestamp(t: Date | number | bigint | undefined): bigint {
  if (t === undefined) {
    return 0n;
  }
  const ms = t instanceof Date ? t.getTime() : t;
  if (typeof ms === "number" && !Number.isInteger(ms)) {
    throw new RangeError(`timestamp: must be whole milliseconds since the epoch (got ${ms})`);
  }
  const v = BigInt(ms);
  if (v < 0n) {
    throw new RangeError(`timestamp: must not be before 1970 (got ${v} ms)`);
  }
  return v;
}

function positive(name: string, v: number): number {
  if (!Number.isInteger(v) || v < 1) {
    throw new RangeError(`${name}: must be a positive integer (got ${v})`);
  }
  return v;
}

function nonNegative(name: string, v: number): number {
  if (!Number.isFinite(v) || v < 0) {
    throw new RangeError(`${name}: must not be negative (got ${v})`);
  }
  return v;
}

function noop(): void {}
