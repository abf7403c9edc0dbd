"""An account at a glance, as the eWeLink cloud's home page call (`POST /v2/homepage`) gives it:
who the account is (nickname, region, never a token or key) and how many homes, rooms,
devices, devices shared with it and groups it has. The cloud counts things of the account's
current home only, so the overview says which home that is.
"""

from __future__ import annotations

from dataclasses import dataclass

from asgiref.sync import async_to_sync

import ewelink
from accounts.models import LinkedAccount
from devices.thing_actions import ActionFailed, _run, cloud_message

ITEM_OWN, ITEM_SHARED, ITEM_GROUP = 1, 2, 3


@dataclass(frozen=True)
class AccountOverview:
    """What the home page call says of one account."""

    nickname: str
    region: str
    country_code: str
    homes: int
    rooms: int
    current_home: str
    devices: int  # own devices in the current home
    shared: int  # devices other accounts share with this one, in the current home
    groups: int
    things: int  # everything in the current home, as the cloud counts it


def account_overview(account: LinkedAccount) -> AccountOverview:
    """One home page call; a cloud failure is ActionFailed in words."""

    async def call(client: ewelink.EWeLinkClient) -> ewelink.models.Homepage:
        return await client.homepage(user=True, homes=True, things=True, thing_num=0)

    try:
        page = async_to_sync(_run)(account, call)
    except ewelink.EWeLinkError as exc:
        raise ActionFailed(cloud_message(exc)) from None
    return summarise(account, page)


def summarise(account: LinkedAccount, page: ewelink.models.Homepage) -> AccountOverview:
    homes = page.homes.homes if page.homes else []
    current_id = page.homes.current_id if page.homes else None
    current = next((home.name for home in homes if home.id == current_id), "")
    things = page.things.things if page.things else []
    kinds = [item.item_type for item in things]
    user = page.user
    return AccountOverview(
        nickname=(user.nickname if user else None) or "",
        region=account.region,
        country_code=(user.country_code if user else None) or account.country_code,
        homes=len(homes),
        rooms=sum(len(home.rooms) for home in homes),
        current_home=current,
        devices=kinds.count(ITEM_OWN),
        shared=kinds.count(ITEM_SHARED),
        groups=kinds.count(ITEM_GROUP),
        things=page.things.total if page.things and page.things.total else len(things),
    )
