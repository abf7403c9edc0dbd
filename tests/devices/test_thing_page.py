"""Which panels of a thing page a change redraws, drawn for the viewer's role."""

from __future__ import annotations

import pytest
from django_scopes import scope

from accounts.models import Role
from devices.fragments import fragments_for
from devices.models import Thing
from devices.thing_page import LIVE_PANELS, PANELS
from tests.factories import LinkedAccountFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def thing() -> Thing:
    account = LinkedAccountFactory()
    with scope(household=account.household_id):
        return Thing.objects.create(
            household=account.household, account=account, cloud_id="dev1", item_type=1,
            name="Hall lamp", uiid=1, params={"switch": "on", "startup": "off"},
        )  # fmt: skip


def _keys(thing: Thing, panels: str | None, role: str = Role.ADMIN) -> list[str]:
    params = {"thing": str(thing.pk), "role": role}
    if panels is not None:
        params["panels"] = panels
    event = {"type": "structure", "things": [thing.pk]}
    return [f.key for f in fragments_for(thing.household_id, "thing", event, params)]


def test_a_state_report_redraws_the_overview_only(thing: Thing) -> None:
    assert _keys(thing, "overview") == ["thing-overview"]


def test_new_details_redraw_the_live_panels_and_a_structure_change_all(thing: Thing) -> None:
    assert _keys(thing, "live") == [f"thing-{name}" for name in LIVE_PANELS]
    assert _keys(thing, None) == [f"thing-{name}" for name in PANELS]
    assert _keys(thing, "anything else") == [f"thing-{name}" for name in PANELS]


def test_another_things_change_redraws_nothing_and_a_gone_thing_says_so(thing: Thing) -> None:
    params = {"thing": str(thing.pk + 1), "role": Role.ADMIN}
    event = {"type": "structure", "things": [thing.pk]}
    assert fragments_for(thing.household_id, "thing", event, params) == []
    pk, household = thing.pk, thing.household_id
    with scope(household=household):
        thing.delete()
    gone = fragments_for(household, "thing", {"things": [pk]}, {"thing": str(pk)})
    assert [f.key for f in gone] == ["thing-main"]
    assert "This device is gone" in (gone[0].html or "")


def test_a_guest_is_drawn_no_forms(thing: Thing) -> None:
    params = {"thing": str(thing.pk), "role": Role.GUEST, "panels": "live"}
    event = {"type": "structure", "things": [thing.pk]}
    html = "".join(f.html or "" for f in fragments_for(thing.household_id, "thing", event, params))
    assert "<form" not in html
    admin = {**params, "role": Role.ADMIN}
    admin_html = "".join(
        f.html or "" for f in fragments_for(thing.household_id, "thing", event, admin)
    )
    assert "<form" in admin_html
