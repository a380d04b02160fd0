"""Fixtures of the notification tests: a real SMTP server (see smtp.py)."""

from __future__ import annotations

from tests.notifications.smtp import smtp_server

__all__ = ["smtp_server"]
