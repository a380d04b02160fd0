"""Forms people fill in about themselves."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from coaching.accounts import validators
from coaching.accounts.models import User
from coaching.accounts.zones import language_codes, language_names, time_zone
from coaching.lib.forms import ModelForm


class _LanguageChoices(forms.MultipleChoiceField):
    """Languages from the list; zones.language_codes (in clean_languages) refuses unknown ones."""

    def validate(self, value: Any) -> None:
        # Not the generic "Select a valid choice": the shared rule says which codes, as the import does.
        if self.required and not value:
            raise forms.ValidationError(self.error_messages["required"], code="required")


class ProfileForm(ModelForm):
    """A person's display name, time zone, spoken languages and site language."""

    languages = _LanguageChoices(
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
        # The shared rules in clean_<field> decide, in the import's words, not a generic length check.
        self.fields["display_name"].validators = []
        self.fields["timezone"].validators = []
        self.fields["timezone"].error_messages["required"] = _("Time zone is missing.")

    def clean_display_name(self) -> str:
        return validators.display_name(self.cleaned_data["display_name"])

    def clean_timezone(self) -> str:
        return time_zone(self.cleaned_data["timezone"])

    def clean_languages(self) -> list[str]:
        return language_codes(self.cleaned_data["languages"])
