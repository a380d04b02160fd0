"""Baseline "bare": a plain `websockets` asyncio server; rooms are sets, fan-out is `websockets.broadcast`.

Run: `python -m bench.baselines.bare --port P`. The room is the request path; every text frame is
relayed unchanged to every socket in the room, sender included; nothing is stored; no compression.
"""

from __future__ import annotations

import argparse
import asyncio
import signal
from collections.abc import Sequence

from websockets.asyncio.server import ServerConnection, broadcast, serve

MAX_FRAME = 16 * 1024


async def serve_rooms(host: str, port: int) -> None:
    """Serve until SIGTERM or SIGINT."""
    rooms: dict[str, set[ServerConnection]] = {}

    async def handler(connection: ServerConnection) -> None:
        path = connection.request.path if connection.request else "/"
        room = rooms.setdefault(path, set())
        room.add(connection)
        try:
            async for message in connection:
                broadcast(room, message)
        finally:
            room.discard(connection)

    stop = asyncio.Event()
    for signum in (signal.SIGTERM, signal.SIGINT):
        asyncio.get_running_loop().add_signal_handler(signum, stop.set)
    async with serve(handler, host, port, compression=None, max_size=MAX_FRAME, backlog=4096):
        await stop.wait()


def main(argv: Sequence[str] | None = None) -> int:
    """Parse the port and serve."""
    parser = argparse.ArgumentParser(prog="python -m bench.baselines.bare", description=__doc__)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, required=True)
    args = parser.parse_args(argv)
    asyncio.run(serve_rooms(args.host, args.port))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
