"""Dialing: every client takes a ``host:port`` target (it then owns and closes
its channel) or a channel the caller made and closes; and, for a target, TLS
options and SCRAM credentials (see _security)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import grpc
import grpc.aio

from sluice._security import TLS, AsyncTokenSource, Scram, SyncAuthInterceptor, TokenSource, aio_interceptors

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


def _dial_options(
    credentials: grpc.ChannelCredentials | None, options: ChannelOptions | None, tls: TLS | None
) -> tuple[grpc.ChannelCredentials | None, list[tuple[str, Any]]]:
    if tls is None:
        return credentials, _options(options)
    if credentials is not None:
        raise ValueError("give tls or credentials, not both")
    return tls.channel_credentials(), _options(list(options or ()) + tls.channel_options())


def sync_channel(
    target: str | grpc.Channel,
    credentials: grpc.ChannelCredentials | None,
    options: ChannelOptions | None,
    *,
    tls: TLS | None = None,
    auth: Scram | None = None,
    timeout: float = 30.0,
) -> tuple[grpc.Channel, bool]:
    """Return the channel and whether the client owns (closes) it. With
    ``auth``, every call on it carries the bearer token SCRAM got (AuthService
    calls, at most ``timeout`` seconds each)."""
    if isinstance(target, grpc.Channel):
        if tls is not None:
            raise ValueError(
                "tls: applies when the client dials a target; a given channel has its own credentials"
            )
        channel, owns = target, False
    else:
        creds, opts = _dial_options(credentials, options, tls)
        if creds is not None:
            channel = grpc.secure_channel(target, creds, opts)
        else:
            channel = grpc.insecure_channel(target, opts)
        owns = True
    if auth is not None:
        channel = grpc.intercept_channel(channel, SyncAuthInterceptor(TokenSource(channel, auth, timeout)))
    return channel, owns


def aio_channel(
    target: str | grpc.aio.Channel,
    credentials: grpc.ChannelCredentials | None,
    options: ChannelOptions | None,
    *,
    tls: TLS | None = None,
    auth: Scram | None = None,
    timeout: float = 30.0,
) -> tuple[grpc.aio.Channel, bool]:
    if isinstance(target, grpc.aio.Channel):
        if tls is not None or auth is not None:
            raise ValueError(
                "tls and auth: apply when the client dials a target; a given grpc.aio channel "
                "has its own credentials and interceptors"
            )
        return target, False
    creds, opts = _dial_options(credentials, options, tls)
    source = AsyncTokenSource(auth, timeout) if auth is not None else None
    interceptors = aio_interceptors(source) if source is not None else None
    if creds is not None:
        channel = grpc.aio.secure_channel(target, creds, opts, interceptors=interceptors)
    else:
        channel = grpc.aio.insecure_channel(target, opts, interceptors=interceptors)
    if source is not None:
        source.bind(channel)
    return channel, True
