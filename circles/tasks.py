"""Background jobs of the CSV import: check a file, commit it, send the invitations.

A job moves pending → checking → ready | invalid, then (on the admin's click) importing → done |
invalid | failed. Each step claims the job with a conditional UPDATE, so a repeated task or a
second click does nothing.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from functools import partial
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone, translation
from huey.contrib.djhuey import db_task

from circles import importers, invitations
from circles.models import ImportJob, Programme
from coaching.accounts.models import User

logger = logging.getLogger(__name__)
Status = ImportJob.Status


def _fail(job_id: int, *, was: str) -> None:
    logger.exception("Import job %s failed while %s", job_id, was)
    ImportJob.objects.filter(pk=job_id, status=was).update(status=Status.FAILED, finished_at=timezone.now())


def _errors_in_every_language(
    job: ImportJob, checked: importers.Checked, check: Callable[[], importers.Checked]
) -> list[dict[str, Any]]:
    """The first errors as stored: the uploader's wording, plus every site language's, so each admin reads
    their own. Checking again costs a second run only for a file that failed."""
    shown = checked.errors[: importers.MAX_STORED_ERRORS]
    stored: list[dict[str, Any]] = [error.as_json() for error in shown]
    for code, _name in settings.LANGUAGES:
        if code == job.uploaded_by.ui_language:
            again = shown
        else:
            with translation.override(code):
                again = check().errors[: importers.MAX_STORED_ERRORS]
        if [error.line for error in again] != [error.line for error in shown]:
            continue  # the database changed between the runs: the uploader's wording stands alone
        for item, error in zip(stored, again, strict=True):
            item.setdefault("translations", {})[code] = error.message
    return stored


def _store_errors(job: ImportJob, checked: importers.Checked, check: Callable[[], importers.Checked]) -> None:
    job.status = Status.INVALID
    job.total_rows = checked.total_rows
    job.processed_rows = checked.total_rows
    job.error_count = len(checked.errors)
    job.errors = _errors_in_every_language(job, checked, check)
    job.finished_at = timezone.now()
    job.save(update_fields=["status", "total_rows", "processed_rows", "error_count", "errors", "finished_at"])


@db_task()
def check_import(job_id: int) -> None:
    """Dry-run a pending import: it ends `ready` or `invalid` with its line errors, creating nothing."""
    if not ImportJob.objects.filter(pk=job_id, status=Status.PENDING).update(status=Status.CHECKING):
        return
    job = ImportJob.objects.select_related("programme", "uploaded_by").get(pk=job_id)

    def progress(done: int, total: int) -> None:
        ImportJob.objects.filter(pk=job_id).update(processed_rows=done, total_rows=total)

    try:
        # Written in the uploader's language first; _store_errors adds the others for the other admins.
        with translation.override(job.uploaded_by.ui_language):
            checked = importers.check(job.content, programme=job.programme, on_progress=progress)
    except Exception:
        _fail(job_id, was=Status.CHECKING)
        return
    if checked.errors:
        _store_errors(job, checked, partial(importers.check, job.content, programme=job.programme))
        return
    job.status = Status.READY
    job.total_rows = job.processed_rows = checked.total_rows
    job.error_count = 0
    job.errors = []
    job.save(update_fields=["status", "total_rows", "processed_rows", "error_count", "errors"])


def start_commit(*, job: ImportJob, base_url: str) -> bool:
    """Move a ready job to `importing` and queue its commit; False if it was not ready (a second click)."""
    if not ImportJob.objects.filter(pk=job.pk, status=Status.READY).update(status=Status.IMPORTING):
        return False
    transaction.on_commit(partial(commit_import, job.pk, base_url))
    return True


def _commit(job_id: int, base_url: str) -> None:
    with transaction.atomic():
        job = ImportJob.objects.select_for_update().select_related("programme", "uploaded_by").get(pk=job_id)
        if job.status != Status.IMPORTING:
            return
        # The database may have changed since the dry run (someone enrolled, an account was created).
        with translation.override(job.uploaded_by.ui_language):
            checked = importers.check(job.content, programme=job.programme)
        if checked.errors:
            _store_errors(job, checked, partial(importers.check, job.content, programme=job.programme))
            return
        created = importers.create_people(
            programme=job.programme, people=checked.people, existing=checked.existing
        )
        job.status = Status.DONE
        job.processed_rows = checked.total_rows
        job.created_count = len(created)
        job.finished_at = timezone.now()
        job.save(update_fields=["status", "processed_rows", "created_count", "finished_at"])
        user_ids = [user.pk for user in created]
        transaction.on_commit(partial(send_invitations, user_ids, job.programme_id, base_url))


@db_task()
def commit_import(job_id: int, base_url: str) -> None:
    """Create every person of an importing job in one transaction, or nobody; then send invitations."""
    try:
        _commit(job_id, base_url)
    except Exception:
        _fail(job_id, was=Status.IMPORTING)


@db_task()
def send_invitations(user_ids: list[int], programme_id: int, base_url: str) -> None:
    """Email each new person their sign-up link, over one mail connection."""
    programme = Programme.objects.get(pk=programme_id)
    users = [
        user
        for start in range(0, len(user_ids), importers.QUERY_CHUNK)
        for user in User.objects.filter(pk__in=user_ids[start : start + importers.QUERY_CHUNK]).order_by("pk")
    ]
    invitations.invite_many(users=users, programme=programme, base_url=base_url)
