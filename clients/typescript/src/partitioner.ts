import { toBytes } from "./bytes.js";

/**
 * Kafka's murmur2 hash (org.apache.kafka.common.utils.Utils.murmur2): 32-bit
 * MurmurHash2 with seed 0x9747b28c, returned as a signed 32-bit integer.
 * Strings are hashed as their UTF-8 bytes.
 */
export function murmur2(key: Uint8Array | string): number {
  const data = toBytes(key);
  const m = 0x5bd1e995;
  const length = data.length;
  let h = (0x9747b28c ^ length) | 0;
  let i = 0;
  for (; i + 4 <= length; i += 4) {
    let k = data[i]! | (data[i + 1]! << 8) | (data[i + 2]! << 16) | (data[i + 3]! << 24);
    k = Math.imul(k, m);
    k ^= k >>> 24;
    k = Math.imul(k, m);
    h = Math.imul(h, m) ^ k;
  }
  const tail = length - i;
  if (tail >= 3) {
    h ^= data[i + 2]! << 16;
  }
  if (tail >= 2) {
    h ^= data[i + 1]! << 8;
  }
  if (tail >= 1) {
    h ^= data[i]!;
    h = Math.imul(h, m);
  }
  h ^= h >>> 13;
  h = Math.imul(h, m);
  h ^= h >>> 15;
  return h | 0;
}

/**
 * The partition Kafka's default partitioner (and the Sluice broker) gives a
 * keyed record: (murmur2(key) & 0x7fffffff) % numPartitions. An empty key is a
 * key like any other; a record without a key has no key partition.
 */
export function partitionForKey(key: Uint8Array | string, numPartitions: number): number {
  if (!Number.isInteger(numPartitions) || numPartitions < 1) {
    throw new RangeError(`numPartitions: must be a positive integer (got ${numPartitions})`);
  }
  return (murmur2(key) & 0x7fffffff) % numPartitions;
}
