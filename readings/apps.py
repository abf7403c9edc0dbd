from django.apps import AppConfig


class ReadingsConfig(AppConfig):
    """Readings kept over time (samples, roll-ups) and meters' energy history."""

    name = "readings"
    default_auto_field = "django.db.models.BigAutoField"
