"""Search within one room: PostgreSQL full-text search there, a word-by-word fallback on SQLite.

Deleted and hidden messages are never found: their text is gone or withdrawn from readers.
"""

from __future__ import annotations

from django.contrib.postgres.search import SearchQuery, SearchRank, SearchVector
from django.db import connection
from django.utils.translation import gettext as _

from chat.models import Message, Room
from chat.sending import text_or_refuse
from coaching.lib.errors import ChatError

MAX_QUERY = 200
MAX_RESULTS = 50
MAX_WORDS = 12
QUOTES = "\"'\u201c\u201d\u2018\u2019\u00ab\u00bb"  # straight, curly and angle quotes


def clean_query(query: str) -> str:
    """The query trimmed; `too_long` beyond MAX_QUERY characters, `invalid_frame` unless one line of text."""
    query = text_or_refuse(query).strip()
    if len(query) > MAX_QUERY:
        raise ChatError("too_long", _("A search can be at most %(max)d characters.") % {"max": MAX_QUERY})
    return query


def search_messages(*, room: Room, query: str, limit: int = MAX_RESULTS) -> list[Message]:
    """Up to `limit` visible messages of the room holding every word: best first on Postgres, else newest."""
    query = clean_query(query)
    if not query:
        return []
    messages = Message.objects.select_related("author").filter(
        room=room, deleted_at__isnull=True, hidden_at__isnull=True
    )
    if connection.vendor == "postgresql":
        # "simple": no stemming, so one circle's Spanish and English both match word for word.
        vector = SearchVector("body", config="simple")
        search = SearchQuery(query, search_type="websearch", config="simple")
        messages = (
            messages.annotate(document=vector)
            .filter(document=search)
            .annotate(rank=SearchRank(vector, search))
            .order_by("-rank", "-seq")
        )
    else:
        wanted = 0
        for word in query.split()[:MAX_WORDS]:
            excluded = word.startswith("-")
            word = word.lstrip("-").strip(QUOTES)
            if not word:
                continue
            # The same reading as websearch on PostgreSQL: every word must appear, "-word" must not.
            if excluded:
                messages = messages.exclude(body__icontains=word)
            else:
                messages, wanted = messages.filter(body__icontains=word), wanted + 1
        if not wanted:
            return []  # only exclusions or punctuation: nothing was asked for
        messages = messages.order_by("-seq")
    return list(messages[:limit])
