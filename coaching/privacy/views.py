"""Pages: download my data, delete my account, and an admin's erasure of a person in their programme.

Thin: the person comes from the session (or, for admins, the programme via circles.access), the rule
from services.check_may_erase, the work from services.
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth import logout
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache

from circles.access import programme_for_admin
from circles.models import Enrolment
from coaching.accounts.models import User
from coaching.accounts.requests import AuthenticatedRequest
from coaching.privacy.forms import ConfirmWithPasswordForm
from coaching.privacy.services import ErasureRefused, check_may_erase, erase_account, export_personal_data


@login_required
@never_cache
def download_my_data(request: AuthenticatedRequest) -> HttpResponse:
    """The signed-in person's own data as a zip; there is no id to ask for anyone else's."""
    archive = export_personal_data(user=request.user)
    response = HttpResponse(archive, content_type="application/zip")
    filename = f"circles-data-{request.user.username}-{timezone.now():%Y-%m-%d}.zip"
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


@login_required
def delete_my_account(request: AuthenticatedRequest) -> HttpResponse:
    """Warn, ask for the password, erase, sign out."""
    form = ConfirmWithPasswordForm(request.POST or None, actor=request.user)
    if request.method == "POST" and form.is_valid():
        erase_account(user=request.user, actor=request.user)
        logout(request)
        messages.success(request, _("Your account is deleted. Thank you for taking part."))
        return redirect("login")
    return render(request, "privacy/delete_account.html", {"form": form}, status=400 if form.errors else 200)


@login_required
def erase_person(request: AuthenticatedRequest, programme_id: int, user_id: int) -> HttpResponse:
    """A programme admin erases the account of a person in their programme, after the same warning."""
    programme = programme_for_admin(user=request.user, programme_id=programme_id)
    if not Enrolment.objects.filter(programme=programme, user_id=user_id).exists():
        raise Http404
    person = User.objects.get(pk=user_id)
    refusal = None
    try:
        check_may_erase(actor=request.user, person=person, programme=programme)
    except ErasureRefused as refused:
        refusal = str(refused)
    form = ConfirmWithPasswordForm(request.POST or None, actor=request.user)
    if request.method == "POST" and refusal is None and form.is_valid():
        name = person.name
        erase_account(user=person, actor=request.user)
        messages.success(request, _("The account of %(name)s is erased.") % {"name": name})
        return redirect(reverse("programme_dashboard", args=[programme.pk]))
    context = {"form": form, "programme": programme, "person": person, "refusal": refusal}
    status = 403 if refusal and request.method == "POST" else 400 if form.errors else 200
    return render(request, "privacy/erase_person.html", context, status=status)
