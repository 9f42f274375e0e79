"""The batching and in-flight bookkeeping both producers share, without I/O."""

from __future__ import annotations

from concurrent.futures import Future

import grpc
import pytest

from sluice import InvalidArgumentError, RecordMetadata
from sluice._batching import Accumulator, Batch, InFlight, PendingRecord
from sluice.v1 import produce_pb2, record_pb2


def pending(value: bytes = b"v", size: int = 10) -> PendingRecord:
    fut: Future[RecordMetadata] = Future()
    return PendingRecord(record_pb2.Record(value=value), size, fut)


def acc(records: int = 3, nbytes: int = 1000, linger: float = 1.0, start: int = 0) -> Accumulator:
    return Accumulator(batch_records=records, batch_bytes=nbytes, linger=linger, rng=lambda n: start)


def test_a_batch_closes_at_its_record_count() -> None:
    a = acc(records=3)
    for _ in range(7):
        a.append("t", 1, pending(), now=0.0)
    batches = a.drain(now=0.0)
    assert [len(b.records) for b in batches] == [3, 3]
    assert len(a) == 1  # the seventh still lingers
    assert a.drain(now=0.5) == []
    assert [len(b.records) for b in a.drain(now=1.0)] == [1]
    assert len(a) == 0 and a.next_deadline() is None


def test_a_batch_closes_before_going_past_its_bytes() -> None:
    a = acc(records=100, nbytes=25)
    for _ in range(5):
        a.append("t", 0, pending(size=10), now=0.0)
    a.append("t", 0, pending(size=40), now=0.0)  # larger than a batch: alone
    sizes = [(len(b.records), b.size) for b in a.drain(now=0.0, force=True)]
    assert sizes == [(2, 20), (2, 20), (1, 10), (1, 40)]


def test_linger_counts_from_a_batchs_first_record() -> None:
    a = acc(records=100, linger=0.5)
    a.append("t", 0, pending(), now=10.0)
    a.append("t", 1, pending(), now=10.3)
    assert a.next_deadline() == pytest.approx(10.5)
    assert a.drain(now=10.49) == []
    first = a.drain(now=10.5)
    assert [(b.partition, len(b.records)) for b in first] == [(0, 1)]
    assert a.next_deadline() == pytest.approx(10.8)
    assert [b.partition for b in a.drain(now=10.8)] == [1]


def test_force_drains_everything_and_a_closed_batch_is_due_now() -> None:
    a = acc(records=2, linger=60)
    a.append("t", 0, pending(), now=0.0)
    a.append("t", 0, pending(), now=0.0)
    assert a.next_deadline() == float("-inf")
    a.append("u", 3, pending(), now=0.0)
    assert [(b.topic, b.partition) for b in a.drain(now=0.0, force=True)] == [("t", 0), ("u", 3)]


def test_keyless_records_take_partitions_round_robin_per_batch() -> None:
    a = acc(records=2, start=2)
    for _ in range(9):
        a.append("t", None, pending(), now=0.0, num_partitions=4)
    batches = a.drain(now=0.0, force=True)
    assert [(b.partition, len(b.records)) for b in batches] == [(2, 2), (3, 2), (0, 2), (1, 2), (2, 1)]


def test_a_batch_lingering_out_moves_keyless_records_on() -> None:
    a = acc(records=100, linger=1.0, start=0)
    a.append("t", None, pending(), now=0.0, num_partitions=3)
    assert [b.partition for b in a.drain(now=1.0)] == [0]
    a.append("t", None, pending(), now=1.0, num_partitions=3)
    assert [b.partition for b in a.drain(now=0.0, force=True)] == [1]


def test_keyless_records_share_a_batch_with_keyed_ones_of_that_partition() -> None:
    a = acc(records=3, start=1)
    a.append("t", 1, pending(b"keyed"), now=0.0)
    a.append("t", None, pending(b"k1"), now=0.0, num_partitions=2)
    a.append("t", None, pending(b"k2"), now=0.0, num_partitions=2)  # fills partition 1's batch
    a.append("t", None, pending(b"k3"), now=0.0, num_partitions=2)
    batches = a.drain(now=0.0, force=True)
    assert [(b.partition, [r.proto.value for r in b.records]) for b in batches] == [
        (1, [b"keyed", b"k1", b"k2"]),
        (0, [b"k3"]),
    ]


def test_keyless_bytes_overflow_moves_to_the_next_partition() -> None:
    a = acc(records=100, nbytes=25, start=0)
    for _ in range(3):
        a.append("t", None, pending(size=10), now=0.0, num_partitions=2)
    batches = a.drain(now=0.0, force=True)
    assert [(b.partition, len(b.records)) for b in batches] == [(0, 2), (1, 1)]


def batch_of(n: int, partition: int = 2) -> Batch:
    b = Batch("t", partition, 0.0)
    for i in range(n):
        b.records.append(pending(str(i).encode()))
    return b


def outcomes(b: Batch) -> list[RecordMetadata | BaseException]:
    futs = [r.completion for r in b.records]
    assert all(f.done() for f in futs)
    return [f.exception() or f.result() for f in futs]  # type: ignore[attr-defined]


def test_a_response_gives_each_record_its_offset() -> None:
    b = batch_of(3)
    req = b.request(7, produce_pb2.ACKS_ALL)
    assert (req.sequence, req.topic, req.partition, len(req.records)) == (7, "t", 2, 3)
    assert req.HasField("partition")
    result = produce_pb2.ProduceResult(partition=2, base_offset=40, record_count=3)
    b.complete(produce_pb2.ProduceResponse(sequence=7, results=[result]))
    assert outcomes(b) == [RecordMetadata("t", 2, 40), RecordMetadata("t", 2, 41), RecordMetadata("t", 2, 42)]


def test_acks_none_reports_offset_minus_one() -> None:
    b = batch_of(2)
    b.complete(produce_pb2.ProduceResponse(results=[produce_pb2.ProduceResult(partition=2, base_offset=-1)]))
    assert outcomes(b) == [RecordMetadata("t", 2, -1)] * 2


def test_errors_fail_every_record_of_the_batch() -> None:
    err = record_pb2.Error(code=3, message="records[0].headers: bad", retryable=False)
    b = batch_of(2)
    b.complete(produce_pb2.ProduceResponse(error=err))
    excs = outcomes(b)
    assert all(isinstance(e, InvalidArgumentError) for e in excs)
    assert str(excs[0]) == "INVALID_ARGUMENT: records[0].headers: bad"

    b = batch_of(1)
    result = produce_pb2.ProduceResult(
        partition=2, error=record_pb2.Error(code=14, message="x", retryable=True)
    )
    b.complete(produce_pb2.ProduceResponse(results=[result]))
    (exc,) = outcomes(b)
    assert isinstance(exc, Exception) and exc.retryable is True
    assert exc.code is grpc.StatusCode.UNAVAILABLE


def test_in_flight_matches_responses_by_sequence_in_any_order() -> None:
    f = InFlight()
    b1, b2 = batch_of(1), batch_of(1)
    s1, s2 = f.register(b1), f.register(b2)
    assert 0 < s1 < s2
    assert f.answer(produce_pb2.ProduceResponse(sequence=s2))[0][0] is b2
    assert f.answer(produce_pb2.ProduceResponse(sequence=s1))[0][0] is b1
    assert len(f) == 0


def test_an_unparsable_request_is_matched_once_the_others_are_answered() -> None:
    # A request too broken to read its sequence from is answered with sequence 0.
    f = InFlight()
    good, bad, later = batch_of(1), batch_of(1), batch_of(1)
    s_good, _, s_later = f.register(good), f.register(bad), f.register(later)
    orphan = produce_pb2.ProduceResponse(sequence=0, error=record_pb2.Error(code=3, message="too big"))
    assert f.answer(orphan) == []
    assert [b for b, _ in f.answer(produce_pb2.ProduceResponse(sequence=s_later))] == [later]
    settled = f.answer(produce_pb2.ProduceResponse(sequence=s_good))
    assert [(b, r.error.message) for b, r in settled] == [(good, ""), (bad, "too big")]
    assert len(f) == 0


def test_take_all_empties_the_stream() -> None:
    f = InFlight()
    b = batch_of(1)
    f.register(b)
    assert f.take_all() == [b] and len(f) == 0
