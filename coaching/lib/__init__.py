"""Shared pieces that belong to no app (hub, markdown, errors, zones, append-only rows); they import none."""
