"""Batching and in-flight bookkeeping shared by the threaded and the asyncio
producer. Nothing here is thread-safe or does I/O: the producers call it while
holding their own lock (or from their event loop)."""

from __future__ import annotations

import random
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Protocol

import grpc

from sluice import errors
from sluice._types import RecordMetadata
from sluice.v1 import produce_pb2, record_pb2

__all__ = ["Accumulator", "Batch", "Completion", "InFlight", "PendingRecord"]


class Completion(Protocol):
    """What a record's outcome is delivered to: a concurrent.futures.Future or
    an asyncio.Future."""

    def done(self) -> bool: ...
    def set_result(self, result: RecordMetadata, /) -> None: ...
    def set_exception(self, exception: BaseException, /) -> None: ...


@dataclass(slots=True)
class PendingRecord:
    proto: record_pb2.Record
    size: int
    completion: Completion


@dataclass(slots=True)
class Batch:
    """Records bound for one partition, sent as one ProduceRequest."""

    topic: str
    partition: int
    created: float
    records: list[PendingRecord] = field(default_factory=list)
    size: int = 0

    def request(self, sequence: int, acks: produce_pb2.Acks.ValueType) -> produce_pb2.ProduceRequest:
        return produce_pb2.ProduceRequest(
            sequence=sequence,
            topic=self.topic,
            partition=self.partition,
            records=[r.proto for r in self.records],
            acks=acks,
        )

    def fail(self, exc: BaseException) -> None:
        for r in self.records:
            _settle(r.completion, exc)

    def complete(self, resp: produce_pb2.ProduceResponse) -> None:
        """Deliver each record's metadata, or the error, from the response to this batch."""
        if resp.HasField("error"):
            self.fail(errors.from_proto(resp.error))
            return
        result = next((r for r in resp.results if r.partition == self.partition), None)
        if result is None:
            msg = f"the broker's response to a request for partition {self.partition} has no result for it"
            self.fail(errors.SluiceError(msg, code=grpc.StatusCode.INTERNAL))
            return
        if result.HasField("error"):
            self.fail(errors.from_proto(result.error))
            return
        base = result.base_offset
        for i, r in enumerate(self.records):
            offset = base + i if base >= 0 else -1
            _settle(r.completion, RecordMetadata(self.topic, self.partition, offset))


def _settle(c: Completion, outcome: RecordMetadata | BaseException) -> None:
    if c.done():  # cancelled by its owner
        return
    try:
        if isinstance(outcome, BaseException):
            c.set_exception(outcome)
        else:
            c.set_result(outcome)
    except Exception:  # cancelled in between (InvalidStateError of either kind)
        pass


class Accumulator:
    """Collects records into one open batch per (topic, partition).

    A batch closes when it holds ``batch_records`` records, when the next record
    would take it past ``batch_bytes`` (a lone record larger than that still
    makes a batch of its own), or ``linger`` seconds after its first record.

    Keyless records stick to one partition per topic until the batch they fill
    closes; the next keyless record then goes to the next partition
    (round-robin per batch, as Kafka's sticky partitioner).
    """

    def __init__(
        self,
        *,
        batch_records: int,
        batch_bytes: int,
        linger: float,
        rng: Callable[[int], int] | None = None,
    ) -> None:
        if batch_records < 1 or batch_bytes < 1 or linger < 0:
            raise ValueError("batch_records and batch_bytes must be positive, linger not negative")
        self._max_records = batch_records
        self._max_bytes = batch_bytes
        self._linger = linger
        self._pick = rng or (lambda n: random.randrange(n))
        self._open: dict[tuple[str, int], Batch] = {}
        self._closed: deque[Batch] = deque()
        # topic -> (sticky partition for keyless records, partition count)
        self._sticky: dict[str, tuple[int, int]] = {}
        self.records = 0  # records in open and closed batches, not yet drained

    def __len__(self) -> int:
        return self.records

    def keyless_partition(self, topic: str, num_partitions: int) -> int:
        """The partition the next keyless record of ``topic`` goes to."""
        sticky = self._sticky.get(topic)
        if sticky is None or sticky[1] != num_partitions:
            sticky = (self._pick(num_partitions), num_partitions)
            self._sticky[topic] = sticky
        return sticky[0]

    def append(
        self, topic: str, partition: int | None, rec: PendingRecord, now: float, num_partitions: int = 0
    ) -> None:
        """Add a record; ``partition`` None means keyless (``num_partitions`` then required)."""
        keyless = partition is None
        if partition is None:
            partition = self.keyless_partition(topic, num_partitions)
        batch = self._open.get((topic, partition))
        if batch is not None and batch.size + rec.size > self._max_bytes:
            self._close(batch)
            if keyless:  # the sticky partition moved on with the closed batch
                partition = self.keyless_partition(topic, num_partitions)
            batch = self._open.get((topic, partition))
        if batch is None:
            batch = Batch(topic, partition, now)
            self._open[(topic, partition)] = batch
        batch.records.append(rec)
        batch.size += rec.size
        self.records += 1
        if len(batch.records) >= self._max_records or batch.size >= self._max_bytes:
            self._close(batch)

    def drain(self, now: float, *, force: bool = False) -> list[Batch]:
        """Remove and return the batches ready to send: closed ones, lingered
        ones, or every one when ``force`` (flush, close)."""
        for batch in list(self._open.values()):
            if force or now - batch.created >= self._linger:
                self._close(batch)
        out = list(self._closed)
        self._closed.clear()
        self.records -= sum(len(b.records) for b in out)
        return out

    def next_deadline(self) -> float | None:
        """When the oldest open batch lingers out; None when nothing is open.
        A closed batch waiting to be drained is due now (``-inf``)."""
        if self._closed:
            return float("-inf")
        if not self._open:
            return None
        return min(b.created for b in self._open.values()) + self._linger

    def _close(self, batch: Batch) -> None:
        del self._open[(batch.topic, batch.partition)]
        self._closed.append(batch)
        sticky = self._sticky.get(batch.topic)
        if sticky is not None and sticky[0] == batch.partition:
            self._sticky[batch.topic] = ((sticky[0] + 1) % sticky[1], sticky[1])


class InFlight:
    """Requests sent on one produce stream and not yet answered, by sequence."""

    def __init__(self) -> None:
        self._next = 1  # 0 is the sequence of an answer to a request that could not be parsed
        self._pending: dict[int, Batch] = {}
        self._orphans: list[produce_pb2.ProduceResponse] = []

    def __len__(self) -> int:
        return len(self._pending)

    def register(self, batch: Batch) -> int:
        seq = self._next
        self._next += 1
        self._pending[seq] = batch
        return seq

    def answer(self, resp: produce_pb2.ProduceResponse) -> list[tuple[Batch, produce_pb2.ProduceResponse]]:
        """Match a response to its request. Returns the batches it settles.

        The broker echoes the sequence even of a request it refuses to parse,
        but one whose bytes are too broken to find it in (and brokers before
        that fix) answers with sequence 0, which matches nothing. Every request
        gets exactly one answer, so once the requests still waiting are no more
        than such orphan answers, those requests are the ones they answered.
        """
        batch = self._pending.pop(resp.sequence, None)
        if batch is not None:
            out = [(batch, resp)]
        elif resp.HasField("error"):
            self._orphans.append(resp)
            out = []
        else:
            return []
        if self._orphans and len(self._pending) <= len(self._orphans):
            orphan = self._orphans[0]
            out += [(b, orphan) for b in self._pending.values()]
            self._pending.clear()
            self._orphans.clear()
        return out

    def take_all(self) -> list[Batch]:
        """Remove and return every waiting batch (the stream ended)."""
        out = list(self._pending.values())
        self._pending.clear()
        self._orphans.clear()
        return out
