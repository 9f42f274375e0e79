"""Fetch request building and read-position tracking shared by the threaded
and the asyncio consumer."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping

from sluice._types import Record, Start, record_from_proto, start_position
from sluice.v1 import fetch_pb2

PartitionsLike = Iterable[int] | Mapping[int, Start]


class FetchPlan:
    """What a consumer reads and how far it got.

    The first stream starts where the caller asked; a later one (the consumer
    iterated again) resumes each partition after the last record delivered, so
    iterating again reads what was committed since.
    """

    def __init__(
        self,
        topic: str,
        partitions: PartitionsLike | None,
        start: Start,
        follow: bool,
        max_records: int,
        max_bytes: int,
        max_total_records: int,
    ) -> None:
        if not topic:
            raise ValueError("topic must not be empty")
        if min(max_records, max_bytes, max_total_records) < 0:
            raise ValueError("max_records, max_bytes and max_total_records must not be negative")
        self.topic = topic
        self._start = start_position(start)
        self._starts: dict[int, fetch_pb2.StartPosition] | None = None
        if partitions is not None:
            given = (
                partitions.items() if isinstance(partitions, Mapping) else ((p, start) for p in partitions)
            )
            self._starts = {int(p): start_position(s) for p, s in given}
            if not self._starts:
                raise ValueError("partitions must name at least one partition (None means all)")
        self._follow = follow
        self._max_records = max_records
        self._max_bytes = max_bytes
        self._max_total = max_total_records
        self.delivered = 0
        #: partition -> offset of the next record to deliver
        self.positions: dict[int, int] = {}
        #: partition -> high watermark in the latest response
        self.high_watermarks: dict[int, int] = {}

    @property
    def exhausted(self) -> bool:
        return self._max_total > 0 and self.delivered >= self._max_total

    @property
    def needs_partition_list(self) -> bool:
        """A resumed read of "every partition" must list them to give each its own start."""
        return self._starts is None and bool(self.positions)

    def request(self, all_partitions: Iterable[int] = ()) -> fetch_pb2.FetchRequest:
        req = fetch_pb2.FetchRequest(
            topic=self.topic,
            max_records=self._max_records,
            max_bytes=self._max_bytes,
            follow=self._follow,
            max_total_records=self._max_total - self.delivered if self._max_total else 0,
        )
        if self._starts is None and not self.positions:
            req.start_all.CopyFrom(self._start)
            return req
        starts = self._starts if self._starts is not None else {p: self._start for p in all_partitions}
        for p, s in sorted(starts.items()):
            pos = self.positions.get(p)
            start = fetch_pb2.StartPosition(offset=pos) if pos is not None else s
            req.partitions.append(fetch_pb2.FetchPartition(partition=p, start=start))
        return req

    def observe(self, resp: fetch_pb2.FetchResponse) -> Iterator[Record]:
        p = resp.partition
        self.high_watermarks[p] = resp.high_watermark
        for r in resp.records:
            self.positions[p] = r.offset + 1
            self.delivered += 1
            yield record_from_proto(self.topic, p, r)


__all__ = ["FetchPlan", "PartitionsLike"]
