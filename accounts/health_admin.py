"""The account health board in the Django admin: a column on the list, a panel on the page."""

from __future__ import annotations

from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest
from django.template.loader import render_to_string
from django.utils.html import format_html
from django.utils.safestring import SafeString

from accounts.health import AccountHealth, accounts_with_health_facts, health_of
from accounts.models import LinkedAccount


def _health(account: LinkedAccount) -> AccountHealth:
    # The queryset below fetched what the facts need; the call counts are one Redis round trip.
    return health_of([account], account.household.zone)[0]


class HealthAdminMixin:
    """For the LinkedAccount admin: `health` (list column) and `health_panel` (read-only)."""

    def get_queryset(self, request: HttpRequest) -> QuerySet[LinkedAccount]:
        return accounts_with_health_facts(super().get_queryset(request))  # type: ignore[misc]

    @admin.display(description="Health")
    def health(self, account: LinkedAccount) -> SafeString:
        health = _health(account)
        level = health.level
        title = " ".join(p.text for p in health.problems) or "No problem"
        return format_html(
            '<span data-health="{}" title="{}"><span aria-hidden="true">{}</span> {}</span>',
            level.name.lower(),
            title,
            level.icon,
            level.word,
        )

    @admin.display(description="Health")
    def health_panel(self, account: LinkedAccount) -> SafeString:
        if account.pk is None:
            return SafeString("")
        return SafeString(
            render_to_string("admin/accounts/health_panel.html", {"health": _health(account)})
        )
