"""Packaging: the sdist and the wheel built from it are self-contained (the
generated sluice.v1 modules, their stubs and py.typed inside), and the wheel
installs into a fresh venv and talks to the broker."""

from __future__ import annotations

import os
import pathlib
import subprocess
import sys
import tarfile
import textwrap
import zipfile

from conftest import ROOT

SMOKE = textwrap.dedent(
    """
    import importlib.metadata, sys
    import sluice, sluice.aio
    from sluice.v1 import produce_pb2, produce_pb2_grpc, admin_pb2_grpc
    assert sluice.__file__.startswith(sys.prefix), sluice.__file__
    assert importlib.metadata.version("sluice-client") == sluice.__version__
    with sluice.Admin(sys.argv[1]) as admin:
        print("brokers", len(admin.describe_cluster().brokers))
    """
)


def test_built_wheel_installs_into_a_fresh_venv_and_works(broker: str, tmp_path: pathlib.Path) -> None:
    dist = tmp_path / "dist"
    # As `make package`: the sdist first, then the wheel from the unpacked sdist.
    build = subprocess.run(
        [sys.executable, "-m", "build", "--no-isolation", "--outdir", str(dist), str(ROOT)],
        capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert build.returncode == 0, build.stdout + build.stderr
    (wheel,) = dist.glob("sluice_client-*.whl")
    (sdist,) = dist.glob("sluice_client-*.tar.gz")

    names = set(zipfile.ZipFile(wheel).namelist())
    for module in ("record", "produce", "fetch", "admin", "group"):
        assert {
            f"sluice/v1/{module}_pb2.py",
            f"sluice/v1/{module}_pb2.pyi",
            f"sluice/v1/{module}_pb2_grpc.py",
        } <= names
    assert {
        "sluice/py.typed",
        "sluice/v1/__init__.py",
        "sluice/aio/__init__.py",
        "sluice/producer.py",
    } <= names
    assert not any(n.startswith(("tests/", "examples/", "src/")) for n in names)
    with tarfile.open(sdist) as tar:
        members = {m.name.split("/", 1)[1] for m in tar.getmembers() if "/" in m.name}
    assert {"src/sluice/v1/produce_pb2.py", "hatch_build.py", "pyproject.toml", "README.md"} <= members

    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True, timeout=120)
    py = venv / "bin" / "python"
    pip = subprocess.run(
        [str(py), "-m", "pip", "install", "--quiet", "--disable-pip-version-check",
         "-c", str(ROOT / "requirements-dev.txt"), str(wheel)],
        capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert pip.returncode == 0, pip.stdout + pip.stderr
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    smoke = subprocess.run(
        [str(py), "-c", SMOKE, broker], capture_output=True, text=True, timeout=60, cwd=tmp_path, env=env
    )
    assert smoke.returncode == 0, smoke.stderr
    assert smoke.stdout.strip() == "brokers 1"
