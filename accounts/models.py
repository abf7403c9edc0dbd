"""Households (the tenants), their memberships and invitations."""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime, tzinfo
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.utils import timezone
from django.utils.formats import date_format
from django_scopes import ScopedManager

from accounts.crypto import EncryptedTextField
from dashboard.when import zone_named, zone_names


class Role(models.TextChoices):
    OWNER = "owner", "Owner"
    ADMIN = "admin", "Admin"
    MEMBER = "member", "Member"
    GUEST = "guest", "Guest"


# Higher rank may do everything a lower rank may.
ROLE_RANK = {Role.GUEST: 0, Role.MEMBER: 1, Role.ADMIN: 2, Role.OWNER: 3}


def household_scoped() -> models.Manager:  # type: ignore[type-arg]
    """The one manager every household-owned model uses: queries fail outside a scope."""
    return ScopedManager(household="household")


def default_time_zone() -> str:
    """A new household's zone: the site's (settings.TIME_ZONE)."""
    return str(settings.TIME_ZONE)


def validate_time_zone(name: str) -> None:
    """An IANA zone name this machine knows ("Europe/Berlin")."""
    if name not in zone_names():
        raise ValidationError(f"“{name}” is not a time zone. Choose one like Europe/Berlin.")


class Household(models.Model):
    """A family: the tenant every piece of household data belongs to."""

    name = models.CharField(max_length=100)
    created_at = models.DateTimeField(auto_now_add=True)
    # Bumped with every change of homes, rooms or things a page draws (devices/structure.py).
    structure_version = models.PositiveIntegerField(default=0, editable=False)
    time_zone = models.CharField(
        max_length=64,
        default=default_time_zone,
        validators=[validate_time_zone],
        help_text="Times are shown in this zone (an IANA name such as Europe/Berlin)",
    )

    class Meta:
        ordering = ["name", "pk"]

    def __str__(self) -> str:
        return self.name

    @property
    def zone(self) -> tzinfo:
        """The household's zone; the site's if the stored name is unknown here."""
        return zone_named(self.time_zone)


class Membership(models.Model):
    """A user's place in a household, with the role that decides what they may do."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="memberships"
    )
    household = models.ForeignKey(Household, on_delete=models.CASCADE, related_name="memberships")
    role = models.CharField(max_length=10, choices=Role.choices, default=Role.MEMBER)
    joined_at = models.DateTimeField(auto_now_add=True)

    objects = household_scoped()

    class Meta:
        ordering = ["joined_at", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["user", "household"], name="one_membership_per_user")
        ]

    def __str__(self) -> str:
        return f"{self.user} in {self.household} ({self.role})"

    def has_role(self, minimum: str) -> bool:
        return ROLE_RANK[Role(self.role)] >= ROLE_RANK[Role(minimum)]


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


class Invitation(models.Model):
    """A single-use, expiring link that makes whoever accepts it a member with `role`.

    Only the token's hash is stored, so a database leak does not leak usable links.
    """

    household = models.ForeignKey(Household, on_delete=models.CASCADE, related_name="invitations")
    role = models.CharField(max_length=10, choices=Role.choices, default=Role.MEMBER)
    email = models.EmailField(blank=True, help_text="Optional: who the link is meant for.")
    token_hash = models.CharField(max_length=64, unique=True, editable=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField()
    accepted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    accepted_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    objects = household_scoped()

    class Meta:
        ordering = ["-created_at", "-pk"]

    def __str__(self) -> str:
        return f"Invitation to {self.household} as {self.role}"

    @staticmethod
    def new_token() -> str:
        return secrets.token_urlsafe(32)

    def is_usable(self, now: datetime | None = None) -> bool:
        now = now or timezone.now()
        return self.accepted_at is None and self.revoked_at is None and self.expires_at > now

    @property
    def status(self) -> str:
        if self.accepted_at:
            return "accepted"
        if self.revoked_at:
            return "revoked"
        return "pending" if self.expires_at > timezone.now() else "expired"


class LinkStatus(models.TextChoices):
    ACTIVE = "active", "Active"
    NEEDS_RELINK = "needs_relink", "Needs relink"
    DISABLED = "disabled", "Disabled"
    # Unlinked by the household: hidden and idle, its data kept until `purge_after` so that
    # relinking the same eWeLink account restores it.
    UNLINKED = "unlinked", "Unlinked"


class LinkMethod(models.TextChoices):
    PASSWORD = "password", "Password"
    OAUTH = "oauth", "eWeLink authorization (OAuth)"
    SMS_CODE = "sms_code", "SMS code"
    REGISTERED = "registered", "New eWeLink account"


class ConnectionState(models.TextChoices):
    OFFLINE = "offline", "Offline"
    CONNECTING = "connecting", "Connecting"
    ONLINE = "online", "Online"


class LinkedAccount(models.Model):
    """An eWeLink cloud account linked to a household, with its encrypted tokens.

    One eWeLink account is linked once per deployment (unique `apikey`): a second session for
    the same app would invalidate the first.
    """

    household = models.ForeignKey(Household, on_delete=models.CASCADE, related_name="accounts")
    label = models.CharField(max_length=100)
    identifier = models.CharField(max_length=254, help_text="Email or phone number used to sign in")
    country_code = models.CharField(max_length=8, blank=True)
    region = models.CharField(max_length=2)
    apikey = models.CharField(max_length=64, unique=True, help_text="The eWeLink user id")
    method = models.CharField(max_length=10, choices=LinkMethod.choices)
    access_token = EncryptedTextField(blank=True)
    refresh_token = EncryptedTextField(blank=True)
    access_expires_at = models.DateTimeField(null=True, blank=True)
    refresh_expires_at = models.DateTimeField(null=True, blank=True)
    tokens_refreshed_at = models.DateTimeField(null=True, blank=True)
    status = models.CharField(max_length=16, choices=LinkStatus.choices, default=LinkStatus.ACTIVE)
    last_error = models.TextField(blank=True)
    last_sync_at = models.DateTimeField(null=True, blank=True)
    # When the stored sync's cloud reads began: a sync that began before it read an older
    # cloud and is not stored over it (two syncs of one account can overlap and end in any order).
    synced_as_of = models.DateTimeField(null=True, blank=True)
    connection_state = models.CharField(
        max_length=12, choices=ConnectionState.choices, default=ConnectionState.OFFLINE
    )
    connection_changed_at = models.DateTimeField(null=True, blank=True)
    # A full sync is queued or running (its pages show "syncing…" and fill in as it lands).
    syncing = models.BooleanField(default=False)
    # When that sync was asked for: a flag older than accounts.syncing.STALE_AFTER was lost
    # (a worker died, the queued task expired) and no longer counts.
    sync_requested_at = models.DateTimeField(null=True, blank=True, editable=False)
    purge_after = models.DateTimeField(
        null=True, blank=True, help_text="Unlinked: its data is deleted after this time"
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    objects = household_scoped()

    class Meta:
        ordering = ["label", "pk"]

    def __str__(self) -> str:
        return f"{self.label} ({self.region})"

    @property
    def needs_relink(self) -> bool:
        return self.status == LinkStatus.NEEDS_RELINK

    @property
    def is_unlinked(self) -> bool:
        return self.status == LinkStatus.UNLINKED


class NotificationKind(models.TextChoices):
    NEEDS_RELINK = "needs_relink", "Account needs relinking"
    FIRMWARE = "firmware", "Firmware update"
    ALARM = "alarm", "Device alarm"


class Notification(models.Model):
    """Something the household should see once: a lost sign-in, a new firmware, ..."""

    household = models.ForeignKey(Household, on_delete=models.CASCADE, related_name="notifications")
    kind = models.CharField(max_length=20, choices=NotificationKind.choices)
    title = models.CharField(max_length=200)
    body = models.TextField(blank=True)
    created_at = models.DateTimeField(default=timezone.now, db_index=True)
    read_at = models.DateTimeField(null=True, blank=True)

    objects = household_scoped()

    class Meta:
        ordering = ["-created_at", "-pk"]
        indexes = [models.Index(fields=["household", "read_at"], name="notification_unread")]

    def __str__(self) -> str:
        return self.title


class JobKind(models.TextChoices):
    """The periodic background jobs that run per linked account."""

    REFRESH_TOKENS = "refresh_tokens", "Token refresh"
    CHECK_FIRMWARE = "check_firmware", "Firmware check"
    SYNC_HISTORY = "sync_history", "History sync"
    SYNC_MESSAGES = "sync_messages", "Message sync"
    RECONCILE = "reconcile", "Full sync"


class TaskRun(models.Model):
    """The last run of one background job for one account: when, how it went, last error."""

    household = models.ForeignKey(Household, on_delete=models.CASCADE, related_name="+")
    account = models.ForeignKey(LinkedAccount, on_delete=models.CASCADE, related_name="task_runs")
    task = models.CharField(max_length=20, choices=JobKind.choices)
    last_run_at = models.DateTimeField(null=True, blank=True)
    ok = models.BooleanField(default=False)
    result = models.JSONField(default=dict, blank=True)
    last_ok_at = models.DateTimeField(null=True, blank=True)
    # Kept after later successes, so a flapping job stays visible.
    last_error = models.TextField(blank=True)
    last_error_at = models.DateTimeField(null=True, blank=True)
    # The last run did nothing (the account busy with another job, or not active): `result`
    # says why; `ok` and the error are still those of the last real run.
    skipped = models.BooleanField(default=False)

    objects = household_scoped()

    class Meta:
        ordering = ["account", "task"]
        constraints = [
            models.UniqueConstraint(fields=["account", "task"], name="one_task_run_per_job")
        ]

    def __str__(self) -> str:
        return f"{self.get_task_display()} of {self.account_id}: {self.outcome}"

    @property
    def failing(self) -> bool:
        """The last real run failed (a skip since then changes nothing)."""
        return not self.ok and bool(self.last_error)

    @property
    def outcome(self) -> str:
        """ "ok", "failed" or "skipped": how the last run went."""
        if self.skipped:
            return "skipped"
        return "ok" if self.ok else "failed"

    @property
    def skip_reason(self) -> str:
        """Why the last run did nothing ("busy with reconcile"), "" if it did something."""
        return str((self.result or {}).get("skipped", "")) if self.skipped else ""

    @property
    def summary(self) -> str:
        """The result in a few words, e.g. "devices 28, fetched 8, created 5"."""
        if self.task == JobKind.REFRESH_TOKENS:
            return _token_summary(self.result or {})
        parts = []
        for key, value in (self.result or {}).items():
            if isinstance(value, bool):  # a flag reads like a log line ("refreshed False")
                continue
            if isinstance(value, dict):  # per-model counts: their total says enough
                value = sum(v for v in value.values() if isinstance(v, int))
            if isinstance(value, int | str) and value != "":
                parts.append(f"{key.replace('_', ' ')} {value}")
        return ", ".join(parts)


def _token_summary(result: dict[str, Any]) -> str:
    """ "sign-in renewed, valid until 1 Jan 2027" ("sign-in valid until …" when not yet due)."""
    renewed = "sign-in renewed" if result.get("refreshed") else "sign-in"
    try:
        expires = datetime.fromisoformat(str(result.get("access_expires_at")))
    except ValueError:
        return renewed if result.get("refreshed") else ""
    until = date_format(timezone.localtime(expires), "j M Y")
    return (
        f"{renewed}, valid until {until}"
        if result.get("refreshed")
        else f"{renewed} valid until {until}"
    )
