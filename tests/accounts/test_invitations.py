from datetime import timedelta

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from django_scopes import scopes_disabled

from accounts import services
from accounts.models import Invitation, Membership, Role
from tests.factories import UserFactory


def _invite(persona, role=Role.MEMBER) -> str:
    response = persona.client.post(reverse("accounts:invitation_create"), {"role": role})
    assert response.status_code == 302
    page = persona.client.get(reverse("accounts:household"))
    link = page.context["new_link"]
    assert link
    assert "/accounts/invite/" in link
    return link.split("/accounts/invite/")[1].strip("/")


def _client_for(email: str) -> Client:
    client = Client()
    client.force_login(UserFactory(email=email))
    return client


def test_invitation_link_is_shown_once_and_accepting_joins_with_the_role(owner):
    token = _invite(owner, Role.GUEST)
    assert owner.client.get(reverse("accounts:household")).context["new_link"] is None
    joiner = _client_for("new@example.com")
    url = reverse("accounts:invitation_accept", args=[token])
    assert owner.household.name in joiner.get(url).content.decode()
    assert joiner.post(url).status_code == 302
    with scopes_disabled():
        membership = Membership.objects.get(user__email="new@example.com")
    assert membership.household == owner.household
    assert membership.role == Role.GUEST


def test_invitation_is_single_use(owner):
    token = _invite(owner)
    first = _client_for("first@example.com")
    second = _client_for("second@example.com")
    url = reverse("accounts:invitation_accept", args=[token])
    first.post(url)
    response = second.post(url, follow=True)
    assert "already been used" in response.content.decode()
    with scopes_disabled():
        assert not Membership.objects.filter(user__email="second@example.com").exists()


def test_expired_invitation_cannot_be_accepted(owner):
    token = _invite(owner)
    with scopes_disabled():
        Invitation.objects.update(expires_at=timezone.now() - timedelta(seconds=1))
    joiner = UserFactory(email="late@example.com")
    with pytest.raises(services.HouseholdError, match="expired"):
        services.accept_invitation(token, joiner)
    page = Client().get(reverse("accounts:invitation_accept", args=[token]))
    assert page.status_code == 404


def test_revoked_invitation_cannot_be_accepted(owner):
    token = _invite(owner)
    with scopes_disabled():
        invitation = Invitation.objects.get()
    assert (
        owner.client.post(reverse("accounts:invitation_revoke", args=[invitation.pk])).status_code
        == 302
    )
    with pytest.raises(services.HouseholdError, match="withdrawn"):
        services.accept_invitation(token, UserFactory(email="x@example.com"))


def test_unknown_token_is_404(client, db):
    assert client.get(reverse("accounts:invitation_accept", args=["nope"])).status_code == 404


def test_only_the_token_hash_is_stored(owner):
    token = _invite(owner)
    with scopes_disabled():
        invitation = Invitation.objects.get()
    assert token not in invitation.token_hash
    assert len(invitation.token_hash) == 64


def test_members_and_guests_cannot_invite(member, guest):
    for persona in (member, guest):
        response = persona.client.post(reverse("accounts:invitation_create"), {"role": "member"})
        assert response.status_code == 403


def test_admin_cannot_invite_an_owner(admin):
    response = admin.client.post(reverse("accounts:invitation_create"), {"role": "owner"})
    assert response.status_code == 403


def test_existing_member_cannot_accept_again(owner, member):
    token = _invite(owner)
    response = member.client.post(reverse("accounts:invitation_accept", args=[token]), follow=True)
    assert "already a member" in response.content.decode()


def test_anonymous_visitor_is_offered_sign_in(owner):
    token = _invite(owner)
    page = Client().get(reverse("accounts:invitation_accept", args=[token]))
    assert page.status_code == 200
    assert reverse("accounts:login") in page.content.decode()
