"""Forms people fill in about themselves."""

from __future__ import annotations

from typing import Any

from django import forms
from django.conf import settings
from django.core.files.uploadedfile import UploadedFile
from django.utils.translation import gettext_lazy as _

from coaching.accounts import photos, validators
from coaching.accounts.models import MAX_BIO, MAX_WORKING_ON, User
from coaching.accounts.zones import language_choices, language_codes, time_zone, time_zone_choices
from coaching.lib.forms import ModelForm
from coaching.lib.images import ImageRefused, square_portrait
from coaching.lib.text import LineField, TextField


class LanguageCheckboxes(forms.CheckboxSelectMultiple):
    """A list of checkboxes with a box that narrows it as you type (static/js/profile.js), in a fieldset."""

    template_name = "accounts/widgets/language_checkboxes.html"


class ZoneSelect(forms.Select):
    """The time zones by city, with a button that picks this device's zone (static/js/profile.js)."""

    template_name = "accounts/widgets/zone_select.html"


class _LanguageChoices(forms.MultipleChoiceField):
    """Languages from the list; zones.language_codes (in clean_languages) refuses unknown ones."""

    def validate(self, value: Any) -> None:
        # Not the generic "Select a valid choice": the shared rule says which codes, as the import does.
        if self.required and not value:
            raise forms.ValidationError(self.error_messages["required"], code="required")


class ProfileForm(ModelForm):
    """A person's display name, time zone, spoken languages, site language, photo, bio and current work."""

    languages = _LanguageChoices(label=_("Languages you speak"), required=False, widget=LanguageCheckboxes)
    photo = forms.FileField(
        label=_("Photo"),
        required=False,
        widget=forms.FileInput(attrs={"accept": "image/png,image/jpeg,image/webp,image/gif"}),
        help_text=_("Optional. A picture of you in PNG, JPEG, WebP or GIF; it is cut to a square."),
    )
    remove_photo = forms.BooleanField(label=_("Remove my photo"), required=False)
    bio = TextField(
        label=_("About you"),
        required=False,
        max_length=MAX_BIO,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("A few lines your circle sees on your card."),
    )
    working_on = LineField(label=_("What you are working on"), required=False, max_length=MAX_WORKING_ON)

    # The first run asks only for what a circle needs to know (coaching.onboarding).
    FIRST_RUN_FIELDS = ("display_name", "timezone", "languages", "photo")

    class Meta:
        model = User
        fields = ["display_name", "timezone", "languages", "ui_language", "bio", "working_on"]

    def __init__(self, *args: Any, first_run: bool = False, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        languages = self.fields["languages"]
        assert isinstance(languages, forms.MultipleChoiceField)
        # The person's own languages lead, so a long list never hides what they chose.
        languages.choices = language_choices(first=self.instance.languages)
        self.fields["timezone"].widget = ZoneSelect(choices=time_zone_choices(current=self.instance.timezone))
        self.fields["timezone"].help_text = _(
            "The city nearest you that keeps the same time. Every time is shown in it."
        )
        if first_run:
            for name in [name for name in self.fields if name not in self.FIRST_RUN_FIELDS]:
                del self.fields[name]
        elif not self.instance.photo:
            del self.fields["remove_photo"]
        # The shared rules in clean_<field> decide, in the import's words, not a generic length check.
        self.fields["display_name"].validators = []
        self.fields["display_name"].required = first_run  # a circle needs to know what to call you
        self.fields["timezone"].validators = []
        self.fields["timezone"].error_messages["required"] = _("Time zone is missing.")

    def clean_display_name(self) -> str:
        return validators.display_name(self.cleaned_data["display_name"])

    def clean_timezone(self) -> str:
        return time_zone(self.cleaned_data["timezone"])

    def clean_languages(self) -> list[str]:
        return language_codes(self.cleaned_data["languages"])

    def clean_photo(self) -> bytes | None:
        """The upload as the square portrait to store (coaching.lib.images decides what is refused)."""
        upload = self.cleaned_data.get("photo")
        if not isinstance(upload, UploadedFile):
            return None
        limit = settings.PROFILE_PHOTO_MAX_MB * 1024 * 1024
        if (upload.size or 0) > limit:
            raise forms.ValidationError(
                _("A photo can be at most %(mb)d MB."), params={"mb": settings.PROFILE_PHOTO_MAX_MB}
            )
        try:
            return square_portrait(upload.read(limit + 1))
        except ImageRefused as refusal:
            raise forms.ValidationError(str(refusal)) from None

    def save(self, commit: bool = True) -> User:
        """Save the fields, then the photo through coaching.accounts.photos (a new one wins over removal)."""
        user: User = super().save(commit=commit)
        portrait = self.cleaned_data.get("photo")
        if portrait:
            photos.replace_photo(user=user, portrait=portrait)
        elif self.cleaned_data.get("remove_photo"):
            photos.remove_photo(user=user)
        return user
