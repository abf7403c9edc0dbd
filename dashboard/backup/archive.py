"""The backup file: a gzipped tar of manifest.json, data.jsonl and, optionally, keys.enc."""

from __future__ import annotations

import io
import json
import tarfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import IO

FORMAT = 1
MANIFEST = "manifest.json"
DATA = "data.jsonl"
KEYS = "keys.enc"


class BadBackup(Exception):
    """The file is not a backup this release can read."""


@dataclass
class Manifest:
    version: str
    created: str
    engine: str
    # app label -> names of its migrations applied in the backed-up database
    migrations: dict[str, list[str]]
    keys_included: bool
    counts: dict[str, int] = field(default_factory=dict)
    format: int = FORMAT


def write(path: Path, manifest: Manifest, data: Path, wrapped_keys: bytes | None) -> None:
    """Write the archive next to `path` and move it into place, so a crash leaves no half file."""
    partial = path.with_name(path.name + ".partial")
    with tarfile.open(partial, "w:gz") as tar:
        _add_bytes(tar, MANIFEST, json.dumps(asdict(manifest), indent=2).encode())
        tar.add(data, arcname=DATA, filter=_private)
        if wrapped_keys is not None:
            _add_bytes(tar, KEYS, wrapped_keys)
    partial.chmod(0o600)
    partial.replace(path)


def _private(info: tarfile.TarInfo) -> tarfile.TarInfo:
    info.mode, info.uid, info.gid, info.uname, info.gname = 0o600, 0, 0, "", ""
    return info


def _add_bytes(tar: tarfile.TarFile, name: str, content: bytes) -> None:
    info = tarfile.TarInfo(name)
    info.size = len(content)
    info.mode = 0o600
    tar.addfile(info, io.BytesIO(content))


@dataclass
class Opened:
    manifest: Manifest
    wrapped_keys: bytes | None
    tar: tarfile.TarFile

    def data(self) -> IO[bytes]:
        member = self.tar.extractfile(DATA)
        if member is None:
            raise BadBackup(f"{DATA} is missing")
        return member


@contextmanager
def read(path: Path) -> Iterator[Opened]:
    try:
        tar = tarfile.open(path, "r:gz")  # noqa: SIM115 (closed by the with below)
    except (OSError, tarfile.TarError) as exc:
        raise BadBackup(f"{path} is not a backup file: {exc}") from None
    with tar:
        try:
            raw = json.loads(_member_bytes(tar, MANIFEST))
        except (KeyError, ValueError) as exc:
            raise BadBackup(f"{path} has no readable {MANIFEST}: {exc}") from None
        if raw.get("format") != FORMAT:
            raise BadBackup(f"backup format {raw.get('format')!r} is not {FORMAT}")
        manifest = Manifest(**raw)
        names = tar.getnames()
        keys = _member_bytes(tar, KEYS) if KEYS in names else None
        yield Opened(manifest, keys, tar)


def _member_bytes(tar: tarfile.TarFile, name: str) -> bytes:
    member = tar.extractfile(name)
    if member is None:
        raise KeyError(name)
    return member.read()
