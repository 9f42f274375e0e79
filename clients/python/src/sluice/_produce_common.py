"""Argument handling shared by the threaded and the asyncio producer."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal, TypeAlias

from sluice import errors
from sluice._batching import Accumulator
from sluice._partitioner import partition_for_key
from sluice._types import HeadersLike, encode, headers_to_proto
from sluice.v1 import produce_pb2, record_pb2

Acks: TypeAlias = Literal["all", "leader", "none"]

ACKS: dict[str, produce_pb2.Acks.ValueType] = {
    "all": produce_pb2.ACKS_ALL,
    "leader": produce_pb2.ACKS_LEADER,
    "none": produce_pb2.ACKS_NONE,
}


@dataclass(frozen=True, slots=True)
class ProducerConfig:
    """A producer's settings (the keyword arguments of both producers), checked."""

    acks: Acks
    batch_records: int
    batch_bytes: int
    linger: float
    max_in_flight: int
    buffer_bytes: int
    max_block: float
    max_record_bytes: int
    request_timeout: float

    def __post_init__(self) -> None:
        if self.acks not in ACKS:
            raise ValueError(f"acks must be one of {sorted(ACKS)} (got {self.acks!r})")
        if self.max_in_flight < 1:
            raise ValueError(f"max_in_flight must be at least 1 (got {self.max_in_flight})")
        if self.buffer_bytes < 1 or self.max_record_bytes < 1:
            raise ValueError("buffer_bytes and max_record_bytes must be positive")

    @property
    def acks_proto(self) -> produce_pb2.Acks.ValueType:
        return ACKS[self.acks]

    def accumulator(self) -> Accumulator:
        return Accumulator(batch_records=self.batch_records, batch_bytes=self.batch_bytes, linger=self.linger)

    def buffer_full(self) -> TimeoutError:
        return TimeoutError(f"send: the {self.buffer_bytes}-byte buffer stayed full for {self.max_block}s")


def make_record(
    value: bytes | str | None,
    key: bytes | None,
    headers: HeadersLike | None,
    timestamp_ms: int | None,
    max_record_bytes: int,
) -> tuple[record_pb2.Record, int]:
    """Build the record proto and its size; raise InvalidArgumentError when it
    is over ``max_record_bytes`` (the broker would refuse it)."""
    rec = record_pb2.Record(headers=headers_to_proto(headers))
    if key is not None:
        rec.key = key
    v = encode(value, "value")
    if v is not None:
        rec.value = v
    if timestamp_ms is not None:
        if timestamp_ms < 0:
            raise ValueError(f"timestamp_ms must not be negative (got {timestamp_ms})")
        rec.timestamp_ms = timestamp_ms
    size = rec.ByteSize()
    if size > max_record_bytes:
        raise errors.InvalidArgumentError(
            f"record is {size} bytes, over the limit of {max_record_bytes} bytes (max_record_bytes)"
        )
    return rec, size


def check_partition(partition: int | None) -> None:
    if partition is not None and (not isinstance(partition, int) or partition < 0):
        raise ValueError(f"partition must be a non-negative int (got {partition!r})")


def keyed_partition(key: bytes, num_partitions: int) -> int:
    return partition_for_key(key, num_partitions)


STREAM_BROKE = (
    "the produce stream ended before the broker answered; the records may or may not have been appended"
)
