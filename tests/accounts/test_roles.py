import pytest
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


def test_admin_cannot_change_an_owner(admin, owner):
    url = reverse("accounts:member_role", args=[owner.membership.pk])
    assert admin.client.post(url, {"role": "guest"}).status_code == 403
    assert _role_of(owner.membership) == Role.OWNER


def test_admin_cannot_promote_to_owner(admin, member):
    url = reverse("accounts:member_role", args=[member.membership.pk])
    assert admin.client.post(url, {"role": "owner"}).status_code == 403


def test_member_cannot_change_roles(member, guest):
    url = reverse("accounts:member_role", args=[guest.membership.pk])
    assert member.client.post(url, {"role": "admin"}).status_code == 403
    assert _role_of(guest.membership) == Role.GUEST


def test_bad_role_value_is_a_message_not_a_crash(owner, member):
    url = reverse("accounts:member_role", args=[member.membership.pk])
    response = owner.client.post(url, {"role": "emperor"}, follow=True)
    assert "Choose a valid role" in response.content.decode()
    assert _role_of(member.membership) == Role.MEMBER


def test_remove_member(owner, member):
    url = reverse("accounts:member_remove", args=[member.membership.pk])
    assert owner.client.post(url).status_code == 302
    with scopes_disabled():
        assert not Membership.objects.filter(pk=member.membership.pk).exists()


def test_last_owner_cannot_leave_be_demoted_or_removed(owner):
    response = owner.client.post(reverse("accounts:household_leave"), follow=True)
    assert "last owner cannot leave" in response.content.decode()
    with pytest.raises(services.HouseholdError, match="last owner"):
        services.change_role(owner.membership, owner.membership, Role.MEMBER)
    with pytest.raises(services.HouseholdError, match="last owner"):
        services.remove_member(owner.membership, owner.membership)
    assert _role_of(owner.membership) == Role.OWNER


def test_an_owner_can_leave_when_another_owner_remains(owner):
    MembershipFactory(household=owner.household, role=Role.OWNER)
    assert owner.client.post(reverse("accounts:household_leave")).status_code == 302
    with scopes_disabled():
        assert not Membership.objects.filter(pk=owner.membership.pk).exists()


def test_member_leaves(member):
    assert member.client.post(reverse("accounts:household_leave")).status_code == 302
    with scopes_disabled():
        assert not Membership.objects.filter(pk=member.membership.pk).exists()


def test_guest_sees_the_household_page_without_management(guest):
    page = guest.client.get(reverse("accounts:household"))
    assert page.status_code == 200
    assert page.context["can_manage"] is False
    assert "Create invitation link" not in page.content.decode()
