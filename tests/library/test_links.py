"""The pure link extractor on HTML as the chat stores it (rendered by coaching.lib.markdown)."""

from __future__ import annotations

from coaching.lib.markdown import render
from coaching.library.links import links_in


def test_it_finds_bare_and_markdown_links_in_order_once_each():
    html = render(
        "See https://example.org/a?x=1&y=2 and [the guide](https://docs.example.org/guide) "
        "and again https://example.org/a?x=1&y=2"
    ).html
    assert links_in(html) == ["https://example.org/a?x=1&y=2", "https://docs.example.org/guide"]


def test_it_keeps_http_and_https_only():
    html = render("Mail me at kofi@example.org, read http://old.example.org or [x](javascript:alert(1))").html
    assert links_in(html) == ["http://old.example.org"]


def test_plain_text_and_code_have_no_links():
    assert links_in(render("No links here, just words.").html) == []
    assert links_in(render("`https://example.org` in code is not a link").html) == []


def test_broken_html_and_odd_addresses_do_not_raise():
    assert links_in('<a href="http://[::1">x</a><a>no href</a><a href="https://ok.example">') == [
        "https://ok.example"
    ]
