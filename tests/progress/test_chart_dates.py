"""Chart axis dates: one shape per kind of label, in the reader's language (coaching/formats)."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
from django.utils import translation

from coaching.progress.pages import day_name, week_name

MADRID = ZoneInfo("Europe/Madrid")
SESSION = dt.datetime(2026, 12, 1, 17, 0, tzinfo=dt.UTC)


@pytest.mark.parametrize(
    ("language", "week", "day"),
    [("en", "12 Oct", "Tue 1 Dec"), ("es", "12 oct", "mar 1 dic")],
)
def test_it_writes_weeks_and_sessions_alike_in_the_readers_language(language, week, day):
    with translation.override(language):
        assert week_name(dt.date(2026, 10, 12)) == week
        assert day_name(SESSION, MADRID) == day
