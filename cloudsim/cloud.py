"""The `Cloud`: one object that holds the simulator's state and its moving parts."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Coroutine
from typing import Any

from .clock import SimClock
from .config import SimConfig, SimSettings
from .counters import SimCounters
from .etiquette import Etiquette
from .faults import FaultBook
from .state import SimState
from .timer_runner import TimerRunner

log = logging.getLogger("cloudsim")
DEMO_BEHAVIOUR_RATE = 0.5  # events/s: the demo household is alive, but not noisy


class Cloud:
    """Everything a request handler may need, reachable as `request.app[CLOUD]`."""

    def __init__(self, config: SimConfig) -> None:
        from .hub import Hub  # the hub needs a Cloud to exist first

        self.config = config
        self.settings = SimSettings()
        if config.demo:
            self.settings.behaviour_rate = DEMO_BEHAVIOUR_RATE
        self.state = SimState(self.settings.seed)
        self.counters = SimCounters()
        self.faults = FaultBook(self.settings.seed)
        self.etiquette = Etiquette()
        self.hub = Hub(self)
        self.clock = SimClock()
        self.timers = TimerRunner(self)
        self.port = config.port
        self.tasks: set[asyncio.Task[Any]] = set()
        self.state_tasks: set[asyncio.Task[Any]] = set()  # cancelled by reset()
        self.behaviour: Any = None
        self.load: Any = None
        self.demo_accounts: list[dict[str, Any]] = []

    # ---- addresses -------------------------------------------------------
    @property
    def http_scheme(self) -> str:
        return "https" if self.config.tls else "http"

    @property
    def base_url(self) -> str:
        return f"{self.http_scheme}://{self.config.host}:{self.port}"

    @property
    def ws_url(self) -> str:
        return f"{'wss' if self.config.tls else 'ws'}://{self.config.host}:{self.port}/api/ws"

    # ---- background work ---------------------------------------------------
    def spawn(self, coro: Coroutine[Any, Any, Any]) -> asyncio.Task[Any]:
        """Start a task and keep a reference until it ends (RUF006)."""
        task = asyncio.get_running_loop().create_task(coro)
        self.tasks.add(task)
        task.add_done_callback(self._task_done)
        return task

    def spawn_for_state(self, coro: Coroutine[Any, Any, Any]) -> asyncio.Task[Any]:
        """A task acting on the current state later (a delayed reply or report, an OTA reboot,
        an outage): reset() cancels it, so nothing of an old state reaches a new one."""
        task = self.spawn(coro)
        self.state_tasks.add(task)
        task.add_done_callback(self.state_tasks.discard)
        return task

    def _task_done(self, task: asyncio.Task[Any]) -> None:
        self.tasks.discard(task)
        if not task.cancelled() and task.exception() is not None:
            log.error("background task failed", exc_info=task.exception())

    async def cancel_tasks(self) -> None:
        for task in list(self.tasks):
            task.cancel()
        await asyncio.gather(*self.tasks, return_exceptions=True)

    def reset(self) -> None:
        """Wipe state (the control API's reset); settings and apps stay."""
        for task in list(self.state_tasks):
            task.cancel()
        self.state = SimState(self.settings.seed)
        self.counters.reset()
        self.faults.clear()
        self.etiquette.clear()
        self.clock.reset()
        self.timers.restart()
