"""Kafka's default partitioner: keyed records go to murmur2(key) mod partitions."""

from __future__ import annotations

__all__ = ["murmur2", "partition_for_key"]

_SEED = 0x9747B28C
_M = 0x5BD1E995
_R = 24
_MASK = 0xFFFFFFFF


def murmur2(data: bytes) -> int:
    """Return Kafka's murmur2 hash of ``data`` as a signed 32-bit int.

    The same function as ``org.apache.kafka.common.utils.Utils.murmur2``
    (seed 0x9747b28c), so keys land where Kafka clients put them.
    """
    length = len(data)
    h = (_SEED ^ length) & _MASK
    end = length - length % 4
    for i in range(0, end, 4):
        k = int.from_bytes(data[i : i + 4], "little")
        k = (k * _M) & _MASK
        k ^= k >> _R
        k = (k * _M) & _MASK
        h = (h * _M) & _MASK
        h ^= k
    tail = length % 4
    if tail == 3:
        h ^= data[end + 2] << 16
    if tail >= 2:
        h ^= data[end + 1] << 8
    if tail >= 1:
        h ^= data[end]
        h = (h * _M) & _MASK
    h ^= h >> 13
    h = (h * _M) & _MASK
    h ^= h >> 15
    return h - (1 << 32) if h & 0x80000000 else h


def partition_for_key(key: bytes, num_partitions: int) -> int:
    """Return the partition of ``key`` among ``num_partitions``, as Kafka does:
    ``(murmur2(key) & 0x7fffffff) % num_partitions``. An empty key is a key."""
    if num_partitions <= 0:
        raise ValueError(f"num_partitions must be positive (got {num_partitions})")
    return (murmur2(key) & 0x7FFFFFFF) % num_partitions
