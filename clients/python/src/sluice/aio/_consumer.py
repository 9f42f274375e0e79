"""The asyncio consumer (grpc.aio): ``async for`` over a Fetch stream."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Sequence
from types import TracebackType
from typing import Any

import grpc
import grpc.aio

from sluice import errors
from sluice._channel import aio_channel
from sluice._consume_common import FetchPlan, PartitionsLike
from sluice._security import TLS, Scram
from sluice._types import EARLIEST, Record, Start
from sluice.v1 import admin_pb2, admin_pb2_grpc, fetch_pb2_grpc

__all__ = ["Consumer"]


class Consumer:
    """Reads the records of one topic with ``async for``; the arguments and
    behaviour are those of :class:`sluice.Consumer`."""

    def __init__(
        self,
        target: str | grpc.aio.Channel,
        topic: str,
        *,
        partitions: PartitionsLike | None = None,
        start: Start = EARLIEST,
        follow: bool = False,
        max_records: int = 0,
        max_bytes: int = 0,
        max_total_records: int = 0,
        request_timeout: float = 30.0,
        credentials: grpc.ChannelCredentials | None = None,
        options: Sequence[tuple[str, Any]] | None = None,
        tls: TLS | None = None,
        auth: Scram | None = None,
    ) -> None:
        self._plan = FetchPlan(topic, partitions, start, follow, max_records, max_bytes, max_total_records)
        self._request_timeout = request_timeout
        self._channel, self._owns_channel = aio_channel(
            target, credentials, options, tls=tls, auth=auth, timeout=request_timeout
        )
        self._fetch = fetch_pb2_grpc.FetchServiceStub(self._channel)
        self._admin = admin_pb2_grpc.AdminServiceStub(self._channel)
        self._call: Any = None
        self._closed = False

    @property
    def topic(self) -> str:
        return self._plan.topic

    @property
    def positions(self) -> dict[int, int]:
        """Partition -> offset of the next record this consumer will deliver."""
        return dict(self._plan.positions)

    @property
    def high_watermarks(self) -> dict[int, int]:
        """Partition -> high watermark in the latest response from the broker."""
        return dict(self._plan.high_watermarks)

    async def __aenter__(self) -> Consumer:
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.close()

    def __aiter__(self) -> AsyncIterator[Record]:
        return self._iterate()

    async def _iterate(self) -> AsyncIterator[Record]:
        if self._plan.exhausted or self._closed:
            return
        try:
            partitions: list[int] = []
            if self._plan.needs_partition_list:
                topic = await self._admin.DescribeTopic(
                    admin_pb2.DescribeTopicRequest(name=self.topic), timeout=self._request_timeout
                )
                partitions = [p.partition for p in topic.topic.partitions]
            if self._closed:
                return
            call = self._call = self._fetch.Fetch(self._plan.request(partitions))
            try:
                async for resp in call:
                    for record in self._plan.observe(resp):
                        yield record
            except asyncio.CancelledError:
                # grpc.aio raises CancelledError for a call close() cancelled;
                # a cancellation of this task itself goes on.
                task = asyncio.current_task()
                if not self._closed or (task is not None and task.cancelling()):
                    raise
            finally:
                call.cancel()
        except grpc.aio.AioRpcError as e:
            if self._closed and e.code() == grpc.StatusCode.CANCELLED:
                return
            raise errors.from_rpc_error(e) from None

    async def close(self) -> None:
        """Stop reading: an ``async for`` in progress ends."""
        if self._closed:
            return
        self._closed = True
        if self._call is not None:
            self._call.cancel()
        if self._owns_channel:
            await self._channel.close()
