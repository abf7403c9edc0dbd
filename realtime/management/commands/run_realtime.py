"""`manage.py run_realtime [--shard I/N]`: the realtime worker, until SIGTERM or Ctrl-C."""

from __future__ import annotations

import asyncio
import logging
import signal

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from dashboard import event_loop, heap
from realtime.worker.file_limit import raise_to_hard_limit
from realtime.worker.supervisor import Shard, Worker

log = logging.getLogger(__name__)


class Command(BaseCommand):
    help = "Hold one eWeLink websocket per active linked account of this shard."

    def add_arguments(self, parser) -> None:  # type: ignore[no-untyped-def]
        parser.add_argument("--shard", default="0/1", help="I/N: accounts whose id %% N == I")
        parser.add_argument("--poll", type=float, default=2.0, help="seconds between checks")

    def handle(self, *args: object, **options: object) -> None:
        try:
            shard = Shard.parse(str(options["shard"]))
        except ValueError as exc:
            raise CommandError(str(exc)) from None
        worker = Worker(shard, poll_interval=float(options["poll"]))  # type: ignore[arg-type]
        if settings.METRICS_PORT_REALTIME:
            from dashboard import metrics, readiness

            checks = {**readiness.BASE_CHECKS, "worker": worker.check_alive}
            metrics.serve(
                settings.METRICS_PORT_REALTIME,
                settings.METRICS_ADDRESS,
                lambda: readiness.report("realtime", checks),
            )
        raise_to_hard_limit()
        heap.settle()
        event_loop.run(self._run(worker))
        self.stdout.write("realtime worker stopped")

    async def _run(self, worker: Worker) -> None:
        loop = asyncio.get_running_loop()
        for signum in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(signum, worker.stop)
        log.info(
            "realtime worker %s starting (shard %s/%s, %s loop)",
            worker.name,
            *_shard(worker),
            type(loop).__module__.split(".")[0],
        )
        await worker.run()


def _shard(worker: Worker) -> tuple[int, int]:
    return worker.shard.index, worker.shard.count
