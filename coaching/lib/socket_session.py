"""The signed-in person of a WebSocket, read once at its handshake: `SocketAuth`."""

from __future__ import annotations

from importlib import import_module
from typing import Any

from channels.auth import get_user
from django.conf import settings
from django.http.cookie import parse_cookie


class SocketAuth:
    """ASGI middleware setting `scope["user"]`: whom the session cookie signs in, or AnonymousUser.

    It gives the user channels' cookie, session and auth middleware give, in one layer and one database call.
    Those three keep a copy of the scope each, the session and its decoded data for the socket's whole life
    (about 3 KB a socket), and look at the session on every frame sent; a socket never reads or changes the
    session after its handshake (signing in and out happens over HTTP), so only the user is kept.
    """

    def __init__(self, inner: Any) -> None:
        self.inner = inner

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> Any:
        store = import_module(settings.SESSION_ENGINE).SessionStore(session_key(scope["headers"]))
        user = await get_user({"session": store})  # the session is read in the database thread, with the user
        return await self.inner(dict(scope, user=user), receive, send)


def session_key(headers: list[tuple[bytes, bytes]]) -> str | None:
    """The session cookie's value among a handshake's headers, if it has one."""
    for name, value in headers:
        if name == b"cookie":
            key = parse_cookie(value.decode("latin1")).get(settings.SESSION_COOKIE_NAME)
            return key or None
    return None
