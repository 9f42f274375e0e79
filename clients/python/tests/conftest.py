"""Fixtures: a real single-node broker (the sluice binary named by $SLUICE_BIN)
on 127.0.0.1, and unique topic names."""

from __future__ import annotations

import itertools
import os
import pathlib
import re
import subprocess
import time
from collections.abc import Callable, Iterator

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
