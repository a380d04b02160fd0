"""The session and the signed-in person of a WebSocket, read once at its handshake: `SocketAuthStack`."""

from __future__ import annotations

from typing import Any

from channels.auth import AuthMiddleware
from channels.sessions import CookieMiddleware, InstanceSessionWrapper, SessionMiddleware


class HandshakeSessionMiddleware(SessionMiddleware):
    """Channels' session middleware, without its wrapper around every frame sent.

    Channels wraps `send` to save a session changed during the connection; our sockets never change it
    (signing in and out happens over HTTP), and that wrapper inspects the lazy session on every frame, a
    measurable share of the CPU of a busy room's fan-out. The session is resolved as before.
    """

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> Any:
        wrapper = InstanceSessionWrapper(scope, send)
        await wrapper.resolve_session()
        return await self.inner(wrapper.scope, receive, send)


def SocketAuthStack(inner: Any) -> Any:
    """Cookies, the session and `scope["user"]` for a socket, as channels' AuthMiddlewareStack gives."""
    return CookieMiddleware(HandshakeSessionMiddleware(AuthMiddleware(inner)))
