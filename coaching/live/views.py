"""Pages of live sessions outside the room: scheduling, calendars, the session log, commitments.

Circle pages answer 404 to anyone without a seat (admins included), as circles.access does.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import ngettext, override
from django.views.decorators.http import require_GET, require_POST

from circles import access
from circles.models import Circle
from coaching.accounts.models import User
from coaching.accounts.requests import AuthenticatedRequest
from coaching.lib.hours import WAKING_HOURS
from coaching.live import logs, selectors
from coaching.live.access import access_commitment, access_session
from coaching.live.calendar import calendar_token, feed_ics, session_ics
from coaching.live.errors import SessionRuleError
from coaching.live.forms import (
    AttendanceForm,
    CancelSessionForm,
    CloseCommitmentForm,
    CommitmentFormSet,
    EditSessionForm,
    NotesForm,
    ScheduleForm,
)
from coaching.live.models import LiveSession
from coaching.live.scheduling import (
    ClashWarning,
    cancel_session,
    reschedule_session,
    schedule_session,
    sessions_for,
)

EXTRA_COMMITMENT_ROWS = 2


def _base_url(request: HttpRequest) -> str:
    return request.build_absolute_uri("/").rstrip("/")


def _ics(body: bytes, *, filename: str) -> HttpResponse:
    response = HttpResponse(body, content_type="text/calendar; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


def _slot_minutes(value: object, circle: Circle) -> int:
    try:
        minutes = int(str(value))
    except ValueError:
        minutes = circle.meeting_minutes
    return min(max(minutes, 15), 480)


@login_required
def schedule(request: AuthenticatedRequest, circle_id: int) -> HttpResponse:
    """Schedule a session or a weekly series, helped by slots that fit the circle's people."""
    circle = access.coached_circle(request.user, circle_id)
    asked = request.POST.get("duration_minutes") or request.GET.get("duration_minutes")
    minutes = _slot_minutes(asked or circle.meeting_minutes, circle)
    form = ScheduleForm(request.POST or None, initial={"duration_minutes": minutes})
    context: dict[str, Any] = {"circle": circle, "form": form, "minutes": minutes, **_waking()}
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            sessions = schedule_session(
                coach=request.user,
                circle=circle,
                title=data["title"],
                agenda=data["agenda"],
                local_start=dt.datetime.combine(data["date"], data["time"]),
                duration_minutes=data["duration_minutes"],
                weeks=data["weeks"],
                confirm=_confirmation(request),
            )
        except ClashWarning as warning:
            context["warning"] = warning
        except SessionRuleError as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(
                request,
                ngettext(
                    "Scheduled %(count)d session of “%(title)s”; every member sees it in their own time.",
                    "Scheduled %(count)d sessions of “%(title)s”; every member sees them in their own time.",
                    len(sessions),
                )
                % {"count": len(sessions), "title": sessions[0].title},
            )
            return redirect("circle", circle.pk)
    context["slots"] = selectors.suggested_slots(circle=circle, coach=request.user, minutes=minutes)
    if request.htmx and request.method == "GET":
        return render(request, "live/_slots.html", context)
    return render(request, "live/schedule.html", context, status=400 if form.errors else 200)


def _waking() -> dict[str, str]:
    return {"waking_from": f"{WAKING_HOURS[0]}:00", "waking_to": f"{WAKING_HOURS[1]}:00"}


def _confirmation(request: HttpRequest) -> str:
    # The "book it anyway" button posts the digest of the clashes the coach was shown.
    return str(request.POST.get("confirm", ""))[:64]


def _not_scheduled(request: AuthenticatedRequest, session: LiveSession) -> HttpResponse | None:
    # A session that has started, ended or been cancelled is no longer edited: back to the circle, saying why.
    if session.status == LiveSession.Status.SCHEDULED:
        return None
    messages.error(request, _("Only a session that has not started can be changed or cancelled."))
    return redirect("circle", session.circle_id)


@login_required
def session_edit(request: AuthenticatedRequest, session_id: int) -> HttpResponse:
    """Change a scheduled session's title, agenda, time or length; members are told when the time moves."""
    session = access_session(request.user, session_id, coach=True)
    if refused := _not_scheduled(request, session):
        return refused
    circle = session.circle
    local = session.starts_at.astimezone(request.user.zone)
    asked = request.POST.get("duration_minutes") or request.GET.get("duration_minutes")
    minutes = _slot_minutes(asked or session.duration_minutes, circle)
    initial = {
        "title": session.title,
        "agenda": session.agenda,
        "date": local.date(),
        "time": local.time().replace(second=0, microsecond=0),
        "duration_minutes": session.duration_minutes,
    }
    form = EditSessionForm(request.POST or None, initial=initial, later=selectors.later_in_series(session))
    context: dict[str, Any] = {
        "circle": circle,
        "session": session,
        "form": form,
        "minutes": minutes,
        **_waking(),
    }
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            changed = reschedule_session(
                coach=request.user,
                session=session,
                title=data["title"],
                agenda=data["agenda"],
                local_start=dt.datetime.combine(data["date"], data["time"]),
                duration_minutes=data["duration_minutes"],
                following=form.following,
                confirm=_confirmation(request),
            )
        except ClashWarning as warning:
            context["warning"] = warning
        except SessionRuleError as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(
                request,
                ngettext(
                    "“%(title)s” is saved.", "“%(title)s” is saved, with %(count)d sessions.", len(changed)
                )
                % {"title": data["title"].strip(), "count": len(changed)},
            )
            return redirect("circle", circle.pk)
    context["slots"] = selectors.suggested_slots(
        circle=circle, coach=request.user, minutes=minutes, exclude=[session.pk]
    )
    if request.htmx and request.method == "GET":
        return render(request, "live/_slots.html", context)
    return render(request, "live/schedule.html", context, status=400 if form.errors else 200)


@login_required
def session_cancel(request: AuthenticatedRequest, session_id: int) -> HttpResponse:
    """Ask the coach to confirm, then cancel the session; members are told."""
    session = access_session(request.user, session_id, coach=True)
    if refused := _not_scheduled(request, session):
        return refused
    form = CancelSessionForm(request.POST or None, later=selectors.later_in_series(session))
    if request.method == "POST" and form.is_valid():
        try:
            cancelled = cancel_session(
                coach=request.user,
                session=session,
                reason=form.cleaned_data["reason"],
                following=form.following,
            )
        except SessionRuleError as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(
                request,
                ngettext(
                    "“%(title)s” is cancelled; its members are told.",
                    "“%(title)s” and the later sessions of its series are cancelled (%(count)d); "
                    "its members are told.",
                    len(cancelled),
                )
                % {"title": session.title, "count": len(cancelled)},
            )
            return redirect("circle", session.circle_id)
    context = {"session": session, "circle": session.circle, "form": form}
    return render(request, "live/cancel.html", context, status=400 if form.errors else 200)


@login_required
@require_GET
def session_calendar(request: AuthenticatedRequest, session_id: int) -> HttpResponse:
    """One session as an .ics file, for the circle's members and coach."""
    session = access_session(request.user, session_id)
    return _ics(
        session_ics(session, base_url=_base_url(request)), filename=f"circles-session-{session.pk}.ics"
    )


@require_GET
def calendar_feed(request: HttpRequest, token: str) -> HttpResponse:
    """A person's private feed for calendar apps: no sign-in, the token in the URL is the secret."""
    person = User.objects.filter(calendar_token=token, is_active=True).first()
    if person is None:
        raise Http404
    with override(person.ui_language):
        body = feed_ics(sessions_for(user=person), base_url=_base_url(request))
    response = _ics(body, filename="circles.ics")
    response["Cache-Control"] = "private, max-age=300"
    response["X-Robots-Tag"] = "noindex"
    return response


@login_required
@require_POST
def renew_calendar(request: AuthenticatedRequest) -> HttpResponse:
    """Make the person a new private feed URL; the previous one stops working."""
    had_one = request.user.calendar_token is not None
    calendar_token(user=request.user, renew=True)
    if had_one:
        messages.success(request, _("Your calendar link is new; the old one no longer works."))
    else:
        messages.success(request, _("Your calendar link is ready."))
    return redirect("profile")


def _commitment_rows(members: Any) -> list[dict[str, Any]]:
    return [{"member": m} for m in members] + [{}] * EXTRA_COMMITMENT_ROWS


def _log_context(session: LiveSession, **forms: Any) -> dict[str, Any]:
    members = logs.circle_members(session=session)
    log = getattr(session, "log", None)
    rows = _commitment_rows(members)
    return {
        "session": session,
        "log": log,
        "is_open": logs.log_is_open(session),
        "sheet": logs.attendance_sheet(session=session),
        "commitments": logs.session_commitments(session=session),
        "notes_form": forms.get("notes_form") or NotesForm(initial={"notes": log.notes if log else ""}),
        "commitment_forms": forms.get("commitment_forms")
        or CommitmentFormSet(initial=rows, prefix="c", form_kwargs={"members": members}),
        "attendance_error": forms.get("attendance_error"),
        "commitment_error": forms.get("commitment_error"),
    }


@login_required
@require_GET
def session_log(request: AuthenticatedRequest, session_id: int) -> HttpResponse:
    """The coach's log of a session: notes, attendance and commitments."""
    session = access_session(request.user, session_id, coach=True)
    return render(request, "live/session_log.html", _log_context(session))


@login_required
@require_POST
def session_log_notes(request: AuthenticatedRequest, session_id: int) -> HttpResponse:
    """Save the coach's notes."""
    session = access_session(request.user, session_id, coach=True)
    form = NotesForm(request.POST)
    if form.is_valid():
        try:
            logs.write_log(coach=request.user, session=session, notes=form.cleaned_data["notes"])
        except SessionRuleError as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(request, _("The notes are saved."))
            return redirect("session_log", session.pk)
    return render(request, "live/session_log.html", _log_context(session, notes_form=form), status=400)


@login_required
@require_POST
def session_log_attendance(request: AuthenticatedRequest, session_id: int, user_id: int) -> HttpResponse:
    """Correct one person's attendance."""
    session = access_session(request.user, session_id, coach=True)
    person = User.objects.filter(pk=user_id).first()
    if person is None:
        raise Http404
    form = AttendanceForm(request.POST)
    error = None
    if form.is_valid():
        try:
            logs.correct_attendance(
                coach=request.user,
                session=session,
                person=person,
                present=form.cleaned_data["present"],
                note=form.cleaned_data["note"],
            )
        except SessionRuleError as exc:
            error = str(exc)
        else:
            messages.success(request, _("Attendance of %(name)s is corrected.") % {"name": person.name})
            return redirect("session_log", session.pk)
    else:
        error = " ".join(str(e) for errors in form.errors.values() for e in errors)
    context = _log_context(session, attendance_error=error)
    return render(request, "live/session_log.html", context, status=400)


@login_required
@require_POST
def session_log_commitments(request: AuthenticatedRequest, session_id: int) -> HttpResponse:
    """Record the commitments members made in the session."""
    session = access_session(request.user, session_id, coach=True)
    members = logs.circle_members(session=session)
    formset = CommitmentFormSet(
        request.POST, initial=_commitment_rows(members), prefix="c", form_kwargs={"members": members}
    )
    error = None
    if formset.is_valid():
        drafts = [
            logs.CommitmentDraft(member=row["member"], text=row["text"], due_on=row["due_on"])
            for row in formset.cleaned_data
            if row.get("text")
        ]
        try:
            added = logs.add_commitments(coach=request.user, session=session, drafts=drafts)
        except SessionRuleError as exc:
            error = str(exc)
        else:
            messages.success(
                request,
                ngettext("%(count)d commitment recorded.", "%(count)d commitments recorded.", len(added))
                % {"count": len(added)},
            )
            return redirect("session_log", session.pk)
    context = _log_context(session, commitment_forms=formset, commitment_error=error)
    return render(request, "live/session_log.html", context, status=400)


def _commitments_page(request: AuthenticatedRequest, **refused: Any) -> dict[str, Any]:
    return {
        "commitments": logs.commitments_of(member=request.user),
        "coached": logs.coached_open_commitments(coach=request.user),
        "close_form": CloseCommitmentForm(),
        **refused,
    }


@login_required
@require_GET
def commitments(request: AuthenticatedRequest) -> HttpResponse:
    """The person's commitments (open first, overdue marked), and for a coach their members' open ones."""
    return render(request, "live/commitments.html", _commitments_page(request))


@login_required
@require_POST
def close_commitment(request: AuthenticatedRequest, commitment_id: int) -> HttpResponse:
    """The member closes their own commitment done or dropped, with a note; refused, the page shows why."""
    commitment = access_commitment(request.user, commitment_id)
    form = CloseCommitmentForm(request.POST)
    if form.save(member=request.user, commitment=commitment):
        messages.success(request, _("“%(text)s” is closed.") % {"text": commitment.text})
        return redirect("commitments")
    context = _commitments_page(request, refused_close_id=commitment.pk, refused_close_form=form)
    return render(request, "live/commitments.html", context, status=400)
