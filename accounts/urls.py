from django.contrib.auth import views as auth_views
from django.urls import path

from accounts import account_settings_views as own
from accounts import health_views, notification_views, views
from accounts import link_code_views as code
from accounts import linked_account_views as cloud

app_name = "accounts"

urlpatterns = [
    path("signup/", views.signup, name="signup"),
    path("login/", views.SignInView.as_view(), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("password/", views.PasswordChangeView.as_view(), name="password_change"),
    path("password/done/", views.PasswordChangeDoneView.as_view(), name="password_change_done"),
    path("household/", views.household_settings, name="household"),
    path("household/new/", views.household_create, name="household_create"),
    path("household/time-zone/", views.household_time_zone, name="household_time_zone"),
    path("household/switch/", views.household_switch, name="household_switch"),
    path("household/leave/", views.household_leave, name="household_leave"),
    path("household/invitations/", views.invitation_create, name="invitation_create"),
    path(
        "household/invitations/<int:pk>/revoke/",
        views.invitation_revoke,
        name="invitation_revoke",
    ),
    path("household/members/<int:pk>/role/", views.member_role, name="member_role"),
    path("household/members/<int:pk>/remove/", views.member_remove, name="member_remove"),
    path("invite/<str:token>/", views.invitation_accept, name="invitation_accept"),
    path("invite/<str:token>/signup/", views.invitation_signup, name="invitation_signup"),
    path("cloud/", cloud.account_list, name="linked_accounts"),
    path("health/", health_views.account_health, name="account_health"),
    path("cloud/link/", cloud.link_password, name="link_password"),
    path("cloud/link/sms/", code.link_sms, name="link_sms"),
    path("cloud/link/new/", code.link_register, name="link_register"),
    path("cloud/link/reset/", code.link_reset, name="link_reset"),
    path("cloud/oauth/", cloud.link_oauth_start, name="link_oauth_start"),
    path("cloud/oauth/callback/", cloud.link_oauth_callback, name="link_oauth_callback"),
    path("cloud/<int:pk>/sync/", cloud.account_sync, name="account_sync"),
    path("cloud/<int:pk>/unlink/", cloud.account_unlink, name="account_unlink"),
    path("cloud/<int:pk>/settings/", own.account_settings, name="account_settings"),
    path("cloud/<int:pk>/close/", own.account_close, name="account_close"),
    path("notifications/", notification_views.notification_list, name="notifications"),
    path(
        "notifications/read/",
        notification_views.notification_read_all,
        name="notifications_read_all",
    ),
    path(
        "notifications/<int:pk>/read/",
        notification_views.notification_read,
        name="notification_read",
    ),
]
