"""Dialing: every client takes a ``host:port`` target (it then owns and closes
its channel) or a channel the caller made and closes."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import grpc
import grpc.aio

ChannelOptions = Sequence[tuple[str, Any]]

# Records are up to 1 MiB by default and fetch responses about 1 MiB of records;
# a larger topic limit (max.message.bytes) needs room above gRPC's 4 MiB default.
_DEFAULT_OPTIONS: list[tuple[str, Any]] = [
    ("grpc.max_receive_message_length", 64 << 20),
    ("grpc.max_send_message_length", 64 << 20),
]


def _options(options: ChannelOptions | None) -> list[tuple[str, Any]]:
    given = list(options or ())
    names = {name for name, _ in given}
    return given + [o for o in _DEFAULT_OPTIONS if o[0] not in names]


def sync_channel(
    target: str | grpc.Channel,
    credentials: grpc.ChannelCredentials | None,
    options: ChannelOptions | None,
) -> tuple[grpc.Channel, bool]:
    """Return the channel and whether the client owns (closes) it."""
    if isinstance(target, grpc.Channel):
        return target, False
    if credentials is not None:
        return grpc.secure_channel(target, credentials, _options(options)), True
    return grpc.insecure_channel(target, _options(options)), True


def aio_channel(
    target: str | grpc.aio.Channel,
    credentials: grpc.ChannelCredentials | None,
    options: ChannelOptions | None,
) -> tuple[grpc.aio.Channel, bool]:
    if isinstance(target, grpc.aio.Channel):
        return target, False
    if credentials is not None:
        return grpc.aio.secure_channel(target, credentials, _options(options)), True
    return grpc.aio.insecure_channel(target, _options(options)), True
