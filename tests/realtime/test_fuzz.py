"""Fuzzing the page websocket: random, oversized and ill-typed frames, unknown types and
controls with bad values leave the server healthy and store nothing."""

from __future__ import annotations

import json
import random
from typing import Any

import pytest
from asgiref.sync import sync_to_async
from channels.layers import get_channel_layer
from django_scopes import scopes_disabled

from realtime.consumers import MAX_FRAME_CHARS
from realtime.events import group_message, household_group
from realtime.models import CommandRecord
from tests.realtime.conftest import link
from tests.realtime.test_consumer import US, _garage, _page, _until

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.integration]
EU = "demo-eu@example.com"
FRAMES = 300


def _junk(rng: random.Random, depth: int = 0) -> Any:
    """A random JSON value of any type, sometimes nested."""
    kind = rng.randrange(9 if depth < 3 else 6)
    return [
        lambda: None,
        lambda: rng.random() < 0.5,
        lambda: rng.randint(-(2**70), 2**70),
        lambda: rng.choice([1e308, -0.0, rng.uniform(-1e6, 1e6)]),
        lambda: "".join(chr(rng.randrange(1, 0x2FFF)) for _ in range(rng.randrange(40))),
        lambda: rng.choice(["on", "off", "#ff8800", "#zzzzzz", "NaN", "1e999", ""]),
        lambda: [_junk(rng, depth + 1) for _ in range(rng.randrange(4))],
        lambda: {str(_junk(rng, 3)): _junk(rng, depth + 1) for _ in range(rng.randrange(4))},
        lambda: {"type": "control", "value": _junk(rng, depth + 1)},
    ][kind]()


def _frame(rng: random.Random, things: list[int]) -> dict[str, Any]:
    """One websocket message a confused or hostile page might send."""
    roll = rng.random()
    if roll < 0.05:
        return {"bytes_data": rng.randbytes(rng.randrange(1, 64))}
    if roll < 0.10:
        return {"text_data": "x" * (MAX_FRAME_CHARS + rng.randrange(1, 100_000))}
    if roll < 0.20:
        text = json.dumps(_junk(rng))
        return {"text_data": text[: rng.randrange(1, len(text) + 1)]}  # cut anywhere
    if roll < 0.35:
        return {"text_data": json.dumps(_junk(rng))}
    if roll < 0.45:
        return {"text_data": json.dumps({"type": rng.choice(["", "ack", "snapshot", "x"]),
                                          "seq": _junk(rng)})}  # fmt: skip
    # A control: a thing of ours, another household's or none, a real or made-up control
    # name, and a value that is wrong for it (a toggle, a slider, a colour get junk).
    control = {
        "type": "control",
        "request": _junk(rng),
        "thing": rng.choice([*things, _junk(rng), -1, 0, 2**63, True]),
        "control": rng.choice(["switch", "brightness", "colour", "mode", "", "x" * 60,
                               _junk(rng)]),
        "value": rng.choice([_junk(rng), "maybe", 101, -5, [1, 2], {"on": True}, "x" * 3000]),
    }  # fmt: skip
    if _is_a_real_toggle(control["value"]):
        control["value"] = "maybe"  # this test sends nothing that should run
    return {"text_data": json.dumps(control)}


def _is_a_real_toggle(value: Any) -> bool:
    if isinstance(value, str):
        return value.strip().lower() in {"on", "off", "true", "false", "1", "0", "yes", "no"}
    return isinstance(value, bool | int) and value in (0, 1)


def _count() -> int:
    with scopes_disabled():
        return CommandRecord.objects.count()


async def test_random_frames_leave_the_socket_answering_and_store_nothing(
    owner, outsider, cloud, clean_redis, settings
):
    settings.CONTROL_LIMIT_USER_BURST = settings.CONTROL_LIMIT_HOUSEHOLD_BURST = 10_000
    ours = await link(owner, US)
    theirs = await link(outsider, EU)
    garage = await sync_to_async(_garage)(ours)
    their_things = await sync_to_async(_thing_ids)(theirs)
    page = await _page(owner)
    await page.receive_json_from()
    cloud.control("POST", "/counters/reset")
    rng = random.Random(16)
    for _ in range(FRAMES):
        await page.send_to(**_frame(rng, [garage.pk, *their_things]))
    # Still answering: an event reaches the page, and a good control runs (after the junk).
    group = household_group(owner.household.pk)
    await get_channel_layer().group_send(group, group_message({"type": "thing", "id": -7}))
    assert (await _until(page, "thing", id=-7))["id"] == -7
    await page.send_json_to(
        {"type": "control", "request": "good", "thing": garage.pk, "control": "switch",
         "value": True}
    )  # fmt: skip
    assert (await _until(page, "control_result", request="good", status="ok"))["latency_ms"]
    assert await sync_to_async(_count)() == 1  # only the good control was stored
    calls = cloud.control("GET", "/counters")["calls"]
    sent = {label: n for label, n in calls.items() if "thing/status" in label}
    assert list(sent.values()) == [1], calls  # no junk reached a device, theirs or ours
    await page.disconnect()


def _thing_ids(account: Any) -> list[int]:
    with scopes_disabled():
        return list(account.things.values_list("pk", flat=True))
