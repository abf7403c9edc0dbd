"""What a control may carry and how often (findings 3 and 4 of issue 16): values are
validated by the plugin and only the validated value is stored, frames are bounded, and
controls are rate limited per user and per household."""

from __future__ import annotations

import pytest
from asgiref.sync import sync_to_async
from django_scopes import scopes_disabled

from realtime.consumers import MAX_FRAME_CHARS
from realtime.control import ControlRequest, run_control
from realtime.models import CommandRecord
from tests.realtime.conftest import link
from tests.realtime.test_consumer import US, _garage, _page, _until
from tests.realtime.test_worker import _thing

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.integration]
EU = "demo-eu@example.com"


def _records() -> list[CommandRecord]:
    with scopes_disabled():
        return list(CommandRecord.objects.order_by("pk"))


async def _control(page, request: str, thing: int, control: str, value) -> dict:
    await page.send_json_to(
        {"type": "control", "request": request, "thing": thing, "control": control, "value": value}
    )
    return await _until(page, "control_result", request=request, status=_final)


class _Final:
    """Matches any status but `pending`."""

    def __eq__(self, other: object) -> bool:
        return other != "pending"


_final = _Final()


async def test_only_the_value_the_plugin_validated_is_stored(owner, cloud, clean_redis):
    account = await link(owner, EU)
    blinds = await sync_to_async(_thing)(account, "Bedroom blinds")
    light = await sync_to_async(_thing)(account, "Kitchen light")
    page = await _page(owner)
    await page.receive_json_from()
    padding = "x" * (MAX_FRAME_CHARS - 300)  # a frame the socket accepts, a value nobody needs
    assert (await _control(page, "b", blinds.pk, "open", padding))["status"] == "ok"
    assert (await _control(page, "s", light.pk, "switch", " ON "))["status"] == "ok"
    bad = await _control(page, "n", light.pk, "switch", {"junk": [padding]})
    assert bad["status"] == "invalid"
    records = await sync_to_async(_records)()
    assert [(r.control, r.value) for r in records] == [("open", None), ("switch", True)]
    await page.disconnect()


async def test_a_huge_value_is_refused_or_dropped_before_anything_is_stored(
    owner, cloud, clean_redis
):
    account = await link(owner, EU)
    blinds = await sync_to_async(_thing)(account, "Bedroom blinds")
    light = await sync_to_async(_thing)(account, "Kitchen light")
    huge = ["x" * 1000] * 1000  # ~1 MB, as a caller other than the socket could pass it

    async def ask(channel, message):  # no worker holds these accounts: REST is used
        raise AssertionError("not expected")

    def request(thing: int, control: str) -> ControlRequest:
        return ControlRequest(owner.user.pk, owner.household.pk, thing, control, huge, "r")

    refused = await run_control(request(light.pk, "switch"), ask, "nobody")
    assert refused["status"] == "invalid"
    pressed = await run_control(request(blinds.pk, "stop"), ask, "nobody")
    assert pressed["status"] == "ok"
    records = await sync_to_async(_records)()
    assert [(r.control, r.value) for r in records] == [("stop", None)]


async def test_an_oversized_frame_is_dropped_unread_and_the_socket_carries_on(
    owner, cloud, clean_redis
):
    account = await link(owner, US)
    garage = await sync_to_async(_garage)(account)
    page = await _page(owner)
    await page.receive_json_from()
    control = {"type": "control", "request": "big", "thing": garage.pk, "control": "switch"}
    await page.send_json_to(control | {"value": True, "pad": "x" * MAX_FRAME_CHARS})
    await page.send_to(bytes_data=b"\x00" * 100)
    done = await _control(page, "small", garage.pk, "switch", True)
    assert done["status"] == "ok"  # the first answer is the small one's: the big one was dropped
    assert [r.control for r in await sync_to_async(_records)()] == ["switch"]
    await page.disconnect()


async def test_controls_beyond_a_users_burst_are_refused_as_rate_limited(
    owner, cloud, clean_redis, settings
):
    settings.CONTROL_LIMIT_USER_BURST = 3
    settings.CONTROL_LIMIT_USER_RATE = 0.01
    account = await link(owner, US)
    garage = await sync_to_async(_garage)(account)
    page = await _page(owner)
    await page.receive_json_from()
    results = [await _control(page, f"c{n}", garage.pk, "switch", n % 2 == 0) for n in range(5)]
    assert [r["status"] for r in results] == ["ok", "ok", "ok", "rate_limited", "rate_limited"]
    assert "rate limited" in results[-1]["message"]
    assert len(await sync_to_async(_records)()) == 3  # a refused control is neither sent nor kept
    await page.disconnect()


async def test_a_households_controls_share_one_budget_across_its_members(
    owner, member, cloud, clean_redis, settings
):
    settings.CONTROL_LIMIT_HOUSEHOLD_BURST = 2
    settings.CONTROL_LIMIT_HOUSEHOLD_RATE = 0.01
    account = await link(owner, US)
    garage = await sync_to_async(_garage)(account)
    pages = [await _page(owner), await _page(member)]
    for page in pages:
        await page.receive_json_from()
    first = await _control(pages[0], "o1", garage.pk, "switch", True)
    second = await _control(pages[1], "m1", garage.pk, "switch", False)
    third = await _control(pages[1], "m2", garage.pk, "switch", True)
    assert [first["status"], second["status"], third["status"]] == ["ok", "ok", "rate_limited"]
    for page in pages:
        await page.disconnect()
