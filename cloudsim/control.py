"""`/_sim/...`: the control API for tests, the demo and benchmarks (loopback peers only)."""

from __future__ import annotations

import json
import time
from collections.abc import Awaitable, Callable
from typing import Any

from aiohttp import web

from . import commands, demo, device_changes, persistence, timers, tokens
from .accounts import account_json, add_family, create_account, family_json
from .cloud import Cloud
from .inventory import create_device, device_json, factory_json
from .keys import CLOUD
from .load import LoadGenerator
from .oauth import grant_code
from .sharing import share_device
from .state import Device, Group

LOOPBACK = ("127.0.0.1", "::1", "::ffff:127.0.0.1")
ControlHandler = Callable[[web.Request, Cloud, dict[str, Any]], Awaitable[Any]]
ROUTES: list[tuple[str, str, ControlHandler]] = []


class NotFound(Exception):
    pass


def route(method: str, path: str) -> Callable[[ControlHandler], ControlHandler]:
    def register(func: ControlHandler) -> ControlHandler:
        ROUTES.append((method, "/_sim" + path, func))
        return func

    return register


def add_routes(app: web.Application) -> None:
    for method, path, func in ROUTES:
        app.router.add_route(method, path, wrap(func))


def wrap(func: ControlHandler) -> Callable[[web.Request], Awaitable[web.Response]]:
    async def handle(request: web.Request) -> web.Response:
        if request.remote not in LOOPBACK:
            return web.json_response({"error": "control API is loopback only"}, status=403)
        try:
            body = await read_body(request)
            result = await func(request, request.app[CLOUD], body)
        except NotFound as exc:
            return web.json_response({"error": str(exc)}, status=404)
        except (ValueError, TypeError, KeyError) as exc:
            return web.json_response({"error": str(exc)}, status=400)
        return web.json_response(result)

    return handle


async def read_body(request: web.Request) -> dict[str, Any]:
    raw = await request.read()
    if not raw.strip():
        return {}
    try:
        body = json.loads(raw)
    except ValueError:
        raise ValueError("body is not valid JSON") from None
    if not isinstance(body, dict):
        raise ValueError("body must be a JSON object")
    return body


def device_of(request: web.Request, cloud: Cloud) -> Device:
    device = cloud.state.devices.get(request.match_info["deviceid"])
    if device is None:
        raise NotFound("no such device")
    return device


def apikey_of(request: web.Request, cloud: Cloud) -> str:
    apikey = request.match_info["apikey"]
    if apikey not in cloud.state.accounts:
        raise NotFound("no such account")
    return apikey


@route("GET", "/health")
async def health(request: web.Request, cloud: Cloud, body: dict[str, Any]) -> Any:
    return {"ok": True}


@route("POST", "/reset")
async def reset(request: web.Request, cloud: Cloud, body: dict[str, Any]) -> Any:
    await cloud.hub.close_sessions(cloud.hub.all_sessions(), 1001, b"reset")
    if cloud.load is not None:
        cloud.load.stop()
    cloud.reset()
    cloud.demo_accounts = []
    if body.get("demo"):
        demo.load(cloud)
    return {"ok": True, "accounts": len(cloud.state.accounts), "devices": len(cloud.state.devices)}


@route("GET", "/settings")
async def get_settings(request: web.Request, cloud: Cloud, body: dict[str, Any]) -> Any:
    return cloud.settings.to_json()


@route("POST", "/settings")
async def set_settings(request: web.Request, cloud: Cloud, body: dict[str, Any]) -> Any:
    seed_before = cloud.settings.seed
    cloud.settings.update(body)
    if cloud.settings.seed != seed_before:
        cloud.behaviour.reseed(cloud.settings.seed)
    return cloud.settings.to_json()


@route("GET", "/accounts")
async def list_accounts(request: web.Request, cloud: Cloud, body: dict[str, Any]) -> Any:
    return [account_json(a) for a in cloud.state.accounts.values()]


@route("POST", "/accounts")
async def add_account(request: web.Request, cloud: Cloud, body: dict[str, Any]) -> Any:
    account = create_account(
        cloud.state,
        str(body.get("region", "")),
        str(body.get("password", "")),
        str(body.get("countryCode", "+1")),
        email=body.get("email"),
        phone=body.get("phoneNumber"),
        nickname=str(body.get("nickname") or ""),
    )
    return account_json(account)


@route("POST", "/accounts/{apikey}/homes")
async def add_home(request: web.Request, cloud: Cloud, body: dict[str, Any]) -> Any:
    account = cloud.state.accounts[apikey_of(request, cloud)]
    rooms = body.get("rooms") or []
    if not isinstance(rooms, list) or not all(isinstance(r, str) for r in rooms):
        raise ValueError("rooms must be a list of names")
    family = add_family(cloud.state, account, str(body.get("name") or "Home"), rooms, False)
    if body.get("current"):
        account.current_family = family.id
    return {
        "familyid": family.id,
        "name": family.name,
        "rooms": [{"id": r.id, "name": r.name} for r in family.rooms],
    }


@route("POST", "/accounts/{apikey}/messages")
async def add_message(request: web.Request, cloud: Cloud, body: dict[str, Any]) -> Any:
    """A message in the account's message centre, as the cloud would leave one."""
    account = cloud.state.accounts[apikey_of(request, cloud)]
    familyid = str(body.get("familyid") or account.current_family)
    if familyid not in cloud.state.families:
        raise ValueError("familyid must be a home of the account")
    message = body.get("message", {})
    if not isinstance(message, dict) or not str(body.get("msgType") or ""):
        raise ValueError("give msgType and a message object")
    msg = cloud.state.add_message(account.apikey, familyid, str(body["msgType"]), message)
    return {"msgid": msg.msgid, "familyid": familyid, "date": msg.date}


@route("GET", "/accounts/{apikey}/homes")
async def list_homes(request: web.Request, cloud: Cloud, body: dict[str, Any]) -> Any:
    """The account's homes with their rooms in order, and its current home (as GET /v2/family)."""
    account = cloud.state.accounts[apikey_of(request, cloud)]
    families = cloud.state.families_of(account.apikey)
    return {
        "familyList": [family_json(f) for f in families],
        "currentFamilyId": account.current_family,
    }


@route("POST", "/accounts/{apikey}/drop-sockets")
async def drop_sockets(request: web.Request, cloud: Cloud, body: dict[str, Any]) -> Any:
    return {"dropped": await cloud.hub.drop_account(apikey_of(request, cloud))}


@route("POST", "/accounts/{apikey}/expire-tokens")
async def expire_tokens(request: web.Request, cloud: Cloud, body: dict[str, Any]) -> Any:
    apikey = apikey_of(request, cloud)
    count = tokens.expire(cloud.state, apikey, bool(body.get("at", True)), bool(body.get("rt")))
    return {"expired": count}


@route("GET", "/devices")
async def list_devices(request: web.Request, cloud: Cloud, body: dict[str, Any]) -> Any:
    owner = request.query.get("owner")
    return [device_json(d) for d in cloud.state.devices.values() if not owner or d.owner == owner]


@route("POST", "/devices")
async def add_device(request: web.Request, cloud: Cloud, body: dict[str, Any]) -> Any:
    return device_json(create_device(cloud.state, body))


@route("GET", "/factory-devices")
async def list_factory_devices(request: web.Request, cloud: Cloud, body: dict[str, Any]) -> Any:
    """Devices no account owns (new, or deleted by their owner): what can be added."""
    return [factory_json(d) for d in cloud.state.devices.values() if d.owner is None]


@route("GET", "/devices/{deviceid}")
async def get_device(request: web.Request, cloud: Cloud, body: dict[str, Any]) -> Any:
    return device_json(device_of(request, cloud))


@route("GET", "/devices/{deviceid}/history")
async def device_history(request: web.Request, cloud: Cloud, body: dict[str, Any]) -> Any:
    """How many operating-history entries the cloud keeps for the device."""
    device = device_of(request, cloud)
    return {"count": len(cloud.state.history.get(device.deviceid) or ())}


@route("GET", "/state/{deviceid}")
async def get_state(request: web.Request, cloud: Cloud, body: dict[str, Any]) -> Any:
    return device_json(device_of(request, cloud))


@route("POST", "/devices/{deviceid}/params")
async def device_params(request: web.Request, cloud: Cloud, body: dict[str, Any]) -> Any:
    device = device_of(request, cloud)
    params = body.get("params")
    if not isinstance(params, dict) or not params:
        raise ValueError("params must be a non-empty object")
    changes = await device_changes.device_update(cloud, device, params)
    return {"applied": changes, "device": device_json(device)}


@route("POST", "/devices/{deviceid}/online")
async def device_online(request: web.Request, cloud: Cloud, body: dict[str, Any]) -> Any:
    device = device_of(request, cloud)
    if not isinstance(body.get("online"), bool):
        raise ValueError("online must be a boolean")
    if body["online"] and device.ota_hung:
        await commands.revive_hung(cloud, device)
    else:
        await device_changes.set_online(cloud, device, body["online"])
    return device_json(device)


OTA_OUTCOMES = ("succeed", "fail", "hang")


@route("POST", "/devices/{deviceid}/ota")
async def device_ota(request: web.Request, cloud: Cloud, body: dict[str, Any]) -> Any:
    """`outcome` of the next upgrades (sticky); `version` offered by ota/query (null: none)."""
    device = device_of(request, cloud)
    if not body.keys() & {"outcome", "version"}:
        raise ValueError("give outcome and/or version")
    outcome = body.get("outcome", device.ota_outcome)
    if outcome not in OTA_OUTCOMES:
        raise ValueError(f"outcome must be one of {', '.join(OTA_OUTCOMES)}")
    version = body.get("version", device.ota_version)
    if version is not None and (not isinstance(version, str) or not version.strip()):
        raise ValueError("version must be a non-empty string or null")
    device.ota_outcome, device.ota_version = outcome, version
    cloud.state.dirty = True
    return device_json(device)


@route("POST", "/devices/{deviceid}/behaviour")
async def device_behaviour(request: web.Request, cloud: Cloud, body: dict[str, Any]) -> Any:
    device = device_of(request, cloud)
    if "unresponsive" in body:
        device.unresponsive = bool(body["unresponsive"])
    if "reply_delay_ms" in body:
        delay = body["reply_delay_ms"]
        if isinstance(delay, bool) or not isinstance(delay, int) or delay < 0:
            raise ValueError("reply_delay_ms must be a non-negative integer")
        device.reply_delay_ms = delay
    return device_json(device)


@route("POST", "/devices/{deviceid}/share")
async def device_share(request: web.Request, cloud: Cloud, body: dict[str, Any]) -> Any:
    device = device_of(request, cloud)
    target = cloud.state.accounts.get(str(body.get("to")))
    if target is None:
        raise ValueError("to must be a known apikey")
    share_device(cloud.state, device, target, int(body.get("permit", 15)))
    return device_json(device)


@route("GET", "/groups")
async def list_groups(request: web.Request, cloud: Cloud, body: dict[str, Any]) -> Any:
    """Every group (read only), with its members in order; `?owner=apikey` narrows."""
    owner = request.query.get("owner")
    groups = cloud.state.groups.values()
    return [group_json(g) for g in groups if not owner or g.owner == owner]


def group_json(group: Group) -> dict[str, Any]:
    return {
        "id": group.id,
        "name": group.name,
        "owner": group.owner,
        "mainDeviceId": group.main_deviceid,
        "uiid": group.uiid,
        "familyid": group.familyid,
        "roomid": group.roomid,
        "params": group.params,
        "deviceids": list(group.deviceids),
    }


@route("GET", "/clock")
async def get_clock(request: web.Request, cloud: Cloud, body: dict[str, Any]) -> Any:
    return cloud.clock.to_json()


@route("POST", "/clock")
async def move_clock(request: web.Request, cloud: Cloud, body: dict[str, Any]) -> Any:
    """Move the cloud's clock forward, then run every timer that became due, in order."""
    if ("advance_s" in body) == ("set" in body):
        raise ValueError("give exactly one of advance_s or set")
    if "advance_s" in body:
        seconds = body["advance_s"]
        if isinstance(seconds, bool) or not isinstance(seconds, int | float):
            raise ValueError("advance_s must be a number of seconds")
        cloud.clock.advance(float(seconds))
    else:
        if not isinstance(body["set"], str):
            raise ValueError("set must be an ISO time")
        cloud.clock.set(timers.parse_iso(body["set"]))
    fired = await cloud.timers.run_due()
    return cloud.clock.to_json() | {"fired": fired}


@route("POST", "/oauth/code")
async def oauth_code(request: web.Request, cloud: Cloud, body: dict[str, Any]) -> Any:
    account = cloud.state.accounts.get(str(body.get("apikey")))
    if account is None:
        raise ValueError("apikey must be a known account")
    appid = str(body.get("appid") or cloud.config.apps[0].appid)
    grant, redirect = grant_code(
        cloud, account, appid, str(body.get("redirectUrl", "")), str(body.get("state", ""))
    )
    return {"code": grant.code, "region": grant.region, "redirect": redirect}


@route("GET", "/verification-codes")
async def verification_codes(request: web.Request, cloud: Cloud, body: dict[str, Any]) -> Any:
    """The codes the cloud 'sent', keyed "<type>:<email or phone>" (the simulated inbox).

    `?target=` (an email, any case, or a full phone number) keeps one address's codes."""
    target = request.query.get("target", "").strip()
    codes = cloud.state.verification_codes
    if not target:
        return dict(codes)
    wanted = target if target.startswith("+") else target.lower()
    return {key: code for key, code in codes.items() if key.split(":", 1)[1] == wanted}


@route("POST", "/faults")
async def add_fault(request: web.Request, cloud: Cloud, body: dict[str, Any]) -> Any:
    return {"id": cloud.faults.add(body).id}


@route("GET", "/faults")
async def list_faults(request: web.Request, cloud: Cloud, body: dict[str, Any]) -> Any:
    return cloud.faults.to_json()


@route("DELETE", "/faults")
async def clear_faults(request: web.Request, cloud: Cloud, body: dict[str, Any]) -> Any:
    cloud.faults.clear()
    return {"ok": True}


@route("DELETE", "/faults/{fault_id}")
async def remove_fault(request: web.Request, cloud: Cloud, body: dict[str, Any]) -> Any:
    if not cloud.faults.remove(request.match_info["fault_id"]):
        raise NotFound("no such fault")
    return {"ok": True}


@route("GET", "/sessions")
async def sessions(request: web.Request, cloud: Cloud, body: dict[str, Any]) -> Any:
    """Live app sockets per account and APPID, and the most seen at one moment."""
    return cloud.hub.sessions_json()


@route("POST", "/sessions/reset-peaks")
async def reset_session_peaks(request: web.Request, cloud: Cloud, body: dict[str, Any]) -> Any:
    """Peaks from now on start at what is open now."""
    cloud.hub.reset_peaks()
    return cloud.hub.sessions_json()


@route("POST", "/load")
async def start_load(request: web.Request, cloud: Cloud, body: dict[str, Any]) -> Any:
    if cloud.load is not None:
        cloud.load.stop()
    cloud.load = LoadGenerator(cloud, body)
    cloud.load.start()
    return cloud.load.status()


@route("GET", "/load")
async def load_status(request: web.Request, cloud: Cloud, body: dict[str, Any]) -> Any:
    if cloud.load is None:
        return {"running": False, "sent": 0, "rate": 0}
    return cloud.load.status(records=request.query.get("records") == "1")


@route("DELETE", "/load")
async def stop_load(request: web.Request, cloud: Cloud, body: dict[str, Any]) -> Any:
    if cloud.load is not None:
        cloud.load.stop()
        return cloud.load.status()
    return {"running": False, "sent": 0, "rate": 0}


@route("GET", "/counters")
async def counters(request: web.Request, cloud: Cloud, body: dict[str, Any]) -> Any:
    state = cloud.state
    return cloud.counters.to_json(len(state.accounts), len(state.devices), cloud.hub.count())


@route("POST", "/counters/reset")
async def reset_counters(request: web.Request, cloud: Cloud, body: dict[str, Any]) -> Any:
    cloud.counters.reset()
    return {"ok": True}


@route("POST", "/save")
async def save_now(request: web.Request, cloud: Cloud, body: dict[str, Any]) -> Any:
    if not cloud.config.state_file:
        raise ValueError("started without --state")
    persistence.save(cloud)
    return {"ok": True, "saved_at": time.time()}
