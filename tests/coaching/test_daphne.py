"""daphne alone serves a working site: pages, static files and the health check, with DEBUG off."""

from __future__ import annotations

import urllib.request


def fetch(url: str) -> tuple[int, str, str]:
    with urllib.request.urlopen(url, timeout=5) as response:  # noqa: S310 - loopback test server
        return response.status, response.headers.get("Content-Type", ""), response.read().decode()


def test_daphne_serves_pages_and_static_files(daphne_server):
    status, _, page = fetch(f"{daphne_server}/accounts/login/")
    assert status == 200
    assert 'href="/static/css/site.css"' in page
    status, content_type, css = fetch(f"{daphne_server}/static/css/site.css")
    assert status == 200
    assert content_type.startswith("text/css")
    assert "--accent" in css
    assert fetch(f"{daphne_server}/healthz")[0] == 200
