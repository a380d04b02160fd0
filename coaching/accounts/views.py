"""Views for a person's own account: the language choice, the locked-out sign-in page, a password reset that
lifts a lockout (the profile page composes apps: coaching.views)."""

from __future__ import annotations

from typing import Any

from axes.utils import reset as reset_sign_in_failures
from django.conf import settings
from django.contrib.auth import views as auth_views
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import ngettext
from django.views.decorators.http import require_POST
from django.views.i18n import set_language as django_set_language

from coaching.accounts.passwords import SetPasswordForm, SignInForm


@require_POST
def set_language(request: HttpRequest) -> HttpResponse:
    """Switch the site language; a signed-in person keeps the choice on every device."""
    language = request.POST.get("language", "")
    if request.user.is_authenticated and language in dict(settings.LANGUAGES):
        request.user.ui_language = language
        request.user.save(update_fields=["ui_language"])
    return django_set_language(request)


def locked_out(request: HttpRequest, *args: Any) -> HttpResponse:
    """The sign-in page again, with the lockout said in words (django-axes' AXES_LOCKOUT_CALLABLE).

    Axes calls this for a sign-in refused because this username failed too often from this address; the
    password was not checked. The extra arguments differ between axes' sync and async paths, so none is used.
    """
    minutes = int(settings.AXES_COOLOFF_TIME.total_seconds() // 60)
    context = {
        "form": SignInForm(request, initial={"username": request.POST.get("username", "")}),
        "next": request.POST.get("next", ""),
        "locked_out": ngettext(
            "Too many failed sign-ins. Try again in %(minutes)d minute or reset your password.",
            "Too many failed sign-ins. Try again in %(minutes)d minutes or reset your password.",
            minutes,
        )
        % {"minutes": minutes},
    }
    return render(request, "registration/login.html", context, status=429)


class PasswordResetConfirmView(auth_views.PasswordResetConfirmView):
    """Django's reset form in our words; a password set from the emailed link also lifts a sign-in lockout."""

    form_class = SetPasswordForm

    def form_valid(self, form: Any) -> HttpResponse:
        response = super().form_valid(form)
        reset_sign_in_failures(username=form.user.get_username())
        return response
