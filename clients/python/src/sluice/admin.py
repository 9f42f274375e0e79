"""The threaded admin client: topics, offsets and the cluster."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from types import TracebackType
from typing import Any, TypeVar

import grpc

from sluice import errors
from sluice._admin_common import (
    OffsetSpec,
    create_topic_request,
    list_offsets_request,
    offsets_from_proto,
)
from sluice._channel import sync_channel
from sluice._security import TLS, Scram
from sluice._types import (
    ClusterDescription,
    PartitionOffset,
    TopicDescription,
    TopicSummary,
    cluster_from_proto,
    topic_description_from_proto,
    topic_summary_from_proto,
)
from sluice.v1 import admin_pb2, admin_pb2_grpc

__all__ = ["Admin"]

_Req = TypeVar("_Req")
_Resp = TypeVar("_Resp")


class Admin:
    """Creates, lists, describes and deletes topics, looks up offsets and
    describes the cluster. Each call waits at most ``timeout`` seconds; errors
    raise :class:`SluiceError` (``NotFoundError``, ``AlreadyExistsError``, ...)."""

    def __init__(
        self,
        target: str | grpc.Channel,
        *,
        timeout: float = 30.0,
        credentials: grpc.ChannelCredentials | None = None,
        options: Sequence[tuple[str, Any]] | None = None,
        tls: TLS | None = None,
        auth: Scram | None = None,
    ) -> None:
        self._timeout = timeout
        self._channel, self._owns_channel = sync_channel(
            target, credentials, options, tls=tls, auth=auth, timeout=timeout
        )
        self._stub = admin_pb2_grpc.AdminServiceStub(self._channel)

    def __enter__(self) -> Admin:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()

    def close(self) -> None:
        if self._owns_channel:
            self._channel.close()

    def create_topic(
        self,
        name: str,
        partitions: int = 1,
        *,
        replication_factor: int = 0,
        configs: Mapping[str, str] | None = None,
    ) -> TopicDescription:
        """Create a topic and wait until each partition has a leader.
        ``replication_factor`` 0 means the broker's default."""
        req = create_topic_request(name, partitions, replication_factor, configs)
        return topic_description_from_proto(self._call(self._stub.CreateTopic, req).topic)

    def delete_topic(self, name: str) -> None:
        self._call(self._stub.DeleteTopic, admin_pb2.DeleteTopicRequest(name=name))

    def list_topics(self) -> list[TopicSummary]:
        """Every topic, sorted by name."""
        resp = self._call(self._stub.ListTopics, admin_pb2.ListTopicsRequest())
        return [topic_summary_from_proto(t) for t in resp.topics]

    def describe_topic(self, name: str) -> TopicDescription:
        resp = self._call(self._stub.DescribeTopic, admin_pb2.DescribeTopicRequest(name=name))
        return topic_description_from_proto(resp.topic)

    def list_offsets(
        self, topic: str, spec: OffsetSpec = "latest", partitions: Iterable[int] | None = None
    ) -> dict[int, PartitionOffset]:
        """Partition -> offset: the earliest (log start), the latest (high
        watermark), or the first at or after a Timestamp. ``partitions`` None means all."""
        resp = self._call(self._stub.ListOffsets, list_offsets_request(topic, spec, partitions))
        return offsets_from_proto(resp)

    def describe_cluster(self) -> ClusterDescription:
        resp = self._call(self._stub.DescribeCluster, admin_pb2.DescribeClusterRequest())
        return cluster_from_proto(resp)

    def _call(self, method: grpc.UnaryUnaryMultiCallable[_Req, _Resp], request: _Req) -> _Resp:
        try:
            return method(request, timeout=self._timeout)
        except grpc.RpcError as e:
            raise errors.from_rpc_error(e) from None
