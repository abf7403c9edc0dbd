"""Homes, rooms and things of linked accounts, and what the cloud tells about them.

Every model points at its household directly (one hop) and uses the household scope.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models

from accounts.models import Household, LinkedAccount, household_scoped


class Home(models.Model):
    """A home ("family") of a linked account."""

    household = models.ForeignKey(Household, on_delete=models.CASCADE, related_name="+")
    account = models.ForeignKey(LinkedAccount, on_delete=models.CASCADE, related_name="homes")
    cloud_id = models.CharField(max_length=64)
    name = models.CharField(max_length=200)
    index = models.IntegerField(default=0)
    is_current = models.BooleanField(default=False)

    objects = household_scoped()

    class Meta:
        ordering = ["index", "name", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["account", "cloud_id"], name="home_once_per_account")
        ]

    def __str__(self) -> str:
        return self.name


class Room(models.Model):
    """A room of a home."""

    household = models.ForeignKey(Household, on_delete=models.CASCADE, related_name="+")
    home = models.ForeignKey(Home, on_delete=models.CASCADE, related_name="rooms")
    cloud_id = models.CharField(max_length=64)
    name = models.CharField(max_length=200)
    index = models.IntegerField(default=0)

    objects = household_scoped()

    class Meta:
        ordering = ["index", "name", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["home", "cloud_id"], name="room_once_per_home")
        ]

    def __str__(self) -> str:
        return self.name


class ThingKind(models.TextChoices):
    DEVICE = "device", "Device"
    GROUP = "group", "Group"


class Thing(models.Model):
    """A device or a device group as its linked account sees it, with its last known state."""

    household = models.ForeignKey(Household, on_delete=models.CASCADE, related_name="+")
    account = models.ForeignKey(LinkedAccount, on_delete=models.CASCADE, related_name="things")
    kind = models.CharField(max_length=6, choices=ThingKind.choices, default=ThingKind.DEVICE)
    cloud_id = models.CharField(max_length=64, help_text="deviceid, or the group id")
    item_type = models.PositiveSmallIntegerField(help_text="1 own, 2 shared with us, 3 group")
    name = models.CharField(max_length=200)
    uiid = models.IntegerField(null=True, blank=True)
    brand = models.CharField(max_length=100, blank=True)
    model = models.CharField(max_length=100, blank=True)
    fw_version = models.CharField(max_length=50, blank=True)
    online = models.BooleanField(default=False)
    params = models.JSONField(default=dict, blank=True)
    tags = models.JSONField(default=dict, blank=True)
    settings = models.JSONField(default=dict, blank=True)
    extra = models.JSONField(default=dict, blank=True)
    home = models.ForeignKey(
        Home, on_delete=models.SET_NULL, null=True, blank=True, related_name="things"
    )
    room = models.ForeignKey(
        Room, on_delete=models.SET_NULL, null=True, blank=True, related_name="things"
    )
    index = models.IntegerField(default=0)
    owner_apikey = models.CharField(max_length=64, blank=True)
    parent_id = models.CharField(max_length=64, blank=True, help_text="Zigbee bridge deviceid")
    shared_by = models.JSONField(null=True, blank=True)
    last_update_at = models.DateTimeField(null=True, blank=True)
    # Local-only preferences: the cloud knows nothing of them and sync never touches them.
    favourite = models.BooleanField(default=False)
    hidden = models.BooleanField(default=False)

    objects = household_scoped()

    class Meta:
        ordering = ["index", "name", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["account", "kind", "cloud_id"], name="thing_once_per_account"
            )
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def is_shared_with_us(self) -> bool:
        return self.item_type == 2

    @property
    def last_update(self):  # type: ignore[no-untyped-def]
        """When the state last changed (the name card templates use)."""
        return self.last_update_at


class Share(models.Model):
    """Another eWeLink user an own device is shared with, and what they may do (`permit`)."""

    household = models.ForeignKey(Household, on_delete=models.CASCADE, related_name="+")
    thing = models.ForeignKey(Thing, on_delete=models.CASCADE, related_name="shares")
    to_apikey = models.CharField(max_length=64)
    to_identifier = models.CharField(max_length=254, blank=True)
    to_nickname = models.CharField(max_length=100, blank=True)
    permit = models.IntegerField(default=0)
    comment = models.CharField(max_length=200, blank=True)
    shared_at = models.DateTimeField(null=True, blank=True)

    objects = household_scoped()

    class Meta:
        ordering = ["to_identifier", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["thing", "to_apikey"], name="share_once_per_user")
        ]

    def __str__(self) -> str:
        return f"{self.thing} → {self.to_identifier or self.to_apikey}"


class HistoryEntry(models.Model):
    """One line of a device's operating history, as the cloud recorded it."""

    household = models.ForeignKey(Household, on_delete=models.CASCADE, related_name="+")
    thing = models.ForeignKey(Thing, on_delete=models.CASCADE, related_name="history")
    ops_time = models.DateTimeField(db_index=True)
    user_agent = models.CharField(max_length=20, blank=True, help_text="app or device")
    ops_account = models.CharField(max_length=254, blank=True)
    request = models.JSONField(null=True, blank=True)
    switches = models.JSONField(null=True, blank=True)
    # Identifies an entry across syncs: the cloud gives no id, so time + content it is.
    fingerprint = models.CharField(max_length=64)

    objects = household_scoped()

    class Meta:
        ordering = ["-ops_time", "-pk"]
        constraints = [
            models.UniqueConstraint(fields=["thing", "fingerprint"], name="history_entry_once")
        ]
        # The logbook and a thing's history panel read newest first by household or thing.
        indexes = [
            models.Index(fields=["household", "-ops_time", "-id"], name="history_household_time"),
            models.Index(fields=["thing", "-ops_time", "-id"], name="history_thing_time"),
        ]

    def __str__(self) -> str:
        return f"{self.thing} at {self.ops_time:%Y-%m-%d %H:%M:%S}"


class Message(models.Model):
    """A message-centre notification of a linked account (shares, alarms, ...)."""

    household = models.ForeignKey(Household, on_delete=models.CASCADE, related_name="+")
    account = models.ForeignKey(LinkedAccount, on_delete=models.CASCADE, related_name="messages")
    home = models.ForeignKey(
        Home, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    msgid = models.CharField(max_length=64)
    msg_type = models.CharField(max_length=50, blank=True)
    payload = models.JSONField(null=True, blank=True)
    date = models.DateTimeField(db_index=True)
    # Ours alone: the cloud keeps no read state. The household reads a message once for all.
    read_at = models.DateTimeField(null=True, blank=True)

    objects = household_scoped()

    class Meta:
        ordering = ["-date", "-pk"]
        constraints = [
            models.UniqueConstraint(fields=["account", "msgid"], name="message_once_per_account")
        ]
        indexes = [models.Index(fields=["household", "read_at"], name="message_unread")]

    def __str__(self) -> str:
        return f"{self.msg_type} {self.msgid}"


class FirmwareUpdate(models.Model):
    """A newer firmware the cloud offers for a device."""

    household = models.ForeignKey(Household, on_delete=models.CASCADE, related_name="+")
    thing = models.ForeignKey(Thing, on_delete=models.CASCADE, related_name="firmware_updates")
    current_version = models.CharField(max_length=50, blank=True)
    version = models.CharField(max_length=50)
    files = models.JSONField(default=list, blank=True)
    update_type = models.CharField(max_length=20, blank=True)
    force_time = models.CharField(max_length=50, blank=True)
    detected_at = models.DateTimeField(auto_now_add=True)
    installed_at = models.DateTimeField(null=True, blank=True)

    objects = household_scoped()

    class Meta:
        ordering = ["-detected_at", "-pk"]
        constraints = [
            models.UniqueConstraint(fields=["thing", "version"], name="firmware_version_once")
        ]

    def __str__(self) -> str:
        return f"{self.thing}: {self.current_version} → {self.version}"


class ThingAction(models.Model):
    """Something a person did to a thing from its page (rename, share, upgrade, remove …):
    who, what, when and how the cloud answered. Controls are recorded as commands."""

    household = models.ForeignKey(Household, on_delete=models.CASCADE, related_name="+")
    thing = models.ForeignKey(Thing, on_delete=models.SET_NULL, null=True, related_name="actions")
    thing_name = models.CharField(max_length=200, help_text="Kept when the thing is gone")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True)
    action = models.CharField(max_length=40)
    detail = models.JSONField(default=dict, blank=True)
    result = models.CharField(max_length=12, help_text="ok, failed or pending")
    message = models.CharField(max_length=300, blank=True)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    objects = household_scoped()

    class Meta:
        ordering = ["-created_at", "-pk"]

    def __str__(self) -> str:
        return f"{self.action} on {self.thing_name}: {self.result}"


class UpgradeState(models.TextChoices):
    PENDING = "pending", "In progress"
    SUCCEEDED = "succeeded", "Succeeded"
    FAILED = "failed", "Failed"


class FirmwareUpgrade(models.Model):
    """One firmware upgrade started from a thing's page, until the device reports back.

    The device reboots and reports its version; newer than `from_version` is success,
    anything else failure (the API document's rule); no report in time is a failure too.
    """

    household = models.ForeignKey(Household, on_delete=models.CASCADE, related_name="+")
    thing = models.ForeignKey(Thing, on_delete=models.CASCADE, related_name="upgrades")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True)
    action = models.ForeignKey(ThingAction, on_delete=models.SET_NULL, null=True, related_name="+")
    from_version = models.CharField(max_length=50, blank=True)
    to_version = models.CharField(max_length=50)
    state = models.CharField(
        max_length=10, choices=UpgradeState.choices, default=UpgradeState.PENDING
    )
    message = models.CharField(max_length=300, blank=True)
    started_at = models.DateTimeField(auto_now_add=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    objects = household_scoped()

    class Meta:
        ordering = ["-started_at", "-pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["thing"],
                condition=models.Q(state="pending"),
                name="one_upgrade_in_progress",
            )
        ]

    def __str__(self) -> str:
        return f"{self.thing}: {self.from_version} → {self.to_version} ({self.state})"


class LayoutAction(models.Model):
    """Something a person did to the homes and rooms of a linked account from the homes page
    (create, rename, reorder, delete …): who, what, when and how the cloud answered."""

    household = models.ForeignKey(Household, on_delete=models.CASCADE, related_name="+")
    account = models.ForeignKey(
        LinkedAccount, on_delete=models.CASCADE, related_name="layout_actions"
    )
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True)
    action = models.CharField(max_length=40)
    subject = models.CharField(max_length=200, help_text="The home or room, by name")
    detail = models.JSONField(default=dict, blank=True)
    result = models.CharField(max_length=12, help_text="ok or failed")
    message = models.CharField(max_length=300, blank=True)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    objects = household_scoped()

    class Meta:
        ordering = ["-created_at", "-pk"]

    def __str__(self) -> str:
        return f"{self.action} {self.subject}: {self.result}"
