"""Device groups managed from the groups page, against cloudsim: each change in the cloud and in
the rows (as a resync would write them), announced and recorded; refusals (role, a member of
another kind, a group changed in the app, the plan's limit) in words, changing nothing."""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from typing import Any

import pytest
from asgiref.sync import async_to_sync
from django.core.exceptions import PermissionDenied
from django.urls import reverse

import ewelink
from accounts import linking
from accounts.cloud import open_client
from accounts.models import LinkedAccount
from devices import groups, thing_settings
from devices.group_members import members_of
from devices.models import LayoutAction, Thing, ThingKind
from devices.presentation import CardRenderer, plugin_for, visible_things
from devices.structure import structure_version
from devices.sync import group_members, sync_account
from devices.thing_actions import ActionFailed
from tests.fixtures.cloud import DEMO

pytestmark = pytest.mark.integration

US, EU, GUEST = "demo-us@example.com", "demo-eu@example.com", "demo-eu-guest@example.com"


def _link(persona: Any, email: str = US) -> LinkedAccount:
    demo = DEMO[email]
    account = linking.link_with_password(
        persona.membership, identifier=email, password=demo["password"],
        country_code=demo["country_code"], label=email.split("@")[0],
    )  # fmt: skip
    sync_account(account.pk)
    return account


def _with_client(account: LinkedAccount, action: Callable[[Any], Coroutine[Any, Any, Any]]) -> Any:
    async def run() -> Any:
        async with open_client(account) as client:
            return await action(client)

    return async_to_sync(run)()


def _new_devices(cloud: Any, account: LinkedAccount, *specs: tuple[str, int]) -> list[Thing]:
    """Devices added to the account in cloudsim (beside Garage light), then synced in."""
    garage = Thing.objects.get(account=account, name="Garage light")
    roomid = cloud.control("GET", f"/devices/{garage.cloud_id}")["roomid"]
    for name, uiid in specs:
        body = {"owner": account.apikey, "uiid": uiid, "name": name, "roomid": roomid}
        cloud.control("POST", "/devices", body)
    sync_account(account.pk)
    return [Thing.objects.get(account=account, name=name) for name, _uiid in specs]


def _sim_groups(cloud: Any, account: LinkedAccount) -> dict[str, dict[str, Any]]:
    return {g["id"]: g for g in cloud.control("GET", f"/groups?owner={account.apikey}")}


def _resync_changes_nothing(account: LinkedAccount) -> None:
    result = sync_account(account.pk)
    counts = (result.created["things"], result.updated["things"], result.deleted["things"])
    assert counts == (0, 0, 0), result


def test_an_admin_builds_renames_regroups_and_deletes_a_group(owner, cloud, unscoped) -> None:
    account = _link(owner)
    garage = Thing.objects.get(account=account, name="Garage light")
    shed, yard = _new_devices(cloud, account, ("Shed light", 1), ("Yard light", 1))
    version = structure_version(account.household_id)

    group = groups.add_group(
        owner.membership, account, "  Outdoor   lights ", str(garage.pk), [str(shed.pk)]
    )
    assert (group.name, group.kind, group.item_type) == ("Outdoor lights", ThingKind.GROUP, 3)
    sim = _sim_groups(cloud, account)[group.cloud_id]
    assert (sim["name"], sim["mainDeviceId"]) == ("Outdoor lights", garage.cloud_id)
    assert sim["deviceids"] == [garage.cloud_id, shed.cloud_id]
    assert members_of(group) == [garage.cloud_id, shed.cloud_id]
    assert (group.home_id, group.room_id) == (garage.home_id, garage.room_id)
    assert structure_version(account.household_id) > version  # every open page redraws
    _resync_changes_nothing(account)

    groups.rename_group(owner.membership, group, "Yard lights")
    assert _sim_groups(cloud, account)[group.cloud_id]["name"] == "Yard lights"
    assert Thing.objects.get(pk=group.pk).name == "Yard lights"
    _resync_changes_nothing(account)

    groups.set_members(owner.membership, group, [str(shed.pk), str(yard.pk)])
    wanted = [garage.cloud_id, shed.cloud_id, yard.cloud_id]
    assert _sim_groups(cloud, account)[group.cloud_id]["deviceids"] == wanted
    assert members_of(Thing.objects.get(pk=group.pk)) == wanted
    _resync_changes_nothing(account)
    group.refresh_from_db()
    groups.set_members(owner.membership, group, [str(yard.pk)])  # Shed light leaves
    assert _sim_groups(cloud, account)[group.cloud_id]["deviceids"] == [
        garage.cloud_id,
        yard.cloud_id,
    ]
    _resync_changes_nothing(account)

    groups.delete_group(owner.membership, Thing.objects.get(pk=group.pk))
    assert _sim_groups(cloud, account) == {}
    assert not Thing.objects.filter(pk=group.pk).exists()
    assert Thing.objects.filter(pk__in=[garage.pk, shed.pk, yard.pk]).count() == 3
    _resync_changes_nothing(account)
    done = LayoutAction.objects.filter(account=account, result="ok")
    assert set(done.values_list("action", flat=True)) == set(groups.ACTION_WORDS)
    assert set(groups.ACTION_WORDS) & {a.action for a in groups.recent_actions()}


def test_a_member_of_another_kind_is_refused_in_words(owner, cloud, unscoped) -> None:
    account = _link(owner)
    garage = Thing.objects.get(account=account, name="Garage light")
    strip = Thing.objects.get(account=account, name="Office power strip")  # UIID 4, not 1
    with pytest.raises(ActionFailed) as refused:
        groups.add_group(owner.membership, account, "Mixed", str(garage.pk), [str(strip.pk)])
    assert "Office power strip cannot join a group around Garage light" in refused.value.message
    assert _sim_groups(cloud, account) == {}
    assert not Thing.objects.filter(account=account, kind=ThingKind.GROUP).exists()

    (shed,) = _new_devices(cloud, account, ("Shed light", 1))
    group = groups.add_group(owner.membership, account, "Lights", str(garage.pk), [str(shed.pk)])
    with pytest.raises(ActionFailed) as refused:
        groups.set_members(owner.membership, group, [str(shed.pk), str(strip.pk)])
    assert "Office power strip" in refused.value.message
    assert _sim_groups(cloud, account)[group.cloud_id]["deviceids"] == [
        garage.cloud_id,
        shed.cloud_id,
    ]
    with pytest.raises(ActionFailed, match="Only devices of"):
        groups.set_members(owner.membership, group, ["999999"])
    with pytest.raises(ActionFailed, match="main device"):
        groups.add_group(owner.membership, account, "No main", "", [])


def test_a_group_changed_in_the_app_is_explained_and_nothing_changes(
    owner, cloud, unscoped
) -> None:
    account = _link(owner)
    garage = Thing.objects.get(account=account, name="Garage light")
    group = groups.add_group(owner.membership, account, "Lights", str(garage.pk), [])
    _with_client(account, lambda client: client.delete_group(group.cloud_id))  # the app

    with pytest.raises(ActionFailed) as refused:
        groups.rename_group(owner.membership, group, "Lamps")
    assert refused.value.message == groups.GONE
    assert "Resync" in groups.GONE
    assert Thing.objects.get(pk=group.pk).name == "Lights"
    failed = LayoutAction.objects.get(account=account, action="group_rename")
    assert (failed.result, failed.message) == ("failed", groups.GONE)
    with pytest.raises(ActionFailed, match="eWeLink app"):
        groups.delete_group(owner.membership, group)
    assert Thing.objects.filter(pk=group.pk).exists()

    sync_account(account.pk)  # the resync the words ask for
    assert not Thing.objects.filter(pk=group.pk).exists()


def test_the_cloud_refusals_have_words() -> None:
    assert groups.explain(ewelink.ApiError("limit", 20002)) == groups.PLAN_LIMIT
    assert "20002" in groups.PLAN_LIMIT
    assert groups.explain(ewelink.NotFoundError("gone", 405)) == groups.GONE
    assert "main device" in groups.explain(ewelink.BadRequestError("bad", 400))
    offline = groups.explain(ewelink.DeviceOfflineError("offline", 4002))
    assert "offline" in offline


def test_a_group_around_a_shared_device_goes_with_the_share(owner, cloud, unscoped) -> None:
    eu, guest = _link(owner, EU), _link(owner, GUEST)
    sofa = Thing.objects.get(account=guest, name="Sofa lamp")
    assert sofa.item_type == 2  # shared with the guest account by the EU account

    made = _with_client(
        guest, lambda client: client.add_group(name="Sofa", main_device_id=sofa.cloud_id)
    )
    sync_account(guest.pk)
    group = Thing.objects.get(account=guest, kind=ThingKind.GROUP, cloud_id=made.group.id)
    assert members_of(group) == [sofa.cloud_id]
    assert group.extra["main"] == sofa.cloud_id

    _with_client(eu, lambda client: client.cancel_share(sofa.cloud_id, guest.apikey))
    sync_account(guest.pk)
    assert not Thing.objects.filter(pk=group.pk).exists()  # the API document's rule
    assert not Thing.objects.filter(account=guest, cloud_id=sofa.cloud_id).exists()


def test_members_are_read_from_the_devices_when_the_group_does_not_list_them() -> None:
    """The API document's group entry has no member list: each device's devGroups says."""
    group = ewelink.Thing.from_raw(
        {"itemType": 3, "index": 1, "itemData": {"id": "g1", "name": "G", "mainDeviceId": "b"}}
    )
    devices = [
        ewelink.Thing.from_raw(
            {"itemType": 1, "index": 0, "itemData": {"deviceid": d, "devGroups": groups_of}}
        )
        for d, groups_of in (
            ("a", [{"type": 1, "groupId": "g1"}]),
            ("b", [{"type": 1, "groupId": "g1"}]),
            ("c", [{"type": 1, "groupId": "g2"}]),
        )
    ]
    assert group.group is not None
    assert group_members(group.group, devices) == ["b", "a"]  # main first


def test_the_group_card_shows_its_members_and_state_and_follows_changes(
    owner, cloud, unscoped
) -> None:
    account = _link(owner)
    garage = Thing.objects.get(account=account, name="Garage light")
    (shed,) = _new_devices(cloud, account, ("Shed light", 1))
    group = groups.add_group(owner.membership, account, "Lights", str(garage.pk), [str(shed.pk)])

    def drawn() -> str:
        thing = visible_things().get(pk=group.pk)  # as the dashboard loads it
        return CardRenderer().render(thing, plugin_for(thing))

    html = drawn()
    assert "Members: Garage light, Shed light" in html
    assert "extra" in visible_things().get(pk=group.pk).get_deferred_fields()  # names came along
    expected = "On" if "on" in {garage.params.get("switch"), shed.params.get("switch")} else "Off"
    assert f'data-state-key="group">{expected}</p>' in html
    groups.set_members(owner.membership, Thing.objects.get(pk=group.pk), [])
    assert "Members: Garage light<" in drawn()  # the cached card was not served

    version = structure_version(account.household_id)
    thing_settings.rename(owner.membership, garage, "Carport light", "Garage light")
    assert "Members: Carport light<" in drawn()  # renamed on its page: its group follows
    assert structure_version(account.household_id) > version
    _resync_changes_nothing(account)


def test_members_are_refused_and_see_no_forms(owner, member, cloud, unscoped) -> None:
    account = _link(owner)
    garage = Thing.objects.get(account=account, name="Garage light")
    with pytest.raises(PermissionDenied):
        groups.add_group(member.membership, account, "Mine", str(garage.pk), [])
    response = member.client.post(
        reverse("dashboard:groups_add", args=[account.pk]), {"name": "X", "main": garage.pk}
    )
    assert response.status_code == 403
    assert _sim_groups(cloud, account) == {}
    page = member.client.get(reverse("dashboard:groups")).content.decode()
    assert "Only admins and owners change groups" in page
    assert "Create group" not in page


def test_a_refused_new_group_comes_back_with_what_was_typed(owner, cloud, unscoped) -> None:
    account = _link(owner)
    garage = Thing.objects.get(account=account, name="Garage light")
    strip = Thing.objects.get(account=account, name="Office power strip")
    response = owner.client.post(
        reverse("dashboard:groups_add", args=[account.pk]),
        {"name": "Porch and strip", "main": garage.pk, "member": [strip.pk]},
    )
    page = response.content.decode()
    assert response.status_code == 200
    assert "Office power strip cannot join a group around Garage light" in page
    assert 'value="Porch and strip"' in page
    assert _sim_groups(cloud, account) == {}
