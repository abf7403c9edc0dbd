"""A control from a page: role → plugin → the account's live socket (or REST) → result.

The consumer owns the websocket; this module owns the rules, so the page, tests and the
benchmark share one path. Every command is recorded with its result and latency.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from channels.db import database_sync_to_async
from django.db import InterfaceError, OperationalError
from django_scopes import scope, scopes_disabled

import ewelink
from accounts.cloud import open_client
from accounts.linking import explain
from accounts.models import LinkedAccount, Membership, Role
from devices.models import Thing, ThingKind
from devices.plugins.base import InvalidControl, recorded_value
from devices.plugins.values import json_size
from devices.presentation import plugin_for
from realtime import redis as keys
from realtime.events import ControlResultEvent, LogbookNews, publish
from realtime.metrics import PAGE_CONTROLS
from realtime.models import CommandRecord
from realtime.worker.leases import lease_holder

log = logging.getLogger(__name__)
Ask = Callable[[str, dict[str, Any]], Awaitable[dict[str, Any]]]
WORKER_REPLY_TIMEOUT = 8.0  # the socket's own reply wait is 5 s; leave room for the hop
# What a command may carry: a plugin builds a few keys; anything bigger is refused, unstored.
MAX_PARAMS_BYTES = 4096
MAX_VALUE_BYTES = 256

MESSAGES = {
    "ok": "Done",
    "offline": "The device is offline.",
    "timeout": "The device did not answer in time.",
    "not_allowed": "Guests can look but not control.",
    "rate_limited": "Too many controls at once: rate limited, try again in a moment.",
}


@dataclass(frozen=True)
class ControlRequest:
    """What a page asked for, and who asked."""

    user_id: int
    household_id: int
    thing_id: int
    control: str
    value: Any
    request: str


@dataclass(frozen=True)
class Prepared:
    thing: Thing
    account: LinkedAccount
    params: dict[str, Any]
    value: Any  # the value as the plugin validated it (what the record keeps)


class Refused(Exception):
    def __init__(self, status: str, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


def prepare(req: ControlRequest) -> Prepared:
    """Check the role, find the thing in the household, let its plugin build the params."""
    with scope(household=req.household_id):
        membership = Membership.objects.filter(user_id=req.user_id).first()
        if membership is None or not membership.has_role(Role.MEMBER):
            raise Refused("not_allowed", MESSAGES["not_allowed"])
        thing = Thing.objects.select_related("account").filter(pk=req.thing_id).first()
        if thing is None:
            raise Refused("invalid", "That device is not in this household.")
        plugin = plugin_for(thing)
        try:
            params = plugin.command(req.control, req.value, thing.params, thing.tags)
            spec = plugin.find_control(req.control, thing.params, thing.tags)
            value = recorded_value(spec, req.value)
        except InvalidControl as exc:
            raise Refused("invalid", str(exc)[:200]) from None
    # Bounded before anything is stored or sent, whatever a plugin let through.
    if json_size(value) > MAX_VALUE_BYTES or json_size(params) > MAX_PARAMS_BYTES:
        raise Refused("invalid", "That command is too large.")
    return Prepared(thing, thing.account, params, value)


async def run_control(
    req: ControlRequest,
    ask_worker: Ask,
    reply_to: str,
    announce: Callable[[ControlResultEvent], Awaitable[None]] | None = None,
) -> ControlResultEvent:
    """Run a control to its end and record it; never raises for cloud or user errors.

    `announce`, if given, gets the result as soon as the device answered, before the record
    is written: the page's tap is confirmed without waiting for the database.
    """
    started = time.perf_counter()
    try:
        prepared = await _in_database(prepare, req)
    except Refused as exc:
        PAGE_CONTROLS.labels("none", exc.status).observe(time.perf_counter() - started)
        return _result(req, exc.status, exc.message, None)
    try:
        status, message, via = await _dispatch(prepared, ask_worker, reply_to, req.request)
    except Exception:
        # Redis away (a restart) or the hop to the worker broke: the page hears "error" and
        # the command is recorded all the same (issue 17's soak found such controls that
        # left no record).
        log.exception("control %s on thing %s failed", req.control, req.thing_id)
        status, message, via = "error", FAILED, "socket"
    elapsed = time.perf_counter() - started
    PAGE_CONTROLS.labels(via, status).observe(elapsed)
    latency = int(elapsed * 1000)
    result = _result(req, status, message, latency)
    try:
        if announce is not None:
            await announce(result)
    finally:
        # A page that is gone by now does not stop the command being recorded.
        await _in_database(_record, req, prepared, status, message, via, latency)
    return result


async def _in_database(func: Callable[..., Any], *args: Any) -> Any:
    """`func` in the database thread, once more if the connection was cut under it.

    A database restart or `pg_terminate_backend` breaks the thread's connection, which is
    only found out on its next query; Django then replaces it on the next call. Without the
    second try the page heard a result while no command record was written (issue 17's soak).
    """
    try:
        return await database_sync_to_async(func)(*args)
    except (OperationalError, InterfaceError) as exc:
        log.warning("database connection lost (%s); trying %s again", exc, func.__name__)
        return await database_sync_to_async(func)(*args)


async def _dispatch(p: Prepared, ask: Ask, reply_to: str, request: str) -> tuple[str, str, str]:
    if p.thing.kind == ThingKind.DEVICE:
        holder = await lease_holder(keys.client(), p.account.pk)
        if holder:
            message = {
                "type": "device.command",
                "request": request,
                "account": p.account.pk,
                "deviceid": p.thing.cloud_id,
                "owner": p.thing.owner_apikey,
                "params": p.params,
                "reply_to": reply_to,
            }
            try:
                reply = await asyncio.wait_for(ask(holder, message), WORKER_REPLY_TIMEOUT)
            except TimeoutError:
                reply = {"status": "timeout"}
            if reply.get("status") != "not_connected":
                status = str(reply.get("status", "error"))
                return status, _message(status, reply.get("error")), "socket"
    return (*await _over_rest(p), "rest")


async def _over_rest(p: Prepared) -> tuple[str, str]:
    """`POST /v2/device/thing/status`: groups always, devices when no socket is up."""
    kind = 2 if p.thing.kind == ThingKind.GROUP else 1
    async with open_client(p.account) as client:
        try:
            await client.set_status(p.thing.cloud_id, p.params, type=kind)
        except ewelink.DeviceOfflineError:
            return "offline", MESSAGES["offline"]
        except ewelink.DeviceTimeoutError:
            return "timeout", MESSAGES["timeout"]
        except ewelink.EWeLinkError as exc:
            return "error", explain(exc)
    return "ok", MESSAGES["ok"]


FAILED = "Something went wrong; try again."

# Cloud errors worth a plainer word than their number.
ERROR_MESSAGES = {
    411: "The Zigbee bridge was busy with another command; try again (error 411).",
}


def _message(status: str, error: object) -> str:
    if status in MESSAGES:
        return MESSAGES[status]
    if isinstance(error, int) and error in ERROR_MESSAGES:
        return ERROR_MESSAGES[error]
    return f"The cloud refused the command (error {error})."


def _record(
    req: ControlRequest, p: Prepared, status: str, message: str, via: str, latency: int
) -> None:
    with scopes_disabled():
        CommandRecord.objects.create(
            household_id=req.household_id,
            account=p.account,
            thing=p.thing,
            thing_name=p.thing.name,
            user_id=req.user_id,
            control=req.control,
            value=p.value,
            params=p.params,
            via=via,
            result=status,
            message=message[:300],
            latency_ms=latency,
        )
    publish(req.household_id, LogbookNews(type="logbook", kinds=["command"]))


def _result(
    req: ControlRequest, status: str, message: str, latency: int | None
) -> ControlResultEvent:
    return ControlResultEvent(
        type="control_result",
        request=req.request,
        thing=req.thing_id,
        status=status,  # type: ignore[typeddict-item]
        message=message,
        latency_ms=latency,
    )
