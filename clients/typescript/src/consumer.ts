import { create, type MessageInitShape } from "@bufbuild/protobuf";
import { createClient, type Client } from "@connectrpc/connect";
import { connect, type Connection, type ConnectionOptions } from "./connection.js";
import { FetchRequestSchema, FetchService, StartPositionSchema, type FetchResponse } from "./gen/sluice/v1/fetch_pb.js";
import { Boundary } from "./gen/sluice/v1/record_pb.js";
import type { ConsumerRecord, RecordBatch } from "./records.js";

/**
 * Where a read starts in a partition: the oldest stored record, the next record
 * to be written, an absolute offset, or the first record at or after a time.
 */
export type StartFrom = "earliest" | "latest" | bigint | number | { timestamp: Date | number | bigint };

/** What to read. */
export interface FetchOptions {
  topic: string;
  /**
   * Partitions to read, each a number (starting at `from`) or {partition, from}.
   * Absent or empty means every partition of the topic, starting at `from`.
   */
  partitions?: ReadonlyArray<number | { partition: number; from?: StartFrom }>;
  /** Default "earliest". */
  from?: StartFrom;
  /**
   * Keep waiting for new records as they commit, until the signal aborts or the
   * loop breaks. Without it the read ends at the high watermark each partition
   * had when the read reached it.
   */
  follow?: boolean;
  /** Stop after this many records in total. */
  maxRecords?: number;
  /** Records per Fetch response at most (broker default 10000). */
  batchMaxRecords?: number;
  /** About this many bytes per Fetch response at most (broker default 1 MiB). */
  batchMaxBytes?: number;
  /** Ends the read; the iteration then finishes without an error. */
  signal?: AbortSignal;
}

/**
 * Consumer reads records by offset from a Fetch stream.
 *
 * ```ts
 * const consumer = new Consumer({ address: "127.0.0.1:7070" });
 * for await (const rec of consumer.records({ topic: "orders", from: "earliest" })) {
 *   console.log(rec.partition, rec.offset, rec.value?.toString());
 * }
 * consumer.close();
 * ```
 *
 * Reading deletes nothing, and one Consumer may run any number of reads at once.
 * Breaking out of a loop or aborting its signal cancels that read's stream;
 * errors (an unknown topic, an offset out of range) are thrown by the loop as
 * ConnectError with the broker's gRPC code and message.
 */
export class Consumer {
  private readonly conn: Connection;
  private readonly client: Client<typeof FetchService>;
  private readonly closing = new AbortController();

  constructor(options: ConnectionOptions = {}) {
    this.conn = connect(options);
    this.client = createClient(FetchService, this.conn.transport);
  }

  /** Yields records one at a time, in offset order within each partition. */
  async *records(options: FetchOptions): AsyncGenerator<ConsumerRecord, void, undefined> {
    for await (const batch of this.batches(options)) {
      yield* batch.records;
    }
  }

  /** Yields the records as the broker sends them: in batches of one partition, with its watermarks. */
  async *batches(options: FetchOptions): AsyncGenerator<RecordBatch, void, undefined> {
    const request = create(FetchRequestSchema, toFetchRequest(options));
    if (this.closing.signal.aborted) {
      throw new Error("consumer is closed");
    }
    const stop = new AbortController();
    const signal = AbortSignal.any([stop.signal, this.closing.signal, ...(options.signal ? [options.signal] : [])]);
    if (signal.aborted) {
      return;
    }
    try {
      for await (const resp of this.client.fetch(request, { signal })) {
        yield toBatch(options.topic, resp);
      }
    } catch (err) {
      if (signal.aborted) {
        return;
      }
      throw err;
    } finally {
      stop.abort(); // the stream is cancelled when the caller breaks out early
    }
  }

  /** Ends every read of this consumer and closes its connection. */
  close(): void {
    this.closing.abort();
    this.conn.close();
  }
}

function toFetchRequest(o: FetchOptions): MessageInitShape<typeof FetchRequestSchema> {
  if (typeof o.topic !== "string" || o.topic === "") {
    throw new TypeError("topic: required");
  }
  const from = o.from ?? "earliest";
  const partitions = (o.partitions ?? []).map((p) =>
    typeof p === "number" ? { partition: p, start: toStart(from) } : { partition: p.partition, start: toStart(p.from ?? from) },
  );
  return {
    topic: o.topic,
    partitions,
    startAll: partitions.length === 0 ? toStart(from) : undefined,
    follow: o.follow ?? false,
    maxTotalRecords: BigInt(o.maxRecords ?? 0),
    maxRecords: o.batchMaxRecords ?? 0,
    maxBytes: o.batchMaxBytes ?? 0,
  };
}

function toStart(from: StartFrom) {
  let position: MessageInitShape<typeof StartPositionSchema>["position"];
  if (from === "earliest") {
    position = { case: "boundary", value: Boundary.EARLIEST };
  } else if (from === "latest") {
    position = { case: "boundary", value: Boundary.LATEST };
  } else if (typeof from === "bigint" || typeof from === "number") {
    position = { case: "offset", value: BigInt(from) };
  } else if (typeof from === "object" && from !== null && "timestamp" in from) {
    const t = from.timestamp;
    position = { case: "timestampMs", value: BigInt(t instanceof Date ? t.getTime() : t) };
  } else {
    throw new TypeError(`from: expected "earliest", "latest", an offset or {timestamp}, got ${String(from)}`);
  }
  return create(StartPositionSchema, { position });
}

function toBatch(topic: string, resp: FetchResponse): RecordBatch {
  return {
    topic,
    partition: resp.partition,
    highWatermark: resp.highWatermark,
    logStartOffset: resp.logStartOffset,
    records: resp.records.map((r) => ({
      topic,
      partition: resp.partition,
      offset: r.offset,
      timestampMs: r.timestampMs,
      key: r.key === undefined ? null : asBuffer(r.key),
      value: r.value === undefined ? null : asBuffer(r.value),
      headers: r.headers.map((h) => ({ key: h.key, value: asBuffer(h.value) })),
    })),
  };
}

/** A Buffer over the same memory (no copy). */
function asBuffer(b: Uint8Array): Buffer {
  return Buffer.from(b.buffer, b.byteOffset, b.byteLength);
}
