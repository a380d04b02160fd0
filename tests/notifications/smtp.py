"""A real SMTP server for tests (aiosmtpd on a free loopback port) that keeps every message it receives.

Tests ask for the `smtp_server` fixture (tests/conftest.py), which points Django at it; a server process a
test starts sends to the same inbox when given `Inbox.env` (`daphne_factory(**smtp_server.env)`).
"""

from __future__ import annotations

import contextlib
import email
import email.policy
import socket
import threading
import time
from collections.abc import Iterator
from email.message import EmailMessage
from typing import Any

from aiosmtpd.controller import Controller


class Inbox:
    """The messages the server accepted, parsed (RFC 5322), in arrival order; some addresses can bounce."""

    def __init__(self) -> None:
        self.messages: list[EmailMessage] = []
        self.refuse: set[str] = set()  # recipients answered with 550
        self._lock = threading.Lock()
        self.host = "127.0.0.1"
        self.port = 0

    async def handle_RCPT(
        self, server: Any, session: Any, envelope: Any, address: str, rcpt_options: list[str]
    ) -> str:
        if address in self.refuse:
            return "550 mailbox unavailable"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        message = email.message_from_bytes(envelope.content, policy=email.policy.default)
        assert isinstance(message, EmailMessage)
        with self._lock:
            self.messages.append(message)
        return "250 Message accepted for delivery"

    def to(self, address: str) -> list[EmailMessage]:
        """The messages sent to `address`."""
        with self._lock:
            return [m for m in self.messages if address in str(m["To"])]

    def clear(self) -> None:
        with self._lock:
            self.messages.clear()

    def wait_for(self, count: int, *, timeout: float = 10) -> list[EmailMessage]:
        """The messages once at least `count` arrived (for a test whose sender is another process)."""
        deadline = time.monotonic() + timeout
        while True:
            with self._lock:
                if len(self.messages) >= count:
                    return list(self.messages)
            if time.monotonic() > deadline:
                raise AssertionError(f"expected {count} emails, got {len(self.messages)}")
            time.sleep(0.05)

    @property
    def env(self) -> dict[str, str]:
        """Environment variables pointing a server process (e.g. daphne, a worker) at this SMTP server (the
        test settings send nowhere otherwise: tests/settings.py)."""
        return {
            "EMAIL_HOST": self.host,
            "EMAIL_PORT": str(self.port),
            "EMAIL_USE_TLS": "false",
            "TEST_SERVER_SMTP": "true",
        }


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def text_of(message: EmailMessage, subtype: str = "plain") -> str:
    """The text/plain (or text/html) part of a message."""
    part = message.get_body(preferencelist=(subtype,))
    assert part is not None, f"no text/{subtype} part"
    return str(part.get_content())


@contextlib.contextmanager
def serving() -> Iterator[Inbox]:
    """A real SMTP server on a free loopback port while the block runs; its inbox."""
    inbox = Inbox()
    inbox.port = _free_port()
    controller = Controller(inbox, hostname=inbox.host, port=inbox.port)
    controller.start()
    try:
        yield inbox
    finally:
        controller.stop()
