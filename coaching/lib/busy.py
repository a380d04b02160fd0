"""A full database pool is "busy", not a fault.

Each process borrows PostgreSQL connections from a bounded pool (settings.DB_POOL_SIZE). When none frees
up within settings.DB_POOL_TIMEOUT seconds, psycopg_pool raises PoolTimeout, which Django hands on as an
OperationalError caused by it. Every edge answers that the same way: an HTTP request gets 503 with
`Retry-After` and a translated sentence, a socket frame gets the `busy` error (docs/protocol.md), a
socket that cannot connect is closed with 4503 (busy, like HTTP 503; clients reconnect); the log gets one
line, no traceback.
"""

from __future__ import annotations

import logging
import sys
from typing import Any

from django.http import HttpRequest, HttpResponse
from django.utils.html import format_html
from django.utils.translation import gettext as _
from django.views import defaults
from psycopg_pool import PoolTimeout, TooManyRequests

log = logging.getLogger(__name__)

RETRY_AFTER_SECONDS = 1
# The close code of a socket turned away by a full pool (autobahn lets a server send only 1000 or 3000–4999).
BUSY_CLOSE_CODE = 4503


def pool_exhausted(error: BaseException | None) -> bool:
    """Whether this error (or one it was raised from) is the pool having no connection to lend."""
    seen: set[int] = set()
    while error is not None and id(error) not in seen:
        if isinstance(error, PoolTimeout | TooManyRequests):
            return True
        seen.add(id(error))
        error = error.__cause__ or error.__context__
    return False


def busy_message() -> str:
    return _("The server is busy; try again in a moment.")


def server_error(request: HttpRequest) -> HttpResponse:
    """handler500: a full pool answers 503 (retryable, one log line); any other fault Django's own 500."""
    error = sys.exc_info()[1]
    if not pool_exhausted(error):
        return defaults.server_error(request)
    log.warning("database pool exhausted: %s %s answered 503", request.method, request.path)
    # Nothing here may touch the database: no request context, no session, no user.
    response = HttpResponse(
        format_html(
            '<!doctype html><html lang="{}"><title>{}</title><p>{}</p></html>',
            request.LANGUAGE_CODE if hasattr(request, "LANGUAGE_CODE") else "en",
            busy_message(),
            busy_message(),
        ),
        status=503,
        headers={"Retry-After": str(RETRY_AFTER_SECONDS)},
    )
    response._has_been_logged = True  # type: ignore[attr-defined]  # Django logs it with a traceback else
    return response


class BusySockets:
    """ASGI middleware around the WebSocket stack: a socket whose handshake (session, user, access) finds
    the pool full is accepted and closed with 4503, which clients retry, instead of failing with 500."""

    def __init__(self, app: Any) -> None:
        self.app = app

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        accepted = False

        async def send_tracked(message: dict[str, Any]) -> None:
            nonlocal accepted
            accepted = accepted or message["type"] == "websocket.accept"
            await send(message)

        try:
            await self.app(scope, receive, send_tracked)
        except Exception as error:
            if accepted or not pool_exhausted(error):
                raise
            log.warning("database pool exhausted: a socket to %s closed with 4503", scope.get("path"))
            await send({"type": "websocket.accept"})
            await send({"type": "websocket.close", "code": BUSY_CLOSE_CODE})
