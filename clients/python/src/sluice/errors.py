"""Errors raised by the Sluice client.

Every failure the broker reports becomes a :class:`SluiceError` whose ``code``
is the gRPC status code, whether it ended an RPC (a status) or one request of a
produce stream (an ``Error`` in the response). Common codes have subclasses, so
``except sluice.NotFoundError`` works.
"""

from __future__ import annotations

import grpc

from sluice.v1 import record_pb2

__all__ = [
    "AlreadyExistsError",
    "AuthenticationError",
    "InvalidArgumentError",
    "NotFoundError",
    "NotLeaderError",
    "OutOfRangeError",
    "PermissionDeniedError",
    "ProducerClosedError",
    "SluiceError",
    "UnavailableError",
]

_CODES = {code.value[0]: code for code in grpc.StatusCode}


class SluiceError(Exception):
    """A request failed. ``code`` is the gRPC status code (None for errors the
    client raises itself), ``message`` the broker's text, which names the field
    or limit involved, and ``retryable`` says whether sending the same request
    again may succeed (a leader change, an overload)."""

    def __init__(self, message: str, *, code: grpc.StatusCode | None = None, retryable: bool = False) -> None:
        super().__init__(message)
        self.message = message
        self.code = code
        self.retryable = retryable

    def __str__(self) -> str:
        return f"{self.code.name}: {self.message}" if self.code else self.message


class InvalidArgumentError(SluiceError):
    """The request was malformed or invalid (INVALID_ARGUMENT); the message names the field."""


class NotFoundError(SluiceError):
    """The topic or partition does not exist (NOT_FOUND)."""


class AlreadyExistsError(SluiceError):
    """The topic already exists (ALREADY_EXISTS)."""


class OutOfRangeError(SluiceError):
    """The offset is outside the partition's stored range (OUT_OF_RANGE)."""


class UnavailableError(SluiceError):
    """The broker or the partition's leader cannot be reached now (UNAVAILABLE)."""


class AuthenticationError(SluiceError):
    """The broker does not know who the caller is (UNAUTHENTICATED): no
    credentials, a wrong password, an expired token; or the client refused the
    broker's SCRAM answer (a server signature that does not prove it holds the
    user's credentials)."""


class PermissionDeniedError(SluiceError):
    """The caller is authenticated but an ACL does not allow the operation on
    the resource the message names (PERMISSION_DENIED)."""


class NotLeaderError(SluiceError):
    """The request reached a broker that does not lead the partition."""

    def __init__(
        self,
        message: str,
        *,
        code: grpc.StatusCode | None = None,
        retryable: bool = False,
        leader_id: int = 0,
        leader_address: str = "",
    ) -> None:
        super().__init__(message, code=code, retryable=retryable)
        self.leader_id = leader_id
        self.leader_address = leader_address


class ProducerClosedError(SluiceError):
    """The producer was closed before the record could be sent or acknowledged."""


_BY_CODE: dict[grpc.StatusCode, type[SluiceError]] = {
    grpc.StatusCode.INVALID_ARGUMENT: InvalidArgumentError,
    grpc.StatusCode.NOT_FOUND: NotFoundError,
    grpc.StatusCode.ALREADY_EXISTS: AlreadyExistsError,
    grpc.StatusCode.OUT_OF_RANGE: OutOfRangeError,
    grpc.StatusCode.UNAVAILABLE: UnavailableError,
    grpc.StatusCode.UNAUTHENTICATED: AuthenticationError,
    grpc.StatusCode.PERMISSION_DENIED: PermissionDeniedError,
}


class InterceptedRpcError(grpc.RpcError):
    """How a threaded client's channel fails a call it could not authenticate:
    an RpcError (so every client handles it as it handles a failed call)
    carrying the SluiceError to raise."""

    def __init__(self, error: SluiceError) -> None:
        super().__init__(str(error))
        self.error = error

    def code(self) -> grpc.StatusCode:
        return self.error.code or grpc.StatusCode.UNKNOWN

    def details(self) -> str:
        return self.error.message


def _make(code: grpc.StatusCode | None, message: str, retryable: bool) -> SluiceError:
    cls = _BY_CODE.get(code, SluiceError) if code is not None else SluiceError
    return cls(message, code=code, retryable=retryable)


def from_rpc_error(err: grpc.RpcError) -> SluiceError:
    """Convert the status that ended an RPC (sync or asyncio) into a SluiceError."""
    if isinstance(err, InterceptedRpcError):
        return err.error
    code: grpc.StatusCode | None = None
    message = str(err)
    if isinstance(err, (grpc.Call, grpc.aio.AioRpcError)):
        code = err.code()
        message = err.details() or ""
    retryable = code in (grpc.StatusCode.UNAVAILABLE, grpc.StatusCode.RESOURCE_EXHAUSTED)
    return _make(code, message, retryable)


def from_proto(err: record_pb2.Error) -> SluiceError:
    """Convert an ``Error`` of a produce response into a SluiceError."""
    code = _CODES.get(err.code, grpc.StatusCode.UNKNOWN)
    if err.HasField("not_leader"):
        nl = err.not_leader
        return NotLeaderError(
            err.message,
            code=code,
            retryable=err.retryable,
            leader_id=nl.leader_id,
            leader_address=nl.leader_address,
        )
    return _make(code, err.message, err.retryable)
