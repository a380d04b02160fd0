"""The confirmation an erasure asks for: the password of whoever is erasing."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from coaching.accounts.models import User
from coaching.lib.forms import Form


class ConfirmWithPasswordForm(Form):
    """Checks `actor`'s own password, so a left-open tab cannot erase an account."""

    password = forms.CharField(
        label=_("Your password"),
        strip=False,
        max_length=4096,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
    )

    def __init__(self, *args: Any, actor: User, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.actor = actor

    def clean_password(self) -> str:
        password: str = self.cleaned_data["password"]
        if not self.actor.check_password(password):
            raise forms.ValidationError(_("That is not your password."), code="wrong_password")
        return password
