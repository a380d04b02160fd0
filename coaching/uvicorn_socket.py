"""The WebSocket protocol the web process gives uvicorn: its websockets-sansio one, lighter on memory, and
able to write a frame encoded once for many sockets (the `PREPARED_FRAMES` ASGI extension)."""

from __future__ import annotations

from typing import Any, cast

from uvicorn.protocols.websockets.websockets_sansio_impl import WebSocketsSansIOProtocol
from websockets.frames import Frame, Opcode
from websockets.protocol import State

# scope["extensions"][PREPARED_FRAMES] is `write_prepared(frame: bytes) -> bool` (see the method).
PREPARED_FRAMES = "circles.prepared_frames"


def prepare_text(text: str) -> bytes:
    """A server's text frame carrying `text`, unmasked and uncompressed, as websockets encodes it."""
    return Frame(Opcode.TEXT, text.encode()).serialize(mask=False)


class WebSocketProtocol(WebSocketsSansIOProtocol):
    """uvicorn's websockets-sansio socket, with two changes.

    - It forgets the handshake's parsed request once the scope is built: the scope carries what the
      application reads of it (path, query, headers), and uvicorn read its copy only while answering the
      handshake, then kept it, about 1.5 KB a socket.
    - It offers the application `write_prepared`: a room's broadcast is encoded as a frame once and written
      to each of the process's sockets in it, instead of going through an ASGI send, a coroutine and
      websockets' framing per socket.
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.asgi_sends = 0  # ASGI sends under way; a prepared frame must not overtake one

    def handle_connect(self, event: Any) -> None:
        super().handle_connect(event)
        self.request = None  # type: ignore[assignment]  # uvicorn reads it only in handle_connect
        if not self.close_sent:  # the handshake is going ahead: the application gets the scope
            extensions = cast(dict[str, Any], self.scope["extensions"])  # ASGI types its values as dicts
            extensions[PREPARED_FRAMES] = self.write_prepared

    async def send(self, message: Any) -> None:
        self.asgi_sends += 1
        try:
            await super().send(message)
        finally:
            self.asgi_sends -= 1

    def write_prepared(self, frame: bytes) -> bool:
        """Write a frame from `prepare_text` now, if the socket is open, keeping up, and nothing is being sent
        through ASGI (which may be waiting for the client to read); False if the caller must send it as usual.
        """
        if (
            self.asgi_sends
            or self.close_sent
            or self.disconnected
            or not self.writable.is_set()
            or self.conn.state is not State.OPEN
            or self.conn.extensions  # none is negotiated (no per-message deflate); a frame would need them
        ):
            return False
        self.transport.write(frame)
        return True
