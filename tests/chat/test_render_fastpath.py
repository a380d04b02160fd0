"""The plain-text fast path of render() gives exactly what markdown-it and bleach would give."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from coaching.lib.markdown import _is_plain, _render_full, render

PEOPLE = ["kofi", "lucia.coach"]
BENCHMARK = "1234 5678 1763822400.123456 " + "x" * 72

# Mostly characters the fast path may take, and enough of the others to catch a false "plain".
INERT = "abcxyzABCXYZ0123456789 .,;:!?¿¡'\"()&<>/%$#=+-~^{|}áéíóúüñÁÉÑ«»…–—“”€°😀👍🏽❤️\u200d\u0301"
SPECIAL = "*_`[]\\@\n\t\r\x00\x0c\xa0\u2028\u3000\ufffdſKİı"
FRAGMENTS = [
    "x.it",
    "café.com",
    "K.ſe",
    "a.ſe",
    "www.",
    "http://",
    "mailto:",
    "a@b.co",
    "@kofi",
    "@lucia.coach",
    "1. ",
    "1) ",
    "- ",
    "+ ",
    "* ",
    "> ",
    "# ",
    "```",
    "~~~",
    "    ",
    "&amp;",
    "&lt;",
    "&#39;",
    "&#x41;",
    "&copy;",
    "&AMP;",
    "<b>",
    "<script>",
    "<!--",
    "1.5",
    "192.168.0.1",
    "  \n",
    "com",
    "org",
    "es",
]
# Characters, weighted so that a third or more of the bodies are plain; and pieces of syntax too.
bodies = st.text(st.sampled_from(list(INERT) * 6 + list(SPECIAL)), max_size=40)
syntax = st.lists(st.sampled_from(list(INERT) * 6 + list(SPECIAL) + FRAGMENTS), max_size=20).map("".join)
# Any code point a browser could send, for characters the lists above forgot.
anything = st.text(st.characters(exclude_categories=["Cs"]), max_size=20)


def _check_fast_path(body: str) -> None:
    # Bodies it does not take go to _render_full anyway; running it for them would only slow the test.
    if _is_plain(body):
        assert render(body, people=PEOPLE) == _render_full(body, PEOPLE)


@settings(max_examples=2000, deadline=None)
@given(bodies)
def test_the_fast_path_matches_the_full_pipeline(body):
    _check_fast_path(body)


@settings(max_examples=300, deadline=None)
@given(syntax)
def test_the_fast_path_matches_the_full_pipeline_around_syntax(body):
    _check_fast_path(body)


@settings(max_examples=300, deadline=None)
@given(anything)
def test_the_fast_path_matches_the_full_pipeline_for_any_unicode(body):
    _check_fast_path(body)


PLAIN = [
    BENCHMARK,
    "1234 5678 1763822400.123456 xxxxxxxx",
    "1.5",
    "1.5 kg",
    "192.168.0.1",
    "v1.2.3",
    "ok.",
    "ok... ok",
    "3.14159",
    "12.5 is the answer",
    "Hola. ¿Cómo estás?",
    "¿Quedamos mañana a las 10:30 en el café de la esquina? ¡Genial!",
    "Él dijo «ñandú» — y luego… nada.",
    "Me encantó la sesión 😀👍🏽❤️ gracias a todos 👨\u200d👩\u200d👧",
    "pinguïno, über, garçon, Ærøskøbing",
    "Привет, как дела? 你好",
    'she said "hi" & left',
    "it's 5 < 6 > 4",
    "a & b",
    "&",
    "&&",
    "1 + 1 = 2",
    "50% off, $5 {x} | y ^ z ~ w",
    "(see above)",
    "http://x",
    "<script>alert(1)</script>",
    "wait... what?!",
    "a-b",
    "1234",
    "1234 5678",
    "e\u0301",
]
NOT_PLAIN = [
    "",
    " ",
    " leading",
    "trailing ",
    "https://example.com",
    "example.com",
    "www.example.org",
    "see example.com now",
    "x.it",
    "X.IT",
    "café.com",
    "K.ſe",
    "a.ſe",
    "a.b",
    "a@b.co",
    "mail me at a@b.co",
    "@kofi",
    "hi @kofi",
    "@stranger",
    "1. item",
    "1) item",
    "1.",
    "12. is the answer",
    "2) 5",
    "&foo",
    "#1 priority",
    "- item",
    "-5 degrees",
    "+ item",
    "* item",
    "> quote",
    "# title",
    "~~~",
    "```",
    "    code",
    "**bold**",
    "*em*",
    "_em_",
    "snake_case",
    "`code`",
    "[link](https://x.example)",
    "![img](https://x.example/i.png)",
    "a\\*b",
    "&amp;",
    "&lt;",
    "&#39;",
    "&AMP;",
    "&copy; 2025",
    "line\nbreak",
    "line  \nbreak",
    "tab\there",
    "nbsp\xa0here",
    "nul\x00here",
    "cr\rhere",
    "¿Vienes a example.es?",
]


@pytest.mark.parametrize("body", PLAIN + NOT_PLAIN)
def test_tricky_bodies_render_as_the_full_pipeline_does(body):
    assert render(body, people=PEOPLE) == _render_full(body, PEOPLE)


@pytest.mark.parametrize("body", PLAIN)
def test_plain_bodies_take_the_fast_path(body):
    assert _is_plain(body)


@pytest.mark.parametrize("body", NOT_PLAIN)
def test_other_bodies_take_the_full_pipeline(body):
    assert not _is_plain(body)


def test_the_fast_path_escapes_as_markdown_it_and_bleach_do():
    assert render("a \"b\" 'c' & <d>").html == "<p>a &quot;b&quot; 'c' &amp; &lt;d&gt;</p>"
