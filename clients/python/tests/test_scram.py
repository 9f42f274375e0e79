"""The SCRAM client (sluice._scram) replays the shared vectors
(clients/testdata/scram_vectors.json: RFC 7677's SCRAM-SHA-256 example, a
SCRAM-SHA-512 one and an escaped user name, each checked against xdg-go/scram)
and refuses dishonest server messages."""

from __future__ import annotations

import json
from typing import Any

import pytest

from conftest import ROOT
from sluice._scram import ScramClient, ScramError, escape_username, saslprep

VECTORS: list[dict[str, Any]] = json.loads((ROOT.parent / "testdata" / "scram_vectors.json").read_text())[
    "vectors"
]


def client(v: dict[str, Any]) -> ScramClient:
    return ScramClient(v["username"], v["password"], v["mechanism"], nonce=v["client_nonce"])


def test_the_vectors_include_rfc7677_and_sha512() -> None:
    rfc = next(v for v in VECTORS if v["source"] == "RFC 7677 section 3")
    assert rfc["mechanism"] == "SCRAM-SHA-256" and rfc["username"] == "user" and rfc["password"] == "pencil"
    assert rfc["client_final"].endswith(",p=dHzbZapWIk4jUhN+Ute9ytag9zjfMHgsqmmiz7AndVQ=")
    assert rfc["server_final"] == "v=6rriTRBi23WpRR/wtup+mMhUZUn/dB5nLTJRsjl95G4="
    assert any(v["mechanism"] == "SCRAM-SHA-512" for v in VECTORS)


@pytest.mark.parametrize("v", VECTORS, ids=lambda v: f"{v['mechanism']}-{v['username']}")
def test_client_sends_the_vector_messages_and_accepts_its_server_final(v: dict[str, Any]) -> None:
    c = client(v)
    assert c.client_first() == v["client_first"]
    assert c.client_final(v["server_first"]) == v["client_final"]
    c.verify_server_final(v["server_final"])


@pytest.mark.parametrize("v", VECTORS, ids=lambda v: f"{v['mechanism']}-{v['username']}")
def test_client_refuses_a_server_signature_that_does_not_match(v: dict[str, Any]) -> None:
    c = client(v)
    c.client_final(v["server_first"])
    sig = v["server_final"]
    forged = sig[:3] + ("A" if sig[3] != "A" else "B") + sig[4:]
    with pytest.raises(ScramError, match="server signature is wrong"):
        c.verify_server_final(forged)
    with pytest.raises(ScramError, match="refused: invalid-proof"):
        c.verify_server_final("e=invalid-proof")


def test_a_wrong_password_gives_a_different_proof() -> None:
    v = VECTORS[0]
    c = ScramClient(v["username"], "pencil2", v["mechanism"], nonce=v["client_nonce"])
    assert c.client_final(v["server_first"]) != v["client_final"]


def test_user_names_escape_equals_and_comma() -> None:
    assert escape_username("a=b,c") == "a=3Db=2Cc"
    assert ScramClient("a=b,c", "x", nonce="n0").client_first() == "n,,n=a=3Db=2Cc,r=n0"


def test_server_first_must_extend_the_nonce_and_iterate_enough() -> None:
    v = VECTORS[0]
    salt = "W22ZaJ0SNY7soEsUEjb6gQ=="
    for server_first, error in [
        (f"r=someone-elses-nonce,s={salt},i=4096", "does not extend"),
        (f"r={v['client_nonce']},s={salt},i=4096", "does not extend"),
        (f"r={v['client_nonce']}x,s={salt},i=1024", "fewer than the minimum 4096"),
        (f"r={v['client_nonce']}x,s={salt}", "needs r=, s= and i="),
        (f"m=ext,r={v['client_nonce']}x,s={salt},i=4096", "extension"),
        (f"r={v['client_nonce']}x,s=!!,i=4096", "not base64"),
    ]:
        with pytest.raises(ScramError, match=error):
            client(v).client_final(server_first)


def test_saslprep_maps_and_prohibits_as_rfc4013_examples() -> None:
    # RFC 4013 section 3.
    assert saslprep("I\u00adX", "x") == "IX"
    assert saslprep("user", "x") == "user"
    assert saslprep("USER", "x") == "USER"
    assert saslprep("\u00aa", "x") == "a"
    assert saslprep("\u2168", "x") == "IX"
    assert saslprep("a\u00a0b", "x") == "a b"
    with pytest.raises(ScramError, match="prohibits"):
        saslprep("\u0007", "password")
    with pytest.raises(ScramError, match="right-to-left"):
        saslprep("\u0627\u0031", "username")


def test_errors_never_show_the_password() -> None:
    with pytest.raises(ScramError) as e:
        ScramClient("alice", "s3cret\u0007", nonce="n")
    assert "s3cret" not in str(e.value)
