"""Message bodies to safe HTML: a markdown subset, @mentions, then bleach (clean + linkify).

Pure: no ORM, no I/O. Rendered once when a message is written; pages show the stored HTML.
Allowed: emphasis, inline code and code blocks, lists, quotes, links (http, https, mailto only, with
rel="nofollow noopener noreferrer"), line breaks and mentions of people in the room.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from functools import partial
from html import escape
from urllib.parse import urlsplit

from bleach.linkifier import LinkifyFilter
from bleach.sanitizer import Cleaner
from markdown_it import MarkdownIt
from markdown_it.token import Token

ALLOWED_TAGS = frozenset(
    {"p", "br", "em", "strong", "code", "pre", "ul", "ol", "li", "blockquote", "a", "span"}
)
ALLOWED_ATTRIBUTES = {"a": ["href", "rel"], "span": ["class", "data-user"], "ol": ["start"]}
ALLOWED_PROTOCOLS = frozenset({"http", "https", "mailto"})
LINK_REL = "nofollow noopener noreferrer"
MENTION = re.compile(r"(?<![\w@])@([\w.+-]*[\w+-])")

# Characters that mean nothing to markdown-it or linkify inside one line of text (`_` is ruled out below).
_INERT = (
    r"\w !\"#$%&'()+,./:;<=>?^{|}~\-"  # letters, digits, ASCII punctuation but * ` [ ] \ and @
    "¡¿«»°–—‘’“”…€\u0300-\u036f"  # Spanish and typographic punctuation, combining accents
    "\u2600-\u27bf\U0001f000-\U0001faff\u200d\ufe0f"  # emoji, joiners and variation selectors
)
# Anything that might not render as one paragraph of escaped text: a character not known to be inert
# (markdown syntax, @, _, control characters, whitespace other than the space), a block marker at the
# start (list, quote, fence, code block, heading), a space at either end (stripped), a letter after a
# dot (linkify's domain names: x.it, café.com, K.ſe) or an entity after & (bleach keeps it unescaped).
_NOT_PLAIN = re.compile(r"[^" + _INERT + r"]|_|\A[-+*>~=# ]|\A\d+[.)](?!\d)| \Z|\.[^\W\d]|&[#\w]")

_markdown = MarkdownIt("zero", {"html": False, "breaks": True, "linkify": False}).enable(
    ["emphasis", "backticks", "fence", "code", "list", "blockquote", "link", "newline", "escape"]
)


def _safe_link(
    attrs: dict[tuple[str | None, str], str], new: bool = False
) -> dict[tuple[str | None, str], str] | None:
    # Relative or scheme-less hrefs mean nothing in a chat message; keep the text, drop the link.
    if urlsplit(attrs.get((None, "href"), "").strip()).scheme.lower() not in ALLOWED_PROTOCOLS:
        return None
    attrs[(None, "rel")] = LINK_REL
    return attrs


_cleaner = Cleaner(
    tags=ALLOWED_TAGS,
    attributes=ALLOWED_ATTRIBUTES,
    protocols=ALLOWED_PROTOCOLS,
    strip=True,
    strip_comments=True,
    # bleach documents that a callback may return None to drop a link; its type stubs do not say so.
    filters=[partial(LinkifyFilter, callbacks=[_safe_link], skip_tags={"pre", "code"}, parse_email=True)],  # type: ignore[list-item]
)


def sanitize(html: str) -> str:
    """Keep only allowed tags, attributes and link schemes, and link bare URLs; idempotent."""
    return _cleaner.clean(html)


@dataclass(frozen=True)
class Rendered:
    """The HTML to store and show, and the usernames it mentions."""

    html: str
    mentions: tuple[str, ...]


def _mention_tokens(text: str, known: frozenset[str], found: list[str]) -> list[Token]:
    tokens: list[Token] = []
    last = 0
    for match in MENTION.finditer(text):
        username = match.group(1)
        if username not in known:
            continue
        if match.start() > last:
            tokens.append(_text(text[last : match.start()]))
        html = Token("html_inline", "", 0)
        html.content = f'<span class="mention" data-user="{escape(username)}">@{escape(username)}</span>'
        tokens.append(html)
        if username not in found:
            found.append(username)
        last = match.end()
    if last < len(text):
        tokens.append(_text(text[last:]))
    return tokens


def _text(content: str) -> Token:
    token = Token("text", "", 0)
    token.content = content
    return token


def _resolve_mentions(tokens: list[Token], known: frozenset[str]) -> list[str]:
    found: list[str] = []
    for block in tokens:
        if block.type != "inline" or not block.children:
            continue
        children: list[Token] = []
        in_link = 0
        for child in block.children:
            in_link += child.type == "link_open"
            in_link -= child.type == "link_close"
            if child.type == "text" and not in_link and "@" in child.content:
                children.extend(_mention_tokens(child.content, known, found))
            else:
                children.append(child)
        block.children = children
    return found


def _is_plain(body: str) -> bool:
    """True only if the full pipeline renders `body` as `<p>`, the body escaped by `_escape`, `</p>`."""
    return bool(body) and _NOT_PLAIN.search(body) is None


def _escape(text: str) -> str:
    # markdown-it escapes & < > " (not '); bleach then keeps those entities as they are.
    return escape(text, quote=False).replace('"', "&quot;")


def _render_full(body: str, people: Iterable[str]) -> Rendered:
    tokens = _markdown.parse(body)
    mentions = _resolve_mentions(tokens, frozenset(people))
    html = _markdown.renderer.render(tokens, _markdown.options, {})
    return Rendered(html=sanitize(html).strip(), mentions=tuple(mentions))


def render(body: str, *, people: Iterable[str] = ()) -> Rendered:
    """Render a message body; `@username` becomes a mention only for people of the room."""
    # Most messages are plain text, and markdown-it plus bleach cost far more than escaping them.
    if _is_plain(body):
        return Rendered(html=f"<p>{_escape(body)}</p>", mentions=())
    return _render_full(body, people)
