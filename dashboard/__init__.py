"""The Django project: settings, urls, ASGI/WSGI entry points, the Celery app, the pages."""

from dashboard.celery import app as celery_app

__all__ = ["celery_app"]
