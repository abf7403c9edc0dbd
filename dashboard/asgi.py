"""ASGI entry point: HTTP to Django, websockets through origin and session checks."""

import os
import sys

from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "dashboard.settings")
# Django must be set up before anything imports models (consumers, auth middleware).
django_asgi_app = get_asgi_application()

from channels.auth import AuthMiddlewareStack  # noqa: E402
from channels.routing import ProtocolTypeRouter, URLRouter  # noqa: E402
from channels.security.websocket import AllowedHostsOriginValidator  # noqa: E402

from dashboard import heap  # noqa: E402
from dashboard.daphne_limits import unlimit_sends  # noqa: E402
from realtime.routing import websocket_urlpatterns  # noqa: E402

unlimit_sends()  # Daphne's message size limit is for what pages send (see the module)
if "daphne.cli" in sys.modules:  # served by Daphne, not imported by a test or a tool
    heap.settle()

application = ProtocolTypeRouter(
    {
        "http": django_asgi_app,
        "websocket": AllowedHostsOriginValidator(
            AuthMiddlewareStack(URLRouter(websocket_urlpatterns))
        ),
    }
)
