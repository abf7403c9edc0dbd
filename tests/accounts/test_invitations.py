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
    url = reverse("accounts:invitation_revoke", args=[invitation.pk])
    assert owner.client.post(url, {"confirm": "yes"}).status_code == 302
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


def _invitation_count() -> int:
    with scopes_disabled():
        return Invitation.objects.count()


def test_members_and_guests_cannot_invite(member, guest):
    for persona in (member, guest):
        url = reverse("accounts:invitation_create")
        response = persona.client.post(url, {"role": "member"}, follow=True)
        assert "needs the admin role" in response.content.decode()
    assert _invitation_count() == 0


def test_admin_cannot_invite_an_owner_or_an_admin_and_is_told_why(admin):
    for role in (Role.OWNER, Role.ADMIN):
        url = reverse("accounts:invitation_create")
        response = admin.client.post(url, {"role": role}, follow=True)
        assert response.status_code == 200
        assert "you can give the member or guest role only" in response.content.decode()
    assert _invitation_count() == 0


def test_admin_is_offered_only_the_roles_they_may_give(admin, owner):
    admin_choices = admin.client.get(reverse("accounts:household")).context["invite_form"]
    assert [v for v, _ in admin_choices.fields["role"].choices] == [Role.MEMBER, Role.GUEST]
    owner_choices = owner.client.get(reverse("accounts:household")).context["invite_form"]
    assert [v for v, _ in owner_choices.fields["role"].choices] == list(Role.values)


def test_existing_member_cannot_accept_again(owner, member):
    token = _invite(owner)
    response = member.client.post(reverse("accounts:invitation_accept", args=[token]), follow=True)
    assert "already a member" in response.content.decode()


def test_anonymous_visitor_is_offered_sign_in(owner):
    token = _invite(owner)
    page = Client().get(reverse("accounts:invitation_accept", args=[token]))
    assert page.status_code == 200
    assert reverse("accounts:login") in page.content.decode()


def _invitation_page(token: str, client: Client | None = None) -> str:
    return (client or Client()).get(reverse("accounts:invitation_accept", args=[token]))


def _sign_up_invited(token: str, email: str, client: Client | None = None, **data: str):
    client = client or Client()
    url = reverse("accounts:invitation_signup", args=[token])
    return client.post(url, {"email": email, "password": "a long safe passphrase"} | data)


@pytest.mark.parametrize("mode", ["invite-only", "open"])
def test_an_invitee_signs_up_with_email_and_password_and_joins_without_a_household(
    owner, settings, mode
):
    settings.SIGNUP_MODE = mode
    token = _invite(owner, Role.GUEST)
    page = _invitation_page(token).content.decode()
    signup_url = reverse("accounts:invitation_signup", args=[token])
    assert signup_url in page
    form_page = Client().get(signup_url)
    assert set(form_page.context["form"].fields) == {"email", "password"}
    assert "you will be its owner" not in form_page.content.decode().lower()
    households_before = _household_count()
    browser = Client()
    response = _sign_up_invited(token, "newbie@example.com", browser)
    assert response.status_code == 302
    assert _household_count() == households_before
    with scopes_disabled():
        membership = Membership.objects.get(user__email="newbie@example.com")
    assert (membership.household, membership.role) == (owner.household, Role.GUEST)
    # Signed in, the invitation link now leads into the household.
    signed_in = browser.post(
        response.url, {"username": "newbie@example.com", "password": "a long safe passphrase"}
    )
    assert signed_in.status_code == 302
    home = browser.get(signed_in.url, follow=True)
    assert home.context["household"] == owner.household
    assert "Welcome to" in home.content.decode()


def _household_count() -> int:
    from accounts.models import Household

    return Household.objects.count()


def test_an_invitee_with_an_existing_email_gets_the_same_answer_and_joins_only_after_signing_in(
    owner,
):
    existing = UserFactory(email="known@example.com")
    token = _invite(owner)
    fresh_token = _invite(owner)
    taken = _sign_up_invited(token, "known@example.com", password="whatever it is now")
    new = _sign_up_invited(fresh_token, "other@example.com")
    assert taken.status_code == new.status_code == 302
    assert taken.url.replace(token, "T") == new.url.replace(fresh_token, "T")
    existing.refresh_from_db()
    assert not existing.check_password("whatever it is now")
    with scopes_disabled():
        assert not Membership.objects.filter(user=existing).exists()


def test_invitation_sign_up_refused_when_sign_up_is_closed(owner, settings):
    settings.SIGNUP_MODE = "closed"
    token = _invite(owner)
    assert (
        reverse("accounts:invitation_signup", args=[token])
        not in _invitation_page(token).content.decode()
    )
    assert _sign_up_invited(token, "newbie@example.com").status_code == 403
    assert not UserFactory._meta.model.objects.filter(username="newbie@example.com").exists()


def test_invitation_sign_up_with_a_used_link_creates_nobody(owner):
    token = _invite(owner)
    _client_for("first@example.com").post(reverse("accounts:invitation_accept", args=[token]))
    assert _sign_up_invited(token, "late@example.com").status_code == 404
    assert not UserFactory._meta.model.objects.filter(username="late@example.com").exists()


def test_an_invitation_grants_no_more_than_its_sender_may_grant_today(owner, admin):
    token = _invite(admin, Role.MEMBER)
    admin_invites_admin = _invite(owner, Role.ADMIN)
    services.change_role(owner.membership, admin.membership, Role.MEMBER)  # admin demoted
    joiner = _client_for("joiner@example.com")
    page = joiner.post(reverse("accounts:invitation_accept", args=[token]), follow=True)
    assert "can no longer be used" in page.content.decode()
    with scopes_disabled():
        assert not Membership.objects.filter(user__email="joiner@example.com").exists()
    # The owner still may give the admin role: their invitation still works.
    assert joiner.post(reverse("accounts:invitation_accept", args=[admin_invites_admin]))
    with scopes_disabled():
        assert Membership.objects.get(user__email="joiner@example.com").role == Role.ADMIN


def test_an_invitation_of_someone_who_left_is_refused(owner, admin):
    token = _invite(admin, Role.GUEST)
    services.leave_household(admin.membership)
    with pytest.raises(services.HouseholdError, match="can no longer be used"):
        services.accept_invitation(token, UserFactory(email="x@example.com"))
    assert _sign_up_invited(token, "y@example.com").status_code == 200
    assert not UserFactory._meta.model.objects.filter(username="y@example.com").exists()


def test_withdrawing_an_invitation_asks_first(owner):
    _invite(owner)
    with scopes_disabled():
        invitation = Invitation.objects.get()
    url = reverse("accounts:invitation_revoke", args=[invitation.pk])
    asked = owner.client.post(url)
    assert asked.status_code == 200
    assert "Withdraw the member invitation" in asked.content.decode()
    invitation.refresh_from_db()
    assert invitation.revoked_at is None
    owner.client.post(url, {"confirm": "yes"})
    invitation.refresh_from_db()
    assert invitation.revoked_at is not None


def test_guests_and_members_cannot_withdraw_invitations(owner, member):
    _invite(owner)
    with scopes_disabled():
        invitation = Invitation.objects.get()
    url = reverse("accounts:invitation_revoke", args=[invitation.pk])
    page = member.client.post(url, {"confirm": "yes"}, follow=True).content.decode()
    assert "Only an admin or an owner can withdraw invitations" in page
    invitation.refresh_from_db()
    assert invitation.revoked_at is None
