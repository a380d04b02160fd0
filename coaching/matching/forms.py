"""The member's coach preference form: prefer, avoid or no preference for each coach they may choose about."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from coaching.accounts.models import User
from coaching.lib.forms import Form
from coaching.matching.preferences import coach_choices

PREFERENCE_FIELD = "coach_"


class CoachPreferenceForm(Form):
    """A choice per coach (no preference, prefer, avoid); a coach not offered is refused, not ignored."""

    def __init__(self, *args: Any, coaches: list[tuple[int, str, str]], **kwargs: Any) -> None:
        """`coaches` holds (coach id, label, current choice) for every coach the member may choose about."""
        super().__init__(*args, **kwargs)
        for coach_id, label, kind in coaches:
            self.fields[f"{PREFERENCE_FIELD}{coach_id}"] = forms.ChoiceField(
                label=label,
                required=False,
                initial=kind,
                choices=[("", _("No preference")), ("prefer", _("Prefer")), ("avoid", _("Avoid"))],
                widget=forms.RadioSelect,
            )

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        # A field we did not offer means a tampered or stale form: say so rather than drop it silently.
        if any(key.startswith(PREFERENCE_FIELD) and key not in self.fields for key in self.data):
            raise forms.ValidationError(
                _("You can only choose among the coaches of programmes you take part in."),
                code="not_your_coach",
            )
        return cleaned

    def choices(self) -> dict[int, str]:
        """The cleaned choice per coach id."""
        return {int(name.removeprefix(PREFERENCE_FIELD)): value for name, value in self.cleaned_data.items()}


def coach_preference_form(*, member: User, data: Mapping[str, Any] | None = None) -> CoachPreferenceForm:
    """The form over every coach the member may choose about, each with their current choice."""
    coaches = [(choice.coach.pk, choice.coach.name, choice.kind) for choice in coach_choices(member=member)]
    return CoachPreferenceForm(data, coaches=coaches)
