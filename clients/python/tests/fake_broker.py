"""An in-process stand-in for the broker's Produce and DescribeTopic RPCs, built
on the generated servicers, that records every ProduceRequest and can answer
out of order, with errors, or break the stream."""

from __future__ import annotations

import threading
from collections import defaultdict
from collections.abc import Callable, Iterator
from concurrent import futures

import grpc

from sluice.v1 import (
    admin_pb2,
    admin_pb2_grpc,
    produce_pb2,
    produce_pb2_grpc,
    record_pb2,
)

# A hook sees each request; it returns the response to send, or None for the
# default answer, and may call context.abort to break the stream.
Hook = Callable[[produce_pb2.ProduceRequest, grpc.ServicerContext], produce_pb2.ProduceResponse | None]


class FakeBroker(produce_pb2_grpc.ProduceServiceServicer, admin_pb2_grpc.AdminServiceServicer):
    def __init__(self, partitions: int = 4, *, reverse_groups: int = 1, hook: Hook | None = None) -> None:
        self.partitions = partitions
        self.reverse_groups = reverse_groups
        self.hook = hook
        self.requests: list[produce_pb2.ProduceRequest] = []
        self.streams = 0
        self.release = threading.Event()  # answers wait for it when hold is set
        self.hold = False
        self._offsets: defaultdict[int, int] = defaultdict(int)
        self._lock = threading.Lock()
        self._server = grpc.server(futures.ThreadPoolExecutor(max_workers=8))
        produce_pb2_grpc.add_ProduceServiceServicer_to_server(self, self._server)
        admin_pb2_grpc.add_AdminServiceServicer_to_server(self, self._server)
        self.port = self._server.add_insecure_port("127.0.0.1:0")
        self.address = f"127.0.0.1:{self.port}"
        self._server.start()

    def stop(self) -> None:
        self.release.set()
        self._server.stop(grace=None)

    def base_offset(self, partition: int) -> int:
        """Partitions get distinct offset ranges, so a mix-up shows."""
        return partition * 1_000_000

    def DescribeTopic(
        self, request: admin_pb2.DescribeTopicRequest, context: grpc.ServicerContext
    ) -> admin_pb2.DescribeTopicResponse:
        if request.name.startswith("missing"):
            context.abort(grpc.StatusCode.NOT_FOUND, f"topic {request.name} not found")
        parts = [admin_pb2.PartitionDescription(partition=i) for i in range(self.partitions)]
        return admin_pb2.DescribeTopicResponse(
            topic=admin_pb2.TopicDescription(name=request.name, partitions=parts)
        )

    def Produce(
        self, request_iterator: Iterator[produce_pb2.ProduceRequest], context: grpc.ServicerContext
    ) -> Iterator[produce_pb2.ProduceResponse]:
        with self._lock:
            self.streams += 1
        held: list[produce_pb2.ProduceResponse] = []
        for req in request_iterator:
            with self._lock:
                self.requests.append(req)
            resp = self.hook(req, context) if self.hook else None
            if resp is None:
                resp = self.answer(req)
            if self.hold:
                self.release.wait(30)
            held.append(resp)
            if len(held) >= self.reverse_groups:
                yield from reversed(held)
                held = []
        yield from reversed(held)

    def answer(self, req: produce_pb2.ProduceRequest) -> produce_pb2.ProduceResponse:
        p = req.partition
        with self._lock:
            base = self.base_offset(p) + self._offsets[p]
            self._offsets[p] += len(req.records)
        result = produce_pb2.ProduceResult(partition=p, base_offset=base, record_count=len(req.records))
        return produce_pb2.ProduceResponse(sequence=req.sequence, results=[result])


def error_response(
    sequence: int, code: grpc.StatusCode, message: str, *, retryable: bool = False
) -> produce_pb2.ProduceResponse:
    err = record_pb2.Error(code=code.value[0], message=message, retryable=retryable)
    return produce_pb2.ProduceResponse(sequence=sequence, error=err)
