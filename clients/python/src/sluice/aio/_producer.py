"""The asyncio producer (grpc.aio): the threaded Producer's batching and
pipelining on an event loop."""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Sequence
from types import TracebackType
from typing import Any

import grpc
import grpc.aio

from sluice import errors
from sluice._batching import Batch, InFlight, PendingRecord
from sluice._channel import aio_channel
from sluice._produce_common import (
    STREAM_BROKE,
    Acks,
    ProducerConfig,
    check_partition,
    keyed_partition,
    make_record,
)
from sluice._security import TLS, Scram
from sluice._types import HeadersLike, RecordMetadata, encode
from sluice.v1 import admin_pb2, admin_pb2_grpc, produce_pb2, produce_pb2_grpc

__all__ = ["Producer"]


class Producer:
    """Sends records to a Sluice broker from asyncio code.

    ``await send(...)`` queues a record (waiting while the buffer is full) and
    returns an :class:`asyncio.Future` of its :class:`RecordMetadata`;
    ``await send_and_wait(...)`` waits for the acknowledgement too. Batching,
    partitioning and errors are as for :class:`sluice.Producer`. Use ``async
    with``, or ``await close()``, so buffered records are sent.
    """

    def __init__(
        self,
        target: str | grpc.aio.Channel,
        *,
        acks: Acks = "all",
        batch_records: int = 1000,
        batch_bytes: int = 128 * 1024,
        linger: float = 0.005,
        max_in_flight: int = 5,
        buffer_bytes: int = 32 << 20,
        max_block: float = 60.0,
        max_record_bytes: int = 1 << 20,
        request_timeout: float = 30.0,
        credentials: grpc.ChannelCredentials | None = None,
        options: Sequence[tuple[str, Any]] | None = None,
        tls: TLS | None = None,
        auth: Scram | None = None,
    ) -> None:
        self._cfg = ProducerConfig(
            acks=acks,
            batch_records=batch_records,
            batch_bytes=batch_bytes,
            linger=linger,
            max_in_flight=max_in_flight,
            buffer_bytes=buffer_bytes,
            max_block=max_block,
            max_record_bytes=max_record_bytes,
            request_timeout=request_timeout,
        )
        self._acc = self._cfg.accumulator()
        self._channel, self._owns_channel = aio_channel(
            target, credentials, options, tls=tls, auth=auth, timeout=request_timeout
        )
        self._produce = produce_pb2_grpc.ProduceServiceStub(self._channel)
        self._admin = admin_pb2_grpc.AdminServiceStub(self._channel)
        self._partitions: dict[str, int] = {}
        self._cond = asyncio.Condition()
        self._slots = asyncio.Semaphore(max_in_flight)
        self._stream: _Stream | None = None
        self._sender: asyncio.Task[None] | None = None
        self._outstanding = 0
        self._outstanding_bytes = 0
        self._flushers = 0
        self._closing = False
        self._aborted = False

    async def __aenter__(self) -> Producer:
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.close()

    async def send(
        self,
        topic: str,
        value: bytes | str | None = None,
        *,
        key: bytes | str | None = None,
        headers: HeadersLike | None = None,
        partition: int | None = None,
        timestamp_ms: int | None = None,
    ) -> asyncio.Future[RecordMetadata]:
        """Queue one record and return the Future of its delivery (see
        :meth:`sluice.Producer.send`)."""
        check_partition(partition)
        key_bytes = encode(key, "key")
        rec, size = make_record(value, key_bytes, headers, timestamp_ms, self._cfg.max_record_bytes)
        fut: asyncio.Future[RecordMetadata] = asyncio.get_running_loop().create_future()
        num_partitions = 0
        if partition is None:
            try:
                num_partitions = await self._partition_count(topic)
            except errors.SluiceError as exc:
                fut.set_exception(exc)
                return fut
            if key_bytes is not None:
                partition = keyed_partition(key_bytes, num_partitions)
        async with self._cond:
            self._check_open()

            def room() -> bool:
                full = self._outstanding_bytes + size > self._cfg.buffer_bytes
                return self._closing or not (self._outstanding and full)

            try:
                await asyncio.wait_for(self._cond.wait_for(room), self._cfg.max_block)
            except TimeoutError:
                fut.set_exception(self._cfg.buffer_full())
                return fut
            self._check_open()
            self._outstanding += 1
            self._outstanding_bytes += size
            self._acc.append(
                topic, partition, PendingRecord(rec, size, fut), time.monotonic(), num_partitions
            )
            if self._sender is None:
                self._sender = asyncio.create_task(self._run_sender(), name="sluice-producer")
            self._cond.notify_all()
        return fut

    async def send_and_wait(
        self,
        topic: str,
        value: bytes | str | None = None,
        *,
        key: bytes | str | None = None,
        headers: HeadersLike | None = None,
        partition: int | None = None,
        timestamp_ms: int | None = None,
    ) -> RecordMetadata:
        """Send one record and wait for its acknowledgement."""
        fut = await self.send(
            topic, value, key=key, headers=headers, partition=partition, timestamp_ms=timestamp_ms
        )
        return await fut

    async def flush(self, timeout: float | None = None) -> None:
        """Send every buffered record now and wait until all are settled."""
        async with self._cond:
            self._flushers += 1
            self._cond.notify_all()
            try:
                await asyncio.wait_for(self._cond.wait_for(lambda: self._outstanding == 0), timeout)
            except TimeoutError:
                raise TimeoutError(
                    f"flush: {self._outstanding} records still unacknowledged after {timeout}s"
                ) from None
            finally:
                self._flushers -= 1

    async def close(self, timeout: float | None = None) -> None:
        """Send what is buffered, wait up to ``timeout`` seconds for the
        acknowledgements, then close the stream and the channel (if dialed here)."""
        async with self._cond:
            if self._closing:
                return
            self._closing = True
            self._cond.notify_all()
            try:
                await asyncio.wait_for(self._cond.wait_for(lambda: self._outstanding == 0), timeout)
            except TimeoutError:
                self._aborted = True
        if self._aborted and self._stream is not None:
            self._stream.cancel()
        if self._sender is not None:
            await self._sender
        if self._stream is not None:
            if self._aborted:
                self._stream.cancel()
            await self._stream.close_send()
            await self._stream.join()
        if self._owns_channel:
            await self._channel.close()

    # Internals.

    def _check_open(self) -> None:
        if self._closing:
            raise errors.ProducerClosedError("the producer is closed")

    async def _partition_count(self, topic: str) -> int:
        n = self._partitions.get(topic)
        if n is None:
            try:
                resp = await self._admin.DescribeTopic(
                    admin_pb2.DescribeTopicRequest(name=topic), timeout=self._cfg.request_timeout
                )
            except grpc.aio.AioRpcError as e:
                raise errors.from_rpc_error(e) from None
            n = len(resp.topic.partitions)
            self._partitions[topic] = n
        return n

    async def _run_sender(self) -> None:
        while True:
            async with self._cond:
                while True:
                    now = time.monotonic()
                    batches = self._acc.drain(now, force=self._flushers > 0 or self._closing)
                    if batches or (self._closing and not self._acc):
                        break
                    deadline = self._acc.next_deadline()
                    timeout = None if deadline is None else max(0.0, deadline - now)
                    with contextlib.suppress(TimeoutError):
                        await asyncio.wait_for(self._cond.wait(), timeout)
            if not batches:
                return
            for batch in batches:
                await self._dispatch(batch)

    async def _dispatch(self, batch: Batch) -> None:
        await self._slots.acquire()
        if self._aborted:
            await self._finish(
                [(batch, errors.ProducerClosedError("the producer was closed before the record was sent"))]
            )
            return
        if self._stream is None or self._stream.ended:
            self._stream = _Stream(self)
        stream = self._stream
        seq = stream.inflight.register(batch)
        await stream.write(batch.request(seq, self._cfg.acks_proto))

    async def _finish(
        self, outcomes: list[tuple[Batch, produce_pb2.ProduceResponse | BaseException]]
    ) -> None:
        for batch, outcome in outcomes:
            if isinstance(outcome, BaseException):
                batch.fail(outcome)
            else:
                batch.complete(outcome)
            self._slots.release()
        async with self._cond:
            for batch, _ in outcomes:
                self._outstanding -= len(batch.records)
                self._outstanding_bytes -= batch.size
            self._cond.notify_all()

    async def _on_response(self, stream: _Stream, resp: produce_pb2.ProduceResponse) -> None:
        settled = stream.inflight.answer(resp)
        if settled:
            await self._finish(list(settled))

    async def _on_stream_end(self, stream: _Stream, err: errors.SluiceError | None) -> None:
        stream.ended = True
        if self._stream is stream:
            self._stream = None
        batches = stream.inflight.take_all()
        if not batches:
            return
        if err is None or err.code is grpc.StatusCode.CANCELLED:
            detail = f" ({err})" if err else ""
            err = errors.UnavailableError(STREAM_BROKE + detail, code=grpc.StatusCode.UNAVAILABLE)
        await self._finish([(b, err) for b in batches])


# What writing to a Produce call that already ended raises.
_CALL_ENDED = (grpc.aio.AioRpcError, asyncio.InvalidStateError, grpc.aio.UsageError)


class _Stream:
    """One Produce call, written by the sender task and read by its own task."""

    def __init__(self, producer: Producer) -> None:
        self.inflight = InFlight()
        self.ended = False
        self._producer = producer
        self._call: Any = producer._produce.Produce()
        self._reader = asyncio.create_task(self._read(), name="sluice-producer-reader")

    async def write(self, req: produce_pb2.ProduceRequest) -> None:
        # If the call ended, the reader fails what was in flight on it, this request too.
        with contextlib.suppress(*_CALL_ENDED):
            await self._call.write(req)

    async def close_send(self) -> None:
        if not self.ended:
            with contextlib.suppress(*_CALL_ENDED):
                await self._call.done_writing()

    def cancel(self) -> None:
        self._call.cancel()

    async def join(self) -> None:
        await self._reader

    async def _read(self) -> None:
        err: errors.SluiceError | None = None
        task_cancelled = False
        try:
            async for resp in self._call:
                await self._producer._on_response(self, resp)
        except grpc.aio.AioRpcError as e:
            err = errors.from_rpc_error(e)
        except asyncio.CancelledError:  # grpc.aio's word for a cancelled call, or this task's cancellation
            task = asyncio.current_task()
            task_cancelled = task is not None and task.cancelling() > 0
            err = errors.SluiceError("the produce stream was cancelled", code=grpc.StatusCode.CANCELLED)
        await self._producer._on_stream_end(self, err)
        if task_cancelled:
            raise asyncio.CancelledError
