"""The client side of SCRAM (RFC 5802, RFC 7677) with the standard library's
hashlib.pbkdf2_hmac and hmac: no channel binding ("n,,"), no authzid.

SASLprep (RFC 4013) is done with the standard library's ``stringprep`` tables
and NFKC, for stored strings (unassigned code points are refused)."""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
import stringprep
import unicodedata
from typing import Literal

Mechanism = Literal["SCRAM-SHA-256", "SCRAM-SHA-512"]

_HASHES: dict[str, str] = {"SCRAM-SHA-256": "sha256", "SCRAM-SHA-512": "sha512"}

# A server asking for fewer PBKDF2 iterations than RFC 7677's minimum makes
# a stolen exchange cheap to brute-force; the client refuses it.
MIN_ITERATIONS = 4096

_PROHIBITED = (
    stringprep.in_table_c12,
    stringprep.in_table_c21_c22,
    stringprep.in_table_c3,
    stringprep.in_table_c4,
    stringprep.in_table_c5,
    stringprep.in_table_c6,
    stringprep.in_table_c7,
    stringprep.in_table_c8,
    stringprep.in_table_c9,
    stringprep.in_table_a1,
)


class ScramError(Exception):
    """The exchange cannot go on: a malformed or dishonest server message, or
    a user name or password SASLprep refuses. The message never holds the password."""


def saslprep(s: str, what: str) -> str:
    """RFC 4013 SASLprep of a stored string; ``what`` names it in errors."""
    if s.isascii():
        # Fast path, same result: ASCII maps to itself; only controls are prohibited.
        if any(ord(c) < 0x20 or ord(c) == 0x7F for c in s):
            raise ScramError(f"{what}: contains a control character, which SASLprep prohibits")
        return s
    mapped = "".join(" " if stringprep.in_table_c12(c) else c for c in s if not stringprep.in_table_b1(c))
    out = unicodedata.normalize("NFKC", mapped)
    for c in out:
        if any(table(c) for table in _PROHIBITED):
            raise ScramError(f"{what}: contains a character SASLprep prohibits (U+{ord(c):04X})")
    # RFC 3454 section 6: RandALCat text must start and end with one and hold no LCat.
    if any(stringprep.in_table_d1(c) for c in out) and (
        any(stringprep.in_table_d2(c) for c in out)
        or not (stringprep.in_table_d1(out[0]) and stringprep.in_table_d1(out[-1]))
    ):
        raise ScramError(f"{what}: mixes right-to-left and left-to-right text, which SASLprep prohibits")
    return out


def escape_username(name: str) -> str:
    """RFC 5802 saslname: "=" as "=3D", "," as "=2C"."""
    return name.replace("=", "=3D").replace(",", "=2C")


def _fields(message: str, what: str) -> dict[str, str]:
    out: dict[str, str] = {}
    for part in message.split(","):
        if len(part) < 2 or part[1] != "=":
            raise ScramError(f"{what}: malformed attribute {part[:20]!r}")
        out.setdefault(part[0], part[2:])
    return out


class ScramClient:
    """One SCRAM conversation: ``client_first()``, then
    ``client_final(server_first)``, then ``verify_server_final(server_final)``."""

    def __init__(
        self,
        username: str,
        password: str,
        mechanism: Mechanism = "SCRAM-SHA-256",
        *,
        nonce: str | None = None,
        salted_cache: dict[tuple[str, bytes, int], bytes] | None = None,
    ) -> None:
        if mechanism not in _HASHES:
            raise ValueError(f"mechanism: expected SCRAM-SHA-256 or SCRAM-SHA-512, got {mechanism!r}")
        self._hash = _HASHES[mechanism]
        self._mechanism = mechanism
        self._username = saslprep(username, "username")
        if not self._username:
            raise ValueError("username: must not be empty")
        self._password = saslprep(password, "password")
        self._nonce = nonce if nonce is not None else base64.b64encode(secrets.token_bytes(24)).decode()
        self._cache = salted_cache if salted_cache is not None else {}
        self._bare = f"n={escape_username(self._username)},r={self._nonce}"
        self._server_signature: bytes | None = None

    def client_first(self) -> str:
        return "n,," + self._bare

    def client_final(self, server_first: str) -> str:
        f = _fields(server_first, "server-first message")
        if "m" in f:
            raise ScramError("server-first message: asks for an extension this client does not support")
        nonce, salt_b64, iters_s = f.get("r"), f.get("s"), f.get("i")
        if not nonce or salt_b64 is None or iters_s is None:
            raise ScramError("server-first message: needs r=, s= and i=")
        if not nonce.startswith(self._nonce) or len(nonce) == len(self._nonce):
            raise ScramError("server-first message: the nonce does not extend the client's")
        try:
            salt = base64.b64decode(salt_b64, validate=True)
            iterations = int(iters_s)
        except ValueError:
            raise ScramError("server-first message: s= is not base64 or i= not a number") from None
        if iterations < MIN_ITERATIONS:
            raise ScramError(
                f"server-first message: {iterations} iterations, fewer than the minimum {MIN_ITERATIONS}"
            )
        key = (self._mechanism, salt, iterations)
        salted = self._cache.get(key)
        if salted is None:
            salted = hashlib.pbkdf2_hmac(self._hash, self._password.encode(), salt, iterations)
            self._cache[key] = salted
        without_proof = f"c=biws,r={nonce}"
        auth_message = f"{self._bare},{server_first},{without_proof}".encode()
        client_key = hmac.digest(salted, b"Client Key", self._hash)
        stored_key = hashlib.new(self._hash, client_key).digest()
        signature = hmac.digest(stored_key, auth_message, self._hash)
        proof = bytes(a ^ b for a, b in zip(client_key, signature, strict=True))
        server_key = hmac.digest(salted, b"Server Key", self._hash)
        self._server_signature = hmac.digest(server_key, auth_message, self._hash)
        return f"{without_proof},p={base64.b64encode(proof).decode()}"

    def verify_server_final(self, server_final: str) -> None:
        """Raise ScramError unless the server proved it holds the credentials."""
        if self._server_signature is None:
            raise ScramError("verify_server_final before client_final")
        f = _fields(server_final, "server-final message")
        if "e" in f:
            raise ScramError(f"server-final message: the broker refused: {f['e']}")
        try:
            got = base64.b64decode(f.get("v", ""), validate=True)
        except ValueError:
            raise ScramError("server-final message: v= is not base64") from None
        if not hmac.compare_digest(got, self._server_signature):
            raise ScramError(
                "server-final message: the server signature is wrong; the broker does not hold "
                "this user's credentials"
            )
