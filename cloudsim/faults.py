"""Injected faults: HTTP errors, latency, rate limits and websocket trouble, each counted."""

from __future__ import annotations

import itertools
import random
from dataclasses import asdict, dataclass
from typing import Any

KINDS = (
    "http_status",
    "latency",
    "rate_limit",
    "ws_close_after",
    "refuse_handshake",
    "drop_frames",
    "command_error",
)


@dataclass
class Fault:
    id: str
    kind: str
    path: str | None = None
    method: str | None = None
    status: int = 500
    ms: int = 0
    seconds: float = 0.0
    error: int | str = 406
    count: int | None = None  # None = until cleared
    apikey: str | None = None  # refuse_handshake: only this account's sockets
    probability: float = 1.0  # share of matching requests it hits (e.g. 0.05 = 5 %)

    def matches(self, path: str | None, method: str | None, apikey: str | None = None) -> bool:
        if self.path and (path is None or not path.startswith(self.path)):
            return False
        if self.apikey and apikey != self.apikey:
            return False
        return not (self.method and method and self.method.upper() != method.upper())


class FaultBook:
    """The active faults; `take` consumes one use of the first match."""

    def __init__(self, seed: int = 0) -> None:
        self.faults: list[Fault] = []
        self._ids = itertools.count(1)
        self._rng = random.Random(seed)  # which requests a partial fault hits: reproducible

    def add(self, spec: dict[str, Any]) -> Fault:
        kind = spec.get("kind")
        if kind not in KINDS:
            raise ValueError(f"kind must be one of {KINDS}")
        fault = Fault(id=f"f{next(self._ids)}", kind=kind)
        for key in ("path", "method", "apikey"):
            if spec.get(key) is not None:
                setattr(fault, key, _typed(spec[key], str, key))
        for key, kind_of in (("status", int), ("ms", int), ("count", int)):
            if spec.get(key) is not None:
                setattr(fault, key, _typed(spec[key], kind_of, key))
        if spec.get("probability") is not None:
            fault.probability = float(_typed(spec["probability"], (int, float), "probability"))
            if not 0 < fault.probability <= 1:
                raise ValueError("probability must be in (0, 1]")
        if spec.get("seconds") is not None:
            fault.seconds = float(_typed(spec["seconds"], (int, float), "seconds"))
        if kind == "command_error":
            fault.error = _typed(spec.get("error", 411), int, "error")
        if kind == "refuse_handshake":
            fault.error = spec.get("error", 406)
            if fault.error not in (406, "close"):
                raise ValueError("error must be 406 or 'close'")
        self.faults.append(fault)
        return fault

    def take(
        self,
        kind: str,
        path: str | None = None,
        method: str | None = None,
        apikey: str | None = None,
    ) -> Fault | None:
        for fault in self.faults:
            if fault.kind == kind and fault.matches(path, method, apikey):
                if fault.probability < 1 and self._rng.random() >= fault.probability:
                    continue  # this request is spared; the count is not used up
                if fault.count is not None:
                    fault.count -= 1
                    if fault.count <= 0:
                        self.faults.remove(fault)
                return fault
        return None

    def has(self, kind: str) -> bool:
        return any(f.kind == kind for f in self.faults)

    def remove(self, fault_id: str) -> bool:
        kept = [f for f in self.faults if f.id != fault_id]
        removed = len(kept) != len(self.faults)
        self.faults[:] = kept
        return removed

    def clear(self) -> None:
        self.faults.clear()

    def to_json(self) -> list[dict[str, Any]]:
        return [asdict(f) for f in self.faults]


def _typed(value: Any, kind: Any, name: str) -> Any:
    if isinstance(value, bool) or not isinstance(value, kind):
        raise ValueError(f"{name} has the wrong type")
    if isinstance(value, int | float) and value < 0:
        raise ValueError(f"{name} must not be negative")
    return value
