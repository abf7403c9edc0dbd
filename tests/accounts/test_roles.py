import pytest
from django.core.exceptions import PermissionDenied
from django.urls import reverse
from django_scopes import scopes_disabled

from accounts import services
from accounts.models import Membership, Role
from tests.factories import MembershipFactory


def _role_of(membership: Membership) -> str:
    with scopes_disabled():
        return Membership.objects.get(pk=membership.pk).role


def test_owner_changes_a_members_role(owner, member):
    url = reverse("accounts:member_role", args=[member.membership.pk])
    assert owner.client.post(url, {"role": "admin"}).status_code == 302
    assert _role_of(member.membership) == Role.ADMIN


def test_owner_sees_a_confirmation_of_a_saved_role_change(owner, member):
    url = reverse("accounts:member_role", args=[member.membership.pk])
    page = owner.client.post(url, {"role": "guest"}, follow=True).content.decode()
    assert "is now a guest" in page


def test_admin_cannot_change_an_owner_and_is_told_why(admin, owner):
    url = reverse("accounts:member_role", args=[owner.membership.pk])
    response = admin.client.post(url, {"role": "guest"}, follow=True)
    assert response.status_code == 200
    assert "Only an owner can change or remove an admin or an owner" in response.content.decode()
    assert _role_of(owner.membership) == Role.OWNER


def test_admin_cannot_promote_to_owner_or_admin(admin, member):
    url = reverse("accounts:member_role", args=[member.membership.pk])
    for role in ("owner", "admin"):
        page = admin.client.post(url, {"role": role}, follow=True).content.decode()
        assert "member or guest role only" in page
    assert _role_of(member.membership) == Role.MEMBER


def test_admin_cannot_demote_or_remove_another_admin(admin, household):
    other = MembershipFactory(household=household, role=Role.ADMIN)
    role_url = reverse("accounts:member_role", args=[other.pk])
    page = admin.client.post(role_url, {"role": "guest"}, follow=True).content.decode()
    assert "Only an owner" in page
    remove_url = reverse("accounts:member_remove", args=[other.pk])
    page = admin.client.post(remove_url, {"confirm": "yes"}, follow=True).content.decode()
    assert "Only an owner can remove an admin" in page
    assert _role_of(other) == Role.ADMIN
    with pytest.raises(PermissionDenied):
        services.change_role(admin.membership, other, Role.MEMBER)


def test_admin_manages_members_and_guests(admin, member, guest):
    url = reverse("accounts:member_role", args=[member.membership.pk])
    admin.client.post(url, {"role": "guest"})
    assert _role_of(member.membership) == Role.GUEST
    admin.client.post(reverse("accounts:member_remove", args=[guest.membership.pk]), _CONFIRM)
    with scopes_disabled():
        assert not Membership.objects.filter(pk=guest.membership.pk).exists()


def test_owner_manages_admins(owner, admin):
    url = reverse("accounts:member_role", args=[admin.membership.pk])
    owner.client.post(url, {"role": "member"})
    assert _role_of(admin.membership) == Role.MEMBER


def test_admin_is_offered_no_controls_over_owners_or_admins(admin, owner, member, household):
    other_admin = MembershipFactory(household=household, role=Role.ADMIN)
    rows = {
        row["membership"].pk: row
        for row in admin.client.get(reverse("accounts:household")).context["rows"]
    }
    assert not rows[owner.membership.pk]["manageable"]
    assert not rows[other_admin.pk]["manageable"]
    assert rows[member.membership.pk]["manageable"]
    assert [v for v, _ in rows[member.membership.pk]["roles"]] == [Role.MEMBER, Role.GUEST]
    page = admin.client.get(reverse("accounts:household")).content.decode()
    assert reverse("accounts:member_remove", args=[owner.membership.pk]) not in page
    assert reverse("accounts:member_role", args=[owner.membership.pk]) not in page


def test_member_cannot_change_roles(member, guest):
    url = reverse("accounts:member_role", args=[guest.membership.pk])
    page = member.client.post(url, {"role": "admin"}, follow=True).content.decode()
    assert "needs the admin role" in page
    assert _role_of(guest.membership) == Role.GUEST


def test_bad_role_value_is_a_message_not_a_crash(owner, member):
    url = reverse("accounts:member_role", args=[member.membership.pk])
    response = owner.client.post(url, {"role": "emperor"}, follow=True)
    assert "Choose a valid role" in response.content.decode()
    assert _role_of(member.membership) == Role.MEMBER


_CONFIRM = {"confirm": "yes"}


def test_remove_member_asks_first_and_only_the_confirmation_removes(owner, member):
    url = reverse("accounts:member_remove", args=[member.membership.pk])
    asked = owner.client.post(url)
    assert asked.status_code == 200
    page = asked.content.decode()
    assert f"Remove {member.user.email} from {owner.household.name}" in page
    assert 'name="confirm" value="yes"' in page
    with scopes_disabled():
        assert Membership.objects.filter(pk=member.membership.pk).exists()
    assert owner.client.post(url, _CONFIRM).status_code == 302
    with scopes_disabled():
        assert not Membership.objects.filter(pk=member.membership.pk).exists()


def test_last_owner_cannot_leave_be_demoted_or_removed(owner):
    # Refused before being asked to confirm, and again if the confirmation is posted anyway.
    for data in ({}, _CONFIRM):
        response = owner.client.post(reverse("accounts:household_leave"), data, follow=True)
        assert "last owner cannot leave" in response.content.decode()
    with pytest.raises(services.HouseholdError, match="last owner"):
        services.change_role(owner.membership, owner.membership, Role.MEMBER)
    with pytest.raises(services.HouseholdError, match="last owner"):
        services.remove_member(owner.membership, owner.membership)
    assert _role_of(owner.membership) == Role.OWNER


def test_an_owner_can_leave_when_another_owner_remains(owner):
    MembershipFactory(household=owner.household, role=Role.OWNER)
    url = reverse("accounts:household_leave")
    assert owner.client.post(url, _CONFIRM).status_code == 302
    with scopes_disabled():
        assert not Membership.objects.filter(pk=owner.membership.pk).exists()


def test_leaving_asks_first(member):
    asked = member.client.post(reverse("accounts:household_leave"))
    assert asked.status_code == 200
    assert f"Leave {member.household.name}?" in asked.content.decode()
    with scopes_disabled():
        assert Membership.objects.filter(pk=member.membership.pk).exists()
    assert member.client.post(reverse("accounts:household_leave"), _CONFIRM).status_code == 302
    with scopes_disabled():
        assert not Membership.objects.filter(pk=member.membership.pk).exists()


def test_guest_sees_the_household_page_without_management(guest):
    page = guest.client.get(reverse("accounts:household"))
    assert page.status_code == 200
    assert page.context["can_manage"] is False
    assert "Create invitation link" not in page.content.decode()


def test_guest_sees_names_and_roles_but_no_emails_nor_invitations(owner, member, guest):
    owner.client.post(
        reverse("accounts:invitation_create"), {"role": "member", "email": "aunt@example.com"}
    )
    page = guest.client.get(reverse("accounts:household"))
    html = page.content.decode()
    assert page.context["invitations"] == []
    assert "aunt@example.com" not in html
    for persona in (owner, member):
        assert persona.user.email not in html
        assert persona.user.email.split("@")[0] in html
    assert "Owner" in html
    # A member sees the emails.
    assert owner.user.email in member.client.get(reverse("accounts:household")).content.decode()
