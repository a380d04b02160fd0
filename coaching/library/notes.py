"""Writing a circle's notes: every save is a new revision; a save from an older base is kept and flagged.

Optimistic concurrency: the editor posts the revision it started from (`base`). If someone saved since,
the save is still stored (nothing typed is lost, both revisions stay in the history) and the caller is
handed the revisions saved in between, so the person can see the other text and merge.
Access to the circle was checked by the caller (chat.access.access_room).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from circles.models import Circle
from coaching.accounts.models import User
from coaching.lib.text import clean_text
from coaching.library.models import Note, NoteRevision

MAX_NOTE = 20_000


@dataclass(frozen=True)
class Saved:
    """What a save did: the new revision (None when the text was already the current one), and the
    revisions others saved after the editor's base, newest first (empty unless there was a conflict)."""

    revision: NoteRevision | None
    theirs: list[NoteRevision] = field(default_factory=list)


def check_note_text(text: str) -> str:
    """The text with \\n line breaks, no trailing blanks; ValidationError over the size or the text rule."""
    text = clean_text(text).rstrip()
    if len(text) > MAX_NOTE:
        raise ValidationError(
            _("The notes can be at most %(max)d characters long."),
            code="max_length",
            params={"max": MAX_NOTE},
        )
    return text


def _locked_note(circle: Circle) -> Note:
    """The circle's notes row, made on first use, locked until the transaction ends."""
    note_id = Note.objects.get_or_create(circle=circle)[0].pk
    return Note.objects.select_for_update().get(pk=note_id)


def save_note(*, user: User, circle: Circle, base: int, text: str) -> Saved:
    """Store `text` as the circle's next revision of notes, started from revision `base` (0: none yet)."""
    text = check_note_text(text)
    with transaction.atomic():
        note = _locked_note(circle)
        if not 0 <= base <= note.head:
            raise ValidationError(_("That revision of the notes does not exist."), code="no_such_revision")
        theirs = list(note.revisions.filter(number__gt=base).select_related("author").order_by("-number"))
        current = theirs[0].text if theirs else _text_at(note, note.head)
        if text == current:
            return Saved(revision=None)  # unchanged, or the same text the other person saved
        note.head += 1
        revision = NoteRevision.objects.create(note=note, number=note.head, base=base, author=user, text=text)
        note.save(update_fields=["head"])
    return Saved(revision=revision, theirs=theirs)


def _text_at(note: Note, number: int) -> str:
    if number == 0:
        return ""
    return note.revisions.values_list("text", flat=True).get(number=number)
