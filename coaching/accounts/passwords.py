"""Sign-in and password forms and rules in the site's own words: Django's Spanish says "usted", we say "tú".

The password validators are Django's, with our help texts (settings.AUTH_PASSWORD_VALIDATORS names them);
the forms are Django's, with our labels, help texts and refusals. Every page that signs in or sets a
password uses these: the sign-in, the lockout, the password change and reset, the invitation.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib.auth import forms as auth_forms
from django.contrib.auth import password_validation
from django.utils import translation
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from coaching.lib.forms import NamedRequiredMixin


class UserAttributeSimilarityValidator(password_validation.UserAttributeSimilarityValidator):
    """Django's rule: not too close to the person's username, name or email."""

    def get_help_text(self) -> str:
        return str(_("It can’t be too similar to your name, username or email."))


class MinimumLengthValidator(password_validation.MinimumLengthValidator):
    """Django's rule: at least min_length characters."""

    def get_help_text(self) -> str:
        return ngettext(
            "Use at least %(min_length)d character.",
            "Use at least %(min_length)d characters.",
            self.min_length,
        ) % {"min_length": self.min_length}


class CommonPasswordValidator(password_validation.CommonPasswordValidator):
    """Django's rule: not one of the 20,000 most common passwords."""

    def get_help_text(self) -> str:
        return str(_("It can’t be a commonly used password."))


class NumericPasswordValidator(password_validation.NumericPasswordValidator):
    """Django's rule: not digits only."""

    def get_help_text(self) -> str:
        return str(_("It can’t be only digits."))


AGAIN = _("Type the same password again, to check it.")


class SignInForm(NamedRequiredMixin, auth_forms.AuthenticationForm):
    """Django's sign-in form; a wrong username or password is refused in our words."""

    error_messages = {
        **auth_forms.AuthenticationForm.error_messages,
        "invalid_login": _("That username and password don’t match. Check both: capitals count."),
    }


class PasswordChangeForm(NamedRequiredMixin, auth_forms.PasswordChangeForm):
    """Django's change of one's own password, in our words."""

    error_messages = {
        **auth_forms.PasswordChangeForm.error_messages,
        "password_incorrect": _("Your current password isn’t right. Type it again."),
    }

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["old_password"].label = _("Current password")
        self.fields["new_password2"].help_text = AGAIN


class SetPasswordForm(NamedRequiredMixin, auth_forms.SetPasswordForm):
    """Django's choice of a new password (from a reset link or an invitation), in our words."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["new_password2"].help_text = AGAIN


class PasswordResetForm(NamedRequiredMixin, auth_forms.PasswordResetForm):
    """Django's request for a reset link, in our words."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        email = self.fields["email"]
        assert isinstance(email, forms.EmailField)
        email.label = _("Your email address")
        email.error_messages["invalid"] = _("Type a whole email address, like ana@example.org.")

    def send_mail(
        self,
        subject_template_name: str,
        email_template_name: str,
        context: dict[str, Any],
        *args: Any,
        **kwargs: Any,
    ) -> None:
        """The link's email, in the language the account reads (not the asking browser's: anyone may ask)."""
        with translation.override(context["user"].ui_language):
            super().send_mail(subject_template_name, email_template_name, context, *args, **kwargs)
