"""Spanish that agrees with what it names: a state of commitments is not a verb, a concern is feminine.

These read the Spanish catalogue: they pass once locale/es holds the entries for these contexts."""

from __future__ import annotations

from django.utils import translation

from coaching.progress import charts
from coaching.progress.models import Concern


def test_the_commitments_chart_names_open_as_a_state_not_the_verb():
    with translation.override("es"):
        chart = charts.commitment_states(counts={"kept": 1, "late": 0, "dropped": 0, "open": 2, "overdue": 0})
        page = str(chart.svg) + str(chart.table)
    assert "Abrir" not in page
    assert "Pendientes" in page


def test_a_concern_is_open_and_resolved_in_the_feminine():
    with translation.override("es"):
        labels = [str(Concern.Status.OPEN.label), str(Concern.Status.RESOLVED.label)]
    assert labels == ["abierta", "resuelta"]
