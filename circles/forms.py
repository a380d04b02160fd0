"""Forms of the programme dashboard and circle pages; querysets keep every id inside one programme."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from circles.models import AssignmentAudit, Circle, Membership, Programme
from circles.selectors import programme_coaches
from circles.services import MAX_CHARTER_LENGTH, MAX_REASON_LENGTH
from coaching.accounts.models import User
from coaching.accounts.zones import (
    BANDS,
    language_choices,
    language_name,
    sort_key,
    time_zone_choices,
    time_zone_names,
)
from coaching.lib.forms import Form
from coaching.lib.text import LineField, TextField

REASON = LineField(
    label=_("Reason"),
    max_length=MAX_REASON_LENGTH,
    required=True,
    widget=forms.TextInput(attrs={"placeholder": _("Why? (kept in the audit log)")}),
)


def _seated_members(circle: Circle) -> Any:
    return User.objects.filter(pk__in=Membership.objects.members().filter(circle=circle).values("user_id"))


def _open_circles(programme: Programme) -> Any:
    return programme.circles.exclude(status=Circle.Status.CLOSED).order_by("name")


def _members_of(programme: Programme) -> Any:
    return User.objects.filter(enrolments__programme=programme, enrolments__role="member")


class AssignForm(Form):
    """Put an enrolled member into one of the programme's open circles."""

    person = forms.ModelChoiceField(queryset=User.objects.none(), widget=forms.HiddenInput)
    circle = forms.ModelChoiceField(
        queryset=Circle.objects.none(), label=_("Circle"), empty_label=_("Choose a circle")
    )
    reason = LineField(label=_("Reason"), max_length=MAX_REASON_LENGTH, required=False)

    def __init__(self, *args: Any, programme: Programme, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["person"].queryset = _members_of(programme)  # type: ignore[attr-defined]
        self.fields["circle"].queryset = _open_circles(programme)  # type: ignore[attr-defined]


class MoveForm(Form):
    """Move a member of this circle to another open circle of the programme."""

    person = forms.ModelChoiceField(queryset=User.objects.none(), widget=forms.HiddenInput)
    to_circle = forms.ModelChoiceField(
        queryset=Circle.objects.none(), label=_("Move to"), empty_label=_("Choose a circle")
    )
    reason = REASON

    def __init__(self, *args: Any, circle: Circle, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["person"].queryset = _seated_members(circle)  # type: ignore[attr-defined]
        self.fields["to_circle"].queryset = _open_circles(circle.programme).exclude(pk=circle.pk)  # type: ignore[attr-defined]


class RemoveForm(Form):
    """Take a member out of this circle."""

    person = forms.ModelChoiceField(queryset=User.objects.none(), widget=forms.HiddenInput)
    reason = REASON

    def __init__(self, *args: Any, circle: Circle, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["person"].queryset = _seated_members(circle)  # type: ignore[attr-defined]


class CoachForm(Form):
    """Give the circle a (new) coach from the programme's coaches."""

    coach = forms.ModelChoiceField(
        queryset=User.objects.none(), label=_("Coach"), empty_label=_("Choose a coach")
    )
    reason = LineField(label=_("Reason"), max_length=MAX_REASON_LENGTH, required=False)

    def __init__(self, *args: Any, programme: Programme, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["coach"].queryset = programme_coaches(programme=programme)  # type: ignore[attr-defined]


class CloseForm(Form):
    """Close the circle for good."""

    reason = REASON


def _language_choices() -> list[tuple[str, str]]:
    # A callable: Django asks again on every form, so the names follow the reader's language.
    return language_choices()


class CircleForm(Form):
    """A new circle: name, language, size, coach and weekly meeting window."""

    name = LineField(label=_("Name"), max_length=200)
    language = forms.ChoiceField(label=_("Language"), choices=_language_choices)
    capacity = forms.IntegerField(label=_("Seats for members"), min_value=2, max_value=50)
    coach = forms.ModelChoiceField(
        queryset=User.objects.none(), label=_("Coach"), required=False, empty_label=_("No coach yet")
    )
    meeting_weekday = forms.TypedChoiceField(
        label=_("Meeting day"),
        choices=[("", "—"), *Circle.Weekday.choices],
        coerce=int,
        empty_value=None,
        required=False,
    )
    meeting_time = forms.TimeField(
        label=_("Meeting time"), required=False, widget=forms.TimeInput(attrs={"type": "time"})
    )
    meeting_minutes = forms.IntegerField(
        label=_("Meeting length (minutes)"), min_value=15, max_value=480, initial=90
    )
    meeting_timezone = LineField(
        label=_("Time zone of the meeting time"),
        max_length=64,
        required=False,
    )

    def __init__(self, *args: Any, programme: Programme, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["coach"].queryset = programme_coaches(programme=programme)  # type: ignore[attr-defined]
        self.fields["capacity"].initial = programme.default_circle_size
        if programme.languages:
            self.fields["language"].initial = programme.languages[0]
        # Cities in the admin's language; the IANA id is what is posted and stored.
        zones = [("", _("The coach's time zone")), *time_zone_choices()]
        self.fields["meeting_timezone"].widget = forms.Select(choices=zones)

    def clean_meeting_timezone(self) -> str:
        zone: str = self.cleaned_data["meeting_timezone"].strip()
        if zone and zone not in time_zone_names():
            raise forms.ValidationError(_("“%(value)s” is not a time zone we know."), params={"value": zone})
        return zone


class CharterForm(Form):
    """The coach's text of the circle charter."""

    charter = TextField(
        label=_("Charter"), max_length=MAX_CHARTER_LENGTH, widget=forms.Textarea(attrs={"rows": 6})
    )


class UnassignedFilterForm(Form):
    """Narrow the list of people still to place."""

    language = forms.ChoiceField(label=_("Speaks"), required=False)
    band = forms.ChoiceField(
        label=_("Lives in"), required=False, choices=[("", _("anywhere")), *[(b.key, b.label) for b in BANDS]]
    )
    focus = LineField(label=_("Focus"), required=False, max_length=100)

    def __init__(self, *args: Any, programme: Programme, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # The programme's own languages when it names them, else every language; in the reader's language.
        spoken = [(code, language_name(code)) for code in programme.languages] or language_choices()
        self.fields["language"].choices = [  # type: ignore[attr-defined]
            ("", _("any language")),
            *sorted(spoken, key=lambda choice: sort_key(choice[1])),
        ]


class AuditFilterForm(Form):
    """Narrow the audit log."""

    action = forms.ChoiceField(
        label=_("Action"), required=False, choices=[("", _("all actions")), *AssignmentAudit.Action.choices]
    )
    person = LineField(label=_("Person"), required=False, max_length=100)
    circle = forms.ModelChoiceField(
        queryset=Circle.objects.none(), label=_("Circle"), required=False, empty_label=_("all circles")
    )

    def __init__(self, *args: Any, programme: Programme, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["circle"].queryset = programme.circles.order_by("name")  # type: ignore[attr-defined]


class AnnouncementForm(Form):
    """An announcement to everyone in the programme's circles: a one-line title and a text (markdown)."""

    title = LineField(label=_("Title"), max_length=200)
    body = TextField(
        label=_("Text"),
        max_length=10_000,
        widget=forms.Textarea(attrs={"rows": 8}),
        help_text=_("Markdown works: **bold**, lists, links. Everyone in the programme's circles is told."),
    )
