"""Household services: sign-up, invitations, roles. Views and tests call these, never the ORM."""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.utils import timezone
from django_scopes import scopes_disabled

from accounts.models import ROLE_RANK, Household, Invitation, Membership, Role, hash_token


class HouseholdError(Exception):
    """A household rule was broken; the message is safe to show to the user."""


def sign_up(email: str, password: str, household_name: str) -> tuple[AbstractBaseUser, Household]:
    """Create a user (signing in by email) and a new household they own."""
    user_model = get_user_model()
    email = user_model.objects.normalize_email(email).lower()
    with transaction.atomic():
        user = user_model.objects.create_user(username=email, email=email, password=password)
        household = create_household(user, household_name)
    return user, household


def create_household(user: AbstractBaseUser, name: str) -> Household:
    """A new household with `user` as its owner."""
    with transaction.atomic():
        household = Household.objects.create(name=name.strip())
        with scopes_disabled():
            Membership.objects.create(user=user, household=household, role=Role.OWNER)
    return household


def memberships_of(user: AbstractBaseUser) -> list[Membership]:
    """Every household the user belongs to: the one query that crosses households on purpose."""
    with scopes_disabled():
        return list(
            Membership.objects.filter(user=user)
            .select_related("household")
            .order_by("household__name", "household_id")
        )


def require_role(membership: Membership | None, minimum: str) -> Membership:
    """The caller's membership if it is at least `minimum`, else PermissionDenied (403)."""
    if membership is None or not membership.has_role(minimum):
        raise PermissionDenied(f"This needs the {Role(minimum).label.lower()} role or higher.")
    return membership


def create_invitation(actor: Membership, role: str, email: str = "") -> tuple[Invitation, str]:
    """A single-use invitation link; returns the invitation and the raw token (shown once)."""
    require_role(actor, Role.ADMIN)
    _check_may_grant(actor, role)
    token = Invitation.new_token()
    invitation = Invitation.objects.create(
        household=actor.household,
        role=role,
        email=email,
        token_hash=hash_token(token),
        created_by=actor.user,
        expires_at=timezone.now() + settings.INVITATION_TTL,
    )
    return invitation, token


def find_invitation(token: str) -> Invitation | None:
    """The invitation a link points at, whatever its state, or None for an unknown token."""
    with scopes_disabled():
        return (
            Invitation.objects.select_related("household")
            .filter(token_hash=hash_token(token))
            .first()
        )


def accept_invitation(token: str, user: AbstractBaseUser) -> Membership:
    """Join the invitation's household; the link cannot be used again."""
    with transaction.atomic(), scopes_disabled():
        invitation = (
            Invitation.objects.select_for_update()
            .select_related("household")
            .filter(token_hash=hash_token(token))
            .first()
        )
        if invitation is None or not invitation.is_usable():
            raise HouseholdError(_unusable_reason(invitation))
        if Membership.objects.filter(user=user, household=invitation.household).exists():
            raise HouseholdError(f"You are already a member of {invitation.household}.")
        membership = Membership.objects.create(
            user=user, household=invitation.household, role=invitation.role
        )
        invitation.accepted_by = user
        invitation.accepted_at = timezone.now()
        invitation.save(update_fields=["accepted_by", "accepted_at"])
    return membership


def _unusable_reason(invitation: Invitation | None) -> str:
    if invitation is None:
        return "This invitation link is not valid."
    return {
        "accepted": "This invitation has already been used.",
        "revoked": "This invitation was withdrawn.",
        "expired": "This invitation has expired. Ask for a new one.",
    }.get(invitation.status, "This invitation link is not valid.")


def revoke_invitation(actor: Membership, invitation: Invitation) -> None:
    require_role(actor, Role.ADMIN)
    if invitation.accepted_at is None and invitation.revoked_at is None:
        invitation.revoked_at = timezone.now()
        invitation.save(update_fields=["revoked_at"])


def change_role(actor: Membership, target: Membership, role: str) -> None:
    """Admins manage members and guests; only owners grant or take away ownership."""
    require_role(actor, Role.ADMIN)
    _check_may_manage(actor, target)
    _check_may_grant(actor, role)
    with transaction.atomic():
        if target.role == Role.OWNER and role != Role.OWNER:
            _check_not_last_owner(target, "demote")
        target.role = role
        target.save(update_fields=["role"])


def remove_member(actor: Membership, target: Membership) -> None:
    require_role(actor, Role.ADMIN)
    _check_may_manage(actor, target)
    with transaction.atomic():
        _check_not_last_owner(target, "remove")
        target.delete()


def leave_household(membership: Membership) -> None:
    """Leave a household; the last owner must hand over ownership first."""
    with transaction.atomic():
        _check_not_last_owner(membership, "leave")
        membership.delete()


def _check_may_grant(actor: Membership, role: str) -> None:
    if role not in Role.values:
        raise HouseholdError(f"Unknown role {role!r}.")
    if ROLE_RANK[Role(role)] > ROLE_RANK[Role(actor.role)]:
        raise PermissionDenied("You cannot grant a role above your own.")


def _check_may_manage(actor: Membership, target: Membership) -> None:
    if target.role == Role.OWNER and actor.role != Role.OWNER:
        raise PermissionDenied("Only an owner can change or remove another owner.")


def _check_not_last_owner(membership: Membership, verb: str) -> None:
    if membership.role != Role.OWNER:
        return
    owners = (
        Membership.objects.with_scopes_disabled()
        .select_for_update()
        .filter(household_id=membership.household_id, role=Role.OWNER)
    )
    if len(owners.values_list("pk", flat=True)) <= 1:  # no COUNT: it cannot lock rows
        what = {"leave": "leave", "remove": "be removed", "demote": "be demoted"}[verb]
        raise HouseholdError(f"The last owner cannot {what}. Make someone else an owner first.")
