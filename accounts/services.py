"""Household services: sign-up, invitations, roles. Views and tests call these, never the ORM."""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import AbstractBaseUser
from django.core.cache import cache
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.utils import timezone
from django_scopes import scopes_disabled

from accounts.models import (
    Household,
    Invitation,
    Membership,
    Role,
    hash_token,
    validate_time_zone,
)


class HouseholdError(Exception):
    """A household rule was broken; the message is safe to show to the user."""


def sign_up(email: str, password: str, household_name: str) -> tuple[AbstractBaseUser, Household]:
    """Create a user (signing in by email) and a new household they own."""
    with transaction.atomic():
        user = _create_user(email, password)
        household = create_household(user, household_name)
    return user, household


def sign_up_invited(email: str, password: str, token: str) -> Membership:
    """Create a user who joins the invitation's household with its role (and makes none)."""
    with transaction.atomic():
        user = _create_user(email, password)
        return accept_invitation(token, user)


def _create_user(email: str, password: str) -> AbstractBaseUser:
    email = normalized_email(email)
    return get_user_model().objects.create_user(username=email, email=email, password=password)


def normalized_email(email: str) -> str:
    return get_user_model().objects.normalize_email(email.strip()).lower()


def email_is_taken(email: str) -> bool:
    return get_user_model().objects.filter(username__iexact=normalized_email(email)).exists()


def signup_allowed(*keys: str) -> bool:
    """Count one sign-up attempt against each key (client address, email); False past the
    hourly limit. The counters live in the cache and expire an hour after the first attempt."""
    allowed = True
    for key in keys:
        cache_key = f"signup-attempts:{hash_token(key)}"
        cache.add(cache_key, 0, timeout=3600)
        try:
            attempts = cache.incr(cache_key)
        except ValueError:  # expired between add and incr
            cache.set(cache_key, 1, timeout=3600)
            attempts = 1
        allowed = allowed and attempts <= settings.SIGNUP_RATE_PER_HOUR
    return allowed


def display_name(user: AbstractBaseUser) -> str:
    """How a person is shown to those who may not see email addresses (guests)."""
    full = user.get_full_name().strip()  # type: ignore[attr-defined]
    email = str(getattr(user, "email", "") or user.get_username())
    return full or email.split("@", 1)[0]


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


def set_time_zone(actor: Membership, name: str) -> Household:
    """Owners and admins choose the zone the household's times are shown in."""
    require_role(actor, Role.ADMIN)
    validate_time_zone(name)
    household = actor.household
    household.time_zone = name
    household.save(update_fields=["time_zone"])
    return household


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
        _check_inviter_may_still_grant(invitation)
        if Membership.objects.filter(user=user, household=invitation.household).exists():
            raise HouseholdError(f"You are already a member of {invitation.household}.")
        membership = Membership.objects.create(
            user=user, household=invitation.household, role=invitation.role
        )
        invitation.accepted_by = user
        invitation.accepted_at = timezone.now()
        invitation.save(update_fields=["accepted_by", "accepted_at"])
    return membership


def check_invitation(token: str) -> Invitation:
    """The invitation if it can be accepted now, else HouseholdError saying why."""
    invitation = find_invitation(token)
    if invitation is None or not invitation.is_usable():
        raise HouseholdError(_unusable_reason(invitation))
    with scopes_disabled():
        _check_inviter_may_still_grant(invitation)
    return invitation


def _check_inviter_may_still_grant(invitation: Invitation) -> None:
    """An invitation grants no more than its sender may grant today (they may have been
    demoted, or have left, since they sent it): else it is refused, not silently capped."""
    inviter = Membership.objects.filter(
        household_id=invitation.household_id, user_id=invitation.created_by_id
    ).first()
    if inviter is None or invitation.role not in grantable_roles(inviter):
        role = Role(invitation.role).label.lower()
        raise HouseholdError(
            f"This invitation can no longer be used: whoever sent it may no longer make "
            f"someone {_article(role)} {role}. Ask the household for a new link."
        )


def _article(word: str) -> str:
    return "an" if word[:1] in "aeiou" else "a"


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


def grantable_roles(actor: Membership) -> list[str]:
    """The roles `actor` may give by invitation or role change: owners any, admins member
    and guest (only owners manage admins), everyone else none."""
    if actor.role == Role.OWNER:
        return list(Role.values)
    if actor.role == Role.ADMIN:
        return [Role.MEMBER, Role.GUEST]
    return []


def may_manage(actor: Membership, target: Membership) -> bool:
    """Whether `actor` may change `target`'s role or remove them."""
    if actor.role == Role.OWNER:
        return True
    return actor.role == Role.ADMIN and target.role in (Role.MEMBER, Role.GUEST)


def change_role(actor: Membership, target: Membership, role: str) -> None:
    """Admins manage members and guests; only owners manage admins and owners."""
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


LAST_OWNER_LEAVES = "The last owner cannot leave. Make someone else an owner first."


def is_last_owner(membership: Membership) -> bool:
    """For the page (no lock): the service re-checks under a lock when it acts."""
    if membership.role != Role.OWNER:
        return False
    owners = Membership.objects.with_scopes_disabled().filter(
        household_id=membership.household_id, role=Role.OWNER
    )
    return owners.count() <= 1


def leave_household(membership: Membership) -> None:
    """Leave a household; the last owner must hand over ownership first."""
    with transaction.atomic():
        _check_not_last_owner(membership, "leave")
        membership.delete()


def _check_may_grant(actor: Membership, role: str) -> None:
    if role not in Role.values:
        raise HouseholdError(f"Unknown role {role!r}.")
    if role not in grantable_roles(actor):
        allowed = " or ".join(Role(r).label.lower() for r in grantable_roles(actor)) or "none"
        raise PermissionDenied(
            f"As {_article(actor.role)} {Role(actor.role).label.lower()} you can give the "
            f"{allowed} role only."
        )


def _check_may_manage(actor: Membership, target: Membership) -> None:
    if not may_manage(actor, target):
        raise PermissionDenied("Only an owner can change or remove an admin or an owner.")


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
