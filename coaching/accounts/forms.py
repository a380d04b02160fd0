"""Forms people fill in about themselves."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from coaching.accounts.models import User
from coaching.accounts.zones import language_names


class ProfileForm(forms.ModelForm):
    """A person's display name, time zone, spoken languages and site language."""

    languages = forms.MultipleChoiceField(
        label=_("Languages you speak"),
        required=False,
        widget=forms.SelectMultiple(attrs={"size": 6}),
        help_text=_("Hold Ctrl (or ⌘) to choose several."),
    )

    class Meta:
        model = User
        fields = ["display_name", "timezone", "languages", "ui_language"]
        widgets = {
            "timezone": forms.TextInput(
                attrs={"list": "time-zones", "autocomplete": "off", "spellcheck": "false"}
            ),
        }

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        choices = sorted(language_names().items(), key=lambda item: item[1])
        languages = self.fields["languages"]
        assert isinstance(languages, forms.MultipleChoiceField)
        languages.choices = [(code, f"{name} ({code})") for code, name in choices]

    def clean_timezone(self) -> str:
        return self.cleaned_data["timezone"].strip()
