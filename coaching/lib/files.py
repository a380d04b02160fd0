"""Headers for a response that carries a file someone uploaded: never sniffed, never run as a page."""

from __future__ import annotations

from django.http.response import HttpResponseBase

# Nothing loads, nothing runs, and the file is its own unique origin if a browser shows it anyway.
UNTRUSTED_CSP = "default-src 'none'; sandbox"


def untrusted_file(response: HttpResponseBase, *, max_age: int) -> HttpResponseBase:
    """`response` with the headers every uploaded file is served with; the reader's own browser may keep it
    `max_age` seconds, shared caches never."""
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = UNTRUSTED_CSP
    response["Cross-Origin-Resource-Policy"] = "same-origin"
    response["Referrer-Policy"] = "no-referrer"
    response["Cache-Control"] = f"private, max-age={max_age}"
    return response
