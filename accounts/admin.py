from django.contrib import admin

from accounts.models import Household, Invitation, Membership


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
