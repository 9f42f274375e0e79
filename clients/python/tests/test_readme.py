"""The README's example is examples/quickstart.py, verbatim, and it works."""

from __future__ import annotations

import os
import pathlib
import subprocess
import sys

from conftest import ROOT, FakeAuth

EXAMPLE = ROOT / "examples" / "quickstart.py"


def test_readme_shows_the_example_verbatim() -> None:
    readme = (ROOT / "README.md").read_text()
    code = EXAMPLE.read_text()
    assert f"```python\n{code}```" in readme


def test_the_example_runs_against_the_broker(broker: str, tmp_path: pathlib.Path) -> None:
    env = {**os.environ, "SLUICE_BROKER": broker, "PYTHONPATH": str(ROOT / "src")}
    out = subprocess.run(
        [sys.executable, str(EXAMPLE)], env=env, capture_output=True, text=True, timeout=60, cwd=tmp_path
    )
    assert out.returncode == 0, out.stderr
    lines = out.stdout.splitlines()
    acked = [line for line in lines if line.startswith("acked at ")]
    consumed = [line for line in lines if not line.startswith("acked at ")]
    assert len(acked) == 3 and len(consumed) == 3
    for name in ("alice", "bob", "carol"):
        line = next(line for line in consumed if f"b'hello {name}'" in line)
        assert f"b'{name}'" in line and "Header(key='lang', value=b'en')" in line


SECURE = ROOT / "examples" / "secure.py"


def test_readme_shows_the_secure_example_verbatim() -> None:
    assert f"```python\n{SECURE.read_text()}```" in (ROOT / "README.md").read_text()


def test_the_secure_example_runs_over_mtls_with_scram(fake_auth: FakeAuth, tmp_path: pathlib.Path) -> None:
    env = {
        **os.environ,
        "PYTHONPATH": str(ROOT / "src"),
        "SLUICE_BROKER": fake_auth.address,
        "SLUICE_CA": fake_auth.ca,
        "SLUICE_CERT": fake_auth.cert,
        "SLUICE_KEY": fake_auth.key,
        "SLUICE_SERVER_NAME": fake_auth.server_name,
        "SLUICE_USER": "alice",
        "SLUICE_PASSWORD": "alice-secret",
    }
    out = subprocess.run(
        [sys.executable, str(SECURE)], env=env, capture_output=True, text=True, timeout=60, cwd=tmp_path
    )
    assert out.returncode == 0, out.stderr
    assert out.stdout.splitlines() == ["acked at 0 0", "topics: ['alice']"]
    assert fake_auth.stats() == {"exchanges": 2, "rejected": 0, "calls": 3}
