"""`{{ when|ago }}`: how long ago, with real plurals and "just now" instead of "0 minutes ago"."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import translation

from coaching.templatetags.moments import ago

NOW = dt.datetime(2026, 12, 6, 12, 0, tzinfo=dt.UTC)


@pytest.mark.parametrize(
    ("before", "said"),
    [
        (dt.timedelta(seconds=0), "just now"),
        (dt.timedelta(seconds=59), "just now"),
        (dt.timedelta(seconds=-30), "just now"),  # a clock a little ahead
        (dt.timedelta(minutes=1), "1\xa0minute ago"),
        (dt.timedelta(minutes=5), "5\xa0minutes ago"),
        (dt.timedelta(hours=1, minutes=1), "1\xa0hour, 1\xa0minute ago"),
    ],
)
def test_it_says_how_long_ago_in_words(before, said):
    assert ago(NOW - before, NOW) == said


def test_it_uses_the_readers_plurals_in_spanish():
    with translation.override("es"):
        assert "1\xa0minuto" in ago(NOW - dt.timedelta(minutes=1), NOW)
        assert "5\xa0minutos" in ago(NOW - dt.timedelta(minutes=5), NOW)


def test_it_says_nothing_for_no_date():
    assert ago(None) == ""
