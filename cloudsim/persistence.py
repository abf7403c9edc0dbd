"""`--state FILE`: load at start, save periodically when dirty and on clean shutdown."""

from __future__ import annotations

import asyncio
import json
import logging
import os
from dataclasses import asdict
from pathlib import Path
from typing import TYPE_CHECKING, Any

from . import demo
from .state import (
    Account,
    Device,
    Family,
    Group,
    HistoryEntry,
    Message,
    Room,
    Share,
    SimState,
    Token,
)

if TYPE_CHECKING:
    from .cloud import Cloud

log = logging.getLogger("cloudsim")
FORMAT = 1


def load_initial(cloud: Cloud) -> None:
    """State file first (if it exists), else the demo data when asked for."""
    path = cloud.config.state_file
    if path and Path(path).exists():
        cloud.state, cloud.demo_accounts = read(Path(path), cloud.settings.seed)
        return
    if cloud.config.demo:
        demo.load(cloud)


def save(cloud: Cloud) -> None:
    path = Path(cloud.config.state_file or "")
    data = snapshot(cloud.state) | {"demo_accounts": cloud.demo_accounts}
    tmp = path.with_suffix(path.suffix + ".tmp")
    tmp.write_text(json.dumps(data))
    os.replace(tmp, path)
    cloud.state.dirty = False


async def save_forever(cloud: Cloud) -> None:
    while True:
        await asyncio.sleep(cloud.config.save_interval)
        if cloud.state.dirty:
            try:
                save(cloud)
            except OSError:
                log.exception("could not save state")


def snapshot(state: SimState) -> dict[str, Any]:
    return {
        "format": FORMAT,
        "accounts": [asdict(a) for a in state.accounts.values()],
        "families": [asdict(f) for f in state.families.values()],
        "devices": [asdict(d) for d in state.devices.values()],
        "groups": [asdict(g) for g in state.groups.values()],
        "tokens": [asdict(t) for t in state.tokens_by_at.values()],
        "history": [asdict(e) for entries in state.history.values() for e in entries],
        "messages": [asdict(m) for m in state.messages],
        "rng": list(map(_jsonable, state.rng.getstate())),
    }


def read(path: Path, seed: int) -> tuple[SimState, list[dict[str, Any]]]:
    data = json.loads(path.read_text())
    state = SimState(seed)
    for raw in data["accounts"]:
        state.add_account(Account(**raw))
    for raw in data["families"]:
        rooms = [Room(**r) for r in raw.pop("rooms")]
        state.families[raw["id"]] = Family(**raw, rooms=rooms)
    for raw in data["devices"]:
        shares = {k: Share(**v) for k, v in raw.pop("shares").items()}
        state.add_device(Device(**raw, shares=shares))
    for raw in data["groups"]:
        state.groups[raw["id"]] = Group(**raw)
    for raw in data["tokens"]:
        token = Token(**raw)
        state.tokens_by_at[token.at] = token
        state.tokens_by_rt[token.rt] = token
    for raw in data["history"]:
        state.add_history(HistoryEntry(**raw))
    state.messages = [Message(**m) for m in data["messages"]]
    state.rng.setstate(tuple(_tupled(x) for x in data["rng"]))
    state.dirty = False
    return state, data.get("demo_accounts", [])


def _jsonable(part: Any) -> Any:
    return list(part) if isinstance(part, tuple) else part


def _tupled(part: Any) -> Any:
    return tuple(part) if isinstance(part, list) else part
