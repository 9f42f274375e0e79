"""The threaded producer: batches records and sends them on one pipelined
Produce stream, reporting each record's delivery through a Future."""

from __future__ import annotations

import queue
import threading
import time
from collections.abc import Iterator, Sequence
from concurrent.futures import Future
from types import TracebackType
from typing import Any

import grpc

from sluice import errors
from sluice._batching import Batch, InFlight, PendingRecord
from sluice._channel import sync_channel
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
    """Sends records to a Sluice broker.

    ``send`` returns at once with a :class:`concurrent.futures.Future` that
    resolves to the record's :class:`RecordMetadata` (partition, offset) or
    fails with a :class:`SluiceError`. Records are grouped per partition into
    batches of up to ``batch_records`` records or ``batch_bytes`` bytes, each
    sent once full or ``linger`` seconds after its first record, as one request
    on a single pipelined stream with up to ``max_in_flight`` requests
    unanswered. Keyed records go to Kafka's murmur2 partition, keyless ones to
    one partition per batch in turn, unless ``send`` names a partition.

    Failed records are not retried: an error says whether a retry may succeed
    (``retryable``). Future callbacks run on the producer's I/O thread; keep them
    short. Use it as a context manager, or call :meth:`close`, so buffered
    records are sent.
    """

    def __init__(
        self,
        target: str | grpc.Channel,
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
        self._channel, self._owns_channel = sync_channel(
            target, credentials, options, tls=tls, auth=auth, timeout=request_timeout
        )
        self._produce = produce_pb2_grpc.ProduceServiceStub(self._channel)
        self._admin = admin_pb2_grpc.AdminServiceStub(self._channel)
        self._partitions: dict[str, int] = {}
        self._cond = threading.Condition()
        self._slots = threading.Semaphore(max_in_flight)
        # Guarded by _cond:
        self._stream: _Stream | None = None
        self._outstanding = 0  # records sent and not yet settled
        self._outstanding_bytes = 0
        self._flushers = 0
        self._closing = False
        self._aborted = False
        self._sender = threading.Thread(target=self._run_sender, name="sluice-producer", daemon=True)
        self._sender.start()

    def __enter__(self) -> Producer:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()

    def send(
        self,
        topic: str,
        value: bytes | str | None = None,
        *,
        key: bytes | str | None = None,
        headers: HeadersLike | None = None,
        partition: int | None = None,
        timestamp_ms: int | None = None,
    ) -> Future[RecordMetadata]:
        """Queue one record; the Future resolves once the broker acknowledged it.

        ``value`` and ``key`` may be None (null, not empty); str is sent as
        UTF-8. ``headers`` are (key, value) pairs or a mapping.
        ``timestamp_ms`` None lets the broker stamp the record.

        Raises at once for what no broker would take: TypeError or ValueError
        for bad arguments, InvalidArgumentError for a record over
        ``max_record_bytes``, ProducerClosedError after close(). Everything
        the broker reports (an unknown topic, a full partition...) fails the
        Future instead. Blocks up to ``max_block`` seconds while
        ``buffer_bytes`` of records await acknowledgement (then the Future
        fails with TimeoutError).
        """
        check_partition(partition)
        key_bytes = encode(key, "key")
        rec, size = make_record(value, key_bytes, headers, timestamp_ms, self._cfg.max_record_bytes)
        fut: Future[RecordMetadata] = Future()
        fut.set_running_or_notify_cancel()  # the producer settles it; callers cannot cancel it
        num_partitions = 0
        if partition is None:
            try:
                num_partitions = self._partition_count(topic)
            except errors.SluiceError as exc:
                fut.set_exception(exc)
                return fut
            if key_bytes is not None:
                partition = keyed_partition(key_bytes, num_partitions)
        with self._cond:
            self._check_open()
            deadline = time.monotonic() + self._cfg.max_block
            while self._outstanding and self._outstanding_bytes + size > self._cfg.buffer_bytes:
                left = deadline - time.monotonic()
                if left <= 0:
                    fut.set_exception(self._cfg.buffer_full())
                    return fut
                self._cond.wait(left)
                self._check_open()
            self._outstanding += 1
            self._outstanding_bytes += size
            fut.add_done_callback(lambda _: self._settled(size))
            self._acc.append(
                topic, partition, PendingRecord(rec, size, fut), time.monotonic(), num_partitions
            )
            self._cond.notify_all()
        return fut

    def flush(self, timeout: float | None = None) -> None:
        """Send every buffered record now and wait until all records sent so far
        (and any sent meanwhile) are settled. Raises TimeoutError after ``timeout`` seconds."""
        with self._cond:
            self._flushers += 1
            self._cond.notify_all()
            try:
                done = self._cond.wait_for(lambda: self._outstanding == 0, timeout)
            finally:
                self._flushers -= 1
            if not done:
                raise TimeoutError(
                    f"flush: {self._outstanding} records still unacknowledged after {timeout}s"
                )

    def close(self, timeout: float | None = None) -> None:
        """Send what is buffered, wait up to ``timeout`` seconds for the
        acknowledgements, then close the stream (and the channel, if the
        producer dialed it). Records still unsettled then fail with
        ProducerClosedError or the stream's cancellation."""
        with self._cond:
            if self._closing:
                return
            self._closing = True
            self._cond.notify_all()
            delivered = self._cond.wait_for(lambda: self._outstanding == 0, timeout)
            if not delivered:
                self._aborted = True
            stream = self._stream
        if stream is not None and not delivered:
            stream.cancel()  # fails what is in flight; the sender fails the rest
        self._sender.join()
        with self._cond:
            stream = self._stream
        if stream is not None:
            if not delivered:
                stream.cancel()
            stream.close_send()  # the broker ends the stream once it answered everything
            stream.join()
        if self._owns_channel:
            self._channel.close()

    # Internals.

    def _check_open(self) -> None:
        if self._closing:
            raise errors.ProducerClosedError("the producer is closed")

    def _settled(self, size: int) -> None:
        with self._cond:
            self._outstanding -= 1
            self._outstanding_bytes -= size
            self._cond.notify_all()

    def _partition_count(self, topic: str) -> int:
        n = self._partitions.get(topic)
        if n is None:
            try:
                resp = self._admin.DescribeTopic(
                    admin_pb2.DescribeTopicRequest(name=topic), timeout=self._cfg.request_timeout
                )
            except grpc.RpcError as e:
                raise errors.from_rpc_error(e) from None
            n = len(resp.topic.partitions)
            self._partitions[topic] = n
        return n

    def _run_sender(self) -> None:
        while True:
            with self._cond:
                while True:
                    now = time.monotonic()
                    batches = self._acc.drain(now, force=self._flushers > 0 or self._closing)
                    if batches or (self._closing and not self._acc):
                        break
                    deadline = self._acc.next_deadline()
                    self._cond.wait(None if deadline is None else max(0.0, deadline - now))
            if not batches:
                return
            for i, batch in enumerate(batches):
                try:
                    self._dispatch(batch)
                except BaseException as exc:  # never lose records silently
                    for b in batches[i:]:
                        b.fail(exc if isinstance(exc, Exception) else errors.ProducerClosedError(str(exc)))
                    if not isinstance(exc, Exception):
                        raise

    def _dispatch(self, batch: Batch) -> None:
        self._slots.acquire()  # released when the batch is settled
        with self._cond:
            if self._aborted:
                self._slots.release()
                batch.fail(errors.ProducerClosedError("the producer was closed before the record was sent"))
                return
            stream = self._stream
            try:
                if stream is None or stream.ended:
                    stream = self._stream = _Stream(self)
            except BaseException:
                self._slots.release()
                raise
            seq = stream.inflight.register(batch)
            stream.write(batch.request(seq, self._cfg.acks_proto))

    def _on_response(self, stream: _Stream, resp: produce_pb2.ProduceResponse) -> None:
        with self._cond:
            settled = stream.inflight.answer(resp)
        for batch, answer in settled:
            batch.complete(answer)
            self._slots.release()

    def _on_stream_end(self, stream: _Stream, err: errors.SluiceError | None) -> None:
        with self._cond:
            stream.ended = True
            if self._stream is stream:
                self._stream = None
            batches = stream.inflight.take_all()
        stream.close_send()
        if not batches:
            return
        if err is None or err.code is grpc.StatusCode.CANCELLED:
            detail = f" ({err})" if err else ""
            err = errors.UnavailableError(STREAM_BROKE + detail, code=grpc.StatusCode.UNAVAILABLE)
        for batch in batches:
            batch.fail(err)
            self._slots.release()


class _Stream:
    """One Produce call: requests go through a queue to gRPC's sending thread;
    a reader thread hands responses back to the producer."""

    def __init__(self, producer: Producer) -> None:
        self.inflight = InFlight()
        self.ended = False
        self._producer = producer
        self._requests: queue.SimpleQueue[produce_pb2.ProduceRequest | None] = queue.SimpleQueue()
        self._call = producer._produce.Produce(self._iterate())
        self._reader = threading.Thread(target=self._read, name="sluice-producer-reader", daemon=True)
        self._reader.start()

    def _iterate(self) -> Iterator[produce_pb2.ProduceRequest]:
        while (req := self._requests.get()) is not None:
            yield req

    def write(self, req: produce_pb2.ProduceRequest) -> None:
        self._requests.put(req)

    def close_send(self) -> None:
        self._requests.put(None)

    def cancel(self) -> None:
        self._call.cancel()

    def join(self) -> None:
        self._reader.join()

    def _read(self) -> None:
        err: errors.SluiceError | None = None
        try:
            for resp in self._call:
                self._producer._on_response(self, resp)
        except grpc.RpcError as e:
            err = errors.from_rpc_error(e)
        self._producer._on_stream_end(self, err)
