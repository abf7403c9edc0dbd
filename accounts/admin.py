"""Staff admin of households and linked accounts (the jobs app adds the accounts' job runs)."""

from django import forms
from django.contrib import admin, messages
from django.db.models import Count
from django.template.response import TemplateResponse
from django.utils.timesince import timesince

import ewelink
from accounts.health_admin import HealthAdminMixin
from accounts.linking import explain
from accounts.models import (
    Household,
    Invitation,
    LinkedAccount,
    LinkStatus,
    Membership,
    Notification,
)
from accounts.moving import MoveError, move_account
from accounts.syncing import SyncRequest, request_sync
from accounts.tokens import refresh_account_tokens


class MembershipInline(admin.TabularInline):
    model = Membership
    extra = 0
    autocomplete_fields = ["user"]


@admin.register(Household)
class HouseholdAdmin(admin.ModelAdmin):
    list_display = ["name", "member_count", "created_at"]
    search_fields = ["name", "memberships__user__email"]
    inlines = [MembershipInline]

    @admin.display(description="Members")
    def member_count(self, household: Household) -> int:
        return household.memberships.count()


@admin.register(Membership)
class MembershipAdmin(admin.ModelAdmin):
    list_display = ["user", "household", "role", "joined_at"]
    list_filter = ["role"]
    search_fields = ["user__email", "household__name"]
    autocomplete_fields = ["user", "household"]


@admin.register(Invitation)
class InvitationAdmin(admin.ModelAdmin):
    list_display = ["household", "role", "email", "status", "created_at", "expires_at"]
    list_filter = ["role"]
    search_fields = ["household__name", "email"]
    readonly_fields = ["token_hash", "accepted_by", "accepted_at", "created_by"]


@admin.register(LinkedAccount)
class LinkedAccountAdmin(HealthAdminMixin, admin.ModelAdmin):
    """Every linked account of the deployment, with its health (accounts/health.py) as a column
    and a panel; tokens are never shown or editable."""

    list_display = [
        "label",
        "household",
        "region",
        "status",
        "connection_state",
        "token_age",
        "access_expires_at",
        "refresh_expires_at",
        "last_sync_at",
        "thing_count",
        "health",
    ]
    list_filter = ["status", "region", "method", "connection_state"]
    search_fields = ["label", "identifier", "apikey", "household__name"]
    exclude = ["access_token", "refresh_token"]
    readonly_fields = [
        "health_panel",
        "apikey",
        "method",
        "region",
        "access_expires_at",
        "refresh_expires_at",
        "tokens_refreshed_at",
        "last_error",
        "last_sync_at",
        "connection_state",
        "connection_changed_at",
        "created_by",
        "created_at",
    ]
    actions = ["refresh_tokens", "resync", "disable", "mark_for_relink", "move_to_household"]

    def get_readonly_fields(self, request, obj=None):  # type: ignore[no-untyped-def]
        # Editing the household would leave the account's homes, rooms and things (and their
        # control) with the old one: moving is the "Move to another household" action.
        fields = super().get_readonly_fields(request, obj)
        return [*fields, "household"] if obj is not None else fields

    @admin.action(description="Move to another household…")
    def move_to_household(self, request, queryset):  # type: ignore[no-untyped-def]
        form = MoveAccountsForm(request.POST if "apply" in request.POST else None)
        if not form.is_valid():  # first the confirmation page, which names what moves
            context = {
                **self.admin_site.each_context(request),
                "title": "Move linked accounts to another household",
                "accounts": queryset,
                "form": form,
                "opts": self.model._meta,
                "action_checkbox_name": admin.helpers.ACTION_CHECKBOX_NAME,
            }
            return TemplateResponse(request, "admin/accounts/move_accounts.html", context)
        target = form.cleaned_data["household"]
        for account in queryset:
            try:
                result = move_account(account.pk, target)
            except MoveError as exc:
                self.message_user(request, str(exc), level=messages.WARNING)
                continue
            moved = ", ".join(f"{n} {label}" for label, n in sorted(result.rows.items()))
            self.message_user(request, f"{account.label} moved to {target}: {moved}.")
        return None

    def get_queryset(self, request):  # type: ignore[no-untyped-def]
        return (
            super()
            .get_queryset(request)
            .select_related("household")
            .annotate(things_total=Count("things", distinct=True))
        )

    @admin.display(description="Things", ordering="things_total")
    def thing_count(self, account: LinkedAccount) -> int:
        return account.things_total  # type: ignore[attr-defined]

    @admin.display(description="Token age")
    def token_age(self, account: LinkedAccount) -> str:
        if account.tokens_refreshed_at is None:
            return "never"
        return timesince(account.tokens_refreshed_at)

    @admin.action(description="Refresh tokens now")
    def refresh_tokens(self, request, queryset) -> None:  # type: ignore[no-untyped-def]
        self._each(request, queryset, "refreshed", lambda a: refresh_account_tokens(a.pk))

    @admin.action(description="Resync homes and things")
    def resync(self, request, queryset) -> None:  # type: ignore[no-untyped-def]
        # Queued like a household's Resync: the worker syncs, the account's pages fill in.
        outcomes = [request_sync(account) for account in queryset]
        queued = outcomes.count(SyncRequest.QUEUED) + outcomes.count(SyncRequest.ALREADY)
        self.message_user(request, f"{queued} account(s) syncing in the background.")
        if SyncRequest.NOT_ACTIVE in outcomes:
            skipped = outcomes.count(SyncRequest.NOT_ACTIVE)
            self.message_user(
                request, f"{skipped} account(s) not active: relink first.", messages.WARNING
            )
        if SyncRequest.UNAVAILABLE in outcomes:
            self.message_user(
                request, "The background worker cannot be reached: not synced.", messages.ERROR
            )

    @admin.action(description="Disable (stop using the account)")
    def disable(self, request, queryset) -> None:  # type: ignore[no-untyped-def]
        count = queryset.update(status=LinkStatus.DISABLED)
        self.message_user(request, f"{count} account(s) disabled.")

    @admin.action(description="Mark for relink")
    def mark_for_relink(self, request, queryset) -> None:  # type: ignore[no-untyped-def]
        count = queryset.update(
            status=LinkStatus.NEEDS_RELINK, last_error="Marked for relink by an administrator."
        )
        self.message_user(request, f"{count} account(s) marked for relink.")

    def _each(self, request, queryset, verb: str, action) -> None:  # type: ignore[no-untyped-def]
        done = 0
        for account in queryset:
            try:
                action(account)
                done += 1
            except ewelink.EWeLinkError as exc:
                self.message_user(request, f"{account.label}: {explain(exc)}", level=messages.ERROR)
        self.message_user(request, f"{done} account(s) {verb}.")


class MoveAccountsForm(forms.Form):
    household = forms.ModelChoiceField(Household.objects.all(), label="Move to")


@admin.register(Notification)
class NotificationAdmin(admin.ModelAdmin):
    list_display = ["title", "household", "kind", "created_at", "read_at"]
    list_filter = ["kind"]
    search_fields = ["title", "household__name"]
