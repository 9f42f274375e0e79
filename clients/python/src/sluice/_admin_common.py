"""Request building for the threaded and the asyncio admin client."""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from sluice._types import EARLIEST, LATEST, PartitionOffset, Start, Timestamp
from sluice.v1 import admin_pb2, record_pb2

OffsetSpec = Start  # "earliest", "latest" or a Timestamp (an int offset is refused)


def create_topic_request(
    name: str, partitions: int, replication_factor: int, configs: Mapping[str, str] | None
) -> admin_pb2.CreateTopicRequest:
    return admin_pb2.CreateTopicRequest(
        name=name,
        partitions=partitions,
        replication_factor=replication_factor,
        configs=dict(configs or {}),
    )


def list_offsets_request(
    topic: str, spec: OffsetSpec, partitions: Iterable[int] | None
) -> admin_pb2.ListOffsetsRequest:
    req = admin_pb2.ListOffsetsRequest(topic=topic, partitions=list(partitions or ()))
    if spec == EARLIEST:
        req.boundary = record_pb2.BOUNDARY_EARLIEST
    elif spec == LATEST:
        req.boundary = record_pb2.BOUNDARY_LATEST
    elif isinstance(spec, Timestamp):
        req.timestamp_ms = spec.ms
    else:
        raise TypeError(f"spec must be 'earliest', 'latest' or a Timestamp (got {spec!r})")
    return req


def offsets_from_proto(resp: admin_pb2.ListOffsetsResponse) -> dict[int, PartitionOffset]:
    return {o.partition: PartitionOffset(o.partition, o.offset, o.timestamp_ms) for o in resp.offsets}
