"""The threaded clients against a real broker (the sluice binary)."""

from __future__ import annotations

import threading
from collections import Counter, defaultdict

import pytest

import sluice
from conftest import wait_for
from sluice import Header, partition_for_key


def test_10000_keyed_records_with_headers_round_trip(
    broker: str, admin: sluice.Admin, topic_name: str
) -> None:
    admin.create_topic(topic_name, partitions=3)
    n = 10_000

    def headers(i: int) -> list[tuple[str, bytes]]:
        return [
            ("index", str(i).encode()),
            ("parity", b"even" if i % 2 == 0 else b"odd"),
            ("index", b"again"),
        ]

    with sluice.Producer(broker) as producer:
        futures = [
            producer.send(topic_name, f"value-{i}".encode(), key=f"key-{i % 97}".encode(), headers=headers(i))
            for i in range(n)
        ]
        producer.flush(timeout=60)
    delivered = [f.result(timeout=0) for f in futures]

    with sluice.Consumer(broker, topic_name) as consumer:
        records = list(consumer)
        assert consumer.positions == dict(Counter(m.partition for m in delivered))
        assert consumer.high_watermarks == consumer.positions

    assert len(records) == n
    seen: dict[int, list[int]] = defaultdict(list)
    for r in records:
        assert r.value is not None and r.value.startswith(b"value-")
        i = int(r.value[len(b"value-") :])
        assert r.key == f"key-{i % 97}".encode()
        assert r.headers == tuple(Header(k, v) for k, v in headers(i))
        assert r.partition == partition_for_key(r.key, 3)
        assert (r.topic, r.partition, r.offset) == (topic_name, delivered[i].partition, delivered[i].offset)
        assert r.timestamp_ms > 0
        seen[r.partition].append(r.offset)
    for offsets in seen.values():
        assert offsets == list(range(len(offsets)))  # each partition from 0, in order, no gaps
    assert sorted(seen) == [0, 1, 2]

    latest = admin.list_offsets(topic_name, "latest")
    assert {p: o.offset for p, o in latest.items()} == {p: len(o) for p, o in seen.items()}


def test_null_and_empty_keys_and_values_stay_apart(broker: str, admin: sluice.Admin, topic_name: str) -> None:
    admin.create_topic(topic_name, partitions=1)
    cases = [(None, None), (b"", b""), (None, b""), (b"", None), (b"k", b"v")]
    with sluice.Producer(broker) as producer:
        for key, value in cases:
            producer.send(topic_name, value, key=key, partition=0, timestamp_ms=1_700_000_000_000)
    records = list(sluice.Consumer(broker, topic_name))
    assert [(r.key, r.value) for r in records] == cases
    assert {r.timestamp_ms for r in records} == {1_700_000_000_000}


def test_keyless_records_go_to_one_partition_per_batch_in_turn(
    broker: str, admin: sluice.Admin, topic_name: str
) -> None:
    admin.create_topic(topic_name, partitions=3)
    batches = []
    with sluice.Producer(broker, linger=60) as producer:
        for b in range(6):
            futs = [producer.send(topic_name, f"{b}-{i}") for i in range(4)]
            producer.flush(timeout=30)  # one batch per flush
            batches.append({f.result().partition for f in futs})
    assert all(len(parts) == 1 for parts in batches)
    order = [parts.pop() for parts in batches]
    assert all(order[i + 1] == (order[i] + 1) % 3 for i in range(5))


def test_acks_leader_and_none(broker: str, admin: sluice.Admin, topic_name: str) -> None:
    admin.create_topic(topic_name, partitions=1)
    with sluice.Producer(broker, acks="leader") as producer:
        assert producer.send(topic_name, b"a").result(timeout=30).offset == 0
    with sluice.Producer(broker, acks="none") as producer:
        assert producer.send(topic_name, b"b").result(timeout=30).offset == -1
    wait_for(lambda: admin.list_offsets(topic_name)[0].offset == 2, 10, "the acks=none record to commit")


def test_broker_errors_reach_the_records_futures(broker: str, admin: sluice.Admin, topic_name: str) -> None:
    admin.create_topic(topic_name, partitions=2, configs={"max.message.bytes": "1000"})
    with sluice.Producer(broker, max_record_bytes=4 << 20, batch_records=1) as producer:
        no_partition = producer.send(topic_name, b"x", partition=7)
        too_big_for_topic = producer.send(topic_name, b"x" * 2000, partition=0)
        # Over the broker's own limit (1 MiB): the broker refuses to parse the
        # request and answers with its sequence (older brokers: with 0, which
        # the producer also settles).
        too_big_for_broker = producer.send(topic_name, b"x" * (3 << 19), partition=1)
        fine = producer.send(topic_name, b"ok", partition=1)
        producer.flush(timeout=30)
    with pytest.raises(sluice.NotFoundError, match="7"):
        no_partition.result()
    with pytest.raises(sluice.InvalidArgumentError, match=r"max\.message\.bytes"):
        too_big_for_topic.result()
    with pytest.raises(sluice.InvalidArgumentError, match="over the limit"):
        too_big_for_broker.result()
    assert fine.result().offset == 0
    with sluice.Producer(broker) as producer, pytest.raises(sluice.NotFoundError):
        producer.send("no-such-topic", b"v").result(timeout=30)


def test_consumer_start_positions_limits_and_resume(
    broker: str, admin: sluice.Admin, topic_name: str
) -> None:
    admin.create_topic(topic_name, partitions=2)
    with sluice.Producer(broker) as producer:
        for i in range(10):
            producer.send(topic_name, f"p0-{i}", partition=0)
        for i in range(5):
            producer.send(topic_name, f"p1-{i}", partition=1)

    from_offset = list(sluice.Consumer(broker, topic_name, partitions={0: 4}))
    assert [(r.partition, r.offset) for r in from_offset] == [(0, o) for o in range(4, 10)]
    mixed = list(sluice.Consumer(broker, topic_name, partitions={0: "latest", 1: 3}))
    assert [(r.partition, r.offset) for r in mixed] == [(1, 3), (1, 4)]
    assert list(sluice.Consumer(broker, topic_name, start="latest")) == []
    assert len(list(sluice.Consumer(broker, topic_name, max_total_records=3))) == 3
    small = list(sluice.Consumer(broker, topic_name, partitions=[1], max_records=2))
    assert [r.value for r in small] == [f"p1-{i}".encode() for i in range(5)]

    consumer = sluice.Consumer(broker, topic_name)
    assert len(list(consumer)) == 15
    with sluice.Producer(broker) as producer:
        producer.send(topic_name, b"new-0", partition=0)
        producer.send(topic_name, b"new-1", partition=1)
    again = list(consumer)  # resumes after what it delivered
    assert sorted((r.partition, r.offset, r.value) for r in again) == [(0, 10, b"new-0"), (1, 5, b"new-1")]
    assert consumer.positions == {0: 11, 1: 6}
    consumer.close()

    with pytest.raises(sluice.OutOfRangeError):
        list(sluice.Consumer(broker, topic_name, partitions={0: 100}))
    with pytest.raises(sluice.NotFoundError):
        list(sluice.Consumer(broker, "no-such-topic"))


def test_follow_consumer_sees_new_records_until_closed(
    broker: str, admin: sluice.Admin, topic_name: str
) -> None:
    admin.create_topic(topic_name, partitions=2)
    consumer = sluice.Consumer(broker, topic_name, follow=True)
    got: list[sluice.Record] = []
    failure: list[BaseException] = []

    def read() -> None:
        try:
            for record in consumer:
                got.append(record)
        except BaseException as e:  # reported by the test thread
            failure.append(e)

    reader = threading.Thread(target=read)
    reader.start()
    try:
        with sluice.Producer(broker) as producer:
            for i in range(3):
                producer.send(topic_name, f"live-{i}", key=f"k{i}")
            producer.flush(timeout=30)
            wait_for(lambda: len(got) == 3, 20, "the follow consumer to read the first 3 records")
            for i in range(3, 6):  # the consumer now waits at the high watermark
                producer.send(topic_name, f"live-{i}", key=f"k{i}")
        wait_for(lambda: len(got) == 6, 20, "the follow consumer to get 3 more records")
        assert reader.is_alive()  # following: it did not stop at the high watermark
    finally:
        consumer.close()
        reader.join(timeout=10)
    assert not reader.is_alive() and not failure
    assert sorted(r.value for r in got if r.value) == [f"live-{i}".encode() for i in range(6)]


def test_admin_topics_offsets_and_cluster(admin: sluice.Admin, topic_name: str) -> None:
    created = admin.create_topic(topic_name, partitions=4, configs={"retention.ms": "3600000"})
    assert created.name == topic_name and len(created.partitions) == 4
    assert created.configs == {"retention.ms": "3600000"}
    assert all(p.leader_id > 0 and p.replica_ids for p in created.partitions)

    summary = next(t for t in admin.list_topics() if t.name == topic_name)
    assert (summary.partitions, summary.replication_factor, summary.topic_id) == (4, 1, created.topic_id)
    described = admin.describe_topic(topic_name)
    assert [p.high_watermark for p in described.partitions] == [0, 0, 0, 0]

    with pytest.raises(sluice.AlreadyExistsError):
        admin.create_topic(topic_name, partitions=1)
    with pytest.raises(sluice.InvalidArgumentError, match="name") as bad:
        admin.create_topic("no spaces allowed", partitions=1)
    assert bad.value.code is not None and bad.value.code.name == "INVALID_ARGUMENT"
    with pytest.raises(sluice.InvalidArgumentError, match="unknown"):
        admin.create_topic(topic_name + "-x", configs={"unknown.config": "1"})

    earliest = admin.list_offsets(topic_name, "earliest", partitions=[1, 3])
    assert sorted(earliest) == [1, 3] and all(o.offset == 0 for o in earliest.values())

    cluster = admin.describe_cluster()
    assert cluster.brokers and cluster.controller_id in {b.id for b in cluster.brokers}
    assert all(b.address.startswith("127.0.0.1:") for b in cluster.brokers)

    admin.delete_topic(topic_name)
    with pytest.raises(sluice.NotFoundError):
        admin.describe_topic(topic_name)
