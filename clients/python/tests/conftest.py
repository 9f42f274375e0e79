"""Fixtures: a real single-node broker (the sluice binary named by $SLUICE_BIN)
on 127.0.0.1, and unique topic names."""

from __future__ import annotations

import itertools
import json
import os
import pathlib
import re
import subprocess
import time
from collections.abc import Callable, Iterator
from typing import Any

import pytest

import sluice

ROOT = pathlib.Path(__file__).resolve().parent.parent  # clients/python
READY = re.compile(r'msg="sluice broker serving".*\baddr=(\S+)')


def wait_for(cond: Callable[[], bool], timeout: float, what: str, every: float = 0.02) -> None:
    """Poll ``cond`` until it holds; fail the test after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while not cond():
        if time.monotonic() > deadline:
            pytest.fail(f"timed out after {timeout}s waiting for {what}")
        time.sleep(every)


@pytest.fixture(scope="session")
def broker(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """Start ``$SLUICE_BIN serve`` on a free port; yield its host:port."""
    binary = os.environ.get("SLUICE_BIN") or str(ROOT.parent.parent / "bin" / "sluice")
    if not os.access(binary, os.X_OK):
        pytest.fail(
            f"no broker binary at {binary}: run `make build` at the repository root or set SLUICE_BIN"
        )
    tmp = tmp_path_factory.mktemp("broker")
    log = tmp / "broker.log"
    with log.open("wb") as out:
        proc = subprocess.Popen(
            [binary, "serve", "--data-dir", str(tmp / "data"), "--listen", "127.0.0.1:0"],
            stdout=out,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
        )
    try:
        addr: list[str] = []

        def ready() -> bool:
            if proc.poll() is not None:
                pytest.fail(f"broker exited with {proc.returncode}:\n{log.read_text()}")
            m = READY.search(log.read_text())
            if m:
                addr.append(m.group(1))
            return bool(addr)

        wait_for(ready, 30, "the broker to log that it serves")
        yield addr[0]
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


_names = itertools.count()


@pytest.fixture
def topic_name(request: pytest.FixtureRequest) -> str:
    """A topic name no other test uses."""
    base = re.sub(r"[^a-zA-Z0-9]+", "-", request.node.name).strip("-")[:80]
    return f"{base}-{next(_names)}"


@pytest.fixture
def admin(broker: str) -> Iterator[sluice.Admin]:
    with sluice.Admin(broker) as a:
        yield a


class FakeAuth:
    """clients/crosslang/fakeauth: an mTLS AuthService stand-in (see its doc).
    ``tls`` dials it (CA, client certificate, server name); ``stats()`` counts
    exchanges and accepted and refused calls; ``revoke()`` drops every token."""

    def __init__(self, proc: subprocess.Popen[str]) -> None:
        self._proc = proc
        assert proc.stdout is not None and proc.stdin is not None
        line = proc.stdout.readline()
        if not line:
            proc.wait(timeout=10)
            pytest.fail(f"fakeauth exited with {proc.returncode} before serving")
        ready = json.loads(line)
        self.address: str = ready["address"]
        self.server_name: str = ready["server_name"]
        self.ca: str = ready["ca"]
        self.cert: str = ready["client_cert"]
        self.key: str = ready["client_key"]
        self.tls = sluice.TLS(
            ca_file=self.ca, cert_file=self.cert, key_file=self.key, server_name=self.server_name
        )

    def _ask(self, command: str) -> dict[str, Any]:
        assert self._proc.stdin is not None and self._proc.stdout is not None
        self._proc.stdin.write(command + "\n")
        self._proc.stdin.flush()
        answer: dict[str, Any] = json.loads(self._proc.stdout.readline())
        return answer

    def stats(self) -> dict[str, int]:
        return {k: int(v) for k, v in self._ask("stats").items()}

    def revoke(self) -> None:
        self._ask("revoke")


@pytest.fixture
def fake_auth_factory(tmp_path: pathlib.Path) -> Iterator[Callable[..., FakeAuth]]:
    """Starts fakeauth ($FAKEAUTH_BIN) with the given flags; stops it after the test."""
    binary = os.environ.get("FAKEAUTH_BIN") or str(ROOT.parent.parent / "bin" / "fakeauth")
    if not os.access(binary, os.X_OK):
        pytest.fail(f"no fakeauth binary at {binary}: make test builds it (or set FAKEAUTH_BIN)")
    procs: list[subprocess.Popen[str]] = []

    def start(*flags: str) -> FakeAuth:
        d = tmp_path / f"fakeauth{len(procs)}"
        proc = subprocess.Popen(
            [binary, "-dir", str(d), *flags], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True
        )
        procs.append(proc)
        return FakeAuth(proc)

    yield start
    for proc in procs:
        assert proc.stdin is not None
        proc.stdin.close()  # fakeauth exits when its stdin closes
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        if proc.stdout is not None:
            proc.stdout.close()


@pytest.fixture
def fake_auth(fake_auth_factory: Callable[..., FakeAuth]) -> FakeAuth:
    return fake_auth_factory()
