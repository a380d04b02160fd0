"""The web process: daphne (or, with `--uvicorn` first, uvicorn) with this project's frame limit and a
graceful shutdown.

Run it as daphne is run: `python -m coaching.server [daphne options] coaching.asgi:application` (the
Procfile, `make run` and the tests' daphne all do), or as uvicorn is run:
`python -m coaching.server --uvicorn [uvicorn options] coaching.asgi:application`. Options given on the
command line win over ours.

What it adds to daphne:
- WebSocket messages and frames up to WEBSOCKET_MAX_BYTES reach the application, which answers anything
  over its own limit (16 KiB, chat/protocol.py) with a `too_long` error frame and keeps the socket open.
  daphne's own cap (1 MiB) would close the socket without a close frame (the client sees 1006).
- SIGTERM (and SIGINT): stop accepting connections, close every WebSocket with 1012 ("service restart")
  so clients reconnect to another process at once, give the applications up to CLOSE_GRACE_SECONDS to
  finish (sockets leave their rooms, requests in flight answer), cancel the rest, then exit. A worker
  thread that can never finish (one waiting on the event loop that has just stopped, through
  `async_to_sync`) would keep the interpreter from exiting forever: after EXIT_GRACE_SECONDS the process
  exits anyway.
- Sockets are never closed for their age (daphne's `--websocket_timeout` would drop each after a day).
- Keep-alive pings are spread: each socket's first comes at a random point of the first interval, so
  sockets opened together (a process restart, a class starting) do not all ping on the same turn.

On uvicorn the same contract takes only options: its websockets-sansio protocol as coaching/uvicorn_socket.py
extends it (no per-message deflate), with the same message limit, closing sockets with 1012 on SIGTERM and
waiting CLOSE_GRACE_SECONDS; proxy headers are trusted from FORWARDED_ALLOW_IPS (uvicorn's own setting,
127.0.0.1 by default).

On both, the heap is settled once the application has loaded (coaching/lib/collector.py): full garbage
collections, which stop the event loop, come rarer and walk less.
"""

from __future__ import annotations

import asyncio
import importlib
import logging
import os
import random
import re
import sys
import threading
import time
from typing import Any

import daphne.server
from daphne.cli import CommandLineInterface
from daphne.server import Server
from daphne.ws_protocol import WebSocketFactory, WebSocketProtocol
from twisted.internet import defer

from coaching.lib import collector

log = logging.getLogger("coaching.server")

# Far above the application's limit (so it answers `too_long` itself) and bounded (an unbounded message
# lets anyone exhaust memory before the application sees it).
WEBSOCKET_MAX_BYTES = 32 * 1024 * 1024
CLOSE_GRACE_SECONDS = 3.0
EXIT_GRACE_SECONDS = 2.0


class SpreadPingProtocol(WebSocketProtocol):
    """daphne's socket, whose first keep-alive ping comes at a random point of the first interval."""

    def onOpen(self) -> None:
        super().onOpen()
        # daphne pings a socket once `ping_interval` has passed since `last_ping`; its checks walk every
        # socket each 2 s, so pings keep the phase this gives them.
        self.last_ping = time.time() - random.uniform(0, self.server.ping_interval)  # noqa: S311


class SpreadPingFactory(WebSocketFactory):
    protocol = SpreadPingProtocol


class GracefulServer(Server):
    """daphne's server, closing sockets with 1012 and letting work finish before it cancels it."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.ports: list[Any] = []

    def listen_success(self, port: Any) -> None:
        self.ports.append(port)
        super().listen_success(port)

    def kill_all_applications(self) -> defer.Deferred[Any]:
        """Runs before the reactor shuts down (SIGTERM): stop accepting, close sockets, settle, cancel."""
        for port in self.ports:
            port.stopListening()
        closing = 0
        for protocol in list(self.connections):
            if isinstance(protocol, WebSocketProtocol) and protocol.state == protocol.STATE_OPEN:
                # autobahn's sendClose refuses codes outside 1000 and 3000-4999; 1012 is registered by IANA
                # for exactly this, and sendCloseFrame (the close handshake itself) sends it.
                protocol.sendCloseFrame(code=protocol.CLOSE_STATUS_CODE_SERVICE_RESTART, isReply=False)
                closing += 1
        running = [
            instance
            for details in self.connections.values()
            if (instance := details.get("application_instance")) is not None and not instance.done()
        ]
        log.info("shutting down: %d sockets closed with 1012, %d applications running", closing, len(running))

        async def settle() -> None:
            if running:
                await asyncio.wait(running, timeout=CLOSE_GRACE_SECONDS)

        settled: defer.Deferred[Any] = defer.Deferred.fromFuture(asyncio.ensure_future(settle()))
        settled.addCallback(lambda _: super(GracefulServer, self).kill_all_applications())
        return settled


class GracefulCommandLine(CommandLineInterface):
    server_class = GracefulServer


def _exit_if_stuck() -> None:
    log.warning("worker threads still busy %.0f s after shutdown; exiting anyway", EXIT_GRACE_SECONDS)
    logging.shutdown()
    os._exit(0)


def uvicorn_options() -> list[str]:
    """Our defaults for uvicorn, before the command line's own options."""
    return [
        "--ws",
        "coaching.uvicorn_socket:WebSocketProtocol",  # websockets-sansio, lighter on memory
        "--ws-per-message-deflate",
        "false",
        "--ws-max-size",
        str(WEBSOCKET_MAX_BYTES),
        "--lifespan",
        "auto",  # the application has no startup or shutdown work, and says so once
        "--timeout-graceful-shutdown",
        str(int(CLOSE_GRACE_SECONDS)),
        "--no-access-log",
        "--log-level",
        "warning",  # not a line per socket opened; the application logs what matters itself
    ]


APPLICATION = re.compile(r"^([\w.]+):[\w.]+$")


def load_application(argv: list[str]) -> None:
    """Import the application the command line names (the server finds it imported), then settle the heap."""
    for arg in argv:
        if named := APPLICATION.match(arg):
            importlib.import_module(named.group(1))
            collector.settle_after_start()
            return


def main(argv: list[str]) -> None:
    load_application(argv)
    if argv[:1] == ["--uvicorn"]:
        import uvicorn.main

        uvicorn.main.main(uvicorn_options() + argv[1:], prog_name="uvicorn")
        return
    limits = ["--websocket-max-message-size", str(WEBSOCKET_MAX_BYTES)]
    limits += ["--websocket-max-frame-size", str(WEBSOCKET_MAX_BYTES)]
    limits += ["--websocket_timeout", "-1"]
    # daphne builds its socket factory inside Server.run, by this module-level name.
    daphne.server.WebSocketFactory = SpreadPingFactory
    GracefulCommandLine().run(limits + argv)
    # The reactor has stopped. The interpreter now joins the worker threads; one that waits on the stopped
    # event loop never returns, so a daemon timer ends the process if joining takes too long.
    watchdog = threading.Timer(EXIT_GRACE_SECONDS, _exit_if_stuck)
    watchdog.daemon = True
    watchdog.start()


if __name__ == "__main__":
    main(sys.argv[1:])
