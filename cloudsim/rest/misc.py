"""Home page aggregate, message centre and the dispatch service."""

from __future__ import annotations

from typing import Any

from aiohttp import web

from cloudsim.accounts import family_json
from cloudsim.keys import CLOUD
from cloudsim.state import now_ms
from cloudsim.things import family_things, page

from .base import Call, endpoint
from .devices import MIN_INDEX


def messages(call: Call, familyid: str, start: int, num: int) -> list[dict[str, Any]]:
    me = call.account.apikey
    mine = [
        m
        for m in call.cloud.state.messages
        if m.owner == me and m.familyid == familyid and m.date < start
    ]
    mine.sort(key=lambda m: m.date, reverse=True)
    return [
        {"msgid": m.msgid, "msgType": m.msg_type, "message": m.message, "date": m.date}
        for m in mine[:num]
    ]


@endpoint("GET", "/v2/message/read")
async def message_list(call: Call) -> dict[str, Any]:
    family = call.family(call.string("familyid", required=False))
    start = call.integer("from", default=now_ms() + 1)
    num = call.integer("num", default=30, lo=1, hi=30)
    return {"messageList": messages(call, family.id, start, num)}


@endpoint("POST", "/v2/homepage")
async def homepage(call: Call) -> dict[str, Any]:
    account, state = call.account, call.cloud.state
    out: dict[str, Any] = {}
    if "getUser" in call.body:
        out["userInfo"] = account.user_json()
    if "getFamily" in call.body:
        out["familyInfo"] = {
            "familyList": [family_json(f) for f in state.families_of(account.apikey)],
            "currentFamilyId": account.current_family,
        }
    if "getThing" in call.body:
        sub = Call(call.cloud, call.request, call.region, call.obj("getThing"), token=call.token)
        items = family_things(state, account.apikey, account.current_family)
        num = sub.integer("num", default=30, lo=0)
        begin = sub.integer("beginIndex", default=MIN_INDEX)
        out["thingInfo"] = {"thingList": page(items, num, begin), "total": len(items)}
    if "getScene" in call.body:
        out["sceneInfo"] = {"sceneList": []}
    if "getMessage" in call.body:
        sub = Call(call.cloud, call.request, call.region, call.obj("getMessage"), token=call.token)
        start = sub.integer("from", default=now_ms() + 1)
        num = sub.integer("num", default=30, lo=1, hi=30)
        out["messageInfo"] = {"messageList": messages(call, account.current_family, start, num)}
    return out


async def dispatch_app(request: web.Request) -> web.Response:
    """Point every region's clients at this server's websocket (`/api/ws`)."""
    cloud = request.app[CLOUD]
    cloud.counters.calls[f"{request.method} /dispatch/app"] += 1
    host = cloud.config.host
    return web.json_response(
        {"IP": host, "port": cloud.port, "domain": host, "error": 0, "reason": "ok"}
    )
