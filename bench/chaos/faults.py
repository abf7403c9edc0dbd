"""Faults on a schedule drawn from the seed, and how each is injected."""

from __future__ import annotations

import asyncio
import random
import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from bench.chaos.stack import log

if TYPE_CHECKING:
    from bench.chaos.load import Load
    from bench.chaos.stack import Stack

ALL_KINDS = (
    "ws_drop",
    "refuse_handshake",
    "rest_500",
    "rest_slow",
    "relink",
    "logged_elsewhere",
    "kill_realtime",
    "kill_daphne",
    "kill_celery",
    "redis_restart",
    "pg_terminate",
    "page_stall",
)
WINDOW_S = {"rest_500": 30.0, "rest_slow": 30.0, "page_stall": 45.0}  # faults that last


@dataclass
class Injected:
    kind: str
    at: float  # monotonic, when it started
    ends: float  # when it stopped acting (= at for a one-off)
    detail: str = ""
    converged_s: float | None = None  # pages = cloud and every account held again
    held_again_s: float | None = None  # kill_realtime: every account back on a cloud socket
    apikeys: set[str] = field(default_factory=set)  # the accounts a targeted fault hit


@dataclass
class Schedule:
    """(offset seconds into the fault window, kind), in order."""

    items: list[tuple[float, str]] = field(default_factory=list)

    @classmethod
    def draw(cls, seed: int, kinds: list[str], window_s: float, cycle: float) -> Schedule:
        rng = random.Random(seed)
        # Every kind once per cycle, in a seeded order, spread evenly with jitter; `relink`
        # only once (the account stays unlinked until someone relinks it).
        slots = max(1, int(window_s // cycle))
        order: list[str] = []
        while len(order) < slots:
            batch = [k for k in kinds if k != "relink" or "relink" not in order]
            if not batch:
                break
            rng.shuffle(batch)
            order += batch
        items = [(i * cycle + rng.uniform(0, cycle * 0.3), k) for i, k in enumerate(order[:slots])]
        return cls(items)


class Injector:
    def __init__(self, stack: Stack, load: Load, accounts: list[dict[str, Any]], seed: int):
        self.stack = stack
        self.load = load
        self.accounts = accounts  # email, password, apikey
        self.rng = random.Random(seed + 1)
        self.relink_account = accounts[0]
        self.done: list[Injected] = []

    def healthy_accounts(self) -> list[dict[str, Any]]:
        return [a for a in self.accounts if a is not self.relink_account]

    async def inject(self, kind: str) -> Injected:
        now = time.monotonic()
        fault = Injected(kind, now, now)
        sim = self.load.sim
        if kind == "ws_drop":
            picked = self.rng.sample(self.healthy_accounts(), 3)
            for acc in picked:
                await sim("POST", f"/accounts/{acc['apikey']}/drop-sockets")
            fault.detail = f"{len(picked)} accounts"
            fault.apikeys = {acc["apikey"] for acc in picked}
        elif kind in ("refuse_handshake", "logged_elsewhere"):
            acc = self.rng.choice(self.healthy_accounts())
            # A refused handshake closes the socket unanswered (twice); "logged in elsewhere"
            # is the cloud's 406 reply, once, that a token refresh answers.
            spec = (
                {"error": "close", "count": 2}
                if kind == "refuse_handshake"
                else {"error": 406, "count": 1}
            )
            await sim(
                "POST", "/faults", {"kind": "refuse_handshake", "apikey": acc["apikey"]} | spec
            )
            await sim("POST", f"/accounts/{acc['apikey']}/drop-sockets")
            fault.detail = acc["email"]
            fault.apikeys = {acc["apikey"]}
        elif kind in ("rest_500", "rest_slow"):
            spec: dict[str, Any] = {"path": "/v2/", "probability": 0.05}
            spec |= (
                {"kind": "http_status", "status": 500}
                if kind == "rest_500"
                else {"kind": "latency", "ms": 3000}
            )
            made = await sim("POST", "/faults", spec)
            fault.ends = now + WINDOW_S[kind]
            asyncio.get_running_loop().call_later(
                WINDOW_S[kind],
                lambda: asyncio.ensure_future(sim("DELETE", f"/faults/{made['id']}")),
            )
            fault.detail = "5 % of REST calls"
        elif kind == "relink":
            acc = self.relink_account
            await sim("POST", f"/accounts/{acc['apikey']}/expire-tokens", {"at": True, "rt": True})
            await sim("POST", f"/accounts/{acc['apikey']}/drop-sockets")
            fault.detail = acc["email"]
        elif kind in ("kill_realtime", "kill_daphne"):
            role = f"{kind.removeprefix('kill_')}{self.rng.randrange(2)}"
            self.stack.kill9(role)
            await asyncio.sleep(1.0)
            self.stack.restart(role)
            fault.detail = role
        elif kind == "kill_celery":
            self.stack.kill9("celery")
            await asyncio.sleep(1.0)
            self.stack.restart("celery")
        elif kind == "redis_restart":
            self.stack.kill9("redis")
            await asyncio.sleep(1.0)
            self.stack.restart("redis")
        elif kind == "pg_terminate":
            cut = await asyncio.to_thread(self.stack.terminate_db_backends)
            fault.detail = f"{cut} connections"
        elif kind == "page_stall":
            pages = [p for p in self.load.pages if p.live]
            page = self.rng.choice(pages or self.load.pages)
            page.acking = False

            def resume() -> None:
                page.acking = True

            asyncio.get_running_loop().call_later(WINDOW_S[kind], resume)
            fault.ends = now + WINDOW_S[kind]
            fault.detail = f"page {page.index}"
        else:
            raise ValueError(kind)
        log(f"fault: {kind} {fault.detail}")
        self.done.append(fault)
        return fault
