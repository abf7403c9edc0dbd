from django.urls import reverse

from accounts.models import Role
from tests.factories import HouseholdFactory, MembershipFactory


def test_user_with_two_households_switches_between_them(owner):
    owner.client.get(reverse("dashboard:home"))  # pins the first household in the session
    second = HouseholdFactory(name="Holiday flat")
    MembershipFactory(user=owner.user, household=second, role=Role.GUEST)
    page = owner.client.get(reverse("dashboard:home"))
    assert page.context["household"] == owner.household
    assert len(page.context["all_memberships"]) == 2
    owner.client.post(reverse("accounts:household_switch"), {"household": second.pk})
    page = owner.client.get(reverse("dashboard:home"))
    assert page.context["household"] == second
    assert page.context["membership"].role == Role.GUEST


def test_cannot_switch_into_a_foreign_household(owner, outsider):
    response = owner.client.post(
        reverse("accounts:household_switch"), {"household": outsider.household.pk}, follow=True
    )
    assert "not a member" in response.content.decode()
    assert response.context["household"] == owner.household


def test_household_page_lists_only_its_own_members(owner, member, outsider):
    page = owner.client.get(reverse("accounts:household"))
    emails = {row["membership"].user.email for row in page.context["rows"]}
    assert emails == {owner.user.email, member.user.email}
