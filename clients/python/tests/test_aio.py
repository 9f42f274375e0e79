"""The asyncio clients (sluice.aio) against a real broker."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable
from typing import TypeVar

import pytest

import sluice
import sluice.aio
from sluice import Header, partition_for_key

T = TypeVar("T")


def run(coro: Awaitable[T], timeout: float = 60) -> T:
    async def bounded() -> T:
        return await asyncio.wait_for(coro, timeout)

    return asyncio.run(bounded())


def test_asyncio_round_trip(broker: str, topic_name: str) -> None:
    async def main() -> None:
        async with sluice.aio.Admin(broker) as admin:
            await admin.create_topic(topic_name, partitions=3)
            assert topic_name in {t.name for t in await admin.list_topics()}
        async with sluice.aio.Producer(broker) as producer:
            futs = [
                await producer.send(topic_name, f"v{i}", key=f"k{i % 13}", headers=[("i", str(i).encode())])
                for i in range(2000)
            ]
            await producer.flush(timeout=30)
            metas = [f.result() for f in futs]
        async with sluice.aio.Consumer(broker, topic_name) as consumer:
            records = [r async for r in consumer]
        assert len(records) == 2000
        for r in records:
            assert r.value is not None
            i = int(r.value[1:])
            assert r.key == f"k{i % 13}".encode() and r.headers == (Header("i", str(i).encode()),)
            assert (r.partition, r.offset) == (metas[i].partition, metas[i].offset)
            assert r.partition == partition_for_key(r.key, 3)
        async with sluice.aio.Admin(broker) as admin:
            offsets = await admin.list_offsets(topic_name)
            assert sum(o.offset for o in offsets.values()) == 2000
            assert (await admin.describe_cluster()).brokers
            await admin.delete_topic(topic_name)
            with pytest.raises(sluice.NotFoundError):
                await admin.describe_topic(topic_name)

    run(main())


def test_asyncio_follow_consumer_and_errors(broker: str, topic_name: str) -> None:
    async def main() -> None:
        async with sluice.aio.Admin(broker) as admin:
            await admin.create_topic(topic_name, partitions=1)
        consumer = sluice.aio.Consumer(broker, topic_name, follow=True)
        got: list[sluice.Record] = []

        async def read() -> None:
            async for r in consumer:
                got.append(r)

        reader = asyncio.create_task(read())
        async with sluice.aio.Producer(broker) as producer:
            for i in range(5):
                await producer.send_and_wait(topic_name, f"live-{i}")
        while len(got) < 5:  # bounded by run()'s timeout
            await asyncio.sleep(0.01)
        await consumer.close()
        await asyncio.wait_for(reader, 10)
        assert [r.offset for r in got] == list(range(5))

        with pytest.raises(sluice.OutOfRangeError):
            async for _ in sluice.aio.Consumer(broker, topic_name, partitions={0: 99}):
                pass
        async with sluice.aio.Producer(broker) as producer:
            with pytest.raises(sluice.NotFoundError):
                await producer.send_and_wait(topic_name, b"v", partition=5)

    run(main())
