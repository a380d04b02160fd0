"""Small shared pieces that belong to no app (hub, markdown, errors, time zones, append-only rows); they import no app."""
