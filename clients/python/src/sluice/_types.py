"""The values the client hands out and takes: records, delivery reports, start
positions and topic descriptions, with their conversions from the protos."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Literal, NamedTuple, TypeAlias

from sluice.v1 import admin_pb2, fetch_pb2, record_pb2

__all__ = [
    "EARLIEST",
    "LATEST",
    "Broker",
    "ClusterDescription",
    "Header",
    "HeadersLike",
    "PartitionDescription",
    "PartitionOffset",
    "Record",
    "RecordMetadata",
    "Start",
    "Timestamp",
    "TopicDescription",
    "TopicSummary",
]


class Header(NamedTuple):
    """One record header; keys may repeat and keep the producer's order."""

    key: str
    value: bytes


#: Headers as ``send`` takes them: (key, value) pairs or a mapping; str values
#: are encoded as UTF-8.
HeadersLike: TypeAlias = Iterable[tuple[str, bytes | str]] | Mapping[str, bytes | str]

#: Start at the oldest stored record.
EARLIEST: Literal["earliest"] = "earliest"
#: Start at the high watermark: only records committed after the read starts.
LATEST: Literal["latest"] = "latest"


@dataclass(frozen=True, slots=True)
class Timestamp:
    """Start at the first record whose timestamp is at or after ``ms`` (ms since the epoch)."""

    ms: int


#: Where a read starts: "earliest", "latest", an absolute offset, or a Timestamp.
Start: TypeAlias = Literal["earliest", "latest"] | int | Timestamp


@dataclass(frozen=True, slots=True)
class Record:
    """A record read from a partition. ``key`` and ``value`` are None when the
    producer sent none (null differs from empty)."""

    topic: str
    partition: int
    offset: int
    timestamp_ms: int
    key: bytes | None
    value: bytes | None
    headers: tuple[Header, ...] = ()


@dataclass(frozen=True, slots=True)
class RecordMetadata:
    """Where a produced record landed. ``offset`` is -1 with ``acks="none"``."""

    topic: str
    partition: int
    offset: int


@dataclass(frozen=True, slots=True)
class TopicSummary:
    name: str
    topic_id: str
    partitions: int
    replication_factor: int


@dataclass(frozen=True, slots=True)
class PartitionDescription:
    partition: int
    #: Broker id of the leader; 0 when no leader is known.
    leader_id: int
    replica_ids: tuple[int, ...]
    #: The oldest offset still stored.
    log_start_offset: int
    #: The offset the next committed record will get.
    high_watermark: int


@dataclass(frozen=True, slots=True)
class TopicDescription:
    name: str
    topic_id: str
    replication_factor: int
    #: Configs set on the topic (defaults are not listed).
    configs: Mapping[str, str]
    partitions: tuple[PartitionDescription, ...]


@dataclass(frozen=True, slots=True)
class PartitionOffset:
    partition: int
    #: -1 when a timestamp lookup found no record at or after the time.
    offset: int
    #: Timestamp of the record at offset, for timestamp lookups.
    timestamp_ms: int


@dataclass(frozen=True, slots=True)
class Broker:
    id: int
    #: host:port clients dial.
    address: str
    rack: str


@dataclass(frozen=True, slots=True)
class ClusterDescription:
    cluster_id: str
    #: Broker id of the metadata leader.
    controller_id: int
    brokers: tuple[Broker, ...]


def record_from_proto(topic: str, partition: int, r: record_pb2.Record) -> Record:
    return Record(
        topic=topic,
        partition=partition,
        offset=r.offset,
        timestamp_ms=r.timestamp_ms,
        key=r.key if r.HasField("key") else None,
        value=r.value if r.HasField("value") else None,
        headers=tuple(Header(h.key, h.value) for h in r.headers),
    )


def start_position(start: Start) -> fetch_pb2.StartPosition:
    if start == EARLIEST:
        return fetch_pb2.StartPosition(boundary=record_pb2.BOUNDARY_EARLIEST)
    if start == LATEST:
        return fetch_pb2.StartPosition(boundary=record_pb2.BOUNDARY_LATEST)
    if isinstance(start, Timestamp):
        return fetch_pb2.StartPosition(timestamp_ms=start.ms)
    if isinstance(start, int) and not isinstance(start, bool):
        if start < 0:
            raise ValueError(f"start offset must not be negative (got {start})")
        return fetch_pb2.StartPosition(offset=start)
    raise TypeError(f"start must be 'earliest', 'latest', an offset or a Timestamp (got {start!r})")


def topic_summary_from_proto(t: admin_pb2.TopicSummary) -> TopicSummary:
    return TopicSummary(t.name, t.topic_id, t.partitions, t.replication_factor)


def topic_description_from_proto(t: admin_pb2.TopicDescription) -> TopicDescription:
    parts = tuple(
        PartitionDescription(
            partition=p.partition,
            leader_id=p.leader_id,
            replica_ids=tuple(p.replica_ids),
            log_start_offset=p.log_start_offset,
            high_watermark=p.high_watermark,
        )
        for p in t.partitions
    )
    return TopicDescription(t.name, t.topic_id, t.replication_factor, dict(t.configs), parts)


def cluster_from_proto(c: admin_pb2.DescribeClusterResponse) -> ClusterDescription:
    brokers = tuple(Broker(b.id, b.address, b.rack) for b in c.brokers)
    return ClusterDescription(c.cluster_id, c.controller_id, brokers)


def encode(data: bytes | str | None, what: str) -> bytes | None:
    if data is None or isinstance(data, bytes):
        return data
    if isinstance(data, str):
        return data.encode()
    if isinstance(data, (bytearray, memoryview)):
        return bytes(data)
    raise TypeError(f"{what} must be bytes, str or None (got {type(data).__name__})")


def headers_to_proto(headers: HeadersLike | None) -> list[record_pb2.Header]:
    if not headers:
        return []
    pairs = headers.items() if isinstance(headers, Mapping) else headers
    out = []
    for key, value in pairs:
        if not isinstance(key, str):
            raise TypeError(f"header keys must be str (got {type(key).__name__})")
        out.append(record_pb2.Header(key=key, value=encode(value, "header value") or b""))
    return out
