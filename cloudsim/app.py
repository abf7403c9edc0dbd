"""`build_app(config)`: the aiohttp application serving every region, the websocket and /_sim."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
from collections.abc import AsyncIterator
from typing import Any

from aiohttp import web

from . import REGIONS, control, oauth, persistence, rest
from .behaviour import Behaviour
from .cloud import Cloud
from .config import SimConfig
from .keys import CLOUD
from .rest.misc import dispatch_app
from .websocket import ws_handler

log = logging.getLogger("cloudsim")
SHUTDOWN_CLOSE_S = 2.0


def build_app(config: SimConfig | None = None) -> web.Application:
    """The whole simulator as one aiohttp Application (no process-level side effects)."""
    config = config or SimConfig()
    cloud = Cloud(config)
    app = web.Application(client_max_size=4 << 20)
    app[CLOUD] = cloud
    rest.add_routes(app)
    for region in REGIONS:
        app.router.add_route("GET", f"/{region}/dispatch/app", dispatch_app)
        app.router.add_route("POST", f"/{region}/dispatch/app", dispatch_app)
    app.router.add_get("/dispatch/app", dispatch_app)
    app.router.add_get("/api/ws", ws_handler)
    oauth.add_routes(app)
    control.add_routes(app)
    app.cleanup_ctx.append(lifecycle)
    return app


async def lifecycle(app: web.Application) -> AsyncIterator[None]:
    """Load state, start the background loops; on shutdown stop them and save."""
    cloud = app[CLOUD]
    persistence.load_initial(cloud)
    cloud.behaviour = Behaviour(cloud)
    cloud.spawn(cloud.hub.reap_forever())
    cloud.spawn(cloud.behaviour.run_forever())
    cloud.spawn(cloud.timers.run_forever())
    if cloud.config.state_file:
        cloud.spawn(persistence.save_forever(cloud))
    yield
    if cloud.config.state_file:
        persistence.save(cloud)  # first: a peer that ignores the close must not cost the state
    closing = cloud.hub.close_sessions(cloud.hub.all_sessions(), 1001, b"server shutdown")
    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(closing, SHUTDOWN_CLOSE_S)
    await cloud.cancel_tasks()


def ready_info(cloud: Cloud) -> dict[str, Any]:
    """The JSON line printed once listening (also the in-process handle's `info`)."""
    base = cloud.base_url
    return {
        "cloudsim": "ready",
        "base_url": base,
        "api_template": base + "/{region}",
        "regions": {
            r: {"api": f"{base}/{r}", "dispatch": f"{base}/{r}/dispatch/app"} for r in REGIONS
        },
        "websocket": cloud.ws_url,
        "oauth_page": f"{base}/oauth/index.html",
        "get_region": f"{base}/v2/utils/get-region",
        "control": f"{base}/_sim",
        "apps": [
            {"appid": a.appid, "secret": a.secret, "oauth_only": a.oauth_only}
            for a in cloud.config.apps
        ],
        "demo": cloud.demo_accounts if cloud.config.demo else [],
        "host": cloud.config.host,
        "port": cloud.port,
        "tls": cloud.config.tls,
        "pid": os.getpid(),
    }


async def start_site(app: web.Application, ssl_context: Any = None) -> web.AppRunner:
    """Bind the configured host/port (0 = any free port) and record the real port."""
    cloud = app[CLOUD]
    runner = web.AppRunner(app, access_log=None, handle_signals=False, shutdown_timeout=1.0)
    await runner.setup()
    site = web.TCPSite(runner, cloud.config.host, cloud.config.port, ssl_context=ssl_context)
    await site.start()
    server = site._server
    sockets = getattr(server, "sockets", None) or []
    if sockets:
        cloud.port = sockets[0].getsockname()[1]
    await asyncio.sleep(0)
    return runner
