"""ASGI entry point: HTTP to Django, WebSockets through origin and session checks to the room router."""

from __future__ import annotations

import os

from coaching.env import load_settings_or_exit

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "coaching.settings")
load_settings_or_exit()

from django.core.asgi import get_asgi_application  # noqa: E402

django_application = get_asgi_application()

from channels.routing import ProtocolTypeRouter, URLRouter  # noqa: E402
from channels.security.websocket import AllowedHostsOriginValidator  # noqa: E402

from chat import routing as chat_routing  # noqa: E402
from coaching.lib.busy import BusySockets  # noqa: E402
from coaching.lib.socket_session import SocketAuth  # noqa: E402
from coaching.live import routing as live_routing  # noqa: E402
from coaching.notifications import routing as notifications_routing  # noqa: E402

websocket_urlpatterns = (
    chat_routing.websocket_urlpatterns
    + live_routing.websocket_urlpatterns
    + notifications_routing.websocket_urlpatterns
)

application = ProtocolTypeRouter(
    {
        "http": django_application,
        # A full database pool during a handshake closes the socket with 4503 (coaching/lib/busy.py).
        "websocket": BusySockets(AllowedHostsOriginValidator(SocketAuth(URLRouter(websocket_urlpatterns)))),
    }
)
