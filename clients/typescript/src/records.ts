import type { Bytes } from "./bytes.js";

/** One header of a record read back. Keys may repeat; order is kept. */
export interface Header {
  key: string;
  value: Buffer;
}

/**
 * Headers to send: an object (one value per key), or a list of [key, value]
 * pairs or {key, value} objects when keys repeat or order matters.
 */
export type HeadersInit =
  | Readonly<Record<string, Bytes>>
  | ReadonlyArray<readonly [string, Bytes] | { readonly key: string; readonly value: Bytes }>;

/** A record to produce. */
export interface ProducerRecord {
  topic: string;
  /**
   * Partitioning key. A keyed record goes to (murmur2(key) & 0x7fffffff) % partitions,
   * as with Kafka's default partitioner, unless `partition` is given. `null` or
   * absent means no key (not the same as an empty key).
   */
  key?: Bytes | null;
  /** The payload; `null` or absent means a null value (a tombstone), not an empty one. */
  value?: Bytes | null;
  headers?: HeadersInit;
  /** The partition to append to; overrides the key. */
  partition?: number;
  /** The record's time (milliseconds since the epoch, or a Date); absent means "now" on the broker. */
  timestamp?: Date | number | bigint;
}

/** Where a produced record was stored. */
export interface RecordMetadata {
  topic: string;
  partition: number;
  /** The record's offset in its partition; -1n when the producer uses acks "none". */
  offset: bigint;
}

/** A record read from a partition. */
export interface ConsumerRecord {
  topic: string;
  partition: number;
  offset: bigint;
  /** Milliseconds since the Unix epoch. */
  timestampMs: bigint;
  /** `null` when the record has no key (an empty key is an empty Buffer). */
  key: Buffer | null;
  /** `null` for a null value (a tombstone); an empty value is an empty Buffer. */
  value: Buffer | null;
  headers: Header[];
}

/** A batch of records of one partition, as one Fetch response carried it. */
export interface RecordBatch {
  topic: string;
  partition: number;
  records: ConsumerRecord[];
  /** The partition's high watermark when the batch was read: the next offset to be written. */
  highWatermark: bigint;
  /** The partition's oldest stored offset when the batch was read. */
  logStartOffset: bigint;
}
