"""The asyncio admin client (grpc.aio)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterable, Mapping, Sequence
from types import TracebackType
from typing import Any, TypeVar

import grpc
import grpc.aio

from sluice import errors
from sluice._admin_common import (
    OffsetSpec,
    create_topic_request,
    list_offsets_request,
    offsets_from_proto,
)
from sluice._channel import aio_channel
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
    """The methods of :class:`sluice.Admin`, as coroutines."""

    def __init__(
        self,
        target: str | grpc.aio.Channel,
        *,
        timeout: float = 30.0,
        credentials: grpc.ChannelCredentials | None = None,
        options: Sequence[tuple[str, Any]] | None = None,
        tls: TLS | None = None,
        auth: Scram | None = None,
    ) -> None:
        self._timeout = timeout
        self._channel, self._owns_channel = aio_channel(
            target, credentials, options, tls=tls, auth=auth, timeout=timeout
        )
        self._stub = admin_pb2_grpc.AdminServiceStub(self._channel)

    async def __aenter__(self) -> Admin:
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.close()

    async def close(self) -> None:
        if self._owns_channel:
            await self._channel.close()

    async def create_topic(
        self,
        name: str,
        partitions: int = 1,
        *,
        replication_factor: int = 0,
        configs: Mapping[str, str] | None = None,
    ) -> TopicDescription:
        req = create_topic_request(name, partitions, replication_factor, configs)
        return topic_description_from_proto((await self._call(self._stub.CreateTopic, req)).topic)

    async def delete_topic(self, name: str) -> None:
        await self._call(self._stub.DeleteTopic, admin_pb2.DeleteTopicRequest(name=name))

    async def list_topics(self) -> list[TopicSummary]:
        resp = await self._call(self._stub.ListTopics, admin_pb2.ListTopicsRequest())
        return [topic_summary_from_proto(t) for t in resp.topics]

    async def describe_topic(self, name: str) -> TopicDescription:
        resp = await self._call(self._stub.DescribeTopic, admin_pb2.DescribeTopicRequest(name=name))
        return topic_description_from_proto(resp.topic)

    async def list_offsets(
        self, topic: str, spec: OffsetSpec = "latest", partitions: Iterable[int] | None = None
    ) -> dict[int, PartitionOffset]:
        resp = await self._call(self._stub.ListOffsets, list_offsets_request(topic, spec, partitions))
        return offsets_from_proto(resp)

    async def describe_cluster(self) -> ClusterDescription:
        resp = await self._call(self._stub.DescribeCluster, admin_pb2.DescribeClusterRequest())
        return cluster_from_proto(resp)

    async def _call(self, method: Callable[..., Awaitable[_Resp]], request: _Req) -> _Resp:
        try:
            return await method(request, timeout=self._timeout)
        except grpc.aio.AioRpcError as e:
            raise errors.from_rpc_error(e) from None
