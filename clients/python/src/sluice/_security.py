"""TLS and SCRAM options, and the bearer token every call then carries.

A client given ``auth=Scram(...)`` runs the SCRAM exchange over
sluice.v1.AuthService (StartScram, FinishScram) before its first call, checks
the broker's server-final signature, and sends ``authorization: Bearer
<token>`` on every call. It authenticates again once the token nears its
expire_time (a fifth of its lifetime, at most a minute, before), and once
when a unary call is refused with UNAUTHENTICATED (that call is then sent
again). A stream refused with UNAUTHENTICATED is not replayed: it fails, and
the next call authenticates again first.
"""

from __future__ import annotations

import asyncio
import os
import threading
import time
from collections.abc import AsyncIterator, Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import grpc
import grpc.aio

from sluice import errors
from sluice._scram import Mechanism, ScramClient, ScramError
from sluice.v1 import auth_pb2, auth_pb2_grpc

__all__ = ["TLS", "Scram"]

_AUTH_PREFIX = "/sluice.v1.AuthService/"
_MECHANISMS: dict[str, int] = {
    "SCRAM-SHA-256": auth_pb2.SCRAM_MECHANISM_SHA_256,
    "SCRAM-SHA-512": auth_pb2.SCRAM_MECHANISM_SHA_512,
}


@dataclass(frozen=True)
class TLS:
    """Dial the broker over TLS.

    ``ca_file``: PEM CA certificates the broker's certificate must chain to
    (None: the system's roots). ``cert_file`` and ``key_file``: a PEM client
    certificate and its private key, for brokers that require mTLS (give both
    or neither). ``server_name``: the name the broker's certificate must carry
    when it is not the host of the target (for example when dialing an IP).
    """

    ca_file: str | os.PathLike[str] | None = None
    cert_file: str | os.PathLike[str] | None = None
    key_file: str | os.PathLike[str] | None = None
    server_name: str | None = None

    def __post_init__(self) -> None:
        if (self.cert_file is None) != (self.key_file is None):
            raise ValueError("TLS: give both cert_file and key_file (mTLS), or neither")

    def channel_credentials(self) -> grpc.ChannelCredentials:
        def read(path: str | os.PathLike[str] | None, what: str) -> bytes | None:
            if path is None:
                return None
            try:
                with open(path, "rb") as f:
                    return f.read()
            except OSError as e:
                raise ValueError(f"TLS {what}: cannot read {os.fspath(path)!r}: {e.strerror}") from None

        return grpc.ssl_channel_credentials(
            root_certificates=read(self.ca_file, "ca_file"),
            private_key=read(self.key_file, "key_file"),
            certificate_chain=read(self.cert_file, "cert_file"),
        )

    def channel_options(self) -> list[tuple[str, Any]]:
        return [("grpc.ssl_target_name_override", self.server_name)] if self.server_name else []


@dataclass(frozen=True)
class Scram:
    """SCRAM credentials: the broker's user name and password, and the
    mechanism ("SCRAM-SHA-256", the default, or "SCRAM-SHA-512"). The password
    never leaves the client; it is not shown in repr()."""

    username: str
    password: str = field(repr=False)
    mechanism: Mechanism = "SCRAM-SHA-256"

    def __post_init__(self) -> None:
        if self.mechanism not in _MECHANISMS:
            raise ValueError(
                f"Scram mechanism: expected SCRAM-SHA-256 or SCRAM-SHA-512, got {self.mechanism!r}"
            )
        if not self.username:
            raise ValueError("Scram username: must not be empty")


def _refresh_at(expire_time: Any) -> float | None:
    """The monotonic time to authenticate again at, from a Timestamp
    (None when the broker gave no expiry)."""
    if not expire_time.seconds and not expire_time.nanos:
        return None
    left: float = expire_time.seconds + expire_time.nanos / 1e9 - time.time()
    return time.monotonic() + left - min(60.0, max(left, 0.0) / 5)


class _Exchange:
    """The parts of an exchange both the threaded and the asyncio token sources share."""

    def __init__(self, creds: Scram) -> None:
        self.creds = creds
        self.salted: dict[tuple[str, bytes, int], bytes] = {}

    def start(self) -> tuple[ScramClient, auth_pb2.StartScramRequest]:
        c = ScramClient(
            self.creds.username, self.creds.password, self.creds.mechanism, salted_cache=self.salted
        )
        mech: Any = _MECHANISMS[self.creds.mechanism]
        return c, auth_pb2.StartScramRequest(mechanism=mech, client_first_message=c.client_first())

    @staticmethod
    def finish(c: ScramClient, resp: auth_pb2.StartScramResponse) -> auth_pb2.FinishScramRequest:
        return auth_pb2.FinishScramRequest(
            session=resp.session, client_final_message=c.client_final(resp.server_first_message)
        )

    @staticmethod
    def done(c: ScramClient, resp: auth_pb2.FinishScramResponse) -> tuple[str, float | None]:
        c.verify_server_final(resp.server_final_message)
        if not resp.token:
            raise ScramError("FinishScram: the broker sent no token")
        return resp.token, _refresh_at(resp.expire_time)

    @staticmethod
    def error(e: Exception) -> errors.SluiceError:
        if isinstance(e, ScramError):
            return errors.AuthenticationError(f"SCRAM: {e}", code=grpc.StatusCode.UNAUTHENTICATED)
        if isinstance(e, grpc.RpcError):
            err = errors.from_rpc_error(e)
            err.message = f"SCRAM authentication: {err.message}"
            err.args = (err.message,)
            return err
        raise e


class TokenSource:
    """Holds the token of a threaded client; authenticates when there is none
    or it nears its expiry. Thread-safe: one exchange at a time."""

    def __init__(self, channel: grpc.Channel, creds: Scram, timeout: float) -> None:
        self._stub = auth_pb2_grpc.AuthServiceStub(channel)
        self._ex = _Exchange(creds)
        self._timeout = timeout
        self._lock = threading.Lock()
        self._token: str | None = None
        self._refresh: float | None = None

    def token(self) -> str:
        with self._lock:
            if self._token is None or (self._refresh is not None and time.monotonic() >= self._refresh):
                self._token, self._refresh = self._authenticate()
            return self._token

    def invalidate(self, token: str) -> None:
        """Forget ``token`` (refused by the broker) unless a newer one replaced it."""
        with self._lock:
            if self._token == token:
                self._token = None

    def _authenticate(self) -> tuple[str, float | None]:
        try:
            c, first = self._ex.start()
            s1 = self._stub.StartScram(first, timeout=self._timeout)
            s2 = self._stub.FinishScram(self._ex.finish(c, s1), timeout=self._timeout)
            return self._ex.done(c, s2)
        except (ScramError, grpc.RpcError) as e:
            raise errors.InterceptedRpcError(self._ex.error(e)) from None


class AsyncTokenSource:
    """The asyncio TokenSource; its AuthService calls go through the client's own channel."""

    def __init__(self, creds: Scram, timeout: float) -> None:
        self._ex = _Exchange(creds)
        self._timeout = timeout
        self._stub: auth_pb2_grpc.AuthServiceAsyncStub | None = None
        self._lock: asyncio.Lock | None = None
        self._token: str | None = None
        self._refresh: float | None = None
        # Tasks that look at how a stream ended, shared by the four interceptors.
        self.stream_checks: set[asyncio.Task[None]] = set()

    def bind(self, channel: grpc.aio.Channel) -> None:
        self._stub = auth_pb2_grpc.AuthServiceStub(channel)

    async def token(self) -> str:
        if self._lock is None:
            self._lock = asyncio.Lock()
        async with self._lock:
            if self._token is None or (self._refresh is not None and time.monotonic() >= self._refresh):
                self._token, self._refresh = await self._authenticate()
            return self._token

    def invalidate(self, token: str) -> None:
        if self._token == token:
            self._token = None

    async def _authenticate(self) -> tuple[str, float | None]:
        assert self._stub is not None, "bind() before token()"
        try:
            c, first = self._ex.start()
            s1 = await self._stub.StartScram(first, timeout=self._timeout)
            s2 = await self._stub.FinishScram(self._ex.finish(c, s1), timeout=self._timeout)
            return self._ex.done(c, s2)
        except (ScramError, grpc.RpcError) as e:
            raise self._aio_failure(self._ex.error(e)) from None

    @staticmethod
    def _aio_failure(err: errors.SluiceError) -> grpc.aio.AioRpcError:
        # grpc.aio passes its own error type through its interceptor machinery
        # (streams included); the client's error handling turns it back into err's class.
        code = err.code or grpc.StatusCode.UNAUTHENTICATED
        return grpc.aio.AioRpcError(code, grpc.aio.Metadata(), grpc.aio.Metadata(), details=err.message)


def _method(details: Any) -> str:
    m = details.method
    return m.decode() if isinstance(m, bytes) else str(m)


def _with_token(details: Any, token: str, make: Callable[..., Any]) -> Any:
    md = [(k, v) for k, v in (details.metadata or ()) if k != "authorization"]
    md.append(("authorization", f"Bearer {token}"))
    return make(details, md)


class _SyncDetails(grpc.ClientCallDetails):
    def __init__(self, base: Any, metadata: Sequence[tuple[str, str]]) -> None:
        self.method = base.method
        self.timeout = base.timeout
        self.metadata = tuple(metadata)
        self.credentials = base.credentials
        self.wait_for_ready = getattr(base, "wait_for_ready", None)
        self.compression = getattr(base, "compression", None)


class _WatchedStream:
    """A response stream (a grpc.Call and an iterator) that calls ``refused``
    before it raises UNAUTHENTICATED."""

    def __init__(self, call: Any, refused: Callable[[], None]) -> None:
        self._call = call
        self._refused = refused

    def __iter__(self) -> _WatchedStream:
        return self

    def __next__(self) -> Any:
        try:
            return next(self._call)
        except grpc.RpcError as e:
            if isinstance(e, grpc.Call) and e.code() == grpc.StatusCode.UNAUTHENTICATED:
                self._refused()
            raise

    def __getattr__(self, name: str) -> Any:
        return getattr(self._call, name)


class SyncAuthInterceptor(
    grpc.UnaryUnaryClientInterceptor,
    grpc.UnaryStreamClientInterceptor,
    grpc.StreamUnaryClientInterceptor,
    grpc.StreamStreamClientInterceptor,
):
    """Adds the bearer token to every call of a threaded client's channel."""

    def __init__(self, source: TokenSource) -> None:
        self._source = source

    def _details(self, details: Any) -> tuple[Any, str]:
        token = self._source.token()
        return _with_token(details, token, _SyncDetails), token

    def intercept_unary_unary(self, continuation: Any, details: Any, request: Any) -> Any:
        if _method(details).startswith(_AUTH_PREFIX):
            return continuation(details, request)
        d, token = self._details(details)
        outcome = continuation(d, request)
        if outcome.code() == grpc.StatusCode.UNAUTHENTICATED:
            self._source.invalidate(token)
            d, _ = self._details(details)
            outcome = continuation(d, request)
        return outcome

    def _stream(self, continuation: Any, details: Any, request: Any) -> Any:
        if _method(details).startswith(_AUTH_PREFIX):
            return continuation(details, request)
        d, token = self._details(details)
        call = continuation(d, request)

        def refused() -> None:
            self._source.invalidate(token)

        def ended() -> None:
            if call.code() == grpc.StatusCode.UNAUTHENTICATED:
                refused()

        call.add_callback(ended)
        # The callback runs on a gRPC thread, maybe after the caller saw the
        # error and started the next call: the iterator forgets the token first.
        return _WatchedStream(call, refused)

    def intercept_unary_stream(self, continuation: Any, details: Any, request: Any) -> Any:
        return self._stream(continuation, details, request)

    def intercept_stream_unary(self, continuation: Any, details: Any, request_iterator: Any) -> Any:
        return self._stream(continuation, details, request_iterator)

    def intercept_stream_stream(self, continuation: Any, details: Any, request_iterator: Any) -> Any:
        return self._stream(continuation, details, request_iterator)


def _aio_details(base: Any, metadata: Sequence[tuple[str, str]]) -> grpc.aio.ClientCallDetails:
    return grpc.aio.ClientCallDetails(
        base.method, base.timeout, grpc.aio.Metadata(*metadata), base.credentials, base.wait_for_ready
    )


class _AioBase:
    def __init__(self, source: AsyncTokenSource) -> None:
        self._source = source
        self._checks = source.stream_checks

    async def _stream(self, continuation: Any, details: Any, request: Any) -> Any:
        if _method(details).startswith(_AUTH_PREFIX):
            return await continuation(details, request)
        d, token = await self._details(details)
        call = await continuation(d, request)

        async def check() -> None:
            if await call.code() == grpc.StatusCode.UNAUTHENTICATED:
                self._source.invalidate(token)

        def ended(_: Any) -> None:
            # The call is done: its code() coroutine returns at once.
            task = asyncio.get_running_loop().create_task(check())
            self._checks.add(task)
            task.add_done_callback(self._checks.discard)

        call.add_done_callback(ended)
        return call

    async def _details(self, details: Any) -> tuple[Any, str]:
        if self._checks:  # a stream that ended: was its token refused?
            await asyncio.gather(*list(self._checks))
        token = await self._source.token()
        return _with_token(details, token, _aio_details), token


class AioUnaryUnary(_AioBase, grpc.aio.UnaryUnaryClientInterceptor):
    async def intercept_unary_unary(self, continuation: Any, details: Any, request: Any) -> Any:
        if _method(details).startswith(_AUTH_PREFIX):
            return await continuation(details, request)
        d, token = await self._details(details)
        call = await continuation(d, request)
        if await call.code() == grpc.StatusCode.UNAUTHENTICATED:
            self._source.invalidate(token)
            d, _ = await self._details(details)
            call = await continuation(d, request)
        return call


class AioUnaryStream(_AioBase, grpc.aio.UnaryStreamClientInterceptor):
    async def intercept_unary_stream(self, continuation: Any, details: Any, request: Any) -> Any:
        if _method(details).startswith(_AUTH_PREFIX):
            return await continuation(details, request)
        d, token = await self._details(details)
        call = await continuation(d, request)
        source = self._source

        # An iterator instead of the call (grpc.aio wraps it, cancel() included):
        # it forgets a refused token before the caller sees the error.
        async def responses() -> AsyncIterator[Any]:
            try:
                async for resp in call:
                    yield resp
            except grpc.aio.AioRpcError as e:
                if e.code() == grpc.StatusCode.UNAUTHENTICATED:
                    source.invalidate(token)
                raise

        return responses()


class AioStreamUnary(_AioBase, grpc.aio.StreamUnaryClientInterceptor):
    async def intercept_stream_unary(self, continuation: Any, details: Any, request_iterator: Any) -> Any:
        return await self._stream(continuation, details, request_iterator)


class AioStreamStream(_AioBase, grpc.aio.StreamStreamClientInterceptor):
    async def intercept_stream_stream(self, continuation: Any, details: Any, request_iterator: Any) -> Any:
        return await self._stream(continuation, details, request_iterator)


def aio_interceptors(source: AsyncTokenSource) -> list[grpc.aio.ClientInterceptor]:
    return [AioUnaryUnary(source), AioUnaryStream(source), AioStreamUnary(source), AioStreamStream(source)]
