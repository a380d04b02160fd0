"""Errors the realtime services raise: a refused request with the protocol's code, and a refused room."""

from __future__ import annotations

from django.http import Http404


class ChatError(Exception):
    """A frame or request the rules refuse; `code` is a protocol error code, `str()` a translated sentence."""

    def __init__(
        self, code: str, detail: str, *, retry_after: int | None = None, client_id: str | None = None
    ) -> None:
        super().__init__(detail)
        self.code = code
        self.detail = detail
        self.retry_after = retry_after
        self.client_id = client_id


class NoAccess(Http404):
    """The person may not be in this room; `close_code` is 4401, 4403 or 4404, and a view answers 404."""

    def __init__(self, close_code: int) -> None:
        super().__init__(close_code)
        self.close_code = close_code
