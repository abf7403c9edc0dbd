"""What the household logbook records itself: the events no other table keeps.

Device history, commands, thing actions and notifications already have their tables (the
logbook reads them where they are); online/offline transitions, account events and
membership changes are written here.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone

from accounts.models import Household, LinkedAccount, household_scoped
from devices.models import Thing


class EventKind(models.TextChoices):
    CONNECTIVITY = "connectivity", "Online/offline"
    ACCOUNT = "account", "Account"
    MEMBERSHIP = "membership", "Membership"


class LogbookEvent(models.Model):
    """One event of the household that only the logbook keeps."""

    household = models.ForeignKey(Household, on_delete=models.CASCADE, related_name="+")
    at = models.DateTimeField(default=timezone.now)
    kind = models.CharField(max_length=12, choices=EventKind.choices)
    thing = models.ForeignKey(
        Thing, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    account = models.ForeignKey(
        LinkedAccount, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    # Who did it, when a person did (a role change); None for what the cloud did.
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True
    )
    text = models.CharField(max_length=300)

    objects = household_scoped()

    class Meta:
        ordering = ["-at", "-pk"]
        indexes = [models.Index(fields=["household", "-at", "-id"], name="logbook_event_time")]

    def __str__(self) -> str:
        return self.text
