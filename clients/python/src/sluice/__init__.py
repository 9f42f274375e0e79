"""Python client for Sluice, a Kafka-class event-streaming broker with a gRPC API.

:class:`Producer`, :class:`Consumer` and :class:`Admin` are threaded (blocking)
clients; :mod:`sluice.aio` has the same three for asyncio. The generated
protobuf and gRPC modules of the ``sluice.v1`` API are in :mod:`sluice.v1`
(``from sluice.v1 import produce_pb2, produce_pb2_grpc``).
"""

from sluice._partitioner import murmur2, partition_for_key
from sluice._produce_common import Acks
from sluice._security import TLS, Scram
from sluice._types import (
    EARLIEST,
    LATEST,
    Broker,
    ClusterDescription,
    Header,
    HeadersLike,
    PartitionDescription,
    PartitionOffset,
    Record,
    RecordMetadata,
    Start,
    Timestamp,
    TopicDescription,
    TopicSummary,
)
from sluice.admin import Admin
from sluice.consumer import Consumer
from sluice.errors import (
    AlreadyExistsError,
    AuthenticationError,
    InvalidArgumentError,
    NotFoundError,
    NotLeaderError,
    OutOfRangeError,
    PermissionDeniedError,
    ProducerClosedError,
    SluiceError,
    UnavailableError,
)
from sluice.producer import Producer

__version__ = "0.1.0"

__all__ = [
    "EARLIEST",
    "LATEST",
    "TLS",
    "Acks",
    "Admin",
    "AlreadyExistsError",
    "AuthenticationError",
    "Broker",
    "ClusterDescription",
    "Consumer",
    "Header",
    "HeadersLike",
    "InvalidArgumentError",
    "NotFoundError",
    "NotLeaderError",
    "OutOfRangeError",
    "PartitionDescription",
    "PartitionOffset",
    "PermissionDeniedError",
    "Producer",
    "ProducerClosedError",
    "Record",
    "RecordMetadata",
    "Scram",
    "SluiceError",
    "Start",
    "Timestamp",
    "TopicDescription",
    "TopicSummary",
    "UnavailableError",
    "murmur2",
    "partition_for_key",
]
