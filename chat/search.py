"""Search every conversation a person may read (chat.access.readable_rooms), best first, a page at a time.

On PostgreSQL each message is matched through its stored `search_document` (migration 0004: English or
Spanish stemming by the language it was sent in, accents ignored when `unaccent` exists, a GIN index), and
ranked by `ts_rank`; elsewhere every word must appear as it is typed (icontains), newest first. Deleted and
hidden messages are never found. Snippets are escaped here, fragment by fragment, around the marks.
"""

from __future__ import annotations

import datetime as dt
import html
import re
from dataclasses import dataclass

from django.db import connection
from django.db.models import BooleanField, Exists, FloatField, OuterRef, Q, QuerySet
from django.db.models.expressions import RawSQL
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _

from chat.access import readable_rooms
from chat.models import Attachment, Message
from chat.selectors import FILES
from chat.sending import text_or_refuse
from coaching.accounts.models import User
from coaching.lib.errors import ChatError

MAX_QUERY = 200
MAX_WORDS = 12
PAGE_SIZE = 20
SNIPPET_CHARS = 240
QUOTES = "\"'\u201c\u201d\u2018\u2019\u00ab\u00bb"  # straight, curly and angle quotes
# Marks around matched words: control characters, which no stored message can contain (coaching.lib.text).
START, STOP = "\x02", "\x03"

# A message's language -> its text search configuration (created by migration 0004; keep both in step).
CONFIGS = {"en": "circles_en", "es": "circles_es"}
OTHER_CONFIG = "circles_simple"
CONFIG_SQL = (
    "CASE chat_message.language "
    + " ".join(f"WHEN '{code}' THEN '{name}'::regconfig" for code, name in CONFIGS.items())
    + f" ELSE '{OTHER_CONFIG}'::regconfig END"
)
# The query read by every configuration, OR-ed: each message is matched as its own language reads the words.
QUERY_CONFIGS = (*CONFIGS.values(), OTHER_CONFIG)
QUERY_SQL = "(" + " || ".join(f"websearch_to_tsquery('{n}'::regconfig, %s)" for n in QUERY_CONFIGS) + ")"
# Up to two excerpts around the matches; ShortWord=0 keeps short words ("The") at their edges.
HEADLINE_OPTIONS = (
    f"StartSel={START}, StopSel={STOP}, MaxFragments=2, MaxWords=24, MinWords=8, ShortWord=0, "
    'FragmentDelimiter=" … "'
)
# The body escaped before ts_headline (whose parser drops what looks like a tag); `highlight` re-escapes it.
ESCAPED_BODY_SQL = "replace(replace(replace(chat_message.body, '&', '&amp;'), '<', '&lt;'), '>', '&gt;')"


@dataclass(frozen=True)
class Criteria:
    """What to look for, within the rooms the person may read; None leaves a filter out.

    Each filter is one field here and one clause in `narrow`.
    """

    query: str
    room_id: int | None = None
    author_id: int | None = None
    since: dt.datetime | None = None  # inclusive
    until: dt.datetime | None = None  # exclusive
    has_file: bool = False


@dataclass(frozen=True)
class Hit:
    """One message found, with its snippet: escaped text, the matched words in <mark>."""

    message: Message
    snippet: SafeString


@dataclass(frozen=True)
class Results:
    hits: list[Hit]
    page: int
    has_more: bool


def clean_query(query: str) -> str:
    """The query trimmed; `too_long` beyond MAX_QUERY characters, `invalid_frame` unless one line of text."""
    query = text_or_refuse(query).strip()
    if len(query) > MAX_QUERY:
        raise ChatError("too_long", _("A search can be at most %(max)d characters.") % {"max": MAX_QUERY})
    return query


def words(query: str) -> tuple[list[str], list[str]]:
    """The words asked for and the "-words" refused, as a search box reads them (the first MAX_WORDS)."""
    wanted: list[str] = []
    excluded: list[str] = []
    for word in query.split()[:MAX_WORDS]:
        refused = word.startswith("-")
        word = word.lstrip("-").strip(QUOTES)
        if word:
            (excluded if refused else wanted).append(word)
    return wanted, excluded


def narrow(messages: QuerySet[Message], criteria: Criteria) -> QuerySet[Message]:
    """The messages that pass every filter of `criteria` (the words aside)."""
    if criteria.room_id is not None:
        messages = messages.filter(room_id=criteria.room_id)
    if criteria.author_id is not None:
        messages = messages.filter(author_id=criteria.author_id)
    if criteria.since is not None:
        messages = messages.filter(created_at__gte=criteria.since)
    if criteria.until is not None:
        messages = messages.filter(created_at__lt=criteria.until)
    if criteria.has_file:
        messages = messages.filter(Exists(Attachment.objects.filter(message=OuterRef("pk"))))
    return messages


# The most messages found by their files' names alone (a name is matched word by word, like SQLite's bodies).
MAX_FILE_MATCHES = 500


def found_by_file_name(room_ids: list[int], wanted: list[str], excluded: list[str]) -> list[int]:
    """Ids of sent messages in these rooms with a file whose name holds every wanted word (none excluded)."""
    files = Attachment.objects.filter(room_id__in=room_ids, message__isnull=False)
    for word in wanted:
        files = files.filter(name__icontains=word)
    for word in excluded:
        files = files.exclude(name__icontains=word)
    return list(files.order_by("-id").values_list("message_id", flat=True).distinct()[:MAX_FILE_MATCHES])


def search(*, user: User, criteria: Criteria, page: int = 1, page_size: int = PAGE_SIZE) -> Results:
    """Page `page` of the visible messages `user` may read that match `criteria`, best first.

    ChatError (`too_long`, `invalid_frame`) for a query that is not one line of at most MAX_QUERY characters.
    A query with no word to find (empty, only "-words" or punctuation) finds nothing.
    """
    query = clean_query(criteria.query)
    wanted, excluded = words(query)
    if not wanted:
        return Results(hits=[], page=page, has_more=False)
    # The room ids as constants (a handful per person): the planner then estimates each room's share well.
    room_ids = list(readable_rooms(user).values_list("pk", flat=True))
    messages = narrow(
        Message.objects.filter(room_id__in=room_ids, deleted_at__isnull=True, hidden_at__isnull=True),
        criteria,
    )
    postgres = connection.vendor == "postgresql"
    # Every RawSQL below is this module's constant SQL; the query itself is always a bound parameter.
    params = [query] * len(QUERY_CONFIGS)
    ordered: QuerySet[Message]
    # A message is also found by its files' names: one small query on the files, then one "or" by id.
    by_file = Q(pk__in=found_by_file_name(room_ids, wanted, excluded))
    if postgres:
        document = "chat_message.search_document"
        matches = RawSQL(f"{document} @@ {QUERY_SQL}", params, output_field=BooleanField())  # noqa: S611
        rank = RawSQL(f"ts_rank({document}, {QUERY_SQL})", params, output_field=FloatField())  # noqa: S611
        ordered = (
            messages.filter(Q(matches) | by_file).annotate(rank=rank).order_by("-rank", "-created_at", "-id")
        )
    else:
        in_body = Q()
        for word in wanted:
            in_body &= Q(body__icontains=word)
        for word in excluded:
            in_body &= ~Q(body__icontains=word)
        ordered = messages.filter(in_body | by_file).order_by("-created_at", "-id")
    start = (page - 1) * page_size
    ids = list(ordered.values_list("pk", flat=True)[start : start + page_size + 1])
    has_more, ids = len(ids) > page_size, ids[:page_size]
    # Visible again: a message deleted or hidden since the first query is left out, not shown.
    found = (
        Message.objects.select_related(
            "author", "room__circle", "room__thread__coach", "room__thread__member"
        )
        .prefetch_related(FILES)
        .filter(pk__in=ids, deleted_at__isnull=True, hidden_at__isnull=True)
    )
    if postgres:
        headline = f"ts_headline({CONFIG_SQL}, {ESCAPED_BODY_SQL}, {QUERY_SQL}, %s)"
        found = found.annotate(headline=RawSQL(headline, [*params, HEADLINE_OPTIONS]))  # noqa: S611
    by_id = {message.pk: message for message in found}
    hits = []
    for message in (by_id[pk] for pk in ids if pk in by_id):
        if postgres:
            snippet = highlight(message.headline, escaped=True)  # type: ignore[attr-defined]
        else:
            snippet = highlight(mark_words(message.body, wanted))
        hits.append(Hit(message=message, snippet=snippet))
    return Results(hits=hits, page=page, has_more=has_more)


def mark_words(text: str, wanted: list[str]) -> str:
    """The text around its first match (at most SNIPPET_CHARS), each wanted word between START and STOP."""
    pattern = re.compile("|".join(re.escape(word) for word in wanted), re.IGNORECASE)
    first = pattern.search(text)
    begin = max(0, first.start() - SNIPPET_CHARS // 3) if first else 0
    excerpt = text[begin : begin + SNIPPET_CHARS]
    excerpt = ("…" if begin else "") + excerpt + ("…" if begin + SNIPPET_CHARS < len(text) else "")
    return pattern.sub(lambda match: f"{START}{match.group(0)}{STOP}", excerpt)


def highlight(marked: str, *, escaped: bool = False) -> SafeString:
    """HTML from text with START/STOP marks: every fragment escaped, only the marks become <mark>.

    `escaped`: the text was HTML-escaped before marking (by the database); it is unescaped first, so what
    reaches the page is always escaped here, once.
    """
    parts = []
    open_mark = False
    for piece in re.split(f"([{START}{STOP}])", marked):
        if piece == START and not open_mark:
            parts.append("<mark>")
            open_mark = True
        elif piece == STOP and open_mark:
            parts.append("</mark>")
            open_mark = False
        elif piece not in (START, STOP):
            parts.append(escape(html.unescape(piece) if escaped else piece))
    if open_mark:
        parts.append("</mark>")
    return mark_safe("".join(parts))  # noqa: S308 - built only from escaped fragments and <mark> tags
