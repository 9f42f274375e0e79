"""Build hook: puts the generated sluice.v1 modules into the package.

The generated protobuf and gRPC code is committed once, in gen/python at the
repository root (``buf generate``); protoc's
Python output imports it absolutely (``from sluice.v1 import record_pb2``), so
it must be the ``v1`` subpackage of ``sluice``. Before a build, and before the
tests (``make sync-gen`` runs this file), it is copied to src/sluice/v1, which
git ignores. An sdist carries the copy, so a wheel built from the sdist needs
no repository around it.
"""

from __future__ import annotations

import filecmp
import pathlib
import shutil
from typing import Any

from hatchling.builders.hooks.plugin.interface import BuildHookInterface

INIT = '"""The generated protobuf and gRPC modules of the sluice.v1 API (copied from gen/python)."""\n'


def sync(root: pathlib.Path) -> pathlib.Path:
    """Copy gen/python/sluice/v1 to src/sluice/v1 under ``root`` (clients/python);
    without a repository around it (an unpacked sdist), check the copy is there."""
    gen = root.parent.parent / "gen" / "python" / "sluice" / "v1"
    dest = root / "src" / "sluice" / "v1"
    if not (root.parent.parent / "buf.gen.yaml").is_file() or not gen.is_dir():
        if not (dest / "produce_pb2.py").is_file():
            raise RuntimeError(f"{dest} is missing and there is no {gen} to copy it from")
        return dest
    sources = {p.name: p for p in gen.iterdir() if p.suffix in (".py", ".pyi")}
    dest.mkdir(parents=True, exist_ok=True)
    for old in dest.iterdir():
        if old.name not in sources and old.name != "__init__.py":
            shutil.rmtree(old) if old.is_dir() else old.unlink()
    for name, src in sources.items():
        target = dest / name
        if not target.is_file() or not filecmp.cmp(src, target, shallow=False):
            shutil.copyfile(src, target)
    init = dest / "__init__.py"
    if not init.is_file() or init.read_text() != INIT:
        init.write_text(INIT)
    return dest


class CustomBuildHook(BuildHookInterface):  # type: ignore[type-arg]
    def initialize(self, version: str, build_data: dict[str, Any]) -> None:
        sync(pathlib.Path(self.root))


if __name__ == "__main__":
    print(f"synced {sync(pathlib.Path(__file__).resolve().parent)}")
