"""Admin for homes, rooms and things: read-mostly, since the cloud is the source of truth."""

from django.contrib import admin

from devices.models import FirmwareUpdate, HistoryEntry, Home, Message, Room, Share, Thing


class ReadOnlyAdmin(admin.ModelAdmin):
    """Cloud data: viewable, deletable by a resync only."""

    def has_add_permission(self, request, obj=None) -> bool:  # type: ignore[no-untyped-def]
        return False

    def has_change_permission(self, request, obj=None) -> bool:  # type: ignore[no-untyped-def]
        return False


@admin.register(Thing)
class ThingAdmin(admin.ModelAdmin):
    """Everything from the cloud is read-only; only the local preferences can be edited."""

    list_display = [
        "name",
        "kind",
        "uiid",
        "account",
        "home",
        "room",
        "online",
        "fw_version",
        "last_update_at",
    ]
    list_filter = ["kind", "online", "item_type", "account__household"]
    search_fields = ["name", "cloud_id", "account__label", "model"]
    list_select_related = ["account", "home", "room"]
    fields = [
        "name", "kind", "cloud_id", "item_type", "uiid", "brand", "model", "fw_version",
        "online", "account", "household", "home", "room", "owner_apikey", "parent_id",
        "params", "tags", "settings", "last_update_at", "favourite", "hidden",
    ]  # fmt: skip
    readonly_fields = [f for f in fields if f not in ("favourite", "hidden")]

    def has_add_permission(self, request, obj=None) -> bool:  # type: ignore[no-untyped-def]
        return False


@admin.register(Home)
class HomeAdmin(ReadOnlyAdmin):
    list_display = ["name", "account", "household", "is_current"]
    search_fields = ["name", "account__label"]


@admin.register(Room)
class RoomAdmin(ReadOnlyAdmin):
    list_display = ["name", "home", "household"]
    search_fields = ["name", "home__name"]


@admin.register(Share)
class ShareAdmin(ReadOnlyAdmin):
    list_display = ["thing", "to_identifier", "permit", "shared_at"]


@admin.register(HistoryEntry)
class HistoryEntryAdmin(ReadOnlyAdmin):
    list_display = ["thing", "ops_time", "user_agent", "ops_account"]
    list_filter = ["user_agent"]


@admin.register(Message)
class MessageAdmin(ReadOnlyAdmin):
    list_display = ["msg_type", "account", "date"]
    list_filter = ["msg_type"]


@admin.register(FirmwareUpdate)
class FirmwareUpdateAdmin(ReadOnlyAdmin):
    list_display = ["thing", "current_version", "version", "detected_at", "installed_at"]
