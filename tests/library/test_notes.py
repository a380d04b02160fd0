"""Circle notes against the real database: revisions kept, and two people saving from the same base."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from threading import Barrier

import pytest
from django.core.exceptions import ValidationError
from django.db import connection

from coaching.lib.models import AppendOnlyError
from coaching.library import notes, selectors
from coaching.library.models import NoteRevision

pytestmark = pytest.mark.django_db


def history(place) -> list[tuple[int, int, str, str]]:
    return [(r.number, r.base, r.author.username, r.text) for r in selectors.revisions(circle=place.circle)]


def test_each_save_is_a_new_revision_and_the_newest_is_current(place):
    first = notes.save_note(user=place.grace, circle=place.circle, base=0, text="Goals\r\n- save")
    assert first.theirs == []
    assert first.revision is not None
    second = notes.save_note(user=place.kofi, circle=place.circle, base=1, text="Goals\n- save\n- run")
    assert second.theirs == []
    assert history(place) == [(2, 1, "kofi", "Goals\n- save\n- run"), (1, 0, "grace", "Goals\n- save")]
    current = selectors.current_revision(circle=place.circle)
    assert current is not None
    assert current.number == 2


def test_saving_the_same_text_stores_nothing(place):
    notes.save_note(user=place.grace, circle=place.circle, base=0, text="Same")
    assert notes.save_note(user=place.kofi, circle=place.circle, base=1, text="Same  ").revision is None
    assert len(history(place)) == 1


def test_two_people_saving_from_the_same_base_keep_both_and_the_second_is_shown_the_first(place):
    notes.save_note(user=place.coach, circle=place.circle, base=0, text="Agenda")
    grace = notes.save_note(user=place.grace, circle=place.circle, base=1, text="Agenda\n- Grace's point")
    kofi = notes.save_note(user=place.kofi, circle=place.circle, base=1, text="Agenda\n- Kofi's point")
    assert grace.theirs == []
    assert [(r.number, r.author.username, r.text) for r in kofi.theirs] == [
        (2, "grace", "Agenda\n- Grace's point")
    ]
    assert kofi.revision is not None
    assert kofi.revision.conflicted
    assert history(place) == [
        (3, 1, "kofi", "Agenda\n- Kofi's point"),
        (2, 1, "grace", "Agenda\n- Grace's point"),
        (1, 0, "coach", "Agenda"),
    ]
    # Kofi merges from his own revision: no conflict any more.
    merged = notes.save_note(
        user=place.kofi, circle=place.circle, base=3, text="Agenda\n- Grace's point\n- Kofi's point"
    )
    assert merged.theirs == []
    assert merged.revision is not None
    assert not merged.revision.conflicted


def test_a_second_save_of_the_very_same_text_is_no_conflict(place):
    notes.save_note(user=place.grace, circle=place.circle, base=0, text="Both typed this")
    again = notes.save_note(user=place.kofi, circle=place.circle, base=0, text="Both typed this")
    assert again.revision is None
    assert again.theirs == []


@pytest.mark.parametrize(
    ("base", "text"),
    [(5, "a base that does not exist"), (0, "x" * (notes.MAX_NOTE + 1)), (0, "a NUL \x00 inside")],
)
def test_bad_saves_are_refused_with_a_sentence_and_store_nothing(place, base, text):
    with pytest.raises(ValidationError) as refused:
        notes.save_note(user=place.grace, circle=place.circle, base=base, text=text)
    assert refused.value.messages[0]
    assert history(place) == []


def test_revisions_are_never_rewritten(place):
    saved = notes.save_note(user=place.grace, circle=place.circle, base=0, text="kept").revision
    assert saved is not None
    saved.text = "rewritten"
    with pytest.raises(AppendOnlyError):
        saved.save()
    with pytest.raises(AppendOnlyError):
        NoteRevision.objects.filter(pk=saved.pk).update(text="rewritten")


@pytest.mark.django_db(transaction=True)
def test_two_saves_at_the_same_moment_from_one_base_are_both_kept_in_order(place):
    start = Barrier(2)

    def save(user, text):
        start.wait()
        try:
            return notes.save_note(user=user, circle=place.circle, base=0, text=text)
        finally:
            connection.close()

    with ThreadPoolExecutor(2) as pool:
        results = list(pool.map(save, [place.grace, place.kofi], ["Grace's", "Kofi's"]))
    assert sorted(r.revision.number for r in results if r.revision) == [1, 2]
    assert sorted(len(r.theirs) for r in results) == [0, 1]  # the later one is told about the earlier
    assert {r.text for r in selectors.revisions(circle=place.circle)} == {"Grace's", "Kofi's"}
