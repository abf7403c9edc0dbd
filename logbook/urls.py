from django.urls import path

from logbook import views

app_name = "logbook"

urlpatterns = [
    path("logbook/", views.logbook_page, name="logbook"),
    path("logbook/export.csv", views.export_csv, name="export_csv"),
    path("logbook/export.json", views.export_json, name="export_json"),
    path("things/<int:pk>/history/", views.thing_history, name="thing_history"),
    path("things/<int:pk>/history/fetch/", views.thing_history_fetch, name="thing_history_fetch"),
]
