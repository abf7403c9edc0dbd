from django.contrib import admin
from django.urls import include, path

from dashboard import phone_views, views

urlpatterns = [
    path("", include("dashboard.page_urls")),
    path("", include("logbook.urls")),
    path("accounts/", include("accounts.urls")),
    path("admin/", admin.site.urls),
    path("healthz", views.healthz, name="healthz"),
    path("favicon.ico", views.favicon, name="favicon"),
    path("manifest.webmanifest", phone_views.manifest, name="manifest"),
]
