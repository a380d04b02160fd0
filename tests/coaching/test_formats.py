"""Dates read the same way on every continent: day, month as a word, year, and a 24-hour clock."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
from django.template import Context, Template
from django.utils import timezone, translation

MADRID = ZoneInfo("Europe/Madrid")
MOMENT = dt.datetime(2026, 12, 6, 10, 13, tzinfo=dt.UTC)  # 11:13 in Madrid


@pytest.mark.parametrize(
    ("language", "name", "expected"),
    [
        ("en", "SHORT_DATETIME_FORMAT", "6 Dec 2026, 11:13"),
        ("en", "DATETIME_FORMAT", "6 December 2026, 11:13"),
        ("en", "SHORT_DATE_FORMAT", "6 Dec 2026"),
        ("es", "SHORT_DATETIME_FORMAT", "6 dic 2026, 11:13"),
        ("es", "DATETIME_FORMAT", "6 de diciembre de 2026 a las 11:13"),
        ("es", "SHORT_DATE_FORMAT", "6 dic 2026"),
    ],
)
def test_a_madrid_admin_never_reads_the_sixth_of_december_as_the_twelfth_of_june(language, name, expected):
    template = Template('{{ when|date:"' + name + '" }}')
    with translation.override(language), timezone.override(MADRID):
        assert template.render(Context({"when": MOMENT})) == expected
