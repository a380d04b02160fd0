"""Pages of the CSV import (programme admins only) and of the invitation link (the invited person)."""

from __future__ import annotations

import re
from functools import partial
from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth.decorators import login_required
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.formats import number_format
from django.utils.translation import get_language, gettext_lazy
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_http_methods, require_POST
from django_htmx.middleware import HtmxDetails

from circles import importers, invitations, tasks
from circles.access import programme_for_admin
from circles.models import ImportJob, Programme
from coaching.accounts.passwords import SetPasswordForm
from coaching.accounts.requests import AuthenticatedRequest
from coaching.lib.forms import Form
from coaching.lib.text import LineField

RUNNING = {ImportJob.Status.PENDING, ImportJob.Status.CHECKING, ImportJob.Status.IMPORTING}
PREVIEW_ROWS = 10


class HtmxRequest(AuthenticatedRequest):
    """A signed-in request that passed through django-htmx's middleware."""

    htmx: HtmxDetails


class UploadForm(Form):
    """One CSV file of people; cleaning decodes it, so `cleaned_data["text"]` holds its content."""

    file = forms.FileField(
        label=gettext_lazy("CSV file"),
        allow_empty_file=True,  # the importer says why an empty file is no good, in its own words
        help_text=gettext_lazy("UTF-8 text, at most 10 MB, one line per person after the header line."),
        widget=forms.ClearableFileInput(attrs={"accept": ".csv,text/csv"}),
    )

    def clean_file(self) -> UploadedFile:
        upload: UploadedFile = self.cleaned_data["file"]
        # Refuse by the announced size before reading anything into memory.
        if upload.size is not None and upload.size > importers.MAX_UPLOAD_BYTES:
            raise forms.ValidationError(importers.too_big_message())
        try:
            self.cleaned_data["text"] = importers.decode_upload(upload.read(importers.MAX_UPLOAD_BYTES + 1))
        except importers.UploadError as error:
            raise forms.ValidationError(str(error)) from None
        return upload


class ConfirmForm(Form):
    """The number of people typed back before a large import runs (separators and spaces allowed)."""

    count = LineField(
        max_length=30,
        widget=forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "off", "spellcheck": "false"}),
    )

    def __init__(self, *args: Any, rows: int, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.rows = rows
        count = number_format(rows, force_grouping=True)
        field = self.fields["count"]
        field.label = _("To import them, type the number of people: %(count)s") % {"count": count}
        self.refusal = _("Type %(count)s, the number of people in the file, to start the import.") % {
            "count": count
        }
        field.error_messages["required"] = self.refusal

    def clean_count(self) -> int:
        typed = re.sub(r"[\s,.'’_]", "", self.cleaned_data["count"])
        if typed != str(self.rows):
            raise forms.ValidationError(self.refusal)
        return self.rows


@login_required
@require_http_methods(["GET", "POST"])
def upload(request: AuthenticatedRequest, programme_id: int) -> HttpResponse:
    """Take a CSV of people for a programme and start checking it in the background."""
    programme = programme_for_admin(user=request.user, programme_id=programme_id)
    form = UploadForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        job = ImportJob.objects.create(
            programme=programme,
            uploaded_by=request.user,
            filename=(form.cleaned_data["file"].name or "")[:255],
            content=form.cleaned_data["text"],
        )
        transaction.on_commit(partial(tasks.check_import, job.pk))
        return redirect("import_job", programme_id=programme.pk, job_id=job.pk)
    return render(
        request,
        "circles/import_upload.html",
        {
            "programme": programme,
            "form": form,
            "recent": programme.imports.select_related("uploaded_by").defer("content", "errors")[:10],
        },
        status=400 if form.errors else 200,
    )


def _job_context(
    *, programme: Programme, job: ImportJob, confirm_form: ConfirmForm | None = None
) -> dict[str, Any]:
    context: dict[str, Any] = {
        "programme": programme,
        "job": job,
        "running": job.status in RUNNING,
        "errors": importers.errors_for_reader(job.errors, get_language()),
    }
    if job.status == ImportJob.Status.READY:
        # Recomputed rather than stored: the dry run is quick, and the model keeps only counts of rows.
        checked = importers.check(job.content, programme=programme)
        context["checked"] = checked
        context["enrolled"] = enrolled = programme.enrolments.count()
        context["preview"] = importers.sample(checked.people, PREVIEW_ROWS)
        if importers.needs_confirmation(enrolled=enrolled, rows=job.total_rows):
            context["confirm_form"] = confirm_form or ConfirmForm(rows=job.total_rows)
    return context


@login_required
@require_http_methods(["GET"])
def job_page(request: HtmxRequest, programme_id: int, job_id: int) -> HttpResponse:
    """An import's state; htmx polls the status part every second while the job runs."""
    programme = programme_for_admin(user=request.user, programme_id=programme_id)
    job = get_object_or_404(ImportJob.objects.select_related("uploaded_by"), pk=job_id, programme=programme)
    template = "circles/import_job_status.html" if request.htmx else "circles/import_job.html"
    return render(request, template, _job_context(programme=programme, job=job))


@login_required
@require_POST
def commit(request: AuthenticatedRequest, programme_id: int, job_id: int) -> HttpResponse:
    """Start importing a checked file (a large one once its number is typed); a repeat does nothing more."""
    programme = programme_for_admin(user=request.user, programme_id=programme_id)
    job = get_object_or_404(ImportJob.objects.select_related("uploaded_by"), pk=job_id, programme=programme)
    large = importers.needs_confirmation(enrolled=programme.enrolments.count(), rows=job.total_rows)
    if job.status == ImportJob.Status.READY and large:
        form = ConfirmForm(request.POST, rows=job.total_rows)
        if not form.is_valid():
            context = _job_context(programme=programme, job=job, confirm_form=form)
            return render(request, "circles/import_job.html", context, status=400)
    if not tasks.start_commit(job=job, base_url=request.build_absolute_uri("/")):
        job.refresh_from_db(fields=["status"])
        if job.status in {ImportJob.Status.IMPORTING, ImportJob.Status.DONE}:
            messages.info(request, _("This import has already started, so nothing more was done."))
        else:
            messages.error(request, _("Only a file that was checked without errors can be imported."))
    return redirect("import_job", programme_id=programme.pk, job_id=job.pk)


def _link_gone(request: HttpRequest, *, status: int) -> HttpResponse:
    return render(request, "circles/invitation_invalid.html", status=status)


@sensitive_post_parameters("new_password1", "new_password2")
@never_cache
@require_http_methods(["GET", "POST"])
def invitation(request: HttpRequest, token: str) -> HttpResponse:
    """Let an invited person choose their password, sign them in and take them to their circle."""
    found = invitations.find_invitation(token)
    if found is None:
        return _link_gone(request, status=404)
    if not invitations.still_works(found):
        return _link_gone(request, status=410)
    user = found.user
    form = SetPasswordForm(user, request.POST or None)
    if request.method == "POST" and form.is_valid():
        if not invitations.choose_password(invitation=found, form=form):
            return _link_gone(request, status=410)
        # Named: with django-axes first among the backends, login() cannot guess which one vouched for them.
        login(request, user, backend="django.contrib.auth.backends.ModelBackend")
        # The first run (coaching.first_run) ends in their circle: profile, charter, people, notifications.
        if found.programme is not None:
            request.session[invitations.FIRST_RUN_PROGRAMME] = found.programme.pk
        return redirect("first_run_profile")
    return render(
        request,
        "circles/invitation.html",
        {"form": form, "invited": user, "programme": found.programme},
        status=400 if form.errors else 200,
    )
