"""The WebSocket protocol the web process gives uvicorn: its websockets-sansio one, lighter on memory."""

from __future__ import annotations

from typing import Any

from uvicorn.protocols.websockets.websockets_sansio_impl import WebSocketsSansIOProtocol


class WebSocketProtocol(WebSocketsSansIOProtocol):
    """uvicorn's websockets-sansio socket, without the handshake's parsed request kept for its whole life.

    The scope carries what the application reads of the request (path, query, headers); uvicorn reads its
    own parsed copy only while answering the handshake, then keeps it, about 1.5 KB a socket.
    """

    def handle_connect(self, event: Any) -> None:
        super().handle_connect(event)
        self.request = None  # type: ignore[assignment]  # uvicorn reads it only above
