"""The threaded and asyncio producers against an in-process fake broker that
records each request: batching, partitioning, pipelining and errors."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterator

import grpc
import pytest

import sluice
import sluice.aio
from conftest import wait_for
from fake_broker import FakeBroker, error_response
from sluice import partition_for_key
from sluice.v1 import produce_pb2


@pytest.fixture
def fake() -> Iterator[FakeBroker]:
    f = FakeBroker(partitions=4)
    yield f
    f.stop()


def test_batches_by_count_and_sends_keyless_batches_round_robin(fake: FakeBroker) -> None:
    with sluice.Producer(fake.address, batch_records=10, linger=60) as p:
        futs = [p.send("t", f"v{i}") for i in range(25)]
        wait_for(
            lambda: len(fake.requests) == 2, 10, "the two full batches"
        )  # sent without waiting for linger
        p.flush(timeout=10)
    assert [len(r.records) for r in fake.requests] == [10, 10, 5]
    parts = [r.partition for r in fake.requests]
    assert parts[1] == (parts[0] + 1) % 4 and parts[2] == (parts[0] + 2) % 4
    metas = [f.result() for f in futs]
    assert [m.partition for m in metas] == [parts[0]] * 10 + [parts[1]] * 10 + [parts[2]] * 5
    assert [m.offset for m in metas[:10]] == [fake.base_offset(parts[0]) + i for i in range(10)]
    assert fake.streams == 1


def test_batches_by_bytes(fake: FakeBroker) -> None:
    with sluice.Producer(fake.address, batch_records=1000, batch_bytes=1000, linger=60) as p:
        futs = [p.send("t", b"x" * 300, partition=1) for _ in range(10)]
    assert [len(r.records) for r in fake.requests] == [3, 3, 3, 1]
    assert all(sum(rec.ByteSize() for rec in r.records) <= 1000 for r in fake.requests)
    assert [f.result().offset for f in futs] == [fake.base_offset(1) + i for i in range(10)]


def test_linger_sends_a_partial_batch_by_itself(fake: FakeBroker) -> None:
    with sluice.Producer(fake.address, linger=0.2) as p:
        start = time.monotonic()
        meta = p.send("t", b"lonely", partition=3).result(timeout=10)
        assert time.monotonic() - start >= 0.15
        assert meta == sluice.RecordMetadata("t", 3, fake.base_offset(3))


def test_keyed_records_go_to_their_murmur2_partition(fake: FakeBroker) -> None:
    keys = [f"user-{i}".encode() for i in range(40)]
    with sluice.Producer(fake.address, linger=60) as p:
        futs = {k: p.send("t", b"v", key=k) for k in keys}
    for k, f in futs.items():
        assert f.result().partition == partition_for_key(k, 4)
    for req in fake.requests:
        assert {partition_for_key(r.key, 4) for r in req.records} == {req.partition}
    assert all(r.HasField("key") for req in fake.requests for r in req.records)


def test_records_carry_null_empty_key_value_headers_and_timestamp(fake: FakeBroker) -> None:
    with sluice.Producer(fake.address) as p:
        p.send("t", None, partition=0)
        p.send("t", b"", key=b"", partition=0, headers=[("a", b"1"), ("a", "2")], timestamp_ms=1234)
    recs = [r for req in fake.requests for r in req.records]
    assert not recs[0].HasField("key") and not recs[0].HasField("value")
    assert recs[1].HasField("key") and recs[1].HasField("value")
    assert [(h.key, h.value) for h in recs[1].headers] == [("a", b"1"), ("a", b"2")]
    assert (recs[0].timestamp_ms, recs[1].timestamp_ms) == (0, 1234)


def test_pipelined_responses_out_of_order_reach_their_records() -> None:
    fake = FakeBroker(partitions=4, reverse_groups=3)  # answers every 3 requests in reverse
    try:
        with sluice.Producer(fake.address, batch_records=2, linger=60) as p:
            futs = [p.send("t", str(i), partition=i % 3) for i in range(6)]
        assert [len(r.records) for r in fake.requests] == [2, 2, 2]
        for i, f in enumerate(futs):
            assert f.result().partition == i % 3
            assert f.result().offset == fake.base_offset(i % 3) + i // 3
    finally:
        fake.stop()


def test_a_failed_request_fails_only_its_records(fake: FakeBroker) -> None:
    def hook(
        req: produce_pb2.ProduceRequest, ctx: grpc.ServicerContext
    ) -> produce_pb2.ProduceResponse | None:
        if req.partition == 2:
            return error_response(req.sequence, grpc.StatusCode.INVALID_ARGUMENT, "partition: nope")
        return None

    fake.hook = hook
    with sluice.Producer(fake.address) as p:
        bad = p.send("t", b"x", partition=2)
        good = p.send("t", b"y", partition=1)
    with pytest.raises(sluice.InvalidArgumentError, match="partition: nope"):
        bad.result()
    assert good.result().partition == 1


def test_an_unparsable_request_fails_its_records_without_hanging(fake: FakeBroker) -> None:
    # A request too broken to read its sequence from (or an older broker) is answered with 0.
    def hook(
        req: produce_pb2.ProduceRequest, ctx: grpc.ServicerContext
    ) -> produce_pb2.ProduceResponse | None:
        if req.records[0].value == b"bad":
            return error_response(0, grpc.StatusCode.INVALID_ARGUMENT, "records[0]: malformed")
        return None

    fake.hook = hook
    fake.reverse_groups = 3
    with sluice.Producer(fake.address, batch_records=1) as p:
        futs = [p.send("t", v, partition=i) for i, v in enumerate([b"ok", b"bad", b"ok2"])]
        p.flush(timeout=10)
    assert futs[0].result().partition == 0 and futs[2].result().partition == 2
    with pytest.raises(sluice.InvalidArgumentError, match="malformed"):
        futs[1].result()


def test_a_broken_stream_fails_what_was_in_flight_and_a_new_one_is_opened(fake: FakeBroker) -> None:
    def hook(
        req: produce_pb2.ProduceRequest, ctx: grpc.ServicerContext
    ) -> produce_pb2.ProduceResponse | None:
        if req.records[0].value == b"boom":
            ctx.abort(grpc.StatusCode.UNAVAILABLE, "broker going away")
        return None

    fake.hook = hook
    with sluice.Producer(fake.address) as p:
        lost = p.send("t", b"boom", partition=0)
        with pytest.raises(sluice.UnavailableError, match="broker going away"):
            lost.result(timeout=10)
        assert p.send("t", b"after", partition=0).result(timeout=10).partition == 0
    assert fake.streams == 2


def test_too_large_records_raise_and_unknown_topics_fail_their_future(fake: FakeBroker) -> None:
    with sluice.Producer(fake.address, max_record_bytes=100) as p:
        with pytest.raises(sluice.InvalidArgumentError, match="over the limit of 100 bytes"):
            p.send("t", b"x" * 200, partition=0)
        missing = p.send("missing-topic", b"v", key=b"k")
        with pytest.raises(sluice.NotFoundError, match="missing-topic"):
            missing.result(timeout=10)
    assert fake.requests == []


def test_send_waits_for_buffer_room_up_to_max_block(fake: FakeBroker) -> None:
    fake.hold = True  # no answers until released
    with sluice.Producer(fake.address, batch_records=1, buffer_bytes=50, max_block=0.2) as p:
        first = p.send("t", b"x" * 20, partition=0)
        second = p.send("t", b"x" * 20, partition=0)
        third = p.send("t", b"x" * 20, partition=0)  # blocks 0.2 s, then gives up
        with pytest.raises(TimeoutError, match="buffer"):
            third.result(timeout=0)
        fake.release.set()
        assert first.result(timeout=10).offset + 1 == second.result(timeout=10).offset


def test_flush_times_out_and_close_rejects_sends(fake: FakeBroker) -> None:
    fake.hold = True
    p = sluice.Producer(fake.address)
    fut = p.send("t", b"v", partition=0)
    with pytest.raises(TimeoutError, match="1 records"):
        p.flush(timeout=0.2)
    fake.release.set()
    p.close(timeout=10)
    assert fut.result(timeout=0).offset == fake.base_offset(0)
    with pytest.raises(sluice.ProducerClosedError):
        p.send("t", b"late", partition=0)
    assert not fut.cancel()  # the producer owns its futures


def test_close_with_a_timeout_fails_what_is_unacknowledged(fake: FakeBroker) -> None:
    fake.hold = True
    p = sluice.Producer(fake.address)
    fut = p.send("t", b"v", partition=0)
    p.close(timeout=0.2)
    with pytest.raises(sluice.SluiceError):
        fut.result(timeout=10)


def test_asyncio_producer_partitions_and_batches(fake: FakeBroker) -> None:
    async def main() -> list[sluice.RecordMetadata]:
        async with sluice.aio.Producer(fake.address, batch_records=5, linger=60) as p:
            futs = [await p.send("t", f"v{i}", key=f"k{i % 7}") for i in range(30)]
            single = await p.send("t", b"one", partition=3)
            await p.flush(timeout=10)
            assert all(f.done() for f in futs) and single.result().partition == 3
            return [await f for f in futs]

    metas = asyncio.run(asyncio.wait_for(main(), 30))
    for i, m in enumerate(metas):
        assert m.partition == partition_for_key(f"k{i % 7}".encode(), 4)
    for part in range(4):
        offsets = [m.offset for m in metas if m.partition == part]
        assert offsets == [fake.base_offset(part) + j for j in range(len(offsets))]
    assert all(len(r.records) <= 5 for r in fake.requests)
    assert fake.streams == 1


def test_asyncio_producer_pipelines_out_of_order_responses() -> None:
    fake = FakeBroker(partitions=4, reverse_groups=2)  # answers every 2 requests in reverse

    async def main() -> list[sluice.RecordMetadata]:
        async with sluice.aio.Producer(fake.address, batch_records=5, linger=60) as p:
            futs = [await p.send("t", f"v{i}", partition=i % 4) for i in range(20)]
            return [await f for f in futs]

    try:
        metas = asyncio.run(asyncio.wait_for(main(), 30))
        assert len(fake.requests) == 4
        assert [(m.partition, m.offset) for m in metas] == [
            (i % 4, fake.base_offset(i % 4) + i // 4) for i in range(20)
        ]
    finally:
        fake.stop()


def test_asyncio_producer_reports_errors_and_recovers() -> None:
    fake = FakeBroker(partitions=2)

    def hook(
        req: produce_pb2.ProduceRequest, ctx: grpc.ServicerContext
    ) -> produce_pb2.ProduceResponse | None:
        if req.records[0].value == b"boom":
            ctx.abort(grpc.StatusCode.UNAVAILABLE, "broker going away")
        return None

    fake.hook = hook

    async def main() -> None:
        async with sluice.aio.Producer(fake.address) as p:
            with pytest.raises(sluice.UnavailableError):
                await p.send_and_wait("t", b"boom", partition=0)
            assert (await p.send_and_wait("t", b"ok", partition=1)).partition == 1
            with pytest.raises(sluice.NotFoundError):
                await p.send_and_wait("missing-x", b"v")
        with pytest.raises(sluice.ProducerClosedError):
            await p.send("t", b"late", partition=0)

    try:
        asyncio.run(asyncio.wait_for(main(), 30))
    finally:
        fake.stop()
