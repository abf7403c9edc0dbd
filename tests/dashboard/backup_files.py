"""Reading and rewriting backup files in tests (as an older or newer release would write them)."""

from __future__ import annotations

import io
import json
import tarfile
from collections.abc import Callable
from pathlib import Path


def members(backup: Path) -> dict[str, bytes]:
    with tarfile.open(backup) as tar:
        out = {}
        for name in tar.getnames():
            member = tar.extractfile(name)
            assert member is not None
            out[name] = member.read()
        return out


def rewrite(
    backup: Path,
    target: Path,
    manifest: Callable[[dict], None],
    data: Callable[[dict], bool | None],
) -> None:
    """Copy a backup, letting `manifest` edit its manifest and `data` each row in place (a row
    `data` answers False for is left out)."""
    content = members(backup)
    raw = json.loads(content["manifest.json"])
    manifest(raw)
    content["manifest.json"] = json.dumps(raw).encode()
    rows = []
    for line in content["data.jsonl"].splitlines():
        row = json.loads(line)
        if data(row) is not False:
            rows.append(json.dumps(row))
    content["data.jsonl"] = ("\n".join(rows) + "\n").encode()
    with tarfile.open(target, "w:gz") as tar:
        for name, blob in content.items():
            info = tarfile.TarInfo(name)
            info.size = len(blob)
            tar.addfile(info, io.BytesIO(blob))
