"""Every URL as each role of a household: allowed, or refused (server side, in words).

The table names the least role each route needs. A new route must be added here, or
`test_every_route_is_in_the_matrix` fails. Outsiders are `tests/test_tenancy.py`'s part: an
object of another household is a 404 there.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest
from django.contrib.messages import ERROR, get_messages
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from accounts.models import Membership, NotificationKind, Role
from accounts.notifications import notify
from tests.factories import InvitationFactory, LinkedAccountFactory, MembershipFactory

ROLES = [Role.GUEST, Role.MEMBER, Role.ADMIN, Role.OWNER]
RANK = {role: rank for rank, role in enumerate(ROLES)}


@dataclass(frozen=True)
class Route:
    """How to call one route, and the least role that may."""

    method: str
    least: str
    make: Callable[[Any], dict[str, Any]] = lambda household: {}  # the path's arguments
    # The POST data, or how to make it from the path's arguments.
    data: dict[str, Any] | Callable[[dict[str, Any]], dict[str, Any]] = field(default_factory=dict)
    # The action talks to the cloud (cloudsim here): its outcome may be the cloud's error in
    # words, so only a 403 counts as the role's refusal.
    cloud: bool = False


def _guest_of(household: Any) -> dict[str, Any]:
    return {"pk": MembershipFactory(household=household, role=Role.GUEST).pk}


def _account_of(household: Any) -> dict[str, Any]:
    return {"pk": LinkedAccountFactory(household=household).pk}


CONFIRMED = {"confirm": "yes"}
ROUTES: dict[str, Route] = {
    "dashboard:home": Route("get", Role.GUEST),
    "dashboard:room_cards": Route("get", Role.GUEST, data={"home": "", "room": ""}),
    "dashboard:wall": Route("get", Role.GUEST),
    "dashboard:phone": Route("get", Role.GUEST),
    "accounts:household": Route("get", Role.GUEST),
    "accounts:household_create": Route("get", Role.GUEST),
    "accounts:linked_accounts": Route("get", Role.GUEST),
    "accounts:account_health": Route("get", Role.ADMIN),
    "accounts:notifications": Route("get", Role.GUEST),
    "accounts:password_change": Route("get", Role.GUEST),
    "accounts:link_password": Route("get", Role.ADMIN),
    "accounts:link_sms": Route("get", Role.ADMIN),
    "accounts:link_register": Route("get", Role.ADMIN),
    "accounts:link_reset": Route("get", Role.ADMIN),
    "accounts:link_oauth_start": Route("post", Role.ADMIN),
    "accounts:invitation_create": Route("post", Role.ADMIN, data={"role": Role.GUEST}),
    "accounts:household_time_zone": Route("post", Role.ADMIN, data={"time_zone": "Asia/Tokyo"}),
    "accounts:invitation_revoke": Route(
        "post",
        Role.ADMIN,
        lambda household: {"pk": InvitationFactory(household=household).pk},
        CONFIRMED,
    ),
    "accounts:member_role": Route("post", Role.ADMIN, _guest_of, {"role": Role.MEMBER}),
    "accounts:member_remove": Route("post", Role.ADMIN, _guest_of, CONFIRMED),
    "accounts:account_unlink": Route("get", Role.ADMIN, _account_of),
    "accounts:account_sync": Route("post", Role.MEMBER, _account_of, cloud=True),
    "accounts:account_settings": Route("get", Role.OWNER, _account_of, cloud=True),
    "accounts:account_close": Route("get", Role.OWNER, _account_of),
    "accounts:notifications_read_all": Route("post", Role.MEMBER),
    "accounts:notification_read": Route(
        "post",
        Role.MEMBER,
        lambda household: {
            "pk": notify(household.pk, NotificationKind.FIRMWARE, "New firmware").pk
        },
    ),
}


def _thing_of(household: Any) -> dict[str, Any]:
    from devices.models import Thing

    account = LinkedAccountFactory(household=household)
    thing = Thing.objects.create(
        household=household, account=account, cloud_id="1000matrix", item_type=1, name="Lamp",
        uiid=2, params={"switches": [{"switch": "on", "outlet": 0}], "sledOnline": "on"},
    )  # fmt: skip
    return {"pk": thing.pk}


def _share_of(household: Any) -> dict[str, Any]:
    from devices.models import Share, Thing

    pk = _thing_of(household)["pk"]
    Share.objects.with_scopes_disabled().create(
        household=household, thing=Thing.objects.with_scopes_disabled().get(pk=pk),
        to_apikey="friend", permit=1,
    )  # fmt: skip
    return {"pk": pk}


def _share_data(extra: dict[str, Any]) -> Callable[[dict[str, Any]], dict[str, Any]]:
    def data(kwargs: dict[str, Any]) -> dict[str, Any]:
        from devices.models import Share

        share = Share.objects.with_scopes_disabled().get(thing_id=kwargs["pk"])
        return {"share": str(share.pk), **extra}

    return data


ROUTES.update(
    {
        "dashboard:thing": Route("get", Role.GUEST, _thing_of),
        "dashboard:thing_rename": Route(
            "post", Role.ADMIN, _thing_of, {"name": "Lamp 2", "seen": "Lamp"}, cloud=True
        ),
        "dashboard:thing_move": Route("post", Role.ADMIN, _thing_of, {"room": ""}, cloud=True),
        "dashboard:thing_channels": Route(
            "post", Role.ADMIN, _thing_of, {"channel_0": "A", "seen": "{}"}, cloud=True
        ),
        "dashboard:thing_notifications": Route(
            "post",
            Role.ADMIN,
            _thing_of,
            {
                "opsNotify": "on",
                "seen": '{"alarmNotify": true, "opsHistory": false, "opsNotify": false}',
            },
            cloud=True,
        ),
        "dashboard:thing_option": Route(
            "post",
            Role.ADMIN,
            _thing_of,
            {"option": "led", "value": "off", "seen": "True"},
            cloud=True,
        ),
        "dashboard:thing_clear_history": Route(
            "post", Role.ADMIN, _thing_of, CONFIRMED, cloud=True
        ),
        **{
            f"dashboard:thing_timer_{name}": Route("post", Role.MEMBER, _thing_of, cloud=True)
            for name in ("add", "edit", "delete", "enable")
        },
        "dashboard:thing_share": Route(
            "post",
            Role.ADMIN,
            _thing_of,
            {"email": "friend@example.com", "permit": "1"},
            cloud=True,
        ),
        "dashboard:thing_share_permit": Route(
            "post", Role.ADMIN, _share_of, _share_data({"permit": "1", "seen": "1"}), cloud=True
        ),
        "dashboard:thing_unshare": Route(
            "post", Role.ADMIN, _share_of, _share_data(CONFIRMED), cloud=True
        ),
        "dashboard:thing_readings": Route("get", Role.GUEST, _thing_of, {"range": "7d"}),
        "dashboard:thing_energy_fetch": Route("post", Role.MEMBER, _thing_of, cloud=True),
        "dashboard:thing_ota_check": Route("post", Role.ADMIN, _thing_of, cloud=True),
        "dashboard:thing_upgrade": Route("post", Role.ADMIN, _thing_of, cloud=True),
        "dashboard:thing_remove": Route(
            "post", Role.ADMIN, _thing_of, {"confirm": "Lamp"}, cloud=True
        ),
    }
)


def _message_of(household: Any) -> dict[str, Any]:
    from datetime import UTC, datetime

    from devices.models import Message

    message = Message.objects.with_scopes_disabled().create(
        household=household, account=LinkedAccountFactory(household=household), msgid="m1",
        msg_type="alarmNotify_v2", payload={"alarm": "smoke"}, date=datetime.now(UTC),
    )  # fmt: skip
    return {"pk": message.pk}


def _home_of(household: Any) -> dict[str, Any]:
    from devices.models import Home

    account = LinkedAccountFactory(household=household)
    home = Home.objects.create(household=household, account=account, cloud_id="h1", name="Flat")
    return {"pk": home.pk}


def _room_of(household: Any) -> dict[str, Any]:
    from devices.models import Home, Room

    home = Home.objects.with_scopes_disabled().get(pk=_home_of(household)["pk"])
    room = Room.objects.create(household=household, home=home, cloud_id="r1", name="Hall")
    return {"pk": room.pk}


ROUTES.update(
    {
        "dashboard:messages": Route("get", Role.GUEST),
        "dashboard:messages_read_all": Route("post", Role.MEMBER),
        "dashboard:message_read": Route("post", Role.MEMBER, _message_of),
        "dashboard:homes": Route("get", Role.GUEST),
        "dashboard:homes_add": Route(
            "post", Role.ADMIN, _account_of, {"name": "Barn", "rooms": "Loft"}, cloud=True
        ),
        "dashboard:homes_rename": Route("post", Role.ADMIN, _home_of, {"name": "Barn"}, cloud=True),
        "dashboard:homes_current": Route("post", Role.ADMIN, _home_of, cloud=True),
        "dashboard:homes_delete": Route("get", Role.ADMIN, _home_of),
        "dashboard:rooms_add": Route("post", Role.ADMIN, _home_of, {"name": "Loft"}, cloud=True),
        "dashboard:rooms_rename": Route("post", Role.ADMIN, _room_of, {"name": "Loft"}, cloud=True),
        "dashboard:rooms_move": Route("post", Role.ADMIN, _room_of, {"direction": "up"}),
        "dashboard:rooms_delete": Route("get", Role.ADMIN, _room_of),
        # Drag and drop (JSON for the page script): a stale order is a 409 in words.
        "dashboard:rooms_order": Route("post", Role.ADMIN, _home_of, {"order": "1"}),
        "dashboard:thing_place": Route("post", Role.ADMIN, _thing_of, {"room": "", "order": "1"}),
        "dashboard:device_add": Route(
            "post",
            Role.ADMIN,
            _account_of,
            {"kind": "gsm", "code": "348512d49379bb0acace4598e14fc450", "name": "Gate"},
            cloud=True,
        ),
        # Members may view an account's overview, guests not (the view says why).
        "dashboard:account_overview": Route("get", Role.MEMBER, _account_of, cloud=True),
        # Batch control: an empty room or home, and no things chosen, are answered in words
        # (an error message), so only the 403 is the role's refusal.
        "dashboard:rooms_switch": Route(
            "post", Role.MEMBER, _room_of, {"state": "off"}, cloud=True
        ),
        "dashboard:homes_switch": Route("post", Role.MEMBER, _home_of, {"state": "on"}, cloud=True),
        "dashboard:selection_switch": Route("post", Role.MEMBER, data={"state": "off"}, cloud=True),
        "dashboard:selection_refresh": Route("post", Role.MEMBER, cloud=True),
        "dashboard:selection_move": Route("post", Role.ADMIN, data={"room": "1"}, cloud=True),
    }
)


def _group_of(household: Any) -> dict[str, Any]:
    from devices.models import Thing, ThingKind

    account = LinkedAccountFactory(household=household)
    group = Thing.objects.create(
        household=household, account=account, kind=ThingKind.GROUP, cloud_id="g1matrix",
        item_type=3, name="Lights", params={"switch": "on"}, extra={"members": []},
    )  # fmt: skip
    return {"pk": group.pk}


ROUTES.update(
    {
        "dashboard:groups": Route("get", Role.GUEST),
        "dashboard:groups_add": Route(
            "post", Role.ADMIN, _account_of, {"name": "Lights", "main": ""}, cloud=True
        ),
        "dashboard:groups_rename": Route(
            "post", Role.ADMIN, _group_of, {"name": "Lamps"}, cloud=True
        ),
        "dashboard:groups_members": Route("post", Role.ADMIN, _group_of, {}, cloud=True),
        "dashboard:groups_delete": Route("get", Role.ADMIN, _group_of),
    }
)
# The household logbook and a thing's history (logbook/): everyone reads (guests without who
# did what); asking the cloud for newer history is a member's.
ROUTES.update(
    {
        "logbook:logbook": Route("get", Role.GUEST),
        "logbook:export_csv": Route("get", Role.GUEST),
        "logbook:export_json": Route("get", Role.GUEST),
        "logbook:thing_history": Route("get", Role.GUEST, _thing_of),
        "logbook:thing_history_fetch": Route("post", Role.MEMBER, _thing_of, cloud=True),
    }
)
# Routes every signed-in person may use whatever their role, or that are not a household's.
NOT_BY_ROLE = {
    "accounts:signup": "signed-out visitors",
    "accounts:login": "signed-out visitors",
    "accounts:logout": "anyone signed in",
    "accounts:password_change_done": "anyone signed in",
    "accounts:household_switch": "anyone, between their own households",
    "accounts:household_leave": "anyone but a last owner (tests/accounts/test_roles.py)",
    "accounts:invitation_accept": "an invitation's token, not a role",
    "accounts:invitation_signup": "an invitation's token, not a role",
    "accounts:link_oauth_callback": "the cloud's redirect, checked by its state",
    "healthz": "the launcher's liveness probe",
    "readyz": "the orchestrator's readiness probe (no household data in it)",
    "metrics": "a scraper's bearer token (METRICS_TOKEN), never a session: see below",
    "favicon": "the icon",
    "manifest": "the web app manifest (browsers fetch it without cookies)",
}


def _route_names(resolver: URLResolver | None = None, prefix: str = "") -> Iterator[str]:
    for entry in (resolver or get_resolver()).url_patterns:
        if isinstance(entry, URLResolver):
            if entry.namespace != "admin":
                yield from _route_names(
                    entry, f"{prefix}{entry.namespace}:" if entry.namespace else prefix
                )
        elif isinstance(entry, URLPattern) and entry.name:
            yield f"{prefix}{entry.name}"


def test_every_route_is_in_the_matrix():
    names = set(_route_names())
    missing = names - set(ROUTES) - set(NOT_BY_ROLE)
    assert not missing, f"add these routes to ROUTES or NOT_BY_ROLE: {sorted(missing)}"
    assert set(ROUTES) | set(NOT_BY_ROLE) <= names, "the matrix names a route that is gone"


def _refused(response: Any, route: Route) -> bool:
    """A 403 page in words, or back to a page with the refusal as an error message."""
    if response.status_code == 403:
        assert "You can't do that here" in response.content.decode()
        return True
    if route.cloud:
        return False
    errors = [m for m in get_messages(response.wsgi_request) if m.level == ERROR]
    return response.status_code == 302 and bool(errors)


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("name", sorted(ROUTES))
def test_each_role_is_allowed_or_refused_as_the_matrix_says(name, role, household, owner, request):
    route = ROUTES[name]
    if route.cloud:
        request.getfixturevalue("cloud")
    actor = owner if role == Role.OWNER else None
    if actor is None:
        membership = MembershipFactory(household=household, role=role)
        client = Client()
        client.force_login(membership.user)
    else:
        membership, client = actor.membership, actor.client
    kwargs = route.make(household)
    url = reverse(name, kwargs=kwargs)
    data = route.data(kwargs) if callable(route.data) else route.data

    response = getattr(client, route.method)(url, data)

    assert response.status_code != 404, "a household's own object is found"
    assert response.status_code < 500
    refused = _refused(response, route)
    assert refused == (RANK[role] < RANK[route.least]), (
        f"{role} on {name}: {'refused' if refused else 'allowed'} ({response.status_code})"
    )


@pytest.mark.parametrize("name", sorted(ROUTES))
def test_signed_out_visitors_are_sent_to_sign_in(name, household, client):
    route = ROUTES[name]
    response = getattr(client, route.method)(reverse(name, kwargs=route.make(household)))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("accounts:login"))


def test_a_refused_member_removal_leaves_the_member(household, member):
    target = MembershipFactory(household=household, role=Role.GUEST)
    member.client.post(reverse("accounts:member_remove", args=[target.pk]), CONFIRMED)
    assert Membership.objects.with_scopes_disabled().filter(pk=target.pk).exists()


@pytest.mark.parametrize("role", ROLES)
def test_no_role_reaches_the_metrics_without_the_token(role, household, settings):
    """/metrics is for a scraper's token, not for anyone signed in, however high their role."""
    settings.METRICS_TOKEN = "scraper-token-of-this-test"
    membership = MembershipFactory(household=household, role=role)
    client = Client()
    client.force_login(membership.user)
    assert client.get(reverse("metrics")).status_code == 401
    assert client.get(reverse("metrics"), HTTP_AUTHORIZATION="Bearer nope").status_code == 403
    ok = client.get(reverse("metrics"), HTTP_AUTHORIZATION="Bearer scraper-token-of-this-test")
    assert ok.status_code == 200
