from django.urls import path

from dashboard import (
    home_views,
    message_views,
    thing_firmware_views,
    thing_share_views,
    thing_timer_views,
    thing_views,
    views,
)

app_name = "dashboard"

urlpatterns = [
    path("", views.home, name="home"),
    path("cards/", views.room_cards, name="room_cards"),
    path("messages/", message_views.message_list, name="messages"),
    path("messages/read-all/", message_views.message_read_all, name="messages_read_all"),
    path("messages/<int:pk>/read/", message_views.message_read, name="message_read"),
    path("homes/", home_views.homes_page, name="homes"),
    path("homes/account/<int:pk>/add/", home_views.add_home, name="homes_add"),
    path("homes/<int:pk>/rename/", home_views.rename_home, name="homes_rename"),
    path("homes/<int:pk>/current/", home_views.current_home, name="homes_current"),
    path("homes/<int:pk>/delete/", home_views.delete_home, name="homes_delete"),
    path("homes/<int:pk>/rooms/add/", home_views.add_room, name="rooms_add"),
    path("rooms/<int:pk>/rename/", home_views.rename_room, name="rooms_rename"),
    path("rooms/<int:pk>/move/", home_views.move_room, name="rooms_move"),
    path("rooms/<int:pk>/delete/", home_views.delete_room, name="rooms_delete"),
    path("things/<int:pk>/", thing_views.thing_page, name="thing"),
    path("things/<int:pk>/rename/", thing_views.rename, name="thing_rename"),
    path("things/<int:pk>/move/", thing_views.move, name="thing_move"),
    path("things/<int:pk>/channels/", thing_views.channels, name="thing_channels"),
    path("things/<int:pk>/notifications/", thing_views.notifications, name="thing_notifications"),
    path("things/<int:pk>/option/", thing_views.option, name="thing_option"),
    path("things/<int:pk>/clear-history/", thing_views.clear_history, name="thing_clear_history"),
    path("things/<int:pk>/remove/", thing_views.remove, name="thing_remove"),
    path("things/<int:pk>/ota-check/", thing_firmware_views.ota_check, name="thing_ota_check"),
    path("things/<int:pk>/upgrade/", thing_firmware_views.upgrade, name="thing_upgrade"),
    path("things/<int:pk>/timers/add/", thing_timer_views.add, name="thing_timer_add"),
    path("things/<int:pk>/timers/edit/", thing_timer_views.edit, name="thing_timer_edit"),
    path("things/<int:pk>/timers/delete/", thing_timer_views.delete, name="thing_timer_delete"),
    path("things/<int:pk>/timers/enable/", thing_timer_views.enable, name="thing_timer_enable"),
    path("things/<int:pk>/share/", thing_share_views.share, name="thing_share"),
    path("things/<int:pk>/share/permit/", thing_share_views.permit, name="thing_share_permit"),
    path("things/<int:pk>/unshare/", thing_share_views.unshare, name="thing_unshare"),
]
