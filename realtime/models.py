"""What the realtime side keeps: every control command and how it went."""

from __future__ import annotations

from django.conf import settings
from django.db import models

from accounts.models import Household, LinkedAccount, household_scoped
from devices.models import Thing


class CommandRecord(models.Model):
    """One control sent to a device or group: who, what, when, the result and its latency."""

    household = models.ForeignKey(Household, on_delete=models.CASCADE, related_name="+")
    account = models.ForeignKey(
        LinkedAccount, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    thing = models.ForeignKey(Thing, on_delete=models.SET_NULL, null=True, related_name="commands")
    thing_name = models.CharField(max_length=200, help_text="Kept when the thing is gone")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True)
    control = models.CharField(max_length=50)
    value = models.JSONField(null=True, blank=True)
    params = models.JSONField(null=True, blank=True)
    via = models.CharField(max_length=10, help_text="socket or rest")
    result = models.CharField(max_length=12)
    message = models.CharField(max_length=300, blank=True)
    latency_ms = models.PositiveIntegerField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    objects = household_scoped()

    class Meta:
        ordering = ["-created_at", "-pk"]

    def __str__(self) -> str:
        return f"{self.control}={self.value!r} on {self.thing_name}: {self.result}"
