from django.contrib import admin
from django.urls import include, path

from dashboard import ops_views, phone_views, views

urlpatterns = [
    path("", include("dashboard.page_urls")),
    path("", include("logbook.urls")),
    path("accounts/", include("accounts.urls")),
    path("admin/", admin.site.urls),
    path("healthz", views.healthz, name="healthz"),
    path("readyz", ops_views.readyz, name="readyz"),
    path("metrics", ops_views.metrics_view, name="metrics"),
    path("favicon.ico", views.favicon, name="favicon"),
    path("manifest.webmanifest", phone_views.manifest, name="manifest"),
]
