from django.apps import AppConfig
from django.conf import settings


class AccountsConfig(AppConfig):
    name = "accounts"
    verbose_name = "Households and accounts"

    def ready(self) -> None:
        from accounts import cloud_metrics

        cloud_metrics.install()
        if settings.EWELINK_SHARED_GOVERNOR:
            import ewelink
            from accounts.governor import shared_governor

            # Every process of the deployment shares the egress IP the cloud counts.
            governor = shared_governor(settings.REDIS_URL)
            if settings.EWELINK_GOVERNOR_SCALE != 1.0:
                governor.scale(settings.EWELINK_GOVERNOR_SCALE)
            ewelink.set_default_governor(governor)
