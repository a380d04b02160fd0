"""Background deliveries of notifications, run by the worker: each retried run sends nothing twice."""

from __future__ import annotations
