"""Forms of the progress pages; the services hold the rules, the forms only shape the input."""

from __future__ import annotations

from typing import Any, ClassVar

from django import forms
from django.utils.translation import gettext_lazy as _

from coaching.accounts.models import User
from coaching.lib.forms import Form
from coaching.lib.text import LineField, TextField
from coaching.live.logs import MAX_COMMITMENT
from coaching.progress.concerns import MAX_SUBJECT, MAX_TEXT
from coaching.progress.errors import ProgressRuleError
from coaching.progress.models import MAX_SCORE, MIN_SCORE, Concern
from coaching.progress.services import MAX_CONTRIBUTION, MAX_MEASURE, MAX_NOTE, MAX_TITLE, MAX_WHY


class _Refusable(Form):
    # Where a service's refusal is shown: next to the field it is about (by its code), else above the form.
    FIELD_OF_REFUSAL: ClassVar[dict[str, str]] = {}

    def refuse(self, error: ProgressRuleError) -> None:
        """Show the service's refusal next to the field it is about (or above the form)."""
        self.add_error(self.FIELD_OF_REFUSAL.get(error.code), str(error))


class GoalForm(_Refusable):
    """A new goal: what, why, by when, and how progress is measured."""

    FIELD_OF_REFUSAL: ClassVar[dict[str, str]] = {
        "bad_title": "title",
        "bad_measure": "measure",
        "bad_why": "why",
        "past_target": "target_date",
    }

    title = LineField(label=_("What do you want to achieve?"), max_length=MAX_TITLE)
    why = TextField(
        label=_("Why does it matter to you?"),
        max_length=MAX_WHY,
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
    )
    measure = LineField(
        label=_("How will you measure progress?"),
        max_length=MAX_MEASURE,
        help_text=_("For example: “number of pitches sent each week”."),
    )
    target_date = forms.DateField(
        label=_("Target date"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
    )


class CheckInForm(Form):
    """This week's score for one goal, with a short note."""

    score = forms.IntegerField(
        label=_("Score this week (1–10)"),
        min_value=MIN_SCORE,
        max_value=MAX_SCORE,
        widget=forms.NumberInput(attrs={"inputmode": "numeric"}),
    )
    note = LineField(label=_("Note"), max_length=MAX_NOTE, required=False)


class _CircleChoice(_Refusable):
    circle = forms.TypedChoiceField(label=_("Circle"), coerce=int)

    def __init__(self, *args: Any, circles: list[tuple[int, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["circle"].choices = circles  # type: ignore[attr-defined]
        if len(circles) == 1:
            self.fields["circle"].widget = forms.HiddenInput()
            self.fields["circle"].initial = circles[0][0]


class CommitmentForm(_CircleChoice):
    """A commitment the member sets themselves."""

    FIELD_OF_REFUSAL: ClassVar[dict[str, str]] = {"bad_text": "text", "past_due": "due_on"}

    text = LineField(label=_("I commit to…"), max_length=MAX_COMMITMENT)
    due_on = forms.DateField(
        label=_("Due"), widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
    )


class KudosForm(_Refusable):
    """Thanks to another member of the circle for something specific."""

    FIELD_OF_REFUSAL: ClassVar[dict[str, str]] = {
        "self": "receiver",
        "not_in_circle": "receiver",
        "bad_contribution": "contribution",
    }

    receiver = forms.ChoiceField(label=_("Who"))  # "circle id:person id"
    contribution = LineField(
        label=_("What did they do?"),
        max_length=MAX_CONTRIBUTION,
        help_text=_("Something specific: “shared her pitch deck and walked me through it”."),
    )

    def __init__(self, *args: Any, peers: list[tuple[int, User]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["receiver"].choices = [  # type: ignore[attr-defined]
            (f"{circle_id}:{person.pk}", person.name) for circle_id, person in peers
        ]

    def chosen(self) -> tuple[int, int]:
        """The circle and the person chosen (after is_valid())."""
        circle_id, person_id = self.cleaned_data["receiver"].split(":")
        return int(circle_id), int(person_id)


class ConcernForm(_CircleChoice):
    """A concern, raised to the coach or to the programme admins."""

    to = forms.ChoiceField(label=_("Raise it to"), choices=Concern.To.choices, widget=forms.RadioSelect)
    subject = LineField(label=_("Subject"), max_length=MAX_SUBJECT)
    text = TextField(label=_("What happened?"), max_length=MAX_TEXT, widget=forms.Textarea(attrs={"rows": 5}))


class ConcernReplyForm(Form):
    """An answer, a follow-up, or a note on resolving."""

    text = TextField(label=_("Your answer"), max_length=MAX_TEXT, widget=forms.Textarea(attrs={"rows": 4}))


class ResolveForm(Form):
    """Mark a concern resolved, with an optional note."""

    note = LineField(label=_("Note (optional)"), max_length=MAX_TEXT, required=False)
