"""The base of the product's forms: a required field left empty says which field, wherever the error shows.

Django's "This field is required." is fine under the field, but not in a flash message or a list of
errors above a form. So every form here derives from Form or ModelForm below, and an empty required field
says "Fill in “Title”." (a choice: "Choose “Member”.", a box: "Tick “…”."), named by its label. A field
that brings its own "required" message keeps it.
"""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext


def required_message(field: forms.Field, label: str) -> str:
    """What an empty required `field` labelled `label` says, in the active language."""
    if isinstance(field, forms.BooleanField):
        return gettext("Tick “%(label)s”.") % {"label": label}
    if isinstance(field, forms.FileField):
        return gettext("Choose a file for “%(label)s”.") % {"label": label}
    if isinstance(field, forms.ChoiceField | forms.ModelChoiceField):
        return gettext("Choose “%(label)s”.") % {"label": label}
    return gettext("Fill in “%(label)s”.") % {"label": label}


class NamedRequiredMixin:
    """Gives each field still carrying Django's generic "required" message one that names it."""

    fields: dict[str, forms.Field]

    def full_clean(self) -> None:
        # At cleaning time, not in __init__: forms add fields in their own __init__, after ours would run.
        generic = str(forms.Field.default_error_messages["required"])
        for name, field in self.fields.items():
            if str(field.error_messages.get("required", "")) == generic:
                label = str(self[name].label).rstrip(":")  # type: ignore[index]
                field.error_messages["required"] = required_message(field, label)
        super().full_clean()  # type: ignore[misc]


class Form(NamedRequiredMixin, forms.Form):
    """A form whose required-field errors name the field."""


class ModelForm(NamedRequiredMixin, forms.ModelForm):
    """A model form whose required-field errors name the field."""
