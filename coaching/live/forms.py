"""Forms of the scheduling and session-log pages; the services in scheduling.py and logs.py hold the rules."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django import forms
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from coaching.accounts.models import User
from coaching.lib.forms import Form
from coaching.lib.text import LineField, TextField
from coaching.live import logs
from coaching.live.errors import SessionRuleError
from coaching.live.logs import MAX_CLOSE_NOTE, MAX_COMMITMENT, MAX_NOTE, MAX_NOTES
from coaching.live.models import Commitment
from coaching.live.scheduling import MAX_WEEKS

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise


class ScheduleForm(Form):
    """A session (or a weekly series) at a date and time in the coach's own zone."""

    title = LineField(label=_("Title"), max_length=200)
    agenda = TextField(label=_("Agenda"), required=False, widget=forms.Textarea(attrs={"rows": 3}))
    date = forms.DateField(label=_("Date"), widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"))
    time = forms.TimeField(
        label=_("Start time"), widget=forms.TimeInput(attrs={"type": "time"}, format="%H:%M")
    )
    duration_minutes = forms.IntegerField(
        label=_("Length (minutes)"),
        min_value=15,
        max_value=480,
        initial=90,
        widget=forms.NumberInput(attrs={"step": 15}),
    )
    weeks = forms.IntegerField(
        label=_("Repeat weekly for how many weeks"),
        min_value=1,
        max_value=MAX_WEEKS,
        initial=1,
        help_text=_("1 schedules a single session."),
    )


ONE, FOLLOWING = "one", "following"


def _scope_field(*, later: int, verb: StrOrPromise) -> forms.ChoiceField:
    # Offered only when the session has later sessions in its weekly series.
    following = ngettext(
        "This one and the next session of the series",
        "This one and the %(count)d later sessions of the series",
        later,
    ) % {"count": later}
    return forms.ChoiceField(
        label=verb,
        choices=[(ONE, _("Only this session")), (FOLLOWING, following)],
        initial=ONE,
        widget=forms.RadioSelect,
    )


class EditSessionForm(ScheduleForm):
    """The schedule form for one existing session: no weekly repeat; with a series, which sessions change."""

    weeks = None  # type: ignore[assignment]

    def __init__(self, *args: Any, later: int = 0, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if later:
            self.fields["scope"] = _scope_field(later=later, verb=_("Change"))
            self.fields["scope"].help_text = _(
                "The later sessions move with this one: same weekday and time each week, on your clock."
            )

    @property
    def following(self) -> bool:
        return self.cleaned_data.get("scope") == FOLLOWING


class CancelSessionForm(Form):
    """Why the session is cancelled, told on its page; with a series, which sessions are cancelled."""

    reason = TextField(
        label=_("Reason (optional)"),
        required=False,
        max_length=500,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("Members see it on the session's page."),
    )

    def __init__(self, *args: Any, later: int = 0, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if later:
            self.fields["scope"] = _scope_field(later=later, verb=_("Cancel"))
            self.order_fields(["scope", "reason"])

    @property
    def following(self) -> bool:
        return self.cleaned_data.get("scope") == FOLLOWING


class NotesForm(Form):
    """The coach's notes of a session, in markdown."""

    notes = TextField(
        label=_("Notes"),
        required=False,
        max_length=MAX_NOTES,
        widget=forms.Textarea(attrs={"rows": 8}),
        help_text=_("Markdown: **bold**, *italic*, lists, quotes, links. Only the coach sees these notes."),
    )


class AttendanceForm(Form):
    """Mark one person present or absent, with a note."""

    present = forms.TypedChoiceField(
        label=_("Attendance"),
        choices=[("1", _("present")), ("0", _("absent"))],
        coerce=lambda value: value == "1",
        widget=forms.RadioSelect,
    )
    note = LineField(label=_("Note"), required=False, max_length=MAX_NOTE)


class CommitmentForm(Form):
    """One commitment row: one left as offered is skipped; one with a member or date but no text, refused."""

    member = forms.ModelChoiceField(queryset=User.objects.none(), label=_("Member"), required=False)
    text = LineField(label=_("Commitment"), max_length=MAX_COMMITMENT, required=False)
    due_on = forms.DateField(
        label=_("Due"), required=False, widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
    )

    def __init__(self, *args: Any, members: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["member"].queryset = members  # type: ignore[attr-defined]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("text"):
            if not data.get("member"):
                self.add_error("member", _("Choose whose commitment this is."))
            if not data.get("due_on"):
                self.add_error("due_on", _("Give the commitment a due date."))
        elif (data.get("member") or data.get("due_on")) and self.has_changed() and "text" not in self.errors:
            # Something was chosen or typed on this row but not the commitment itself: say so, never drop it.
            self.add_error("text", _("Write the commitment, or clear this row."))
        return data


# Rows take the circle's members through form_kwargs={"members": ...}, and the rows the page offered through
# initial=..., so a row left as offered (its member preset, nothing typed) counts as unchanged.
CommitmentFormSet = forms.formset_factory(CommitmentForm, extra=0, max_num=60)


class CloseCommitmentForm(Form):
    """The one close form of every page: done or dropped, and how it went; logs.close_commitment decides."""

    # Where a refusal of logs.close_commitment is shown: next to the field it is about.
    FIELD_OF_REFUSAL = {"bad_status": "status", "note_required": "note", "bad_note": "note"}

    status = forms.ChoiceField(
        label=_("Outcome"),
        choices=[(Commitment.Status.DONE, _("done")), (Commitment.Status.DROPPED, _("dropped"))],
        widget=forms.RadioSelect,
    )
    # Not required here: the service requires it, so every page refuses it with the service's sentence.
    note = LineField(label=_("How did it go?"), required=False, max_length=MAX_CLOSE_NOTE)

    def refuse(self, error: SessionRuleError) -> None:
        """Show the service's refusal next to the field it is about (or above the form)."""
        self.add_error(self.FIELD_OF_REFUSAL.get(error.code), str(error))

    def save(self, *, member: User, commitment: Commitment) -> bool:
        """Close the commitment through logs.close_commitment; False (errors on the form) when refused."""
        if not self.is_valid():
            return False
        try:
            logs.close_commitment(member=member, commitment=commitment, **self.cleaned_data)
        except SessionRuleError as error:
            self.refuse(error)
            return False
        return True
