"""The threaded consumer: iterates over the records of a Fetch stream."""

from __future__ import annotations

import threading
from collections.abc import Iterator, Sequence
from types import TracebackType
from typing import Any

import grpc

from sluice import errors
from sluice._channel import sync_channel
from sluice._consume_common import FetchPlan, PartitionsLike
from sluice._security import TLS, Scram
from sluice._types import EARLIEST, Record, Start
from sluice.v1 import admin_pb2, admin_pb2_grpc, fetch_pb2_grpc

__all__ = ["Consumer"]


class Consumer:
    """Reads the records of one topic, in offset order within each partition.

    ``partitions`` None reads every partition from ``start``; a list reads those
    partitions from ``start``; a mapping gives each partition its own start
    ("earliest", "latest", an offset or a Timestamp). Without ``follow`` the
    iteration ends at the high watermark; with it, it waits for new records
    until :meth:`close` (from any thread) or ``max_total_records``.

    Iterating again resumes after the last record delivered. Errors from the
    broker raise :class:`SluiceError` (``OutOfRangeError`` for an offset
    outside the stored range, ``NotFoundError`` for an unknown topic).
    """

    def __init__(
        self,
        target: str | grpc.Channel,
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
        self._channel, self._owns_channel = sync_channel(
            target, credentials, options, tls=tls, auth=auth, timeout=request_timeout
        )
        self._fetch = fetch_pb2_grpc.FetchServiceStub(self._channel)
        self._admin = admin_pb2_grpc.AdminServiceStub(self._channel)
        self._lock = threading.Lock()
        self._call: Any = None  # the Fetch call being read (a grpc.Call and an iterator)
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

    def __enter__(self) -> Consumer:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()

    def __iter__(self) -> Iterator[Record]:
        if self._plan.exhausted:
            return
        try:
            partitions: list[int] = []
            if self._plan.needs_partition_list:
                topic = self._admin.DescribeTopic(
                    admin_pb2.DescribeTopicRequest(name=self.topic), timeout=self._request_timeout
                )
                partitions = [p.partition for p in topic.topic.partitions]
            with self._lock:
                if self._closed:
                    return
                call = self._call = self._fetch.Fetch(self._plan.request(partitions))
            try:
                for resp in call:
                    yield from self._plan.observe(resp)
            finally:
                call.cancel()  # a no-op once the stream ended; frees it when the caller stops early
        except grpc.RpcError as e:
            if self._closed and e.code() == grpc.StatusCode.CANCELLED:
                return
            raise errors.from_rpc_error(e) from None

    def close(self) -> None:
        """Stop reading: an iteration in progress (in any thread) ends quietly."""
        with self._lock:
            if self._closed:
                return
            self._closed = True
            call = self._call
        if call is not None:
            call.cancel()
        if self._owns_channel:
            self._channel.close()
