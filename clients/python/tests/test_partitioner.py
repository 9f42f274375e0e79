"""Kafka's default partitioner, against the vectors every Sluice SDK shares."""

from __future__ import annotations

import json
import pathlib

import pytest

from sluice import murmur2, partition_for_key

VECTORS = json.loads(
    (pathlib.Path(__file__).resolve().parents[2] / "testdata" / "murmur2_vectors.json").read_text()
)


@pytest.mark.parametrize("case", VECTORS["vectors"], ids=lambda c: c["key"][:24])
def test_murmur2_matches_kafka(case: dict[str, object]) -> None:
    assert murmur2(str(case["key"]).encode()) == case["hash"]


@pytest.mark.parametrize(
    "case", VECTORS["partitions"], ids=lambda c: f"{c['key'][:16]}/{c['num_partitions']}"
)
def test_partition_for_key_matches_kafka(case: dict[str, object]) -> None:
    key = str(case["key"]).encode()
    assert partition_for_key(key, int(str(case["num_partitions"]))) == case["partition"]


def test_vectors_file_has_the_agreed_cases() -> None:
    hashes = {v["key"]: v["hash"] for v in VECTORS["vectors"]}
    assert hashes["21"] == -973932308 and hashes["abc"] == 479470107
    assert len(hashes) == 6 and len(VECTORS["partitions"]) >= 3


@pytest.mark.parametrize(
    ("key", "hash_", "partition_of_7"),
    [
        (b"", 275646681, 2),  # the empty key is a key (hashed), unlike None
        (b"a", -1563381124, 5),
        (b"ab", 316155434, 0),
        (b"abcd", -1323649548, 5),
        (b"abcde", 461995741, 4),
    ],
)
def test_every_tail_length(key: bytes, hash_: int, partition_of_7: int) -> None:
    # One key per length mod 4; values from the Go reference, server/partitioner.
    assert murmur2(key) == hash_
    assert partition_for_key(key, 7) == partition_of_7


def test_partition_count_must_be_positive() -> None:
    with pytest.raises(ValueError):
        partition_for_key(b"k", 0)
