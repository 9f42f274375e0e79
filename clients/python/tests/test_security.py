"""TLS options and SCRAM credentials of every client, against fakeauth
(clients/crosslang/fakeauth: an mTLS server holding SCRAM credentials for
alice/alice-secret, whose certificate names only broker.sluice.test)."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from typing import TypeVar

import pytest

import sluice
import sluice.aio
from conftest import FakeAuth

T = TypeVar("T")
ALICE = sluice.Scram("alice", "alice-secret")


def run(coro: Awaitable[T], timeout: float = 30) -> T:
    async def bounded() -> T:
        return await asyncio.wait_for(coro, timeout)

    return asyncio.run(bounded())


def test_tls_and_scram_authenticate_unary_and_streaming_calls(fake_auth: FakeAuth) -> None:
    with sluice.Admin(fake_auth.address, tls=fake_auth.tls, auth=ALICE) as admin:
        assert [t.name for t in admin.list_topics()] == ["alice"]
        assert admin.describe_topic("events").name == "events"
    with sluice.Producer(fake_auth.address, tls=fake_auth.tls, auth=ALICE) as producer:
        # DescribeTopic, then a Produce stream.
        meta = producer.send("events", b"v", key=b"k").result(timeout=10)
        assert (meta.partition, meta.offset) == (0, 0)
    with sluice.Consumer(fake_auth.address, "events", partitions=[0], tls=fake_auth.tls, auth=ALICE) as c:
        assert list(c) == []  # a Fetch stream fakeauth ends at once
    # One exchange per client; every call carried its token.
    assert fake_auth.stats() == {"exchanges": 3, "rejected": 0, "calls": 5}


def test_sha512_credentials(fake_auth: FakeAuth) -> None:
    auth = sluice.Scram("alice", "alice-secret", mechanism="SCRAM-SHA-512")
    with sluice.Admin(fake_auth.address, tls=fake_auth.tls, auth=auth) as admin:
        assert [t.name for t in admin.list_topics()] == ["alice"]


def test_no_credentials_is_unauthenticated(fake_auth: FakeAuth) -> None:
    with (
        sluice.Admin(fake_auth.address, tls=fake_auth.tls) as admin,
        pytest.raises(sluice.AuthenticationError),
    ):
        admin.list_topics()


def test_wrong_password_is_unauthenticated_and_never_shown(fake_auth: FakeAuth) -> None:
    auth = sluice.Scram("alice", "not-alices-password")
    with (
        sluice.Admin(fake_auth.address, tls=fake_auth.tls, auth=auth) as admin,
        pytest.raises(sluice.AuthenticationError) as e,
    ):
        admin.list_topics()
    assert "not-alices-password" not in str(e.value) and "not-alices-password" not in repr(auth)
    assert fake_auth.stats() == {"exchanges": 0, "rejected": 0, "calls": 0}


def test_a_broker_that_cannot_prove_it_holds_the_credentials_is_refused(
    fake_auth_factory: Callable[..., FakeAuth],
) -> None:
    fake = fake_auth_factory("-forge-server-final")
    with (
        sluice.Admin(fake.address, tls=fake.tls, auth=ALICE) as admin,
        pytest.raises(sluice.AuthenticationError, match="server signature is wrong"),
    ):
        admin.list_topics()
    # The broker issued a token, but the client never used it.
    assert fake.stats() == {"exchanges": 1, "rejected": 0, "calls": 0}


def test_a_refused_token_is_replaced_once_and_the_call_sent_again(fake_auth: FakeAuth) -> None:
    with sluice.Admin(fake_auth.address, tls=fake_auth.tls, auth=ALICE) as admin:
        admin.list_topics()
        fake_auth.revoke()
        assert [t.name for t in admin.list_topics()] == ["alice"]
    assert fake_auth.stats() == {"exchanges": 2, "rejected": 1, "calls": 2}


def test_a_refused_stream_fails_and_the_next_one_authenticates_again(fake_auth: FakeAuth) -> None:
    with sluice.Consumer(fake_auth.address, "events", partitions=[0], tls=fake_auth.tls, auth=ALICE) as c:
        assert list(c) == []
        fake_auth.revoke()
        with pytest.raises(sluice.AuthenticationError):
            list(c)
        assert list(c) == []
    assert fake_auth.stats() == {"exchanges": 2, "rejected": 1, "calls": 2}


def test_the_token_is_renewed_before_it_expires(fake_auth_factory: Callable[..., FakeAuth]) -> None:
    # Tokens live 3s; the client renews one a fifth of its lifetime before expiry.
    fake = fake_auth_factory("-token-ttl", "3s")
    with sluice.Admin(fake.address, tls=fake.tls, auth=ALICE) as admin:
        deadline = time.monotonic() + 15
        while fake.stats()["exchanges"] < 2:
            assert time.monotonic() < deadline, "no second exchange within 15s"
            admin.list_topics()
            time.sleep(0.1)
    st = fake.stats()
    assert st["exchanges"] == 2 and st["rejected"] == 0, st


def test_mtls_needs_the_client_certificate(fake_auth: FakeAuth) -> None:
    tls = sluice.TLS(ca_file=fake_auth.ca, server_name=fake_auth.server_name)
    with (
        sluice.Admin(fake_auth.address, tls=tls, auth=ALICE, timeout=5) as admin,
        pytest.raises(sluice.UnavailableError),
    ):
        admin.list_topics()


def test_the_server_name_must_match_the_certificate(fake_auth: FakeAuth) -> None:
    # The certificate names broker.sluice.test, not 127.0.0.1.
    tls = sluice.TLS(ca_file=fake_auth.ca, cert_file=fake_auth.cert, key_file=fake_auth.key)
    with (
        sluice.Admin(fake_auth.address, tls=tls, auth=ALICE, timeout=5) as admin,
        pytest.raises(sluice.UnavailableError),
    ):
        admin.list_topics()


def test_tls_options_are_checked() -> None:
    with pytest.raises(ValueError, match="both cert_file and key_file"):
        sluice.TLS(cert_file="client.pem")
    with pytest.raises(ValueError, match="cannot read"):
        sluice.Admin("127.0.0.1:1", tls=sluice.TLS(ca_file="/nonexistent/ca.pem"))
    with pytest.raises(ValueError, match="mechanism"):
        sluice.Scram("alice", "x", mechanism="SCRAM-MD5")  # type: ignore[arg-type]


def test_asyncio_clients_authenticate_and_replace_a_refused_token(fake_auth: FakeAuth) -> None:
    async def main() -> None:
        async with sluice.aio.Admin(fake_auth.address, tls=fake_auth.tls, auth=ALICE) as admin:
            assert [t.name for t in await admin.list_topics()] == ["alice"]
            fake_auth.revoke()
            assert [t.name for t in await admin.list_topics()] == ["alice"]
        async with sluice.aio.Producer(fake_auth.address, tls=fake_auth.tls, auth=ALICE) as producer:
            fut = await producer.send("events", b"v")
            await producer.flush(timeout=10)
            assert fut.result().offset == 0
        async with sluice.aio.Consumer(
            fake_auth.address, "events", partitions=[0], tls=fake_auth.tls, auth=ALICE
        ) as consumer:
            assert [r async for r in consumer] == []

    run(main())
    assert fake_auth.stats() == {"exchanges": 4, "rejected": 1, "calls": 5}


def test_asyncio_a_refused_stream_fails_and_the_next_one_authenticates_again(fake_auth: FakeAuth) -> None:
    async def main() -> None:
        async with sluice.aio.Consumer(
            fake_auth.address, "events", partitions=[0], tls=fake_auth.tls, auth=ALICE
        ) as consumer:
            assert [r async for r in consumer] == []
            fake_auth.revoke()
            with pytest.raises(sluice.AuthenticationError):
                [r async for r in consumer]
            assert [r async for r in consumer] == []

    run(main())
    assert fake_auth.stats() == {"exchanges": 2, "rejected": 1, "calls": 2}


def test_asyncio_wrong_password_and_forged_server_final(
    fake_auth: FakeAuth, fake_auth_factory: Callable[..., FakeAuth]
) -> None:
    forged = fake_auth_factory("-forge-server-final")

    async def main() -> None:
        bad = sluice.Scram("alice", "wrong")
        async with sluice.aio.Admin(fake_auth.address, tls=fake_auth.tls, auth=bad) as admin:
            with pytest.raises(sluice.AuthenticationError):
                await admin.list_topics()
        async with sluice.aio.Admin(forged.address, tls=forged.tls, auth=ALICE) as admin:
            with pytest.raises(sluice.AuthenticationError, match="server signature is wrong"):
                await admin.list_topics()

    run(main())
    assert forged.stats()["calls"] == 0
