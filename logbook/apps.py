from django.apps import AppConfig


class LogbookConfig(AppConfig):
    name = "logbook"
    verbose_name = "Household logbook"

    def ready(self) -> None:
        from logbook import recording

        recording.connect()
