"""How a view reaches one object of the signed-in user's current household.

One helper (as healthchecks' `_get_check_for_user`): the object of the current household,
else a 404 that does not confirm another household's object exists, together with what the
user may do to it. The household filter is explicit on top of the ORM scope, so the rule
holds even where a scope is off.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Generic, TypeVar

from django.core.exceptions import PermissionDenied
from django.db.models import Model, QuerySet
from django.http import Http404, HttpRequest
from django.shortcuts import get_object_or_404

from accounts.models import Membership, Role

ObjectT = TypeVar("ObjectT", bound=Model)


@dataclass(frozen=True)
class Access(Generic[ObjectT]):
    """An object of the current household and the membership that reached it."""

    obj: ObjectT
    membership: Membership

    @property
    def may_control(self) -> bool:
        """Members and up act on things; guests only look."""
        return self.membership.has_role(Role.MEMBER)

    @property
    def may_manage(self) -> bool:
        """Admins and owners manage accounts, invitations and people."""
        return self.membership.has_role(Role.ADMIN)

    def require(self, minimum: str) -> ObjectT:
        """The object if the user's role is at least `minimum`, else a 403 in words."""
        if not self.membership.has_role(minimum):
            label = Role(minimum).label.lower()
            raise PermissionDenied(f"This needs the {label} role or higher.")
        return self.obj


def household_object(
    request: HttpRequest, source: type[ObjectT] | QuerySet[ObjectT], pk: int
) -> Access[ObjectT]:
    """The object `pk` of the request's current household with the user's rights, or 404."""
    membership: Membership | None = getattr(request, "membership", None)
    if membership is None:
        raise Http404("No household.")
    obj = get_object_or_404(source, pk=pk, household_id=membership.household_id)
    return Access(obj, membership)
