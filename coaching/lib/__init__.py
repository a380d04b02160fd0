"""Shared pieces that belong to no app (hub, markdown, errors, hours, append-only rows, VAPID)."""
