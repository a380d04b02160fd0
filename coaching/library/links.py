"""Pure: the http(s) links in a stored message's sanitised HTML, in the order they appear."""

from __future__ import annotations

from html.parser import HTMLParser
from urllib.parse import urlsplit

WEB_SCHEMES = frozenset({"http", "https"})


class _Anchors(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.hrefs: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "a":
            href = dict(attrs).get("href")
            if href:
                self.hrefs.append(href.strip())


def links_in(html: str) -> list[str]:
    """Every distinct http or https link of `html` (attribute entities decoded), first occurrence first.

    mailto and anything else is left out: the library lists web pages people shared.
    """
    parser = _Anchors()
    parser.feed(html)
    parser.close()
    seen: dict[str, None] = {}
    for href in parser.hrefs:
        try:
            scheme = urlsplit(href).scheme.lower()
        except ValueError:  # a malformed address (e.g. a broken IPv6 host) is no link to list
            continue
        if scheme in WEB_SCHEMES:
            seen.setdefault(href, None)
    return list(seen)
