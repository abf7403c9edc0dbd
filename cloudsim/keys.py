"""Typed aiohttp application keys."""

from __future__ import annotations

from typing import TYPE_CHECKING

from aiohttp import web

if TYPE_CHECKING:
    from .cloud import Cloud

CLOUD: web.AppKey[Cloud] = web.AppKey("cloud")
